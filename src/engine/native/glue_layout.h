// What the engine reads and writes of a module's shared object: the glue's
// entry point (c_glue.cc writes the same layout) and wasm2c's runtime
// structs and trap codes (wasm-rt.h, 1.0.32).
#pragma once

#include <cstdint>

namespace pgwasm::engine::native {

// The host as the glue calls it: imported host functions go through `call`.
struct GlueHost {
  int (*call)(void *ctx, uint32_t import, const uint64_t *args, uint64_t *results);
  void *ctx;
};
struct WasmMemory {  // wasm_rt_memory_t
  uint8_t *data;
  uint32_t pages, max_pages;
  uint32_t size;
};

// wasm_rt_funcref_t, and both kinds of wasm_rt_*_table_t (wasm-rt.h).
struct FuncRef {
  uint32_t func_type;
  void (*func)();
  void *instance;
};
struct WasmTable {
  void *data;
  uint32_t max_size, size;
};

// wasm2c 1.0.32 keeps a memory's size in bytes in 32 bits: 65536 pages
// would wrap it to 0 (and its memory.grow would free the memory). A memory
// stays one page short of that.
inline constexpr uint32_t kMaxPages = 65535;
// The glue's entry point (pgw_native_module_v1).
struct GlueEntry {
  int abi;
  uint32_t instance_size;
  uint32_t exports;
  int (*const *calls)(void *, const uint64_t *, uint64_t *);
  int (*instantiate)(void *, const GlueHost *, void *const *externs);
  void (*free)(void *);
  void *(*memory)(void *);
  void *(*global)(void *, int);
  void (*set_limits)(uintptr_t stack, uint32_t pages, uint32_t entries);
  // Any export: a pointer to a memory, table or global, or `func` filled.
  void *(*any_export)(void *, uint32_t, FuncRef *func);
  const void *runtime;  // its runtime's state: instances link only within one
};

// wasm_rt_trap_t (wasm-rt.h, 1.0.32).
enum : int {
  kTrapNone,
  kTrapOob,
  kTrapIntOverflow,
  kTrapDivByZero,
  kTrapInvalidConversion,
  kTrapUnreachable,
  kTrapCallIndirect,
  kTrapUncaughtException,
  kTrapExhaustion,
};

// V8's limit on a table's entries (kV8MaxWasmTableInitEntries), the
// engine's own when the host sets none.
inline constexpr uint32_t kMaxTableEntries = 10'000'000;

}  // namespace pgwasm::engine::native
