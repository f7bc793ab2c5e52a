// JSON's string syntax, for the few places that write JSON text by hand.
#pragma once

#include <string>
#include <string_view>

namespace pgwasm::toolkit {

// Appends `s` (UTF-8) as a JSON string: quoted, with quotes, backslashes
// and control characters escaped.
void append_json_string(std::string &out, std::string_view s);

}  // namespace pgwasm::toolkit
