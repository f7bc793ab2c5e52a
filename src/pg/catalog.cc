#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "pg/catalog.h"
#include "pg/function_source.h"
#include "pg/guard.h"

namespace pgwasm::pg::catalog {

namespace {

Oid g_modules_relid = InvalidOid;

Datum text_datum(std::string_view s) {
  return PointerGetDatum(cstring_to_text_with_len(s.data(), s.size()));
}

Datum bytea_datum(std::span<const uint8_t> b) {
  auto *v = static_cast<bytea *>(palloc(VARHDRSZ + b.size()));
  SET_VARSIZE(v, VARHDRSZ + b.size());
  std::memcpy(VARDATA(v), b.data(), b.size());
  return PointerGetDatum(v);
}

std::string text_of(HeapTuple tup, TupleDesc desc, int col) {
  bool isnull;
  Datum d = SPI_getbinval(tup, desc, col, &isnull);
  if (isnull) return {};
  text *t = DatumGetTextPP(d);
  return std::string(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));
}

// Runs `fn` inside SPI as the owner of wasm.modules, with search_path set to
// pg_catalog only (so no object of the caller's can stand in for ours).
template <typename Fn>
void with_catalog_access(Fn &&fn) {
  pg_guard([&] {
    Oid relid = get_relname_relid("modules", get_namespace_oid("wasm", false));
    if (!OidIsValid(relid)) elog(ERROR, "table wasm.modules is missing");
    g_modules_relid = relid;
    HeapTuple rel = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
    if (!HeapTupleIsValid(rel)) elog(ERROR, "cache lookup failed for relation %u", relid);
    Oid owner = ((Form_pg_class)GETSTRUCT(rel))->relowner;
    ReleaseSysCache(rel);

    Oid save_user;
    int save_sec;
    GetUserIdAndSecContext(&save_user, &save_sec);
    SetUserIdAndSecContext(owner, save_sec | SECURITY_LOCAL_USERID_CHANGE);
    int nest = NewGUCNestLevel();
    set_config_option("search_path", "pg_catalog, pg_temp", PGC_USERSET, PGC_S_SESSION,
                      GUC_ACTION_SAVE, true, 0, false);
    if (SPI_connect() != SPI_OK_CONNECT) elog(ERROR, "SPI_connect failed");
    fn();
    SPI_finish();
    AtEOXact_GUC(true, nest);
    SetUserIdAndSecContext(save_user, save_sec);
  });
}

// Reads run with read_only = false too, so that they see what this very
// statement wrote (read-only SPI uses the statement's snapshot): loading a
// module and using it happen within one statement in wasm_new_instance. A
// parallel worker cannot advance the command counter, so it reads with the
// snapshot it has.
void execute(const char *sql, int nargs, Oid *types, Datum *values, bool read_only, int expect) {
  read_only = read_only && IsInParallelMode();
  int rc = SPI_execute_with_args(sql, nargs, types, values, nullptr, read_only, 0);
  if (rc != expect) elog(ERROR, "pg_wasm catalog query failed (%d): %s", rc, sql);
}

}  // namespace

