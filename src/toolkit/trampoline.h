// The call trampoline: a generated module through which an engine calls a
// module's functions with exact values.
//
// Engines whose host API converts values (V8 turns f32/f64 into JS numbers,
// canonicalising NaN payloads, and i64 into BigInts, which allocate) call the
// trampoline instead: the host writes each argument's bits into the
// trampoline's memory, calls a function with no numeric parameters, and reads
// the results' bits back. Reference-typed values cannot live in memory, so
// they stay ordinary parameters and results.
//
// The same module reads globals exactly: a getter imports the global and
// stores its bits in slot 0 (a reference-typed global is returned instead).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "toolkit/types.h"

namespace pgwasm::toolkit {

// Globals of an instrumented module (instrument.h) that the trampoline sets
// before every call, from the control slot.
struct TrampolineControls {
  bool fuel = false;       // imports "m" "fuel" (mut i64): slot bytes 0..7
  bool max_pages = false;  // imports "m" "max_pages" (mut i32): slot bytes 8..11
};

struct CallTrampoline {
  // Every argument and result takes one slot; a slot holds any numeric type,
  // v128 included. Argument k is read from, and result k written to, slot k.
  static constexpr uint32_t kSlotSize = 16;
  static constexpr const char *kImportModule = "m";  // imports "m" "<i>", "m" "g<i>"
  static constexpr const char *kMemoryExport = "slots";
  static constexpr const char *kModuleName = "pg_wasm_trampoline";
  // Export "<i>" calls import "<i>". Its parameters are the target's
  // reference-typed parameters and its results the reference-typed results.
  // Export "g<i>" reads import "g<i>", global i.
  // With controls: the control slot follows the value slots; export
  // "fuel" writes the fuel global's value back into it.
  static constexpr const char *kFuelImport = "fuel";
  static constexpr const char *kMaxPagesImport = "max_pages";
  static constexpr const char *kFuelExport = "fuel";
  std::vector<uint8_t> wasm;
  uint32_t slots = 0;
  uint32_t control_offset() const { return slots * kSlotSize; }
};

CallTrampoline make_call_trampoline(std::span<const FuncType> targets,
                                    std::span<const GlobalType> globals = {},
                                    TrampolineControls controls = {});

// The name of both the import and the export for target `index` ("<i>") and
// for global `index` ("g<i>").
std::string trampoline_call_export(size_t index);
std::string trampoline_global_export(size_t index);

// The trampoline's own signature for one target: only its reference types.
FuncType trampoline_signature(const FuncType &target);

}  // namespace pgwasm::toolkit
