// Rewriting a module so the host can bound what it does: a deterministic
// instruction budget (fuel), an interrupt check, and a per-call bound on
// memory.grow. How each works: docs/instrumentation.md.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace pgwasm::toolkit {

struct InstrumentOptions {
  bool fuel = false;
  bool interrupt = false;
  bool memory_limit = false;  // a module without a memory is left as it is
};

// Export names no module can have (they start with a zero byte).
inline constexpr std::string_view kFuelExport{"\0pg_wasm_fuel", 13};
inline constexpr std::string_view kMaxPagesExport{"\0pg_wasm_max_pages", 18};
inline constexpr std::string_view kInterruptExport{"\0pg_wasm_interrupt", 18};

// The module, valid WebAssembly 2.0 within limits.h, instrumented. Throws
// BinaryError if it is not valid, or Interrupted (worker.h).
std::vector<uint8_t> instrument(std::span<const uint8_t> wasm, const InstrumentOptions &options);

}  // namespace pgwasm::toolkit
