#include "pg/budgets.h"

#include <cmath>
#include <cstring>
#include <string>

#include "pg/guard.h"

extern "C" {
#include "access/genam.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/indexing.h"
#include "catalog/pg_db_role_setting.h"
#include "utils/fmgroids.h"
#include "utils/snapmgr.h"
}

namespace pgwasm::pg {

namespace {

double g_max_fuel = 0;      // instructions a call; 0: no limit
int g_max_memory_mb = 512;  // MB one instance's memory may reach

constexpr int kMaxMemoryLimitMb = 4096;  // what 32-bit memories can address
constexpr double kMaxFuelLimit = 1e18;   // within an int64

// Where a value came from decides who set it: the configuration file, the
// server's command line and ALTER SYSTEM are the administrator's; ALTER
// ROLE and ALTER DATABASE settings were checked when they were stored (as
// PGC_S_TEST); everything else (SET, a function's SET clause, connection
// options) is the current user's.
bool set_by_administrator(GucSource source) {
  switch (source) {
    case PGC_S_DEFAULT:
    case PGC_S_DYNAMIC_DEFAULT:
    case PGC_S_ENV_VAR:
    case PGC_S_FILE:
    case PGC_S_ARGV:
    case PGC_S_GLOBAL:
    case PGC_S_DATABASE:
    case PGC_S_USER:
    case PGC_S_DATABASE_USER:
    case PGC_S_OVERRIDE: return true;
    default: return false;
  }
}

// A plain user may lower a budget, never raise it: `lower_or_equal` says
// whether the new value is no more generous than the one in effect.
bool check_lowering(bool lower_or_equal, GucSource source, const char *name) {
  if (set_by_administrator(source)) return true;
  // Connection options are applied before the role's and the database's
  // settings, and win over them: a plain user may not set budgets there at
  // all, or a role's ceiling would be lost.
  if (source == PGC_S_CLIENT && !superuser()) {
    GUC_check_errcode(ERRCODE_INSUFFICIENT_PRIVILEGE);
    GUC_check_errmsg("permission denied to set \"%s\" in connection options", name);
    GUC_check_errdetail("Only superusers may; other roles may SET it (lower) once connected.");
    return false;
  }
  if (lower_or_equal) return true;
  // superuser() needs a transaction's catalog access, which there is when
  // a user sets it (it is never called for the administrator's sources).
  if (superuser()) return true;
  GUC_check_errcode(ERRCODE_INSUFFICIENT_PRIVILEGE);
  GUC_check_errmsg("permission denied to raise \"%s\"", name);
  GUC_check_errdetail("Only superusers may raise it above the value in effect.");
  return false;
}

// 0 means no limit: the most generous of all.
double fuel_order(double v) {
  return v == 0 ? INFINITY : v;
}

bool check_max_fuel(double *newval, void **, GucSource source) {
  if (*newval != std::floor(*newval)) {
    GUC_check_errdetail("A budget of instructions is a whole number.");
    return false;
  }
  return check_lowering(fuel_order(*newval) <= fuel_order(g_max_fuel), source, "wasm.max_fuel");
}

bool check_max_memory(int *newval, void **, GucSource source) {
  return check_lowering(*newval <= g_max_memory_mb, source, "wasm.max_memory");
}

}  // namespace

// The budget settings stored with ALTER ROLE and ALTER DATABASE, applied as
// the server applies them when a session starts. Needed when the library
// is loaded into a running session: its settings were placeholders until
// now, and a refused placeholder (a plain user's connection option) had
// kept the stored ones from applying.
void apply_stored_budget_settings() {
  if (!IsUnderPostmaster || !IsTransactionState() || !OidIsValid(MyDatabaseId)) return;
  struct Level {
    Oid database, role;
    GucSource source;
  } levels[] = {{MyDatabaseId, GetSessionUserId(), PGC_S_DATABASE_USER},
                {InvalidOid, GetSessionUserId(), PGC_S_USER},
                {MyDatabaseId, InvalidOid, PGC_S_DATABASE},
                {InvalidOid, InvalidOid, PGC_S_GLOBAL}};
  Relation rel = table_open(DbRoleSettingRelationId, AccessShareLock);
  Snapshot snapshot = RegisterSnapshot(GetCatalogSnapshot(DbRoleSettingRelationId));
  for (const Level &level : levels) {
    ScanKeyData keys[2];
    ScanKeyInit(&keys[0], Anum_pg_db_role_setting_setdatabase, BTEqualStrategyNumber, F_OIDEQ,
                ObjectIdGetDatum(level.database));
    ScanKeyInit(&keys[1], Anum_pg_db_role_setting_setrole, BTEqualStrategyNumber, F_OIDEQ,
                ObjectIdGetDatum(level.role));
    SysScanDesc scan =
        systable_beginscan(rel, DbRoleSettingDatidRolidIndexId, true, snapshot, 2, keys);
    HeapTuple tuple;
    while (HeapTupleIsValid(tuple = systable_getnext(scan))) {
      bool isnull;
      Datum config =
          heap_getattr(tuple, Anum_pg_db_role_setting_setconfig, RelationGetDescr(rel), &isnull);
      if (isnull) continue;
      ArrayType *array = DatumGetArrayTypeP(config);
      Datum *items;
      int n;
      deconstruct_array(array, TEXTOID, -1, false, TYPALIGN_INT, &items, nullptr, &n);
      for (int i = 0; i < n; i++) {
        char *name, *value;
        ParseLongOption(TextDatumGetCString(items[i]), &name, &value);
        if (value && (strcmp(name, "wasm.max_fuel") == 0 || strcmp(name, "wasm.max_memory") == 0))
          (void)set_config_option(name, value, PGC_SUSET, level.source, GUC_ACTION_SET, true,
                                  WARNING, false);
      }
    }
    systable_endscan(scan);
  }
  UnregisterSnapshot(snapshot);
  table_close(rel, AccessShareLock);
}

void define_budget_settings() {
  DefineCustomRealVariable(
      "wasm.max_fuel", "The most WebAssembly instructions one Wasm call may execute (0: no limit).",
      "Counted deterministically at function entries and loops; a call that runs out stops with "
      "SQLSTATE 54000. Metering costs some speed, so modules run in an instance of their own "
      "while it is on. Plain users may lower it, only superusers raise it.",
      &g_max_fuel, 0, 0, kMaxFuelLimit, PGC_USERSET, 0, check_max_fuel, nullptr, nullptr);
  DefineCustomIntVariable(
      "wasm.max_memory", "The most linear memory one Wasm instance may have.",
      "memory.grow beyond it returns -1, and a module needing more from the start cannot be "
      "instantiated; what the host allocates for a guest's results counts against it too. Read at "
      "every call. Plain users may lower it, only superusers raise it.",
      &g_max_memory_mb, 512, 1, kMaxMemoryLimitMb, PGC_USERSET, GUC_UNIT_MB, check_max_memory,
      nullptr, nullptr);
  apply_stored_budget_settings();
}

bool fuel_metered() {
  return g_max_fuel > 0;
}

int64_t max_fuel() {
  return static_cast<int64_t>(g_max_fuel);
}

uint64_t guest_memory_limit() {
  return static_cast<uint64_t>(g_max_memory_mb) << 20;
}

engine::CallBounds current_bounds() {
  engine::CallBounds b;
  if (g_max_fuel > 0) b.fuel = static_cast<int64_t>(g_max_fuel);
  b.max_pages = static_cast<uint32_t>(g_max_memory_mb) * 16;
  return b;
}

}  // namespace pgwasm::pg
