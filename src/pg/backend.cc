#include <algorithm>
#include <memory>
#include <string>

#include "engine/engine.h"
#include "pg/backend.h"
#include "pg/budgets.h"
#include "pg/catalog.h"
#include "pg/engine_errors.h"
#include "pg/guard.h"
#include "pg/host/guest_call.h"
#include "pg/host/host_functions.h"
#include "toolkit/worker.h"

extern "C" {
#include "tcop/tcopprot.h"
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
ModuleCache *g_cache = nullptr;

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

// Built modules live in the data directory, written by the server only.
std::string native_cache_dir() {
  return std::string(DataDir) + "/pg_wasm_native";
}

engine::Engine &native_engine() {
  static int applied_depth = -1;
  if (!g_native && !g_native_unavailable) {
    try {
      std::string dir = native_cache_dir();
      pg_guard([&] {
        if (MakePGDirectory(dir.c_str()) != 0 && errno != EEXIST)
          ereport(ERROR, (errcode_for_file_access(),
                          errmsg("could not create directory \"%s\": %m", dir.c_str())));
      });
      engine::NativeToolchain toolchain;
      if (native_compiler_guc && *native_compiler_guc) toolchain.cc = native_compiler_guc;
      g_native = engine::make_native_engine({.interrupt_requested = interrupt_requested,
                                             .max_table_entries = kTableEntriesCap},
                                            {.cache_dir = dir, .toolchain = toolchain})
                     .release();
    } catch (const engine::EngineError &e) {
      g_native_unavailable = true;
      std::string why = e.what();
      pg_guard([&] {
        ereport(LOG, (errmsg("wasm: the native engine is not available: %s", why.c_str())));
      });
    }
  }
  if (!g_native)
    throw SqlError(ERRCODE_FEATURE_NOT_SUPPORTED,
                   "wasm.engine is native, but the native engine is not available here",
                   "It needs wasm2c and a C compiler (the server log says which is missing).",
                   "SET wasm.engine = v8, or auto.");
  apply_stack_limit(*g_native, applied_depth);
  return *g_native;
}

// Invalidation callbacks must not touch the catalogs: compare with the
// table's OID as last seen (InvalidOid means "everything").
void on_modules_changed(Datum, Oid relid) {
  if (g_cache && (relid == InvalidOid || relid == catalog::last_seen_modules_relid()))
    g_cache->modules_changed();
}

void on_functions_changed(Datum, int, uint32) {
  if (g_cache) g_cache->functions_changed();
}

}  // namespace

int tiering_guc = static_cast<int>(engine::Tiering::Optimizing);
int max_heap_mb_guc = 512;
int engine_guc = 0;

void define_engine_settings() {
  DefineCustomStringVariable(
      "wasm.native_compiler", "The C compiler the native engine builds modules with.",
      "Read when the native engine starts in a session.", &native_compiler_guc, "/usr/bin/cc",
      PGC_SUSET, 0, nullptr, nullptr, nullptr);
  static const struct config_enum_entry engines[] = {
      {"auto", 0, false}, {"v8", 1, false}, {"native", 2, false}, {nullptr, 0, false}};
  DefineCustomEnumVariable(
      "wasm.engine", "The engine Wasm calls run on: v8, native, or auto.",
      "native: modules compiled ahead of time by wasm2c and the system C compiler, at their "
      "first use in a session that asks for it; auto: V8.",
      &engine_guc, 0, engines, PGC_USERSET, 0, nullptr, nullptr, nullptr);
}

