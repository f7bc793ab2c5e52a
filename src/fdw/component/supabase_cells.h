// Supabase's cells and the statement a component guest sees, read from the
// routines' MessagePack (docs/fdw.md): cells by column type with Supabase's
// units (date: seconds since 1970; timestamp, timestamptz: microseconds
// since 1970; numeric: f64), and cells back into MessagePack as the host's
// row conversion takes them.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "component/cabi.h"
#include "component/world.h"
#include "fdw/options.h"
#include "pg/abi/msgpack_values.h"

namespace pgwasm::fdw {

struct ColumnDesc {
  std::string name, type;  // type as format_type writes it
  int num = 0;
};

struct QualDesc {
  std::string field, op;   // Supabase's operator names: "=", "~~", "is", "is not"
  component::Value value;  // a `value` variant
  bool use_or = false;
  bool param = false;
  uint32_t param_id = 0, param_type = 0;
  int column = 0;
};

struct SortDesc {
  std::string field;
  int num = 0;
  bool reversed = false, nulls_first = false;
};

// What the routines' inputs said, kept for the guest's context.
struct StatementState {
  OptionList server, table, user, import;
  std::vector<ColumnDesc> all_columns;
  std::vector<ColumnDesc> context_columns;  // a scan's targets, or every column
  std::vector<QualDesc> quals;
  std::vector<SortDesc> sorts;
  std::optional<int64_t> limit;
  int64_t offset = 0;
  std::vector<std::optional<component::Value>> row;  // insert, update
  std::optional<component::Value> rowid;
  std::optional<int> rowid_column;
  std::string remote_schema, local_schema;

  // Reads a routine's input map, keeping what it has. Throws CabiError.
  void read_input(std::string_view msgpack, const component::World &world);
};

// The cell case for a column type, and the type-oid variant's value.
uint32_t cell_case(const std::string &type, component::WitVersion v);
component::Value type_oid_of(const ColumnDesc &c, component::WitVersion v);
// The OID of a type name (0 for one the world has no case for).
uint32_t type_oid_number(const std::string &type);

// An option<cell> as the host keeps a row's cells: the case and its
// payload's fields (those a lifted cell Value has), no value tree.
struct HostCell {
  bool some = false;  // none: a NULL cell
  uint32_t c = 0;     // the cell's case
  uint64_t bits = 0;  // bool, integers (sign-extended), dates and times
  double f = 0;       // f32, f64, numeric
  std::string s;      // string, json, uuid, other
};
HostCell host_cell(const std::optional<component::Value> &cell);
std::optional<component::Value> cell_value(const HostCell &cell);

void pack_cell_value(pg::MsgpackPacker &packer, const component::Value &cell);
// As pack_cell_value; none is nil.
void pack_host_cell(pg::MsgpackPacker &packer, const HostCell &cell);
std::string cell_to_string(const std::optional<component::Value> &cell);

// A string as valid UTF-8 (invalid bytes become U+FFFD).
std::string lossy_utf8(std::string_view s);

}  // namespace pgwasm::fdw
