// The guest's memory as pg_wasm's ABI uses it: the argument area the host
// allocates with the guest's pg_wasm_alloc, and results the guest returns as
// a pointer and a length (docs/abi.md).
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "pg/call_plan.h"

namespace pgwasm::pg {

// The address of an argument area of at least `size` bytes in the
// instance, allocated (or replaced by a larger one) through the guest's
// allocator only when the current one is too small.
uint32_t argument_area(CallPlan &plan, size_t size);

// The instance's memory, as it is now.
std::span<uint8_t> guest_memory(LoadedModule &module);

// The bytes of a result returned as (length << 32 | pointer); a range
// outside the guest's memory or over 1 GB raises an error.
std::string_view result_bytes(CallPlan &plan, uint64_t packed);

}  // namespace pgwasm::pg
