// This backend's engine and its cache of loaded modules.
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
#include "pg/pg_headers.h"

namespace pgwasm::pg {

// The two engines: V8, and the native one (modules compiled ahead of time
// by wasm2c and the system C compiler, src/engine/native).
enum class EngineKind : uint8_t { V8, Native };

// wasm.engine: 0 auto, 1 v8, 2 native.
extern int engine_guc;
void define_engine_settings();

// The engine calls now run on (wasm.engine; auto is V8 until native builds
// are made in the background).
EngineKind current_engine_kind();

// An engine, created on first use in this backend (never in the
// postmaster). The native one throws SqlError where it cannot run (no
// compiler).
engine::Engine &backend_engine(EngineKind kind = EngineKind::V8);

// Drops every instance of this session and frees their memory now
// (wasm.reset_session()).
void reset_session();

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
  std::shared_ptr<const engine::Module> compiled;
  std::shared_ptr<const engine::Module> compiled_metered;  // made on first need
  // The same code built by the native engine, made on first need.
  std::shared_ptr<const engine::Module> compiled_native, compiled_native_metered;
  uint64_t verified_epoch = 0;

  // The instance for a call now (the current role's, metered or not),
  // instantiated if need be, with the call's bounds set. Throws SqlError.
  ModuleInstance &instance_for_call();
  // After a trap or an interrupt the current role's instance cannot be
  // trusted.
  void discard_instance();
  // Every role's instances (the code changed, or the engine's heap is full).
  void discard_instances();
  // The code is now `compiled`: no instance or metered code of the old.
  void replace_code(std::shared_ptr<const engine::Module> compiled);

  // A new instance of the code for calls now (metered or not), with the
  // bounds of calls now, for a caller that keeps it itself (a foreign
  // scan's). Throws SqlError.
  ModuleInstance new_instance();

 private:
  ModuleInstance new_instance(EngineKind kind, bool metered);
  const std::shared_ptr<const engine::Module> &code_for(EngineKind kind, bool metered);
  // The instances_ key: (role << 2) | (native << 1) | metered.
  static uint64_t instance_key(EngineKind kind, bool metered);

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
                                                EngineKind kind = EngineKind::V8);

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

// Lets long toolkit work stop when PostgreSQL wants to cancel or terminate
// (from _PG_init).
void install_interrupt_check();

}  // namespace pgwasm::pg
