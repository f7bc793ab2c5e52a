// This backend's cache of loaded modules (its engines: engines.h).
//
// Modules are compiled once per backend per sha256 and each has one
// instance, reused across calls so that its globals and memory persist
// through the session. Any change to wasm.modules (in any session) bumps an
// epoch through PostgreSQL's invalidation messages; a module is checked
// against the catalog again at its next use after that, so no session runs a
// replaced or dropped module.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>

#include "engine/engine.h"
#include "pg/engines.h"
#include "pg/pg_headers.h"

namespace pgwasm::pg {

struct ComponentPackage;

// Drops every instance of this session and frees their memory now
// (wasm.reset_session()).
void reset_session();

// What an instance's tables may come to take (every table at its maximum,
// or at kTableEntriesCap), reserved against wasm.max_heap for the life of
// the instance: tables live partly outside the engine's heap, where its own
// limit does not see them.
class TableReservation {
 public:
  TableReservation() = default;
  // Throws SqlError when the session's instances would take more.
  TableReservation(const std::string &module, const ModuleInfo &info);
  ~TableReservation();
  TableReservation(TableReservation &&other) noexcept : bytes_(other.bytes_) { other.bytes_ = 0; }
  TableReservation &operator=(TableReservation &&other) noexcept;
  TableReservation(const TableReservation &) = delete;
  TableReservation &operator=(const TableReservation &) = delete;

 private:
  uint64_t bytes_ = 0;
};

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
  // is there (asking a background worker for it), V8 until then, and from
  // a statement on. `calling`: for a call (not a question about calls).
  EngineKind engine_for_call(bool metered, bool calling = true);
  // With auto: whether the native build is there now (loaded into code_),
  // asking for it if need be.
  bool look_for_build(bool metered);
  // What to do about a build that is not there: wait, ask a worker for it,
  // or give up (Failed: on V8, said in the log).
  void note_not_built(bool metered, engine::NotBuilt::State state, const std::string &failure,
                      int64_t now);
  // The instances_ key: (role << 2) | (native << 1) | metered.
  static uint64_t instance_key(EngineKind kind, bool metered);

  // By engine (native) and metering.
  std::shared_ptr<const engine::Module> code_[2][2];
  // With wasm.engine = auto: the native build this session waits for.
  struct AwaitedBuild {
    enum class State : uint8_t { Unasked, Waiting, Failed } state = State::Unasked;
    std::string artifact;   // there once built
    int64_t next_look = 0;  // TimestampTz
    int64_t asked_at = 0;   // when its state was last asked
    int64_t requested_at = 0;
    int requests = 0;
    int64_t v8_statement = 0;  // the statement (start time) that last ran it on V8
    bool switched = false;     // calls run natively from now on
  };
  AwaitedBuild awaited_[2];  // by metering

  // By role, engine and metering (instance_key).
  std::unordered_map<uint64_t, std::unique_ptr<ModuleInstance>> instances_;
  // The last instance used, and its key: most sessions have one.
  uint64_t last_key_ = UINT64_MAX;
  ModuleInstance *last_ = nullptr;
};

class ModuleCache {
 public:
  // Module `name` as the catalog has it now. Entries are never freed, so the
  // reference stays valid for the backend's life. Throws SqlError if the
  // module does not exist.
  LoadedModule &get(std::string_view name);

  // Compiles bytes (cached by sha256 and metering). Throws SqlError on
  // invalid code.
  std::shared_ptr<const engine::Module> compile(std::string_view sha256,
                                                std::span<const uint8_t> code,
                                                std::string_view module_name, bool metered = false,
                                                EngineKind kind = EngineKind::V8,
                                                bool build = true);

  // Compiles the code of a module being loaded with the engine wasm.engine
  // asks for (with auto: V8, and a background worker asked for the native
  // build), so that the engine's objections surface now. Throws SqlError.
  void warm(std::string_view sha256, std::span<const uint8_t> code, std::string_view module_name);

  // Drops every instance (the next call of each module makes a new one).
  void discard_instances();

  uint64_t module_epoch() const { return module_epoch_; }
  uint64_t function_epoch() const { return function_epoch_; }
  void modules_changed() { module_epoch_++; }
  void functions_changed() { function_epoch_++; }

 private:
  std::unordered_map<std::string, std::unique_ptr<LoadedModule>> modules_;
  std::unordered_map<std::string, std::weak_ptr<const engine::Module>> compiled_;
  uint64_t module_epoch_ = 1;
  uint64_t function_epoch_ = 1;
};

ModuleCache &module_cache();

// Registers the invalidation callbacks (from _PG_init).
void register_invalidation_callbacks();

}  // namespace pgwasm::pg
