// Rewriting a module so the host can bound what it does: a deterministic
// instruction budget (fuel), and a per-call bound on memory.grow.
//
// Fuel: the module gets a mutable i64 global, exported as kFuelExport, that
// the host sets before each call (until it does, it is unlimited). Every
// function entry and every loop header is a charge point: it subtracts,
// from a copy of the counter in a local of the function, the instructions
// of the code it leads into (an if's two arms both counted, nested loops
// charging for themselves), and traps with `unreachable` once the counter
// is below zero, after writing it back to the global. The local goes back
// to the global before calls, returns and branches out of the function, and
// comes back from it after calls. So a trap is fuel running out exactly
// when the global is negative after it. The same charge points are where
// an engine that cannot be interrupted from outside (ahead-of-time compiled
// code) can check for an interrupt: its host sets the counter to -1 to stop
// a call, and the guest traps at its next loop or call.
//
// Interrupt: the module gets a mutable i32 global, exported as
// kInterruptExport, and every function entry and loop header traps with
// `unreachable` while it is not 0. An engine whose code cannot be stopped
// from outside (ahead-of-time compiled) has its watchdog set it: the guest
// stops at its next loop iteration or call, and the host, knowing it asked,
// reports an interrupt rather than the trap.
//
// Memory: every memory.grow becomes a call to a function the pass adds,
// which returns -1 (as memory.grow does at its limit) when the memory would
// grow past the pages in a mutable i32 global, exported as
// kMaxPagesExport, that the host sets before each call. Without fuel,
// binary_edit.h's bound_memory_grow does the same as a byte edit, at the
// cost of a copy; this pass goes through wabt's IR.
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