std::optional<ModuleRow> find_module(std::string_view name, bool with_code, bool lock) {
  std::optional<ModuleRow> row;
  with_catalog_access([&] {
  // owner is a regrole since 0.2.0 (shown as its OID once the role is
  // dropped), a role's name before: this reads both, until the update.
#define OWNER_OID \
  "CASE WHEN owner::text ~ '^[0-9]+$' THEN owner::text::oid ELSE to_regrole(owner::text)::oid END"
    const char *sql =
        lock ? "SELECT name, sha256, " OWNER_OID
               ", code FROM wasm.modules WHERE name = $1 "
               "FOR UPDATE"
        : with_code ? "SELECT name, sha256, " OWNER_OID ", code FROM wasm.modules WHERE name = $1"
                    : "SELECT name, sha256, " OWNER_OID " FROM wasm.modules WHERE name = $1";
#undef OWNER_OID
    Oid types[1] = {TEXTOID};
    Datum values[1] = {text_datum(name)};
    execute(sql, 1, types, values, !lock, SPI_OK_SELECT);
    if (SPI_processed == 0) return;
    HeapTuple tup = SPI_tuptable->vals[0];
    TupleDesc desc = SPI_tuptable->tupdesc;
    row.emplace();
    row->name = text_of(tup, desc, 1);
    row->sha256 = text_of(tup, desc, 2);
    bool isnull;
    Datum owner = SPI_getbinval(tup, desc, 3, &isnull);
    row->owner = isnull ? InvalidOid : DatumGetObjectId(owner);
    if (with_code || lock) {
      bytea *code = DatumGetByteaPP(SPI_getbinval(tup, desc, 4, &isnull));
      auto *bytes = reinterpret_cast<const uint8_t *>(VARDATA_ANY(code));
      row->code.assign(bytes, bytes + VARSIZE_ANY_EXHDR(code));
    }
  });
  return row;
}

bool insert_module_if_absent(std::string_view name, std::span<const uint8_t> code) {
  // The owner is the role calling us, not the table owner we run as.
  Oid owner = GetUserId();
  bool inserted = false;
  with_catalog_access([&] {
    Oid types[3] = {TEXTOID, BYTEAOID, OIDOID};
    Datum values[3] = {text_datum(name), bytea_datum(code), ObjectIdGetDatum(owner)};
    execute(
        "INSERT INTO wasm.modules (name, code, owner) VALUES ($1, $2, $3::regrole) "
        "ON CONFLICT (name) DO NOTHING",
        3, types, values, false, SPI_OK_INSERT);
    inserted = SPI_processed == 1;
  });
  return inserted;
}

void update_module(std::string_view name, std::span<const uint8_t> code) {
  with_catalog_access([&] {
    Oid types[2] = {TEXTOID, BYTEAOID};
    Datum values[2] = {text_datum(name), bytea_datum(code)};
    execute("UPDATE wasm.modules SET code = $2, created = now() WHERE name = $1", 2, types, values,
            false, SPI_OK_UPDATE);
  });
}

void delete_module(std::string_view name) {
  with_catalog_access([&] {
    Oid types[1] = {TEXTOID};
    Datum values[1] = {text_datum(name)};
    execute("DELETE FROM wasm.modules WHERE name = $1", 1, types, values, false, SPI_OK_DELETE);
  });
}

