// UTF-8 as WebAssembly names and the component model's strings require it.
#pragma once

#include <string_view>

namespace pgwasm::toolkit {

// Whether `s` is well-formed UTF-8: no overlong forms, no surrogates,
// nothing beyond U+10FFFF, no sequence cut short.
bool utf8_valid(std::string_view s);

}  // namespace pgwasm::toolkit
