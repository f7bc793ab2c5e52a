// One module as this backend has it: its code for each engine, compiled at
// first need, and its instances, one per role (module_cache.h keeps these
// by name).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>

#include "engine/engine.h"
#include "pg/engines.h"
#include "pg/native_switch.h"
#include "pg/table_reservation.h"

namespace pgwasm::pg {

struct ComponentPackage;
namespace host {
class ComponentHost;
}

// One instance of a module, and what pg_wasm's ABI keeps in it. It lives
// and dies with the instance, so nothing of it can outlive the guest memory
// it points into.
struct ModuleInstance {
  TableReservation tables;  // released after the instance is gone
  std::unique_ptr<engine::Instance> instance;
  engine::CallBounds bounds;  // as last set
  // pg_wasm's ABI: the area the host allocated in this instance for
  // arguments, reused by every call (abi/guest_memory.h).
  uint32_t arg_area = 0;
  uint32_t arg_area_size = 0;
  // Calls begun in this instance, for when to keep the engine's code.
  uint64_t calls = 0;
  // The host's state for a guest of WASI 0.2 or components (handles,
  // streams, pollables), made at the first host call needing it.
  std::shared_ptr<host::ComponentHost> component_host = nullptr;
};

// A module's code for each engine, for calls that meter fuel (wasm.max_fuel)
// and calls that do not: metered code counts its instructions, so the two
// are compiled apart.
struct EngineCode {
  std::shared_ptr<const engine::Module> v8, v8_metered, native, native_metered;

  std::shared_ptr<const engine::Module> &of(EngineKind kind, bool metered) {
    if (kind == EngineKind::Native) return metered ? native_metered : native;
    return metered ? v8_metered : v8;
  }
};

// A module as this backend has it: compiled once, and instantiated once per
// role that calls it. A role's instance holds that role's data (its linear
// memory and globals persist through the session), so no other role, in
// the same session, may ever run code in it: the instance is chosen by the
// role the call runs as (the owner of a SECURITY DEFINER function, the role
// of SET ROLE). Calls metering fuel (wasm.max_fuel) run code compiled for
// it, in instances of their own.
struct LoadedModule {
  std::string name;
  bool exists = false;
  std::string sha256;
  // The module as the toolkit decoded and validated it. Each engine's code
  // is made at its first need, so a backend running only native code never
  // starts V8.
  std::shared_ptr<const ModuleInfo> described;
  const ModuleInfo &info() const { return *described; }
  // A component (component_code.h): `described` is its main core module.
  std::shared_ptr<const ComponentPackage> component;
  uint64_t verified_epoch = 0;
  // The code as the catalog gave it when the module was described, until
  // its first compile takes it (null after: compiles read the catalog).
  std::shared_ptr<const std::vector<uint8_t>> fresh_code;

  // The instance for a call now (the current role's, metered or not),
  // instantiated if need be, with the call's bounds set. Throws SqlError.
  ModuleInstance &instance_for_call();
  // After a trap or an interrupt the current role's instance cannot be
  // trusted.
  void discard_instance();
  // Every role's instances (the code changed, or the engine's heap is full).
  void discard_instances();
  // The module's code is now the one with this sha256, described by
  // `info` (null: it was dropped): no instance or engine code of the old.
  void replace_code(std::string sha256, std::shared_ptr<const ModuleInfo> info);

  // The engine the next statement's calls run on (wasm.module_engine()).
  EngineKind engine_now();

  // The state of the module's native build (wasm.native_build()): "built",
  // "building", "not built", "failed" or "unavailable", and why.
  struct NativeBuildState {
    std::string state;
    std::string reason;
  };
  NativeBuildState native_build_state(bool metered);

  // A new instance of the code for calls now (metered or not), with the
  // bounds of calls now, for a caller that keeps it itself (a foreign
  // scan's). Throws SqlError.
  ModuleInstance new_instance();

 private:
  ModuleInstance new_instance(EngineKind kind, bool metered);
  // The code for an engine, compiled (and for the native engine built, or
  // with `build` false found built) at first need. Throws SqlError, or
  // engine::NotBuilt.
  const std::shared_ptr<const engine::Module> &code_for(EngineKind kind, bool metered,
                                                        bool build = true);
  // The catalog's code of the module compiled for an engine, or null when
  // the catalog has other code by now.
  std::shared_ptr<const engine::Module> compile_current(EngineKind kind, bool metered, bool build);
  // wasm.engine applied to this module: with auto, native once its build
  // is there (native_switch.h), V8 until then. `calling`: for a call (not a
  // question about calls).
  EngineKind engine_for_call(bool metered, bool calling = true);
  // Has the engine keep the code it compiled of this module so far.
  void keep_compiled(EngineKind kind, bool metered);
  NativeSwitch &native_switch(bool metered) {
    return metered ? metered_native_switch_ : native_switch_;
  }
  // The instances_ key: (role << 2) | (native << 1) | metered.
  static uint64_t instance_key(EngineKind kind, bool metered);

  EngineCode code_;
  // With wasm.engine = auto: the way to the native build, by metering.
  NativeSwitch native_switch_;
  NativeSwitch metered_native_switch_;

  // By role, engine and metering (instance_key).
  std::unordered_map<uint64_t, std::unique_ptr<ModuleInstance>> instances_;
  // The last instance used, and its key: most sessions have one.
  uint64_t last_key_ = UINT64_MAX;
  ModuleInstance *last_ = nullptr;
};

}  // namespace pgwasm::pg