std::optional<std::vector<uint8_t>> module_code_by_sha256(std::string_view sha256) {
  std::optional<std::vector<uint8_t>> code;
  with_catalog_access([&] {
    Oid types[1] = {TEXTOID};
    Datum values[1] = {text_datum(sha256)};
    execute("SELECT code FROM wasm.modules WHERE sha256 = $1 LIMIT 1", 1, types, values, true,
            SPI_OK_SELECT);
    if (SPI_processed == 0) return;
    bool isnull;
    bytea *b =
        DatumGetByteaPP(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
    auto *bytes = reinterpret_cast<const uint8_t *>(VARDATA_ANY(b));
    code.emplace(bytes, bytes + VARSIZE_ANY_EXHDR(b));
  });
  return code;
}

bool module_sha256_in_use(std::string_view sha256) {
  bool used = false;
  with_catalog_access([&] {
    Oid types[1] = {TEXTOID};
    Datum values[1] = {text_datum(sha256)};
    execute("SELECT 1 FROM wasm.modules WHERE sha256 = $1 LIMIT 1", 1, types, values, true,
            SPI_OK_SELECT);
    used = SPI_processed > 0;
  });
  return used;
}

std::vector<std::string> module_sha256s() {
  std::vector<std::string> shas;
  with_catalog_access([&] {
    execute("SELECT DISTINCT sha256 FROM wasm.modules", 0, nullptr, nullptr, true, SPI_OK_SELECT);
    for (uint64 i = 0; i < SPI_processed; i++)
      shas.push_back(text_of(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1));
  });
  return shas;
}

std::vector<std::string> module_names() {
  std::vector<std::string> names;
  with_catalog_access([&] {
    execute("SELECT name FROM wasm.modules ORDER BY name", 0, nullptr, nullptr, true,
            SPI_OK_SELECT);
    for (uint64 i = 0; i < SPI_processed; i++)
      names.push_back(text_of(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1));
  });
  return names;
}

std::vector<FunctionRef> functions_using(std::string_view module) {
  struct Row {
    FunctionRef ref;
    std::string source;
  };
  std::vector<Row> rows;
  with_catalog_access([&] {
    execute(
        "SELECT p.oid, p.oid::regprocedure::text, p.prosrc, p.proowner, "
        "p.proowner::regrole::text, p.provolatile = 'i' FROM pg_proc p "
        "JOIN pg_language l ON l.oid = p.prolang WHERE l.lanname = 'wasm' ORDER BY 2",
        0, nullptr, nullptr, true, SPI_OK_SELECT);
    for (uint64 i = 0; i < SPI_processed; i++) {
      HeapTuple tup = SPI_tuptable->vals[i];
      TupleDesc desc = SPI_tuptable->tupdesc;
      bool isnull;
      Row r;
      r.ref.oid = DatumGetObjectId(SPI_getbinval(tup, desc, 1, &isnull));
      r.ref.signature = text_of(tup, desc, 2);
      r.source = text_of(tup, desc, 3);
      r.ref.owner = DatumGetObjectId(SPI_getbinval(tup, desc, 4, &isnull));
      r.ref.owner_name = text_of(tup, desc, 5);
      r.ref.immutable = DatumGetBool(SPI_getbinval(tup, desc, 6, &isnull));
      rows.push_back(std::move(r));
    }
  });
  std::vector<FunctionRef> out;
  for (auto &r : rows) {
    std::string error;
    auto src = parse_function_source(r.source, error);
    if (src && src->module == module) out.push_back(std::move(r.ref));
  }
  return out;
}

std::optional<std::string> find_instance_file(std::string_view id) {
  std::optional<std::string> file;
  with_catalog_access([&] {
    Oid types[1] = {TEXTOID};
    Datum values[1] = {text_datum(id)};
    execute("SELECT wasm_file FROM wasm.seed_instances WHERE id = $1", 1, types, values, true,
            SPI_OK_SELECT);
    if (SPI_processed > 0) file = text_of(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
  });
  return file;
}

void save_instance(std::string_view id, std::string_view wasm_file) {
  with_catalog_access([&] {
    Oid types[2] = {TEXTOID, TEXTOID};
    Datum values[2] = {text_datum(id), text_datum(wasm_file)};
    execute(
        "INSERT INTO wasm.seed_instances (id, wasm_file) VALUES ($1, $2) "
        "ON CONFLICT (id) DO UPDATE SET wasm_file = EXCLUDED.wasm_file, created = now()",
        2, types, values, false, SPI_OK_INSERT);
  });
}

Oid last_seen_modules_relid() {
  return g_modules_relid;
}

bool current_user_may_manage(const ModuleRow &row) {
  return pg_guard([&] {
    if (superuser()) return true;
    // A dropped owner's OID names no role: only superusers manage its
    // modules (a new role of the same name is another role).
    return OidIsValid(row.owner) && SearchSysCacheExists1(AUTHOID, ObjectIdGetDatum(row.owner)) &&
           has_privs_of_role(GetUserId(), row.owner);
  });
}

std::string role_name(Oid role) {
  const char *name = pg_guard([&] { return GetUserNameFromId(role, true); });
  if (name) return name;
  return "a dropped role (OID " + std::to_string(role) + ")";
}

}  // namespace pgwasm::pg::catalog
