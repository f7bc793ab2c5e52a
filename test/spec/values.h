// Comparing results with what a script expects, and printing values.
#pragma once

#include <string>

#include "engine/engine.h"
#include "spec/script.h"

namespace pgwasm::spec {

// True when `actual` is what `expected` allows: the same type and bits, a
// NaN of the expected kind in each float lane that expects one, the same
// reference (or any function reference for (ref.func)).
bool matches(const engine::Value &actual, const Expected &expected);

// "i32.const 42", "f32.const nan:0x200000 (0x7fa00000)", "v128.const i32x4 1 2 3 4",
// "ref.extern 7", "ref.null func".
std::string to_string(const engine::Value &v);
std::string to_string(const Expected &e);
// A result printed in the shape of what was expected (v128 lanes).
std::string to_string(const engine::Value &v, const Expected &shape);

}  // namespace pgwasm::spec
