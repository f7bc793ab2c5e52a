// An FDW guest that shows the host's pg_wasm_fdw functions in one row
// (test/regress/sql/fdw.sql): columns are filled by name.
//   micros     int8  parse_rfc3339 of table option `time`
//   formatted  text  format_rfc3339 of that
//   token      text  an HS256 JWT with key table option `jwt_key`, claims
//                    {"sub": "pg_wasm", "iat": 1700000000}
//   clock_ok   bool  epoch_ms is after 2023-11-14
// Table option `sleep_ms` sleeps that long first.
#include "pg_wasm_fdw.h"

PGW_FDW_HOST_REQUIREMENT("^1.0")

enum { MAX_TARGETS = 16 };
static int32_t ntargets, targets[MAX_TARGETS];
static int32_t c_micros, c_formatted, c_token, c_clock;
static pgw_text time_text, jwt_key;
static int64_t sleep_ms;
static int done;

PGW_EXPORT(fdw_begin_scan) void begin_scan(int32_t ptr, int32_t len) {
  pgw_mp in = pgw_fdw_input(ptr, len);
  pgw_text v;
  time_text = pgw_fdw_opt(&in, "table", "time", &v) ? pgw_text_dup(v) : pgw_cstr("");
  jwt_key = pgw_fdw_opt(&in, "table", "jwt_key", &v) ? pgw_text_dup(v) : pgw_cstr("");
  sleep_ms = pgw_fdw_opt(&in, "table", "sleep_ms", &v) ? pgw_text_to_int(v, 0) : 0;
  c_micros = pgw_fdw_column_index(&in, "micros");
  c_formatted = pgw_fdw_column_index(&in, "formatted");
  c_token = pgw_fdw_column_index(&in, "token");
  c_clock = pgw_fdw_column_index(&in, "clock_ok");
  pgw_fdw_iter it;
  int32_t col;
  ntargets = 0;
  pgw_fdw_targets(&in, &it);
  while (ntargets < MAX_TARGETS && pgw_fdw_next_target(&it, &col)) targets[ntargets++] = col;
  done = 0;
}

PGW_EXPORT(fdw_iter_scan) int64_t iter_scan(void) {
  pgw_fdw_batch *b = pgw_fdw_batch_begin();
  if (done) return pgw_fdw_batch_end(b);
  done = 1;
  if (sleep_ms > 0) pgw_fdw_sleep((int32_t)sleep_ms);
  int64_t micros = time_text.len ? pgw_fdw_parse_rfc3339(time_text) : 0;
  pgw_buf formatted = {0, 0, 0}, token = {0, 0, 0}, claims = {0, 0, 0};
  pgw_fdw_format_rfc3339(micros, &formatted);
  pgw_mp_map(&claims, 2);
  pgw_mp_cstr(&claims, "sub");
  pgw_mp_cstr(&claims, "pg_wasm");
  pgw_mp_cstr(&claims, "iat");
  pgw_mp_int64(&claims, 1700000000);
  if (jwt_key.len) pgw_fdw_jwt("HS256", jwt_key, &claims, 0, &token);
  pgw_fdw_row_begin(b, (uint32_t)ntargets);
  for (int32_t t = 0; t < ntargets; t++) {
    if (targets[t] == c_micros)
      pgw_fdw_cell_int(b, micros);
    else if (targets[t] == c_formatted)
      pgw_fdw_cell_str(b, formatted.data, formatted.len);
    else if (targets[t] == c_token)
      pgw_fdw_cell_str(b, token.data, token.len);
    else if (targets[t] == c_clock)
      pgw_fdw_cell_bool(b, pgw_fdw_epoch_ms() > 1700000000000LL);
    else
      pgw_fdw_cell_nil(b);
  }
  return pgw_fdw_batch_end(b);
}
