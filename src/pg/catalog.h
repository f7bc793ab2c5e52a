// The module catalog: the table wasm.modules, and the SQL functions that use
// its modules.
//
// Every access runs as the table's owner with a safe search_path, so that
// the table's own privileges can stay closed; the SQL-callable functions
// check the caller's rights before they come here.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "pg/pg_headers.h"

namespace pgwasm::pg::catalog {

struct ModuleRow {
  std::string name;
  std::string sha256;
  Oid owner = InvalidOid;     // a role that may since have been dropped
  std::vector<uint8_t> code;  // empty unless asked for
};

// The module's row, or nullopt. `lock` takes a row lock for update.
std::optional<ModuleRow> find_module(std::string_view name, bool with_code, bool lock = false);
// Inserts the module, owned by the current user, unless a row of that name
// exists or is being inserted by a transaction that then commits (which it
// waits for): false then.
bool insert_module_if_absent(std::string_view name, std::span<const uint8_t> code);
void update_module(std::string_view name, std::span<const uint8_t> code);
void delete_module(std::string_view name);
std::vector<std::string> module_names();
// The code of a module whose code has this sha256 (any name), or nullopt;
// and whether any module has it (for the native engine's builds).
std::optional<std::vector<uint8_t>> module_code_by_sha256(std::string_view sha256);
bool module_sha256_in_use(std::string_view sha256);
// The sha256 of every module's code.
std::vector<std::string> module_sha256s();

struct FunctionRef {
  Oid oid;
  std::string signature;  // "public.collatz_steps(integer)"
  Oid owner;
  std::string owner_name;
  bool immutable;
};
// SQL functions in language wasm whose AS string names the module.
std::vector<FunctionRef> functions_using(std::string_view module);

// The instances of the wasmer-postgres compatible API (wasm.seed_instances): a module made by
// wasm_new_instance, with the file it came from.
std::optional<std::string> find_instance_file(std::string_view id);
void save_instance(std::string_view id, std::string_view wasm_file);

// The OID of wasm.modules when the catalog was last used (InvalidOid before).
Oid last_seen_modules_relid();

// Which roles own what (for replace and drop): the module's owner, a
// member of it, or a superuser.
bool current_user_may_manage(const ModuleRow &row);

// The role's name, or "a dropped role (OID n)".
std::string role_name(Oid role);

}  // namespace pgwasm::pg::catalog
