#include "pg/engines.h"

#include <algorithm>
#include <climits>
#include <cstdio>
#include <string>

#include "pg/guard.h"
#include "toolkit/worker.h"

extern "C" {
#include "miscadmin.h"
#include "storage/fd.h"
#include "tcop/tcopprot.h"
#include "utils/guc.h"
}

namespace pgwasm::pg {

namespace {

// Read by the watchdog thread: plain loads of PostgreSQL's signal flags.
bool interrupt_requested() {
  return QueryCancelPending || ProcDiePending;
}

// Leaky singletons: V8 must never be torn down by static destructors at
// backend exit, while its threads may still run.
engine::Engine *g_engine = nullptr;
engine::Engine *g_native = nullptr;
bool g_native_unavailable = false;
char *native_compiler_guc = nullptr;  // wasm.native_compiler

// Guest code gets the stack PostgreSQL allows itself (max_stack_depth below
// the stack base); PostgreSQL keeps at least 512 kB beyond that, which V8
// needs to report the overflow.
void apply_stack_limit(engine::Engine &e, int &applied_depth) {
  if (applied_depth == max_stack_depth) return;
  pg_stack_base_t base = set_stack_base();
  restore_stack_base(base);
  auto top = reinterpret_cast<uintptr_t>(base);
  e.set_stack_limit(top - static_cast<uintptr_t>(max_stack_depth) * 1024);
  applied_depth = max_stack_depth;
}

// Whether this session is the first to find the native engine unavailable
// for this reason: every session finds it at its first call, and the log
// should say it once, not once per connection. The reason last said is kept
// in the data directory.
bool first_session_to_log_unavailable(const std::string &why) {
  std::string path = std::string(DataDir) + "/pg_wasm_native/unavailable";
  std::string said;
  if (std::FILE *f = std::fopen(path.c_str(), "r")) {
    char buf[1024];
    size_t n = std::fread(buf, 1, sizeof buf, f);
    said.assign(buf, n);
    std::fclose(f);
  }
  if (said == why.substr(0, 1024)) return false;
  std::string tmp = path + "." + std::to_string(MyProcPid);
  if (std::FILE *f = std::fopen(tmp.c_str(), "w")) {
    std::fwrite(why.data(), 1, std::min<size_t>(why.size(), 1024), f);
    if (std::fclose(f) == 0) std::rename(tmp.c_str(), path.c_str());
  }
  return true;
}

}  // namespace

engine::Engine *native_engine_if_available() {
  static int applied_depth = -1;
  if (!g_native && !g_native_unavailable) {
    try {
      engine::NativeConfig config = native_engine_config();
      if (native_compiler_guc && *native_compiler_guc) config.toolchain.cc = native_compiler_guc;
      g_native = engine::make_native_engine({.interrupt_requested = interrupt_requested,
                                             .max_table_entries = kTableEntriesCap},
                                            std::move(config))
                     .release();
    } catch (const engine::EngineError &e) {
      g_native_unavailable = true;
      std::string why = e.what();
      if (first_session_to_log_unavailable(why))
        pg_guard([&] {
          ereport(LOG, (errmsg("wasm: the native engine is not available, V8 runs every module: %s",
                               why.c_str())));
        });
    }
  }
  if (g_native) apply_stack_limit(*g_native, applied_depth);
  return g_native;
}

static engine::Engine &native_engine() {
  if (auto *e = native_engine_if_available()) return *e;
  throw SqlError(ERRCODE_FEATURE_NOT_SUPPORTED,
                 "wasm.engine is native, but the native engine is not available here",
                 "It needs wasm2c and a C compiler (the server log says which is missing).",
                 "SET wasm.engine = v8, or auto.");
}

int tiering_guc = static_cast<int>(engine::Tiering::Optimizing);
int max_heap_mb_guc = 512;
static int engine_guc = static_cast<int>(EnginePreference::Auto);
static bool preload_v8_guc = false;

void define_engine_settings() {
  DefineCustomStringVariable(
      "wasm.native_compiler", "The C compiler the native engine builds modules with.",
      "Read when the native engine starts in a session.", &native_compiler_guc, "/usr/bin/cc",
      PGC_SUSET, 0, nullptr, nullptr, nullptr);
  static const struct config_enum_entry engines[] = {
      {"auto", static_cast<int>(EnginePreference::Auto), false},
      {"v8", static_cast<int>(EnginePreference::V8), false},
      {"native", static_cast<int>(EnginePreference::Native), false},
      {nullptr, 0, false}};
  DefineCustomEnumVariable(
      "wasm.engine", "The engine Wasm calls run on: auto, v8 or native.",
      "native: modules compiled ahead of time by wasm2c and the system C compiler, built at "
      "their first use in a session if need be; auto: native once a background worker has "
      "built the module, V8 until then (and where no compiler is installed).",
      &engine_guc, static_cast<int>(EnginePreference::Auto), engines, PGC_USERSET, 0, nullptr,
      nullptr, nullptr);
  DefineCustomBoolVariable(
      "wasm.preload_v8", "Maps the V8 engine's libraries in the postmaster.",
      "Read at server start, with pg_wasm in shared_preload_libraries: every backend then "
      "starts with V8's libraries "
      "mapped and linked, which saves its first V8 call tens of milliseconds, and costs "
      "backends that run only native code the mapping. V8 itself still starts in each backend.",
      &preload_v8_guc, false, PGC_SIGHUP, 0, nullptr, nullptr, nullptr);
  if (process_shared_preload_libraries_in_progress && preload_v8_guc) {
    try {
      engine::preload_v8_library();
    } catch (const std::exception &e) {
      std::string why = e.what();
      pg_guard([&] {
        ereport(WARNING, (errmsg("wasm.preload_v8: V8 could not be preloaded: %s", why.c_str()),
                          errhint("Each backend loads it at its first V8 call.")));
      });
    }
  }
}

EnginePreference engine_preference() {
  return static_cast<EnginePreference>(engine_guc);
}

engine::Engine &backend_engine(EngineKind kind) {
  static int applied_depth = -1;
  if (kind == EngineKind::Native) return native_engine();
  if (!g_engine)
    g_engine =
        engine::make_v8_engine({.interrupt_requested = interrupt_requested,
                                .tiering = static_cast<engine::Tiering>(tiering_guc),
                                .max_table_entries = kTableEntriesCap,
                                .max_heap_bytes = static_cast<size_t>(max_heap_mb_guc) << 20})
            .release();
  apply_stack_limit(*g_engine, applied_depth);
  return *g_engine;
}

void collect_v8_garbage() {
  if (g_engine) g_engine->collect_garbage();
}

void install_interrupt_check() {
  toolkit::set_interrupt_check(interrupt_requested);
}

int native_max_builds_guc = 2;
int native_build_memory_mb_guc = 2048;
int native_build_timeout_s_guc = 120;
int native_cache_size_mb_guc = 2048;

void define_native_build_settings() {
  DefineCustomIntVariable(
      "wasm.native_max_builds", "The most native builds of Wasm modules that run at once.",
      "For the whole server, in sessions and background workers alike; a build waits for a "
      "free one. 0 builds nothing: every module runs on V8.",
      &native_max_builds_guc, 2, 0, 64, PGC_SIGHUP, 0, nullptr, nullptr, nullptr);
  DefineCustomIntVariable(
      "wasm.native_build_memory", "The memory one native build of a Wasm module may take.",
      "The address space of wasm2c, and of the C compiler's processes together (a large "
      "module's C is compiled in several at once); a build that needs more fails, and its "
      "module runs on V8.",
      &native_build_memory_mb_guc, 2048, 256, 1 << 20, PGC_SIGHUP, GUC_UNIT_MB, nullptr, nullptr,
      nullptr);
  DefineCustomIntVariable(
      "wasm.native_build_timeout", "The time one tool of a native build may take.",
      "CPU and wall-clock time of wasm2c and of the C compiler; a build that takes longer is "
      "stopped, and its module runs on V8.",
      &native_build_timeout_s_guc, 120, 1, 3600, PGC_SIGHUP, GUC_UNIT_S, nullptr, nullptr, nullptr);
  DefineCustomIntVariable(
      "wasm.native_cache_size", "The most disk the native builds of all databases may take.",
      "Builds that would take more are not made (their modules run on V8); the builds of "
      "dropped and replaced modules are removed. 0: no limit.",
      &native_cache_size_mb_guc, 2048, 0, INT_MAX, PGC_SIGHUP, GUC_UNIT_MB, nullptr, nullptr,
      nullptr);
}

engine::NativeConfig native_engine_config() {
  engine::NativeConfig config;
  std::string top = std::string(DataDir) + "/pg_wasm_native";
  config.cache_dir = native_cache_dir();
  config.slots_dir = top + "/slots";
  config.max_builds = static_cast<unsigned>(native_max_builds_guc);
  config.cache_root = top;
  config.max_cache_bytes = static_cast<uint64_t>(native_cache_size_mb_guc) << 20;
  config.toolchain.timeout = std::chrono::seconds(native_build_timeout_s_guc);
  config.toolchain.memory_bytes = static_cast<uint64_t>(native_build_memory_mb_guc) << 20;
  return config;
}

std::string native_cache_dir() {
  std::string top = std::string(DataDir) + "/pg_wasm_native";
  std::string dir = top + "/" + std::to_string(MyDatabaseId);
  pg_guard([&] {
    for (const std::string *d : {&top, &dir})
      if (MakePGDirectory(d->c_str()) != 0 && errno != EEXIST)
        ereport(ERROR, (errcode_for_file_access(),
                        errmsg("could not create directory \"%s\": %m", d->c_str())));
  });
  return dir;
}

}  // namespace pgwasm::pg
