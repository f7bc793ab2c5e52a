// Byte-string SQL values (text, bytea, json, jsonb, numeric, uuid, arrays)
// as the bytes they travel as between PostgreSQL and a guest
// (docs/abi.md).
#pragma once

#include <string>
#include <string_view>

#include "pg/pg_headers.h"
#include "pg/sql_types.h"

namespace pgwasm::pg {

// The bytes an argument travels as; they stay valid until the current
// memory context is reset. Values that cannot travel (an array with NULLs or
// several dimensions) raise an error naming `subject`.
std::string_view arg_bytes(const SqlType &type, Datum value, const std::string &subject);

// The SQL value of type `type` from bytes a guest returned: validated (UTF-8,
// JSON syntax, sizes), converted to the database encoding. Errors name `subject`.
Datum datum_from_bytes(const SqlType &type, std::string_view bytes, const std::string &subject);

// Checks that the bytes are UTF-8; errors name `subject` and the byte offset.
void check_utf8(std::string_view bytes, const std::string &subject);

}  // namespace pgwasm::pg
