// SQL values as MessagePack, both ways: rows and sets returned by pg_wasm
// guests, and the blocks of ClickHouse's BUFFERED_V1 (docs/abi.md).
#pragma once

#include <string>

#include "pg/pg_headers.h"

// PostgreSQL's pg_list.h defines NIL, which msgpack uses as a name.
#pragma push_macro("NIL")
#undef NIL
#define MSGPACK_NO_BOOST
#include <msgpack.hpp>
namespace pgwasm::pg {
inline constexpr auto kMsgpackNil = msgpack::type::NIL;
}
#pragma pop_macro("NIL")
#include "pg/sql_types.h"

namespace pgwasm::pg {

using MsgpackPacker = msgpack::packer<msgpack::sbuffer>;

// Packs an argument the way ClickHouse's MsgPack format does: integers and
// floats as such, bool as bool, text and bytes as bin, arrays as arrays,
// date and timestamps as integers in PostgreSQL's own units.
void pack_datum(MsgpackPacker &packer, const SqlType &type, Datum value, bool isnull,
                const std::string &who);

// The SQL value of type `typid` for a MessagePack object: nil is NULL;
// numbers, strings, bin and arrays convert as docs/abi.md says; any other
// type may come as a string for its input function. Errors name `who`.
Datum datum_from_msgpack(const msgpack::object &obj, Oid typid, int32 typmod, bool &isnull,
                         const std::string &who);

// Unpacks exactly one MessagePack value from the bytes; errors name `who`.
msgpack::object_handle unpack_one(std::string_view bytes, const std::string &who);

}  // namespace pgwasm::pg
