// SQL values as MessagePack, both ways: rows and sets returned by pg_wasm
// guests, and the blocks of ClickHouse's BUFFERED_V1 (docs/abi.md). Guests'
// MessagePack is read with the bounded reader (toolkit/msgpack_reader.h); msgpack-c
// packs what the host sends.
#pragma once

#include <string>

#include "pg/guard.h"
#include "pg/pg_headers.h"
#include "toolkit/msgpack_reader.h"

// PostgreSQL's pg_list.h defines NIL, which msgpack uses as a name.
#pragma push_macro("NIL")
#undef NIL
#define MSGPACK_NO_BOOST
#include <msgpack.hpp>
#pragma pop_macro("NIL")
#include "pg/sql_types.h"

namespace pgwasm::pg {

using toolkit::MsgpackError;
using toolkit::MsgpackReader;
using MsgpackPacker = msgpack::packer<msgpack::sbuffer>;

// Packs an argument the way ClickHouse's MsgPack format does: integers and
// floats as such, bool as bool, text and bytes as bin, arrays as arrays,
// date and timestamps as integers in PostgreSQL's own units.
void pack_datum(MsgpackPacker &packer, const SqlType &type, Datum value, bool isnull,
                const std::string &subject);

// What converting a guest's result may take of the host's memory: as much
// as the guest's own memory may hold (wasm.max_memory). Errors name `subject`.
class ConversionBudget {
 public:
  ConversionBudget(const std::string &subject, uint64_t limit);
  void charge(uint64_t bytes);
  // What was charged is free again (a set's row is in the tuplestore).
  void reset() { left_ = limit_; }

 private:
  const std::string &subject_;
  uint64_t limit_;
  uint64_t left_;
};

// Reads the next value as one of SQL type `typid`, fitted to `typmod`: nil
// is NULL; numbers, strings, bin and arrays convert as docs/abi.md says; any
// other type may come as a string for its input function. Errors name
// `subject`; long conversions can be cancelled.
Datum read_datum(MsgpackReader &r, Oid typid, int32 typmod, bool &isnull,
                 const std::string &subject, ConversionBudget &budget);

// The error for MessagePack the reader refused.
SqlError invalid_msgpack(const std::string &subject, const MsgpackError &e);

// Raises an error if bytes follow the value that was read.
void expect_end(const MsgpackReader &r, const std::string &subject);

}  // namespace pgwasm::pg
