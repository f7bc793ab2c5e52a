#include "pg/module_cache.h"

#include <malloc.h>

#include <memory>
#include <string>

#include "component/read.h"
#include "pg/artifact_store.h"
#include "pg/catalog.h"
#include "pg/component_code.h"
#include "pg/engine_errors.h"
#include "pg/guard.h"
#include "pg/native_builds.h"
#include "pg/table_reservation.h"
#include "toolkit/binary.h"
#include "toolkit/limits.h"
#include "toolkit/module_facts.h"

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

// Keys of the descriptions kept for every backend: they name the encoding
// and the rules of reading, so that another pg_wasm reads the module again.
static std::string facts_key(std::string_view what) {
  return std::string(what) + "-" + std::to_string(toolkit::kModuleFactsFormat) + "-" +
         std::to_string(toolkit::kReadingRules);
}

// The descriptions of a component's large core modules, kept beside its
// other entries: reading them again costs about 10 ms a megabyte.
class StoredCoreFacts final : public component::CoreModuleFacts {
 public:
  explicit StoredCoreFacts(ModuleArtifactStore &store) : store_(store) {}
  std::optional<toolkit::ModuleScan> find(uint32_t index, std::span<const uint8_t> bytes) override {
    if (bytes.size() < kWorthKeeping) return std::nullopt;
    auto kept = store_.load(facts_key("core" + std::to_string(index)));
    if (!kept) return std::nullopt;
    try {
      return toolkit::decode_module_facts(*kept);
    } catch (const toolkit::BinaryError &) {
      return std::nullopt;
    }
  }
  void keep(uint32_t index, std::span<const uint8_t> bytes,
            const toolkit::ModuleScan &scan) override {
    if (bytes.size() >= kWorthKeeping)
      store_.save(facts_key("core" + std::to_string(index)), toolkit::encode_module_facts(scan));
  }

 private:
  static constexpr size_t kWorthKeeping = 256 * 1024;
  ModuleArtifactStore &store_;
};

// The module's description: read (and validated) once for the server, kept
// in its cache (artifact_store.h) for every later session.
// A component's package takes `bytes`.
static std::shared_ptr<const ModuleInfo> describe(
    std::string_view name, std::string_view sha256, std::vector<uint8_t> &bytes,
    std::shared_ptr<const ComponentPackage> &component) {
  component.reset();
  std::span<const uint8_t> code = bytes;
  ModuleArtifactStore store(sha256);
  if (component::is_component(code)) {
    try {
      StoredCoreFacts core_facts(store);
      component = read_component_package(std::move(bytes), &core_facts);
    } catch (const component::ComponentError &e) {
      throw SqlError(
          ERRCODE_INVALID_BINARY_REPRESENTATION,
          "wasm component \"" + std::string(name) + "\" cannot be compiled: " + e.what());
    }
    code = component->main_module;
  }
  std::optional<toolkit::ModuleScan> facts;
  if (auto kept = store.load(facts_key("facts"))) {
    try {
      facts = toolkit::decode_module_facts(*kept);
    } catch (const toolkit::BinaryError &) {
      // Sealed by this server but not what this pg_wasm reads: read again.
    }
  }
  if (!facts) {
    try {
      facts = toolkit::read_module_scan(code);
    } catch (const toolkit::BinaryError &e) {
      // As an engine's compile says it (it reads modules the same way).
      throw SqlError(ERRCODE_INVALID_BINARY_REPRESENTATION,
                     "wasm module \"" + std::string(name) + "\" cannot be compiled: " + e.what());
    }
    store.save(facts_key("facts"), toolkit::encode_module_facts(*facts));
  }
  auto info = std::make_shared<const ModuleInfo>(std::move(facts->info));
  check_table_capacity(name, *info);
  return info;
}

static constexpr size_t kTrimAfterBytes = size_t{1} << 20;

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
    ModuleArtifactStore store(sha256);
    m = backend_engine(kind).compile(code, {.fuel = metered,
                                            .limit_memory = true,
                                            .build = build,
                                            .cache_name = std::string(sha256),
                                            .store = &store});
  } catch (const engine::NotBuilt &) {
    throw;
  } catch (const engine::CompileError &e) {
    if (kind != EngineKind::Native) rethrow_engine_error(module_name, "");
    // What the native engine cannot build (SIMD, which wasm2c 1.0.32 does
    // not translate; imported tables) runs on V8, said once per session.
    std::string why = e.what();
    native_refusals_[key] = why;
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
  // What compiling a large module read and freed (its code from the
  // catalog, cache entries) goes back to the system rather than staying in
  // the backend's heap for its whole life.
  if (code.size() >= kTrimAfterBytes) malloc_trim(0);
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

std::optional<std::string> ModuleCache::native_refusal(std::string_view sha256,
                                                       bool metered) const {
  auto it = native_refusals_.find(std::string(sha256) + (metered ? "+fuel" : "") + "+native");
  if (it == native_refusals_.end()) return std::nullopt;
  return it->second;
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
      auto info = describe(name, full->sha256, full->code, component);
      m.replace_code(full->sha256, std::move(info));
      m.component = std::move(component);
      // Its first compile takes the bytes read now rather than reading them
      // again (a component's package holds them already).
      if (!m.component)
        m.fresh_code = std::make_shared<const std::vector<uint8_t>>(std::move(full->code));
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
