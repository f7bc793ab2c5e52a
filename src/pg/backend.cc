#include <algorithm>
#include <memory>
#include <string>

#include "engine/engine.h"
#include "pg/backend.h"

#include "pg/component_code.h"
#include "component/read.h"
#include "pg/budgets.h"
#include "pg/catalog.h"
#include "pg/engine_errors.h"
#include "pg/guard.h"
#include "pg/host/guest_call.h"
#include "pg/host/host_functions.h"
#include "pg/native_builds.h"
#include "toolkit/binary.h"

extern "C" {
#include "tcop/tcopprot.h"
#include "access/xact.h"
#include "utils/timestamp.h"
}

namespace pgwasm::pg {

namespace {

ModuleCache *g_cache = nullptr;

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

void reset_session() {
  if (g_cache) g_cache->discard_instances();
  collect_v8_garbage();
}

ModuleCache &module_cache() {
  if (!g_cache) g_cache = new ModuleCache();
  return *g_cache;
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
  EngineKind kind = engine_for_call(metered);
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

std::shared_ptr<const engine::Module> LoadedModule::compile_current(EngineKind kind, bool metered,
                                                                    bool build) {
  auto row = catalog::find_module(name, /*with_code=*/true);
  if (!row || row->sha256 != sha256) return nullptr;
  // A component's main core module (component_code.h): read again, it was
  // checked when described.
  std::span<const uint8_t> core;
  try {
    core = core_module_of(row->code);
  } catch (const component::ComponentError &e) {
    throw SqlError(ERRCODE_INVALID_BINARY_REPRESENTATION,
                   "wasm component \"" + name + "\" cannot be compiled: " + e.what());
  }
  return module_cache().compile(sha256, core, name, metered, kind, build);
}

const std::shared_ptr<const engine::Module> &LoadedModule::code_for(EngineKind kind, bool metered,
                                                                    bool build) {
  auto &slot = code_[kind == EngineKind::Native][metered];
  if (!slot) {
    slot = compile_current(kind, metered, build);
    if (!slot)
      throw SqlError(ERRCODE_T_R_SERIALIZATION_FAILURE,
                     "wasm module \"" + name + "\" changed while it was being compiled", "",
                     "Try again.");
  }
  return slot;
}

namespace {

// How often a session waiting for a build looks for its file; how often it
// asks the build's state (finding a failed build); and when it asks for a
// worker again (one that could not start, or was stopped), a few times.
constexpr int64_t kLookEveryUs = 100'000;
constexpr int64_t kAskAgainAfterUs = 1'000'000;
constexpr int64_t kRequestAgainAfterUs = 10'000'000;
constexpr int kMostRequests = 3;

void log_stays_on_v8(const std::string &module, const std::string &why) {
  pg_guard([&] {
    ereport(LOG, (errmsg("wasm module \"%s\" runs on V8: it has no native build", module.c_str()),
                  errdetail("%s", why.c_str())));
  });
}

}  // namespace

EngineKind LoadedModule::engine_for_call(bool metered, bool calling) {
  switch (engine_preference()) {
    case EnginePreference::V8: return EngineKind::V8;
    case EnginePreference::Native: return EngineKind::Native;
    case EnginePreference::Auto: break;
  }
  AwaitedBuild &awaited = awaited_[metered];
  if (awaited.switched) return EngineKind::Native;
  // One SQL call is several guest calls (arguments in, the call, results
  // out) whose pointers hold in one instance only: a switch waits for the
  // next statement that has not run the module on V8 yet.
  int64_t statement = GetCurrentStatementStartTimestamp();
  auto on_v8 = [&] {
    if (calling) awaited.v8_statement = statement;
    return EngineKind::V8;
  };
  if (!code_[1][metered] && !look_for_build(metered)) return on_v8();
  if (!calling) return EngineKind::Native;
  if (awaited.v8_statement == statement) return on_v8();
  // The V8 instances of this metering serve no more calls: their memory goes
  // now (their state does not carry over to the native instance).
  std::erase_if(instances_, [&](const auto &kv) {
    uint64_t key = kv.first;
    return (key & 2) == 0 && (key & 1) == static_cast<uint64_t>(metered);
  });
  last_key_ = UINT64_MAX;
  last_ = nullptr;
  awaited.switched = true;
  return EngineKind::Native;
}

bool LoadedModule::look_for_build(bool metered) {
  AwaitedBuild &awaited = awaited_[metered];
  using State = AwaitedBuild::State;
  if (awaited.state == State::Failed) return false;
  int64_t now = GetCurrentTimestamp();
  if (awaited.state == State::Waiting) {
    if (now < awaited.next_look) return false;
    awaited.next_look = now + kLookEveryUs;
    // Until the file is there, its state is asked from the files beside it
    // (a stat and a lock test, no compile), once in a while.
    if (access(awaited.artifact.c_str(), F_OK) != 0) {
      if (now - awaited.asked_at >= kAskAgainAfterUs) {
        std::string failure;
        note_not_built(metered, engine::native_build_state(awaited.artifact, failure), failure,
                       now);
      }
      return false;
    }
  }
  if (!native_engine_if_available()) {
    awaited.state = State::Failed;
    return false;
  }
  try {
    // Null when a replace has committed since this session last checked
    // the module (its invalidation comes at the next statement): that is
    // not the code to look for.
    code_[1][metered] = compile_current(EngineKind::Native, metered, /*build=*/false);
    return code_[1][metered] != nullptr;
  } catch (const engine::NotBuilt &e) {
    awaited.artifact = e.artifact;
    awaited.next_look = now + kLookEveryUs;
    note_not_built(metered, e.state, e.failure, now);
    return false;
  }
}

void LoadedModule::note_not_built(bool metered, engine::NotBuilt::State state,
                                  const std::string &failure, int64_t now) {
  AwaitedBuild &awaited = awaited_[metered];
  using State = AwaitedBuild::State;
  awaited.asked_at = now;
  awaited.state = State::Waiting;
  if (state == engine::NotBuilt::State::Failed) {
    awaited.state = State::Failed;
    log_stays_on_v8(name, failure);
    return;
  }
  if (state == engine::NotBuilt::State::Missing &&
      (awaited.requests == 0 || now - awaited.requested_at >= kRequestAgainAfterUs)) {
    if (awaited.requests == kMostRequests) {
      awaited.state = State::Failed;
      log_stays_on_v8(name, "The background workers asked to build it did not.");
      return;
    }
    awaited.requests++;
    awaited.requested_at = now;
    request_native_build(sha256, metered);
  }
}

EngineKind LoadedModule::engine_now() {
  bool metered = fuel_metered();
  EngineKind kind = engine_for_call(metered, /*calling=*/false);
  // A module the native engine cannot build runs on V8 even when asked.
  if (kind == EngineKind::Native && !code_for(kind, metered)->is_native()) return EngineKind::V8;
  return kind;
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
  bool metered = fuel_metered();
  return new_instance(engine_for_call(metered), metered);
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
  // The instance of the last call (instance_for_call), which just failed.
  auto it = instances_.find(last_key_);
  if (it != instances_.end()) *it->second = ModuleInstance{};
}

void LoadedModule::discard_instances() {
  instances_.clear();
  last_key_ = UINT64_MAX;
  last_ = nullptr;
}

void LoadedModule::replace_code(std::string new_sha256, std::shared_ptr<const ModuleInfo> info) {
  discard_instances();
  sha256 = std::move(new_sha256);
  described = std::move(info);
  for (auto &by_metering : code_)
    for (auto &code : by_metering) code.reset();
  for (auto &awaited : awaited_) awaited = AwaitedBuild{};
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

static std::shared_ptr<const ModuleInfo> describe(
    std::string_view name, std::span<const uint8_t> code,
    std::shared_ptr<const ComponentPackage> &component) {
  auto info = std::make_shared<ModuleInfo>();
  component.reset();
  if (component::is_component(code)) {
    try {
      component = read_component_package(code);
    } catch (const component::ComponentError &e) {
      throw SqlError(
          ERRCODE_INVALID_BINARY_REPRESENTATION,
          "wasm component \"" + std::string(name) + "\" cannot be compiled: " + e.what());
    }
    code = component->main_module;
  }
  try {
    *info = toolkit::read_module(code);
  } catch (const toolkit::BinaryError &e) {
    // As an engine's compile says it (it reads modules the same way).
    throw SqlError(ERRCODE_INVALID_BINARY_REPRESENTATION,
                   "wasm module \"" + std::string(name) + "\" cannot be compiled: " + e.what());
  }
  check_table_capacity(name, *info);
  return info;
}

std::shared_ptr<const engine::Module> ModuleCache::compile(std::string_view sha256,
                                                           std::span<const uint8_t> code,
                                                           std::string_view module_name,
                                                           bool metered, EngineKind kind,
                                                           bool build) {
  std::string key = std::string(sha256) + (metered ? "+fuel" : "") +
                    (kind == EngineKind::Native ? "+native" : "");
  if (auto it = compiled_.find(key); it != compiled_.end()) {
    if (auto m = it->second.lock()) return m;
  }
  std::shared_ptr<const engine::Module> m;
  try {
    // Every module's memory.grow is bounded per call (wasm.max_memory).
    m = backend_engine(kind).compile(
        code,
        {.fuel = metered, .limit_memory = true, .build = build, .cache_name = std::string(sha256)});
  } catch (const engine::NotBuilt &) {
    throw;
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

void ModuleCache::warm(std::string_view sha256, std::span<const uint8_t> code,
                       std::string_view module_name) {
  EnginePreference preference = engine_preference();
  if (preference == EnginePreference::Auto && native_engine_if_available()) {
    try {
      compile(sha256, code, module_name, false, EngineKind::Native, /*build=*/false);
      return;
    } catch (const engine::NotBuilt &e) {
      // The build starts now, to be there sooner; the module's first call
      // finds it under way.
      if (e.state == engine::NotBuilt::State::Missing) request_native_build(sha256, false);
    }
  }
  compile(sha256, code, module_name, false,
          preference == EnginePreference::Native ? EngineKind::Native : EngineKind::V8);
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
      m.replace_code("", nullptr);
      m.component.reset();
    } else if (!m.exists || row->sha256 != m.sha256) {
      auto full = catalog::find_module(name, /*with_code=*/true);
      if (!full)
        throw SqlError(ERRCODE_UNDEFINED_OBJECT,
                       "wasm module \"" + std::string(name) + "\" does not exist");
      std::shared_ptr<const ComponentPackage> component;
      auto info = describe(name, full->code, component);
      m.replace_code(full->sha256, std::move(info));
      m.component = std::move(component);
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
