// UTF-8 as WebAssembly names and the component model's strings require it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace pgwasm::toolkit {

// Whether `s` is well-formed UTF-8: no overlong forms, no surrogates,
// nothing beyond U+10FFFF, no sequence cut short.
bool utf8_valid(std::string_view s);

// Appends a Unicode scalar value (not a surrogate, at most U+10FFFF) as
// UTF-8.
void append_utf8(std::string &out, uint32_t code_point);

// The scalar value `s` encodes when it is exactly one well-formed UTF-8
// character, else nullopt.
std::optional<uint32_t> single_code_point(std::string_view s);

}  // namespace pgwasm::toolkit
