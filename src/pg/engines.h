// This backend's engines, each created at its first use (never in the
// postmaster), and the settings they start with: wasm.engine, wasm.tiering,
// wasm.max_heap, wasm.native_compiler, and the bounds of native builds.
#pragma once

#include <cstdint>
#include <string>

#include "engine/engine.h"
#include "pg/pg_headers.h"

namespace pgwasm::pg {

// The two engines: V8, and the native one (modules compiled ahead of time
// by wasm2c and the system C compiler, src/engine/native).
enum class EngineKind : uint8_t { V8, Native };

// wasm.engine: auto (native once a background worker has built the module,
// V8 until then), v8, or native (built at first need, in the session).
enum class EnginePreference : uint8_t { Auto, V8, Native };
EnginePreference engine_preference();
void define_engine_settings();

// An engine, created on first use in this backend (never in the
// postmaster). The native one throws SqlError where it cannot run (no
// compiler).
engine::Engine &backend_engine(EngineKind kind = EngineKind::V8);

// The native engine, or null where it cannot run (no compiler): said once
// in the log, and then V8 serves everything.
engine::Engine *native_engine_if_available();

// Frees what V8 holds that nothing uses any more, if it has started here.
void collect_v8_garbage();

// wasm.tiering and wasm.max_heap (in MB), read when the engine starts in a
// backend.
extern int tiering_guc;
extern int max_heap_mb_guc;

// The most entries one table may have, and what an entry takes (measured
// with V8 10.2: a funcref entry 28.5 bytes, half of it outside V8's heap;
// an externref entry 8).
inline constexpr uint64_t kTableEntriesCap = 1'000'000;
inline constexpr uint64_t kFuncrefEntryBytes = 32;
inline constexpr uint64_t kExternrefEntryBytes = 8;

// $PGDATA/pg_wasm_native/<database OID>, made if missing. Per database: a
// module dropped in one must not take away another database's build.
std::string native_cache_dir();

// wasm.native_max_builds, wasm.native_build_memory (MB),
// wasm.native_build_timeout (s), wasm.native_cache_size (MB): the bounds of
// every native build, for the whole server (docs/native-engine.md).
extern int native_max_builds_guc;
extern int native_build_memory_mb_guc;
extern int native_build_timeout_s_guc;
extern int native_cache_size_mb_guc;
void define_native_build_settings();

// The bounds above as the native engine takes them.
engine::NativeConfig native_engine_config();

// Lets long toolkit work stop when PostgreSQL wants to cancel or terminate
// (from _PG_init).
void install_interrupt_check();

}  // namespace pgwasm::pg
