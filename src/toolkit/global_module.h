// The global module: a generated module defining one global with exact
// initial bits.
//
// Engines whose host API converts values (V8 makes globals from JS numbers,
// which canonicalise NaN payloads, and cannot make v128 globals at all) make
// a host global of a numeric type by instantiating this module instead.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "toolkit/types.h"

namespace pgwasm::toolkit {

struct GlobalModule {
  static constexpr const char *kExport = "g";  // the global
};

// A module exporting one global of numeric `type` (not a reference type)
// whose initial value has these bits (little-endian, as in linear memory;
// only the type's own width is read).
std::vector<uint8_t> make_global_module(GlobalType type, std::span<const uint8_t, 16> bits);

}  // namespace pgwasm::toolkit
