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
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>

#include "engine/engine.h"
#include "pg/engines.h"
#include "pg/loaded_module.h"
#include "pg/pg_headers.h"

namespace pgwasm::pg {

// Drops every instance of this session and frees their memory now
// (wasm.reset_session()).
void reset_session();

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

  // Why the native engine could not build this code (it then runs on V8),
  // if this session found it could not.
  std::optional<std::string> native_refusal(std::string_view sha256, bool metered) const;

  // Drops every instance (the next call of each module makes a new one).
  void discard_instances();

  uint64_t module_epoch() const { return module_epoch_; }
  uint64_t function_epoch() const { return function_epoch_; }
  void modules_changed() { module_epoch_++; }
  void functions_changed() { function_epoch_++; }

 private:
  std::unordered_map<std::string, std::unique_ptr<LoadedModule>> modules_;
  std::unordered_map<std::string, std::weak_ptr<const engine::Module>> compiled_;
  std::unordered_map<std::string, std::string> native_refusals_;  // by compiled_'s key
  uint64_t module_epoch_ = 1;
  uint64_t function_epoch_ = 1;
};

ModuleCache &module_cache();

// Registers the invalidation callbacks (from _PG_init).
void register_invalidation_callbacks();

}  // namespace pgwasm::pg
