// A check of the C the native build generates (wasm2c's translation and the
// glue) before the compiler sees it: the module's own text must never be in
// it (docs/safety.md, "What the native build trusts"). wasm2c is given a copy
// of the module whose every name is generated (c_glue.h's generated_names),
// so this only confirms what the build makes sure of: a tripwire, should
// wasm2c or the glue ever write something else.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace pgwasm::engine::native {

// Why `source` is not C the build could have generated, or nothing. It must
// be printable ASCII lines with no trigraph and no backslash other than a
// line continuation in code; comments and string literals must hold no
// backslash, and every quoted name in a comment ('e0', 'h', 'i12') must be a
// generated one; there may be no character literals.
std::optional<std::string> generated_source_refusal(std::string_view source);

}  // namespace pgwasm::engine::native
