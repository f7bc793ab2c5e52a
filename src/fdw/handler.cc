// The SQL entry points of the wasm FDW: its handler and validator, the
// event trigger that has the guest check foreign tables and user mappings
// (a validator is given only options, not the table or server they are
// for), and wasm.fdw_stats.
#include "fdw/callbacks.h"
#include "fdw/context.h"
#include "fdw/server_package.h"
#include "pg/guard.h"

extern "C" {
#include "commands/event_trigger.h"
#include "utils/fmgroids.h"
}

extern "C" {
PG_FUNCTION_INFO_V1(wasm_fdw_handler);
Datum wasm_fdw_handler(PG_FUNCTION_ARGS);
}

namespace pgwasm::fdw {

using pg::pg_guard;

namespace {

// Whether the server's wrapper is this one (its handler is our function).
bool is_wasm_server(Oid server) {
  return pg_guard([&] {
    ForeignServer *fs = GetForeignServer(server);
    ForeignDataWrapper *fdw = GetForeignDataWrapper(fs->fdwid);
    if (!OidIsValid(fdw->fdwhandler)) return false;
    FmgrInfo info;
    fmgr_info(fdw->fdwhandler, &info);
    return info.fn_addr == wasm_fdw_handler;
  });
}

void check_table(Oid relid) {
  Oid server = pg_guard([&] { return GetForeignTable(relid)->serverid; });
  if (!is_wasm_server(server)) return;
  ServerConfig config = server_config(server);
  TableConfig table = table_config(relid);  // checks rowid_column
  validate_with_guest(config, &table, nullptr, "table");
}

void check_user_mapping(Oid mapping) {
  Oid user = InvalidOid, server = InvalidOid;
  bool found = pg_guard([&] {
    HeapTuple tp = SearchSysCache1(USERMAPPINGOID, ObjectIdGetDatum(mapping));
    if (!HeapTupleIsValid(tp)) return false;
    auto *um = reinterpret_cast<Form_pg_user_mapping>(GETSTRUCT(tp));
    user = um->umuser;
    server = um->umserver;
    ReleaseSysCache(tp);
    return true;
  });
  if (!found || !is_wasm_server(server)) return;
  ServerConfig config = server_config(server);
  OptionList options = user_options(user, server);
  validate_with_guest(config, nullptr, &options, "user_mapping");
}

}  // namespace

}  // namespace pgwasm::fdw

using namespace pgwasm;

Datum wasm_fdw_handler(PG_FUNCTION_ARGS) {
  FdwRoutine *routine = makeNode(FdwRoutine);
  fdw::set_plan_callbacks(routine);
  fdw::set_scan_callbacks(routine);
  fdw::set_modify_callbacks(routine);
  fdw::set_import_callbacks(routine);
  PG_RETURN_POINTER(routine);
}

PG_WASM_FUNCTION(wasm_fdw_validator) {
  Datum options_datum = PG_GETARG_DATUM(0);
  Oid catalog = PG_GETARG_OID(1);
  List *options = pg::pg_guard([&] { return untransformRelOptions(options_datum); });
  fdw::OptionList list = fdw::option_list(options);
  fdw::check_options(list, catalog);
  // A restore (pg_dump sets check_function_bodies off) finds the package
  // already in wasm.modules, restored as data: nothing to read or run.
  if (catalog == ForeignServerRelationId && check_function_bodies) {
    fdw::ServerConfig server = fdw::server_config_from_options(list);
    if (server.package) fdw::ensure_package_stored(*server.package);
    fdw::validate_with_guest(server, nullptr, nullptr, "server");
  }
  PG_RETURN_VOID();
}

// ddl_command_end of CREATE/ALTER FOREIGN TABLE, CREATE/ALTER USER MAPPING
// and IMPORT FOREIGN SCHEMA.
PG_WASM_FUNCTION(wasm_fdw_ddl_check) {
  if (!CALLED_AS_EVENT_TRIGGER(fcinfo))
    throw pg::SqlError(ERRCODE_E_R_I_E_EVENT_TRIGGER_PROTOCOL_VIOLATED,
                       "wasm.fdw_ddl_check() is an event trigger function");
  if (!check_function_bodies) PG_RETURN_VOID();
  std::vector<std::pair<Oid, Oid>> objects;  // (classid, objid)
  pg::pg_guard([&] {
    SPI_connect();
    SPI_execute("SELECT classid, objid FROM pg_event_trigger_ddl_commands()", true, 0);
    for (uint64 i = 0; i < SPI_processed; i++) {
      bool n1, n2;
      Oid classid =
          DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &n1));
      Oid objid =
          DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2, &n2));
      if (!n1 && !n2) objects.emplace_back(classid, objid);
    }
    SPI_finish();
  });
  for (auto [classid, objid] : objects) {
    if (classid == RelationRelationId) {
      char relkind = pg::pg_guard([&] { return get_rel_relkind(objid); });
      if (relkind == RELKIND_FOREIGN_TABLE) fdw::check_table(objid);
    } else if (classid == UserMappingRelationId) {
      fdw::check_user_mapping(objid);
    }
  }
  PG_RETURN_VOID();
}

PG_WASM_FUNCTION(wasm_fdw_stats) {
  pg::pg_guard([&] { InitMaterializedSRF(fcinfo, 0); });
  auto *rsinfo = reinterpret_cast<ReturnSetInfo *>(fcinfo->resultinfo);
  for (const auto &[oid, s] : fdw::all_server_stats()) {
    Datum values[10];
    bool nulls[10] = {};
    values[0] = ObjectIdGetDatum(oid);
    values[1] = 0;
    int i = 2;
    for (uint64_t n : {s.scans, s.rows_read, s.rows_written, s.requests, s.request_errors,
                       s.bytes_sent, s.bytes_received, s.errors})
      values[i++] = Int64GetDatum(static_cast<int64>(n));
    pg::pg_guard([&] {
      values[1] = CStringGetTextDatum(s.name.c_str());
      tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
    });
  }
  return (Datum)0;
}
