#include "pg/loaded_module.h"

#include <memory>
#include <string>

#include "component/read.h"
#include "pg/artifact_store.h"
#include "pg/budgets.h"
#include "pg/catalog.h"
#include "pg/component_code.h"
#include "pg/engine_errors.h"
#include "pg/guard.h"
#include "pg/host/guest_call.h"
#include "pg/host/host_functions.h"
#include "pg/module_cache.h"

namespace pgwasm::pg {

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
  if (!slot->instance) {
    *slot = new_instance(kind, metered);
    slot->calls = 1;
    return *slot;
  }
  // After its first call, and a few times more as calls reach new code, the
  // code the engine compiled while they ran is kept for other sessions
  // (docs/engines.md, "Shared caches"); the engine writes only what grew.
  uint64_t n = ++slot->calls;
  if (n == 2 || n == 17 || n == 257 || n == 4097) keep_compiled(kind, metered);
  if (slot->bounds != bounds) {
    slot->instance->set_bounds(bounds);
    slot->bounds = bounds;
  }
  return *slot;
}

std::shared_ptr<const engine::Module> LoadedModule::compile_current(EngineKind kind, bool metered,
                                                                    bool build) {
  auto row = catalog::find_module(name, /*with_code=*/false);
  if (!row || row->sha256 != sha256) return nullptr;
  // The bytes described are still the catalog's: a component's main core
  // module (component_code.h), or the code read when it was described.
  if (component)
    return module_cache().compile(sha256, component->main_module, name, metered, kind, build);
  std::shared_ptr<const std::vector<uint8_t>> code = std::move(fresh_code);
  fresh_code.reset();
  if (!code) {
    auto full = catalog::find_module(name, /*with_code=*/true);
    if (!full || full->sha256 != sha256) return nullptr;
    code = std::make_shared<const std::vector<uint8_t>>(std::move(full->code));
  }
  return module_cache().compile(sha256, *code, name, metered, kind, build);
}

const std::shared_ptr<const engine::Module> &LoadedModule::code_for(EngineKind kind, bool metered,
                                                                    bool build) {
  auto &slot = code_.of(kind, metered);
  if (!slot) {
    slot = compile_current(kind, metered, build);
    if (!slot)
      throw SqlError(ERRCODE_T_R_SERIALIZATION_FAILURE,
                     "wasm module \"" + name + "\" changed while it was being compiled", "",
                     "Try again.");
  }
  return slot;
}

void LoadedModule::keep_compiled(EngineKind kind, bool metered) {
  const auto &code = code_.of(kind, metered);
  if (!code || code->is_native()) return;
  ModuleArtifactStore store(sha256);
  backend_engine(EngineKind::V8).save_compiled(*code, store);
}

EngineKind LoadedModule::engine_for_call(bool metered, bool calling) {
  switch (engine_preference()) {
    case EnginePreference::V8: return EngineKind::V8;
    case EnginePreference::Native: return EngineKind::Native;
    case EnginePreference::Auto: break;
  }
  NativeSwitch &native = native_switch(metered);
  if (native.switched()) return EngineKind::Native;
  auto &native_code = code_.of(EngineKind::Native, metered);
  if (!native_code && native.worth_loading(name, sha256, metered)) {
    try {
      // Null when a replace has committed since this session last checked
      // the module (its invalidation comes at the next statement): that is
      // not the code to look for.
      native_code = compile_current(EngineKind::Native, metered, /*build=*/false);
    } catch (const engine::NotBuilt &e) {
      native.not_built(name, sha256, metered, e);
    }
  }
  bool switched_now = false;
  EngineKind kind = native.engine_for_call(native_code != nullptr, calling, switched_now);
  if (switched_now) {
    // The V8 instances of this metering serve no more calls: their memory
    // goes now (their state does not carry over to the native instance).
    std::erase_if(instances_, [&](const auto &kv) {
      uint64_t key = kv.first;
      return (key & 2) == 0 && (key & 1) == static_cast<uint64_t>(metered);
    });
    last_key_ = UINT64_MAX;
    last_ = nullptr;
  }
  return kind;
}

EngineKind LoadedModule::engine_now() {
  bool metered = fuel_metered();
  EngineKind kind = engine_for_call(metered, /*calling=*/false);
  // A module the native engine cannot build runs on V8 even when asked.
  if (kind == EngineKind::Native && !code_for(kind, metered)->is_native()) return EngineKind::V8;
  return kind;
}

LoadedModule::NativeBuildState LoadedModule::native_build_state(bool metered) {
  if (!native_engine_if_available()) return {"unavailable", "the server has no C compiler"};
  try {
    auto &slot = code_.of(EngineKind::Native, metered);
    auto code = slot ? slot : compile_current(EngineKind::Native, metered, /*build=*/false);
    if (code && code->is_native()) return {"built", ""};
    if (auto why = module_cache().native_refusal(sha256, metered)) return {"failed", *why};
    return {"not built", ""};
  } catch (const engine::NotBuilt &e) {
    switch (e.state) {
      case engine::NotBuilt::State::Missing: return {"not built", ""};
      case engine::NotBuilt::State::Building: return {"building", ""};
      case engine::NotBuilt::State::Failed: return {"failed", e.failure};
    }
  }
  return {"not built", ""};
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
  ModuleInstance made{std::move(tables), nullptr, bounds};
  host::GuestCall call{name, ""};
  call.instance = &made;
  try {
    host::ActiveGuestCall active(call);
    made.instance = eng.instantiate(code, host::resolve_imports(eng, code->info()), bounds);
    // A WASI reactor (wasi-libc's -mexec-model=reactor) must be initialised
    // once before any other export is called.
    if (auto init = code->info().export_index("_initialize")) {
      const auto *type = std::get_if<FuncType>(&code->info().exports[*init].type);
      if (type && type->params.empty() && type->results.empty())
        made.instance->call(*init, nullptr, nullptr);
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
  return made;
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
  code_ = EngineCode{};
  fresh_code.reset();
  native_switch_ = NativeSwitch{};
  metered_native_switch_ = NativeSwitch{};
}

}  // namespace pgwasm::pg
