// import_schema: IMPORT FOREIGN SCHEMA for the world supabase:wrappers 0.2.0,
// as Supabase's guests do it: import-foreign-schema returns CREATE FOREIGN
// TABLE statements as SQL text, which the host has PostgreSQL run in the
// local schema. The tables it describes are read like `paginated`'s
// (rest_scan.h), so what is imported can be queried.
//
//   create server api_schema foreign data wrapper wasm_wrapper options (
//     fdw_package_url '...', fdw_package_name 'pg-wasm:import-schema',
//     fdw_package_version '0.2.0', fdw_package_checksum '...',
//     api_url 'http://127.0.0.1:<port>', api_key 'secret-token-123');
//   import foreign schema remote limit to (events, users)
//     from server api_schema into imported;
//   select count(*) from imported.events;
//
// Server options api_url (required), api_key (optional bearer token). The
// statement's options (context get-options(import-schema)): schema_path, the
// path under api_url that describes the tables (default `schema`; the test
// API's GET /schema: {"tables": [{"name", "columns": [{"name", "type",
// "not_null"}], "options": {...}}]}). LIMIT TO and EXCEPT are applied here
// too (PostgreSQL applies them again). Each statement is
//   create foreign table if not exists "<name>" ("<column>" <type> [not
//   null], ...) server "<server>" options (<key> '<value>', ...)
// with every identifier and literal quoted; a type name with characters
// other than letters, digits, space, _ , . ( ) [ ] is refused, as is a
// description that is not of that shape.
#define WIT_VERSION "0.2.0"
#define WIT_V2
#include "cabi.h"
#include "json.h"
#include "rest_scan.h"

enum { MAX_TABLES = 256 };

static uintptr_t init_mark;

HOST_VERSION_REQUIREMENT()

EXPORT("init") export_ret *init(u32 ctx) {
  str problem = scan_configure_server(ctx, "import_schema", "api_key");
  init_mark = heap_mark();
  drop_borrows(ctx, 0);
  return scan_result(problem);
}

REST_SCAN_ROUTINES(init_mark)

READ_ONLY_MODIFY("import_schema: the tables are read-only")

static int type_ok(str t) {
  if (!t.len || t.len > 128) return 0;
  for (u32 i = 0; i < t.len; i++) {
    char c = t.ptr[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == ' ' ||
          c == '_' || c == ',' || c == '.' || c == '(' || c == ')' || c == '[' || c == ']'))
      return 0;
  }
  return 1;
}

static int listed(str name, const str *tables, u32 n) {
  for (u32 i = 0; i < n; i++)
    if (str_eqs(tables[i], name)) return 1;
  return 0;
}

// One statement for a table's description; its name in *name.
static str statement(jval table, str server, str *name, str *stmt) {
  jval v, cols, col, opts, key, val;
  jiter it;
  str s;
  if (!json_get(table, "name", &v) || !json_string(v, name) || !name->len)
    return S("a table without a name");
  buf b = {0};
  buf_cstr(&b, "create foreign table if not exists ");
  buf_sql_ident(&b, *name);
  buf_cstr(&b, " (");
  if (!json_get(table, "columns", &cols) || !json_iter(cols, J_ARRAY, &it))
    return errmsg("no columns for table ", *name);
  int first = 1;
  while (json_next_element(&it, &col)) {
    str cname, ctype;
    if (!json_get(col, "name", &v) || !json_string(v, &cname) || !cname.len)
      return errmsg("a column without a name in table ", *name);
    if (!json_get(col, "type", &v) || !json_string(v, &ctype) || !type_ok(ctype))
      return errmsg("a column with a bad type in table ", *name);
    if (!first) buf_cstr(&b, ", ");
    first = 0;
    buf_sql_ident(&b, cname);
    buf_char(&b, ' ');
    buf_str(&b, ctype);
    if (json_get(col, "not_null", &v) && json_kind(v) == J_TRUE) buf_cstr(&b, " not null");
  }
  if (first) return errmsg("no columns for table ", *name);
  buf_cstr(&b, ") server ");
  buf_sql_ident(&b, server);
  if (json_get(table, "options", &opts) && json_iter(opts, J_OBJECT, &it)) {
    first = 1;
    while (json_next_member(&it, &key, &val)) {
      str k;
      if (!json_string(key, &k) || !k.len || json_kind(val) != J_STRING || !json_string(val, &s))
        return errmsg("a bad option in table ", *name);
      buf_cstr(&b, first ? " options (" : ", ");
      first = 0;
      buf_sql_ident(&b, k);
      buf_char(&b, ' ');
      buf_sql_literal(&b, s);
    }
    if (!first) buf_char(&b, ')');
  }
  *stmt = buf_take(&b);
  return S("");
}

static export_ret *import(u32 ctx, str server, u32 list_type, const str *tables, u32 ntables) {
  str path = option_or(ctx, OPTIONS_IMPORT_SCHEMA, "schema_path", "schema");
  buf url = {0};
  buf_str(&url, scan.api_url);
  buf_char(&url, '/');
  buf_str(&url, path);
  str body;
  if (!scan_request(HTTP_GET, buf_take(&url), S(""), &body)) return ret_err(body);
  jval doc, list_, table;
  jiter it;
  if (!json_parse(body, &doc) || !json_get(doc, "tables", &list_) ||
      !json_iter(list_, J_ARRAY, &it))
    return ret_err(S("the schema has no array `tables`"));
  str *out = heap_alloc(sizeof(str) * MAX_TABLES, 4);
  u32 n = 0;
  while (json_next_element(&it, &table)) {
    str name, stmt;
    str problem = statement(table, server, &name, &stmt);
    if (problem.len) return ret_err(problem);
    if (list_type == IMPORT_LIMIT_TO && !listed(name, tables, ntables)) continue;
    if (list_type == IMPORT_EXCEPT && listed(name, tables, ntables)) continue;
    if (n == MAX_TABLES) return ret_err(S("too many tables"));
    out[n++] = stmt;
  }
  return ret_list(out, n);
}

// stmt: import-foreign-schema-stmt flattened: server-name, remote-schema,
// local-schema (strings), list-type (enum), table-list (list<string>).
EXPORT("import-foreign-schema")
export_ret *import_foreign_schema(u32 ctx, const char *server, u32 server_len, const char *remote,
                                  u32 remote_len, const char *local, u32 local_len, u32 list_type,
                                  const str *tables, u32 tables_len) {
  str srv = {server, server_len};
  export_ret *r = import(ctx, srv, list_type, tables, tables_len);
  drop_borrows(ctx, 0);
  return r;
}

// The host has copied the statements: what the call allocated (its
// parameters included) is free again.
POST_RETURN("import-foreign-schema") void import_foreign_schema_post(export_ret *r) {
  heap_release(init_mark);
}
