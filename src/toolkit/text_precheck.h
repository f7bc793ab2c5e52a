// Checks of module text made with wabt's lexer alone, before wabt's parser
// sees it: the parser recurses without bound and, in wabt 1.0.32, aborts the
// process (assert) on some malformed texts. What passes here the parser
// takes without either.
#pragma once

#include <cstdint>
#include <string_view>

namespace pgwasm::toolkit {

// Throws TextError for text nested deeper than limits::kNestingDepth, for
// annotations, for a parenthesis not opening a keyword, and for an element
// segment that is not well formed (see text_precheck.cc). Returns the
// deepest nesting.
uint32_t precheck_text(std::string_view wat);

}  // namespace pgwasm::toolkit
