#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "component/read.h"
#include "pg/catalog.h"
#include "pg/component_code.h"
#include "pg/function_source.h"
#include "pg/guard.h"
#include "pg/host/host_functions.h"
#include "pg/module_cache.h"
#include "pg/module_loader.h"

#include "pg/component_function.h"
#include "pg/native_builds.h"
#include "pg/sql_function.h"
#include "toolkit/binary.h"
#include "toolkit/limits.h"
#include "toolkit/sha256.h"
#include "toolkit/text.h"

extern "C" {
#include "access/xact.h"
#include "catalog/dependency.h"
#include "catalog/objectaddress.h"
#include "storage/fd.h"
#include "tcop/utility.h"
}

namespace pgwasm::pg {

namespace {

std::string quoted(std::string_view s) {
  return "\"" + std::string(s) + "\"";
}

void check_name(std::string_view name) {
  if (!valid_module_name(name))
    throw SqlError(ERRCODE_INVALID_NAME, "invalid wasm module name " + quoted(name), "",
                   "A module name starts with a letter or underscore, continues with letters, "
                   "digits and underscores, and has at most 63 characters.");
}

// Everything that can be checked without the catalog; what the code is.
ModuleInfo validate_code(std::string_view name, std::span<const uint8_t> code) {
  ModuleInfo info;
  // A component (a Supabase Wasm FDW package) is stored as it is; what runs
  // is its main core module, validated as any module.
  try {
    code = core_module_of(code);
  } catch (const component::ComponentError &e) {
    throw SqlError(ERRCODE_INVALID_BINARY_REPRESENTATION,
                   "wasm component " + quoted(name) + " is " +
                       (e.kind == component::ComponentError::Kind::Unsupported ? "not supported"
                        : e.kind == component::ComponentError::Kind::Malformed ? "malformed"
                                                                               : "invalid") +
                       " at byte offset " + std::to_string(e.offset) + ": " + e.message);
  }
  try {
    info = toolkit::read_module(code);
  } catch (const toolkit::BinaryError &e) {
    throw SqlError(ERRCODE_INVALID_BINARY_REPRESENTATION,
                   "wasm module " + quoted(name) + " is " +
                       (e.kind == toolkit::BinaryError::Kind::Malformed ? "malformed" : "invalid") +
                       " at byte offset " + std::to_string(e.offset) + ": " + e.message);
  }
  if (auto missing = host::check_imports(info))
    throw SqlError(ERRCODE_UNDEFINED_OBJECT,
                   "wasm module " + quoted(name) + " cannot be loaded: " + *missing);
  // The host's rewrites add exports named with a leading zero byte
  // (toolkit/instrument.h); a module's own would collide with them.
  for (const auto &e : info.exports)
    if (!e.name.empty() && e.name[0] == '\0')
      throw SqlError(ERRCODE_INVALID_NAME,
                     "wasm module " + quoted(name) +
                         " cannot be loaded: an export's name starts "
                         "with a zero byte",
                     "", "Such names are reserved for pg_wasm's own rewrites of a module.");
  return info;
}

// A replacement must keep serving every SQL function bound to the module.
void check_functions_still_bind(std::string_view name, const ModuleInfo &info,
                                std::span<const uint8_t> code) {
  LoadedModule candidate;
  candidate.name = std::string(name);
  candidate.exists = true;
  candidate.described = std::make_shared<ModuleInfo>(info);
  // validate_code has read it already.
  if (component::is_component(code)) candidate.component = read_component_package(code);
  for (const auto &f : catalog::functions_using(name)) {
    try {
      check_function_binding(describe_sql_function(f.oid), candidate);
    } catch (const SqlError &e) {
      throw SqlError(
          ERRCODE_DEPENDENT_OBJECTS_STILL_EXIST,
          "cannot replace wasm module " + quoted(name) + ": the new code does not fit function " +
              f.signature,
          e.message + (e.detail.empty() ? "" : " " + e.detail),
          "Drop or change that function first, or load the new code under another name.");
    }
  }
}

// Code no module has any more: its native builds go when that commits.
void forget_native_builds(const std::string &sha256) {
  if (!catalog::module_sha256_in_use(sha256)) remove_native_builds_at_commit(sha256);
}

void require_manage(const catalog::ModuleRow &row, const char *action) {
  if (!catalog::current_user_may_manage(row))
    throw SqlError(
        ERRCODE_INSUFFICIENT_PRIVILEGE,
        std::string("permission denied to ") + action + " wasm module " + quoted(row.name), "",
        "Only its owner (" + catalog::role_name(row.owner) + ") or a superuser may " + action +
            " it.");
}

// Whether `role` is the current user or a role it belongs to (superusers
// belong to no role by being superusers).
bool is_current_user_or_member(Oid role) {
  return pg_guard([&] { return is_member_of_role_nosuper(GetUserId(), role); });
}

std::string function_list(const std::vector<catalog::FunctionRef> &functions) {
  std::string list;
  for (const auto &f : functions)
    list += (list.empty() ? "" : "\n") + ("function " + f.signature + " of role " + f.owner_name);
  return list;
}

// An IMMUTABLE function promises the same result for the same arguments
// forever; indexes and constraints are built on that promise. Another
// role's promise over this module must not be broken behind its back, so a
// replace that would change such functions is refused (like ALTER TABLE
// refusing to change a column that another role's view uses): their owners
// decide, or the new code goes under another name. Functions of the
// replacing role itself change with the code, as when a role replaces its
// own SQL function: it is told which, and that indexes over them need
// REINDEX.
void check_immutable_functions(std::string_view name,
                               const std::vector<catalog::FunctionRef> &users) {
  std::vector<catalog::FunctionRef> others, own;
  for (const auto &f : users) {
    if (!f.immutable) continue;
    (is_current_user_or_member(f.owner) ? own : others).push_back(f);
  }
  if (!others.empty())
    throw SqlError(ERRCODE_DEPENDENT_OBJECTS_STILL_EXIST,
                   "cannot replace wasm module " + quoted(name) +
                       ": IMMUTABLE functions of other roles use it",
                   function_list(others),
                   "Indexes and constraints may depend on what those functions return. Their "
                   "owners may drop them or declare them STABLE or VOLATILE first; or load the "
                   "new code under another name, or drop the module with cascade => true.");
  if (!own.empty()) {
    std::string list = function_list(own);
    pg_guard([&] {
      ereport(NOTICE, (errmsg("IMMUTABLE functions now run the new code of wasm module \"%s\"",
                              std::string(name).c_str()),
                       errdetail_internal("%s", list.c_str()),
                       errhint("Rebuild indexes over them with REINDEX.")));
    });
  }
}

}  // namespace

// Loads and drops write the catalog: say so plainly on a standby or in a
// read-only transaction, before any work.
static void require_writable(const char *what) {
  pg_guard([&] {
    PreventCommandIfReadOnly(what);
    PreventCommandDuringRecovery(what);
  });
}

std::string load_module(const LoadRequest &req) {
  require_writable(req.replace ? "wasm.load_module() with replace" : "wasm.load_module()");
  check_name(req.name);
  std::string sha = toolkit::sha256_hex(req.code);
  if (req.expected_sha256) {
    std::string want = *req.expected_sha256;
    for (char &c : want) c = static_cast<char>(tolower(static_cast<unsigned char>(c)));
    if (want != sha)
      throw SqlError(ERRCODE_INVALID_PARAMETER_VALUE,
                     "sha256 mismatch for wasm module " + quoted(req.name),
                     "Expected " + want + ", the code has " + sha + ".");
  }
  ModuleInfo info = validate_code(req.name, req.code);
  // Code no module has: what is built of it goes if this load does not
  // commit.
  if (!catalog::module_sha256_in_use(sha)) note_code_loaded(sha);
  // Compiling now catches what the engine refuses, and warms the cache.
  module_cache().warm(sha, core_module_of(req.code), req.name);

  // Another session may be loading the same name: the insert waits for it,
  // and then finds its row.
  auto existing = catalog::find_module(req.name, /*with_code=*/false, /*lock=*/true);
  if (!existing) {
    if (catalog::insert_module_if_absent(req.name, req.code)) {
      // Other sessions learn of it through the table's trigger; this one now.
      module_cache().modules_changed();
      return sha;
    }
    existing = catalog::find_module(req.name, /*with_code=*/false, /*lock=*/true);
    if (!existing)
      throw SqlError(ERRCODE_T_R_SERIALIZATION_FAILURE,
                     "wasm module " + quoted(req.name) + " was changed by another session", "",
                     "Try again.");
  }
  if (existing->sha256 == sha) return sha;
  if (!req.replace)
    throw SqlError(ERRCODE_DUPLICATE_OBJECT,
                   "wasm module " + quoted(req.name) + " already exists with different code",
                   "Its sha256 is " + existing->sha256 + "; the new code's is " + sha + ".",
                   "Pass replace => true to replace it.");
  require_manage(*existing, "replace");
  check_functions_still_bind(req.name, info, req.code);
  check_immutable_functions(req.name, catalog::functions_using(req.name));
  catalog::update_module(req.name, req.code);
  forget_native_builds(existing->sha256);
  module_cache().modules_changed();
  return sha;
}

void drop_module(std::string_view name, bool cascade) {
  require_writable("wasm.drop_module()");
  check_name(name);
  auto row = catalog::find_module(name, /*with_code=*/false, /*lock=*/true);
  if (!row)
    throw SqlError(ERRCODE_UNDEFINED_OBJECT, "wasm module " + quoted(name) + " does not exist");
  require_manage(*row, "drop");
  auto users = catalog::functions_using(name);
  if (!users.empty() && !cascade)
    throw SqlError(ERRCODE_DEPENDENT_OBJECTS_STILL_EXIST,
                   "cannot drop wasm module " + quoted(name) + " because functions use it",
                   function_list(users), "Use cascade => true to drop the functions too.");
  // As DROP ... CASCADE does for a table's views: the owner of what is
  // dropped drops what depends on it, whoever owns that.
  for (const auto &f : users) {
    pg_guard([&] {
      ereport(NOTICE, (errmsg("drop cascades to function %s", f.signature.c_str())));
      ObjectAddress address;
      ObjectAddressSet(address, ProcedureRelationId, f.oid);
      performDeletion(&address, DROP_CASCADE, 0);
      CommandCounterIncrement();
    });
  }
  catalog::delete_module(name);
  forget_native_builds(row->sha256);
  module_cache().modules_changed();
}

std::vector<uint8_t> module_bytes_from_text(std::string_view wat, std::string_view name) {
  try {
    return toolkit::assemble_wat(wat);
  } catch (const toolkit::TextError &e) {
    throw SqlError(ERRCODE_SYNTAX_ERROR, "wasm module " + quoted(name) +
                                             " has an error in its text at line " +
                                             std::to_string(e.line) + ", column " +
                                             std::to_string(e.column) + ": " + e.message);
  }
}

std::vector<uint8_t> read_server_file(std::string_view path) {
  bool allowed = pg_guard(
      [] { return superuser() || has_privs_of_role(GetUserId(), ROLE_PG_READ_SERVER_FILES); });
  if (!allowed)
    throw SqlError(ERRCODE_INSUFFICIENT_PRIVILEGE,
                   "permission denied to load a wasm module from a file", "",
                   "Only superusers and members of pg_read_server_files may read server files.");
  // A module's text is at most limits::kTextBytes: reading stops one byte
  // past it (a FIFO or /dev/zero never ends), and can be cancelled.
  constexpr size_t kMaxFileBytes = toolkit::limits::kTextBytes;
  std::vector<uint8_t> bytes;
  std::string p(path);
  FILE *f = pg_guard([&] {
    char *filename = pstrdup(p.c_str());
    canonicalize_path(filename);
    if (!is_absolute_path(filename)) filename = psprintf("%s/%s", DataDir, filename);
    FILE *file = AllocateFile(filename, PG_BINARY_R);
    if (!file)
      ereport(ERROR, (errcode_for_file_access(),
                      errmsg("could not open file \"%s\" for reading: %m", filename)));
    return file;
  });
  // The file is closed at transaction end should anything below fail.
  char buf[65536];
  for (;;) {
    size_t n = fread(buf, 1, sizeof buf, f);
    if (n == 0) break;
    bytes.insert(bytes.end(), buf, buf + n);
    if (bytes.size() > kMaxFileBytes)
      throw SqlError(
          ERRCODE_PROGRAM_LIMIT_EXCEEDED, "file \"" + p + "\" is too large for a wasm module",
          "A module's file may have at most " + std::to_string(kMaxFileBytes) + " bytes.");
    pg_guard([] { CHECK_FOR_INTERRUPTS(); });
  }
  bool failed = ferror(f) != 0;
  pg_guard([&] {
    FreeFile(f);
    if (failed)
      ereport(ERROR, (errcode_for_file_access(), errmsg("could not read file \"%s\"", p.c_str())));
  });
  return bytes;
}

std::vector<uint8_t> module_bytes_from_file(std::vector<uint8_t> bytes, std::string_view name) {
  if (toolkit::looks_like_binary(bytes)) return bytes;
  return module_bytes_from_text(
      std::string_view(reinterpret_cast<const char *>(bytes.data()), bytes.size()), name);
}

}  // namespace pgwasm::pg
