// The "env" import module: ClickHouse's host API, so that modules written
// for ClickHouse's WebAssembly UDFs run unmodified.
//
//   clickhouse_server_version() -> i64     here PostgreSQL's version (150020)
//   clickhouse_log(ptr i32, size i32)      to the server log
//   clickhouse_log(level i32, ptr, size)   likewise; the level is kept in the line
//   clickhouse_throw(ptr i32, size i32)    raises an ERROR with the message
//   clickhouse_terminate(ptr, size)        its older name
//   clickhouse_random(ptr i32, size i32)   fills memory with strong random bytes
#include <string>
#include <vector>

#include "pg/guard.h"
#include "pg/host/guest_call.h"
#include "pg/host/host_actions.h"
#include "pg/host/host_functions.h"

namespace pgwasm::pg::host {

namespace {

void server_version(HostCall &, std::span<const Value>, std::span<Value> results) {
  results[0] = Value::make_i64(PG_VERSION_NUM);
}

void log2(HostCall &call, std::span<const Value> args, std::span<Value>) {
  guest_log(LOG, guest_text(call, args[0], args[1], "clickhouse_log"),
            "wasm " + current_call_description() + ": ");
}

void log3(HostCall &call, std::span<const Value> args, std::span<Value>) {
  guest_log(
      LOG, guest_text(call, args[1], args[2], "clickhouse_log"),
      "wasm " + current_call_description() + " (level " + std::to_string(args[0].as_i32()) + "): ");
}

void raise(HostCall &call, std::span<const Value> args, std::span<Value>) {
  guest_raise(guest_text(call, args[0], args[1], "clickhouse_throw"));
}

void random(HostCall &call, std::span<const Value> args, std::span<Value>) {
  guest_random(guest_bytes(call, args[0].bits.i32, args[1].bits.i32, "clickhouse_random"));
}

}  // namespace

std::vector<HostFunction> clickhouse_functions() {
  return {
      {"env", "clickhouse_server_version", {{}, {I64}}, server_version},
      {"env", "clickhouse_log", {{I32, I32}, {}}, log2},
      {"env", "clickhouse_log", {{I32, I32, I32}, {}}, log3},
      {"env", "clickhouse_throw", {{I32, I32}, {}}, raise},
      {"env", "clickhouse_terminate", {{I32, I32}, {}}, raise},
      {"env", "clickhouse_random", {{I32, I32}, {}}, random},
  };
}

}  // namespace pgwasm::pg::host
