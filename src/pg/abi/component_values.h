// SQL values against WIT values (docs/components-sql.md): one ValueMap per
// parameter and result of a component function, made when the function is
// bound, checks that the SQL type can carry the WIT type and converts
// values both ways at each call. Composites, arrays, enums, flags and
// variants are maps of maps (component_composites.cc).
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "component/cabi.h"
#include "component/cabi_layout.h"
#include "pg/guard.h"
#include "pg/pg_headers.h"

namespace pgwasm::pg {

// Where a map is used, for messages: "parameter 1 (s)", "the result",
// "field x of parameter 1".
struct MapPlace {
  std::string what;
  std::string subject;  // "module "m", export "e""
};

class ValueMap {
 public:
  virtual ~ValueMap() = default;
  // Whether SQL NULL is a value of the WIT type (an option): then to_wit
  // takes it and to_sql may give it.
  virtual bool takes_null() const { return false; }
  // A SQL value as the WIT value. `isnull` only when takes_null(). Throws
  // SqlError: 22003 out of range, 22P02 a bad label, 22004 a NULL where the
  // WIT type has none, 22023 a char that is not one character.
  virtual component::Value to_wit(Datum d, bool isnull) const = 0;
  // A WIT value lifted from the guest as the SQL value, allocated in
  // CurrentMemoryContext. Throws SqlError (22021 for text the database
  // cannot hold, 22003 for a number SQL's type cannot hold).
  virtual Datum to_sql(const component::Value &v, bool *isnull) const = 0;
  // The WIT and SQL types, for messages: "list<string>", "text[]".
  virtual std::string wit_name() const = 0;
  virtual std::string sql_name() const = 0;
};

// The map of SQL type `sql_type` (with `typmod`) against `wit`, or SqlError:
// 42804 naming both types and `place` when they do not match, 0A000 for a
// WIT type that cannot be a SQL value (resources, futures, streams). Call
// from C++ (it runs PostgreSQL code under pg_guard); the maps it makes keep
// what they need (type descriptors, enum labels) in `mcxt`.
std::unique_ptr<ValueMap> map_value(const component::Type &wit, Oid sql_type, int32 typmod,
                                    const MapPlace &place, MemoryContext mcxt);

// The 42804 error of a WIT type that `sql_type` cannot carry at `place`:
// "wasm module "m", export "e": parameter 1 (s) has WIT type string, the
// SQL function takes integer".
SqlError type_mismatch(const component::Type &wit, Oid sql_type, int32 typmod,
                       const MapPlace &place);

// The ERROR of a function whose result<T, E> is err(e) (`error` is E, null
// for result<T>; `e` its payload): err(string) says the string, an enum's
// label is the message, any other value is in the DETAIL. SQLSTATE 38000;
// the DETAIL names `subject`.
SqlError result_error(const component::Type *error, const component::Value *e,
                      const std::string &subject);

// The maps of the composite side (component_composites.cc): records and
// tuples against composite types, lists against arrays, enums against text
// or PostgreSQL enums, flags against text[], variants against jsonb. nullptr
// when `wit` is not one of these kinds; SqlError as map_value.
std::unique_ptr<ValueMap> map_composite_value(const component::Type &wit, Oid sql_type,
                                              int32 typmod, const MapPlace &place,
                                              MemoryContext mcxt);

// A record or tuple against the columns of a row descriptor that is not a
// named composite type: RETURNS TABLE's OUT columns, or the row type of a
// SETOF function, one row per list element. Matched as map_composite_value
// matches a composite type (by field name, a tuple by position).
class RowMap {
 public:
  virtual ~RowMap() = default;
  // One row's values and nulls (desc->natts each; dropped columns NULL).
  virtual void to_row(const component::Value &v, Datum *values, bool *nulls) const = 0;
};

// The row map of `wit` (a record or tuple) against `desc`, which it copies
// into `mcxt`; SqlError 42804 as map_value.
std::unique_ptr<RowMap> map_row(const component::Type &wit, TupleDesc desc, const MapPlace &place,
                                MemoryContext mcxt);

// The SQL name of a WIT name: kebab-case to snake_case ("first-name" is
// first_name), as records' fields match composite attributes and
// wasm.create_functions names functions and types.
std::string sql_name_of(const std::string &wit_name);

// The SQL type wasm.module_exports suggests for a WIT type ("text",
// "int8", "text[]", "point" for a record named point), or nullopt with
// `why` set when no SQL type can carry it.
std::optional<std::string> suggested_sql_type(const component::Type &wit, std::string *why);

}  // namespace pgwasm::pg