EngineKind current_engine_kind() {
  return engine_guc == 2 ? EngineKind::Native : EngineKind::V8;
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

void reset_session() {
  if (g_cache) g_cache->discard_instances();
  if (g_engine) g_engine->collect_garbage();
}

ModuleCache &module_cache() {
  if (!g_cache) g_cache = new ModuleCache();
  return *g_cache;
}

void install_interrupt_check() {
  toolkit::set_interrupt_check(interrupt_requested);
}

void register_invalidation_callbacks() {
  CacheRegisterRelcacheCallback(on_modules_changed, 0);
  CacheRegisterSyscacheCallback(PROCOID, on_functions_changed, 0);
}

uint64_t LoadedModule::instance_key(EngineKind kind, bool metered) {
  return (uint64_t{GetUserId()} << 2) | (kind == EngineKind::Native ? 2 : 0) | (metered ? 1 : 0);
}

ModuleInstance &LoadedModule::instance_for_call() {
  bool metered = fuel_metered();
  EngineKind kind = current_engine_kind();
  uint64_t key = instance_key(kind, metered);
  ModuleInstance *slot = last_;
  if (key != last_key_ || !slot) {
    auto &owned = instances_[key];
    if (!owned) owned = std::make_unique<ModuleInstance>();
    slot = owned.get();
    last_key_ = key;
    last_ = slot;
  }
  engine::CallBounds bounds = current_bounds();
  if (!slot->instance) return *slot = new_instance(kind, metered);
  if (slot->bounds != bounds) {
    slot->instance->set_bounds(bounds);
    slot->bounds = bounds;
  }
  return *slot;
}

const std::shared_ptr<const engine::Module> &LoadedModule::code_for(EngineKind kind, bool metered) {
  if (kind == EngineKind::V8 && !metered) return compiled;
  auto &slot = kind == EngineKind::V8 ? compiled_metered
               : metered              ? compiled_native_metered
                                      : compiled_native;
  if (!slot) {
    auto row = catalog::find_module(name, /*with_code=*/true);
    if (!row || row->sha256 != sha256)
      throw SqlError(ERRCODE_T_R_SERIALIZATION_FAILURE,
                     "wasm module \"" + name + "\" changed while it was being compiled", "",
                     "Try again.");
    slot = module_cache().compile(sha256, row->code, name, metered, kind);
  }
  return slot;
}

// A linear memory a module defines is made at its initial size: more than
// wasm.max_memory allows, and the module cannot be instantiated.
static void check_initial_memory(const std::string &name, const ModuleInfo &info) {
  uint64_t limit = guest_memory_limit();
  for (const auto &m : info.memories) {
    uint64_t bytes = m.limits.min << 16;
    if (bytes > limit)
      throw SqlError(ERRCODE_OUT_OF_MEMORY,
                     "wasm module \"" + name + "\" needs " + std::to_string(bytes >> 20) +
                         " MB of memory from the start",
                     "Its memory starts at " + std::to_string(m.limits.min) +
                         " pages of 64 kB; wasm.max_memory allows " + std::to_string(limit >> 20) +
                         " MB.",
                     "A linear memory may not grow beyond wasm.max_memory.");
  }
}

ModuleInstance LoadedModule::new_instance() {
  return new_instance(current_engine_kind(), fuel_metered());
}

ModuleInstance LoadedModule::new_instance(EngineKind kind, bool metered) {
  const auto &code = code_for(kind, metered);
  check_initial_memory(name, code->info());
  TableReservation tables(name, code->info());
  // The module may have fallen back to V8 (ModuleCache::compile).
  engine::Engine &eng = backend_engine(code->is_native() ? EngineKind::Native : EngineKind::V8);
  engine::CallBounds bounds = current_bounds();
  host::GuestCall call{name, ""};
  std::unique_ptr<engine::Instance> instance;
  try {
    host::ActiveGuestCall active(call);
    instance = eng.instantiate(code, host::resolve_imports(eng, code->info()), bounds);
    // A WASI reactor (wasi-libc's -mexec-model=reactor) must be initialised
    // once before any other export is called.
    if (auto init = code->info().export_index("_initialize")) {
      const auto *type = std::get_if<FuncType>(&code->info().exports[*init].type);
      if (type && type->params.empty() && type->results.empty())
        instance->call(*init, nullptr, nullptr);
    }
  } catch (const host::GuestExit &e) {
    host::flush_output(call);
    throw SqlError(ERRCODE_EXTERNAL_ROUTINE_EXCEPTION,
                   "wasm module \"" + name + "\" exited with code " + std::to_string(e.code) +
                       " while instantiating it");
  } catch (...) {
    rethrow_engine_error(name, "");
  }
  host::flush_output(call);
  return ModuleInstance{std::move(tables), std::move(instance), bounds};
}

void LoadedModule::discard_instance() {
  auto it = instances_.find(instance_key(current_engine_kind(), fuel_metered()));
  if (it != instances_.end()) *it->second = ModuleInstance{};
}

void LoadedModule::discard_instances() {
  instances_.clear();
  last_key_ = UINT64_MAX;
  last_ = nullptr;
}

void LoadedModule::replace_code(std::shared_ptr<const engine::Module> code) {
  discard_instances();
  compiled = std::move(code);
  compiled_metered.reset();
  compiled_native.reset();
  compiled_native_metered.reset();
}

// What a table may come to hold.
static uint64_t table_entries(const TableType &t) {
  return std::min(t.limits.max.value_or(kTableEntriesCap), kTableEntriesCap);
}

// The bytes the session's instances' tables may take (TableReservation).
static uint64_t g_table_bytes = 0;

TableReservation::TableReservation(const std::string &module, const ModuleInfo &info) {
  uint64_t bytes = 0;
  for (const auto &t : info.tables) {
    if (t.limits.min > kTableEntriesCap)
      throw SqlError(ERRCODE_PROGRAM_LIMIT_EXCEEDED,
                     "wasm module \"" + module + "\" has a table of " +
                         std::to_string(t.limits.min) + " entries from the start; at most " +
                         std::to_string(kTableEntriesCap) + " are allowed");
    bytes += table_entries(t) *
             (t.element == ValType::FuncRef ? kFuncrefEntryBytes : kExternrefEntryBytes);
  }
  uint64_t limit = static_cast<uint64_t>(max_heap_mb_guc) << 20;
  if (g_table_bytes + bytes > limit)
    throw SqlError(ERRCODE_OUT_OF_MEMORY,
                   "wasm out of memory in module \"" + module + "\" while instantiating it",
                   "Its tables may take " + std::to_string(bytes >> 20) +
                       " MB; the tables of this session's instances may take " +
                       std::to_string(g_table_bytes >> 20) + " MB already, and wasm.max_heap is " +
                       std::to_string(limit >> 20) + " MB.",
                   "Declare smaller maximum sizes for the modules' tables, or drop this session's "
                   "instances with wasm.reset_session().");
  g_table_bytes += bytes;
  bytes_ = bytes;
}

TableReservation::~TableReservation() {
  g_table_bytes -= bytes_;
}

TableReservation &TableReservation::operator=(TableReservation &&other) noexcept {
  if (this != &other) {
    g_table_bytes -= bytes_;
    bytes_ = other.bytes_;
    other.bytes_ = 0;
  }
  return *this;
}

// Bound what a module's tables can hold together, checked at every compile,
// whichever way the module reached the catalog: an instance must fit the
// heap.
static void check_table_capacity(std::string_view name, const ModuleInfo &info) {
  constexpr uint64_t kMaxTableEntries = 10'000'000;
  uint64_t entries = 0;
  for (const auto &t : info.tables) entries += table_entries(t);
  if (entries > kMaxTableEntries)
    throw SqlError(ERRCODE_PROGRAM_LIMIT_EXCEEDED,
                   "wasm module \"" + std::string(name) + "\" has tables that can hold " +
                       std::to_string(entries) + " entries together; at most " +
                       std::to_string(kMaxTableEntries) + " are allowed",
                   "", "Declare a maximum size for its tables.");
}

std::shared_ptr<const engine::Module> ModuleCache::compile(std::string_view sha256,
                                                           std::span<const uint8_t> code,
                                                           std::string_view module_name,
                                                           bool metered, EngineKind kind) {
  std::string key = std::string(sha256) + (metered ? "+fuel" : "") +
                    (kind == EngineKind::Native ? "+native" : "");
  if (auto it = compiled_.find(key); it != compiled_.end()) {
    if (auto m = it->second.lock()) return m;
  }
  std::shared_ptr<const engine::Module> m;
  try {
    // Every module's memory.grow is bounded per call (wasm.max_memory).
    m = backend_engine(kind).compile(code, {.fuel = metered, .limit_memory = true});
  } catch (const engine::CompileError &e) {
    if (kind != EngineKind::Native) rethrow_engine_error(module_name, "");
    // What the native engine cannot build (SIMD, which wasm2c 1.0.32 does
    // not translate; imported tables) runs on V8, said once per session.
    std::string why = e.what();
    std::string name(module_name);
    pg_guard([&] {
      ereport(LOG, (errmsg("wasm module \"%s\" runs on V8: the native engine cannot build it",
                           name.c_str()),
                    errdetail("%s", why.c_str())));
    });
    m = compile(sha256, code, module_name, metered, EngineKind::V8);
    compiled_[key] = m;
    return m;
  } catch (...) {
    rethrow_engine_error(module_name, "");
  }
  check_table_capacity(module_name, m->info());
  std::erase_if(compiled_, [](const auto &kv) { return kv.second.expired(); });
  compiled_[key] = m;
  return m;
}

void ModuleCache::discard_instances() {
  for (auto &[name, module] : modules_) module->discard_instances();
}

LoadedModule &ModuleCache::get(std::string_view name) {
  auto &slot = modules_[std::string(name)];
  if (!slot) {
    slot = std::make_unique<LoadedModule>();
    slot->name = std::string(name);
  }
  LoadedModule &m = *slot;
  if (m.verified_epoch != module_epoch_) {
    auto row = catalog::find_module(name, /*with_code=*/false);
    if (!row) {
      m.exists = false;
      m.replace_code(nullptr);
      m.sha256.clear();
    } else if (!m.exists || row->sha256 != m.sha256) {
      auto full = catalog::find_module(name, /*with_code=*/true);
      if (!full)
        throw SqlError(ERRCODE_UNDEFINED_OBJECT,
                       "wasm module \"" + std::string(name) + "\" does not exist");
      m.replace_code(compile(full->sha256, full->code, name));
      m.sha256 = full->sha256;
      m.exists = true;
    }
    m.verified_epoch = module_epoch_;
  }
  if (!m.exists)
    throw SqlError(ERRCODE_UNDEFINED_OBJECT,
                   "wasm module \"" + std::string(name) + "\" does not exist", "",
                   "Load it with wasm.load_module().");
  return m;
}

}  // namespace pgwasm::pg
