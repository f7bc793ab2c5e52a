// The "pg_wasm" import module: pg_wasm's own host API (docs/abi.md).
//
//   log(level i32, ptr i32, len i32)   level 0 DEBUG1, 1 LOG, 2 INFO, 3 NOTICE, 4 WARNING
//   error(ptr i32, len i32)            raises an ERROR with the message
//   random(ptr i32, len i32)           fills memory with strong random bytes
//   now() -> i64                       the transaction's start, in microseconds
//                                      since 2000-01-01 00:00 UTC (timestamptz)
//   server_version() -> i32            PostgreSQL's version number (150020)
//   set_null()                         the running function's result is NULL
//   arg_is_null(n i32) -> i32          1 if SQL argument n (from 0) is NULL
#include <string>
#include <vector>

#include "fdw/guest.h"
#include "pg/guard.h"
#include "pg/host/guest_call.h"
#include "pg/host/host_actions.h"
#include "pg/host/host_functions.h"

extern "C" {
#include "access/xact.h"
}

namespace pgwasm::pg::host {

namespace {

void log(HostCall &call, std::span<const Value> args, std::span<Value>) {
  static constexpr int kLevels[] = {DEBUG1, LOG, INFO, NOTICE, WARNING};
  int32_t level = args[0].as_i32();
  if (level < 0 || level >= static_cast<int32_t>(std::size(kLevels)))
    throw SqlError(ERRCODE_EXTERNAL_ROUTINE_EXCEPTION,
                   "wasm " + current_call_description() + " called pg_wasm.log with level " +
                       std::to_string(level),
                   "", "Levels are 0 (DEBUG1), 1 (LOG), 2 (INFO), 3 (NOTICE) and 4 (WARNING).");
  std::string_view text = guest_text(call, args[1], args[2], "pg_wasm.log");
  // A wasm FDW's messages never show its user mapping's values (docs/fdw.md).
  if (const fdw::FdwGuest *g = fdw::current_fdw_guest()) {
    guest_log(kLevels[level], fdw::scrub(std::string(text), g->context().secrets));
    return;
  }
  guest_log(kLevels[level], text);
}

void error(HostCall &call, std::span<const Value> args, std::span<Value>) {
  guest_raise(guest_text(call, args[0], args[1], "pg_wasm.error"));
}

void random(HostCall &call, std::span<const Value> args, std::span<Value>) {
  guest_random(guest_bytes(call, args[0].bits.i32, args[1].bits.i32, "pg_wasm.random"));
}

void now(HostCall &, std::span<const Value>, std::span<Value> results) {
  results[0] = Value::make_i64(pg_guard([] { return GetCurrentTransactionStartTimestamp(); }));
}

void server_version(HostCall &, std::span<const Value>, std::span<Value> results) {
  results[0] = Value::make_i32(PG_VERSION_NUM);
}

void set_null(HostCall &, std::span<const Value>, std::span<Value>) {
  if (GuestCall *c = current_guest_call()) c->null_result = true;
}

void arg_is_null(HostCall &, std::span<const Value> args, std::span<Value> results) {
  const GuestCall *c = current_guest_call();
  int32_t n = args[0].as_i32();
  results[0] = Value::make_i32(c && n >= 0 && n < c->nsql_args && c->sql_args[n].isnull ? 1 : 0);
}

}  // namespace

std::vector<HostFunction> pg_wasm_functions() {
  return {
      {"pg_wasm", "log", {{I32, I32, I32}, {}}, log},
      {"pg_wasm", "error", {{I32, I32}, {}}, error},
      {"pg_wasm", "random", {{I32, I32}, {}}, random},
      {"pg_wasm", "now", {{}, {I64}}, now},
      {"pg_wasm", "server_version", {{}, {I32}}, server_version},
      {"pg_wasm", "set_null", {{}, {}}, set_null},
      {"pg_wasm", "arg_is_null", {{I32}, {I32}}, arg_is_null},
  };
}

}  // namespace pgwasm::pg::host
