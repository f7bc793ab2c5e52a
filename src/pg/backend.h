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

namespace pgwasm::pg {

// The engine, created on first use in this backend (never in the postmaster).
engine::Engine &backend_engine();

// wasm.tiering, wasm.max_memory and wasm.max_heap (in MB), read when the
// engine starts in a backend.
extern int tiering_guc;
extern int max_memory_mb_guc;
extern int max_heap_mb_guc;

struct LoadedModule {
  std::string name;
  bool exists = false;
  std::string sha256;
  std::shared_ptr<const engine::Module> compiled;
  std::unique_ptr<engine::Instance> instance;  // made on first call
  uint64_t verified_epoch = 0;
  // pg_wasm's ABI: the area the host allocated in the instance for
  // arguments, reused by every call (abi/guest_memory.h).
  uint32_t arg_area = 0;
  uint32_t arg_area_size = 0;

  // The instance to call, instantiated if need be. Throws SqlError.
  engine::Instance &instance_for_call();
  // After a trap or an interrupt the instance's state cannot be trusted.
  void discard_instance() {
    instance.reset();
    arg_area = arg_area_size = 0;
  }
};

class ModuleCache {
 public:
  // Module `name` as the catalog has it now. Entries are never freed, so the
  // reference stays valid for the backend's life. Throws SqlError if the
  // module does not exist.
  LoadedModule &get(std::string_view name);

  // Compiles bytes (cached by sha256). Throws SqlError on invalid code.
  std::shared_ptr<const engine::Module> compile(std::string_view sha256,
                                                std::span<const uint8_t> code,
                                                std::string_view module_name);

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
