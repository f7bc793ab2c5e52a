// Names a module chose (an import's module and field, an export's name), as
// messages show them.
//
// A WebAssembly name is any UTF-8, zero bytes and control characters
// included: "\00" is a valid name in the text format. Put as it is into a
// message, a zero byte cuts the C string it ends up in (PostgreSQL's ereport
// and every what()), and other control bytes break the line. Every name a
// module chose goes through here before it reaches a message.
#pragma once

#include <string>
#include <string_view>

namespace pgwasm::toolkit {

// `name` between double quotes, escaped as the text format writes strings:
// control bytes (U+0000 to U+001F, U+007F) as \hh, the double quote and the
// backslash as \" and \\. Other characters are kept as they are.
std::string quoted_name(std::string_view name);

// `text` (an engine's message naming names) with its control bytes as \hh:
// the same escapes for them as quoted_name, nothing else changed.
std::string escaped_controls(std::string_view text);

}  // namespace pgwasm::toolkit
