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

HOST_VERSION_REQUIREMENT()

EXPORT("init") export_ret *init(u32 ctx) {
  str problem = scan_configure_server(ctx, "paginated", 0);
  init_mark = heap_mark();
  drop_borrows(ctx, 0);
  return scan_result(problem);
}

REST_SCAN_ROUTINES(init_mark)

READ_ONLY_MODIFY("paginated: the table is read-only")

// stmt: import-foreign-schema-stmt flattened: server-name, remote-schema,
// local-schema (strings), list-type (enum), table-list (list<string>).
EXPORT("import-foreign-schema")
export_ret *import_foreign_schema(u32 ctx, const char *server, u32 server_len, const char *remote,
                                  u32 remote_len, const char *local, u32 local_len, u32 list_type,
                                  const str *tables, u32 tables_len) {
  drop_borrows(ctx, 0);
  return ret_err(S("paginated: IMPORT FOREIGN SCHEMA is not supported"));
}
