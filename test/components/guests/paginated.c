// paginated: a read-only foreign table over a cursor-paginated JSON API
// (test/fdw/api_server.py's /events), for the world supabase:wrappers
// 0.2.0, with quals, sort and limit pushed into the query string
// (rest_scan.h):
//
//   create server events_pages foreign data wrapper wasm_wrapper options (
//     fdw_package_url '...', fdw_package_name 'pg-wasm:paginated',
//     fdw_package_version '0.2.0', fdw_package_checksum '...',
//     api_url 'http://127.0.0.1:<port>');
//   create foreign table events_pages (id text, type text, actor_login text,
//     actor jsonb, created_at timestamptz, payload jsonb)
//     server events_pages options (object 'events', page_size '25',
//       pushdown 'type,actor_login=actor,id=ids', sort_param 'created_at',
//       trace 'true');
//   select id from events_pages where type = 'PushEvent'
//     order by created_at desc limit 30;
//
// Server option api_url (required); table options object (required),
// page_size (1..100, default 100), pushdown, sort_param, trace (see
// rest_scan.h). Counts rows and bytes in the host's stats under the name
// `paginated`. re-scan starts over with the context's quals. Read-only.
#define WIT_VERSION "0.2.0"
#define WIT_V2
#include "cabi.h"
#include "json.h"
#include "rest_scan.h"

static uintptr_t init_mark;

EXPORT("host-version-requirement") str *host_version_requirement(void) {
  static str req = {"^0.2.0", 6};
  return &req;
}

EXPORT("init") export_ret *init(u32 ctx) {
  str url, problem;
  export_ret *r;
  if (!option_require(ctx, OPTIONS_SERVER, "api_url", &url)) {
    r = ret_err(url);
  } else {
    problem = scan_configure("paginated", url, S(""));
    r = problem.len ? ret_err(problem) : ret_ok();
  }
  init_mark = heap_mark();
  drop_borrows(ctx, 0);
  return r;
}

EXPORT("begin-scan") export_ret *begin_scan(u32 ctx) {
  str problem = scan_begin(ctx, init_mark);
  drop_borrows(ctx, 0);
  return problem.len ? ret_err(problem) : ret_ok();
}

EXPORT("iter-scan") export_ret *iter_scan(u32 ctx, u32 row) {
  str err;
  int n = scan_next(row, &err);
  drop_borrows(ctx, row);
  return n < 0 ? ret_err(err) : ret_row(n);
}

EXPORT("re-scan") export_ret *re_scan(u32 ctx) {
  str problem = scan_begin(ctx, init_mark);
  drop_borrows(ctx, 0);
  return problem.len ? ret_err(problem) : ret_ok();
}

EXPORT("end-scan") export_ret *end_scan(u32 ctx) {
  scan_end();
  drop_borrows(ctx, 0);
  return ret_ok();
}

EXPORT("begin-modify") export_ret *begin_modify(u32 ctx) {
  drop_borrows(ctx, 0);
  return ret_err(S("paginated: the table is read-only"));
}
EXPORT("insert") export_ret *insert(u32 ctx, u32 row) {
  drop_borrows(ctx, row);
  return ret_err(S("paginated: the table is read-only"));
}
EXPORT("update") export_ret *update(u32 ctx, u32 rowid_case, s64 rowid0, u32 rowid1, u32 row) {
  drop_borrows(ctx, row);
  return ret_err(S("paginated: the table is read-only"));
}
EXPORT("delete") export_ret *delete_(u32 ctx, u32 rowid_case, s64 rowid0, u32 rowid1) {
  drop_borrows(ctx, 0);
  return ret_err(S("paginated: the table is read-only"));
}
EXPORT("end-modify") export_ret *end_modify(u32 ctx) {
  drop_borrows(ctx, 0);
  return ret_ok();
}

// stmt: import-foreign-schema-stmt flattened: server-name, remote-schema,
// local-schema (strings), list-type (enum), table-list (list<string>).
EXPORT("import-foreign-schema")
export_ret *import_foreign_schema(u32 ctx, const char *server, u32 server_len, const char *remote,
                                  u32 remote_len, const char *local, u32 local_len, u32 list_type,
                                  const str *tables, u32 tables_len) {
  drop_borrows(ctx, 0);
  return ret_err(S("paginated: IMPORT FOREIGN SCHEMA is not supported"));
}
