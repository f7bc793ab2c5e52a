// What a host function knows about the Wasm call it serves, and safe access
// to the guest's memory.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "engine/engine.h"
#include "pg/pg_headers.h"

namespace pgwasm::pg {
struct ModuleInstance;
}

namespace pgwasm::pg::host {

// The most one Wasm call sends to the server log and the client: its
// guest's messages (pg_wasm.log, clickhouse_log, an FDW component's reports)
// and output (WASI stdout and stderr), the first entry's context and
// statement, and kLogEntryOverhead for each entry. Past it, what the guest
// sends is counted, and one line at the end of the call says how much was
// not sent (docs/safety.md).
inline constexpr size_t kMaxLogPerCall = 64 * 1024;
// What an entry costs beyond its text (log_cost): the log line's prefix
// (time, process, level), and that of its context and statement lines.
inline constexpr size_t kLogEntryOverhead = 64;
// A call's output lines go out together, in entries costing at most this
// much (or one line, however long: message_text bounds it).
inline constexpr size_t kOutputEntryBytes = 8 * 1024;

// The most `text` can take in the server log: PostgreSQL's log formats
// write a control byte as up to six (jsonlog's \u00XX; a line break is two
// in the stderr format, with the tab after it), a quote or backslash as two
// (csvlog, jsonlog).
size_t log_cost(std::string_view text);

struct GuestCall {
  GuestCall(std::string_view module, std::string_view export_name)
      : module(module), export_name(export_name) {}
  std::string_view module;
  std::string_view export_name;  // empty while instantiating
  std::string_view for_export;   // the export an ABI export is called for
  // The instance the call runs in, for host functions keeping state in it
  // (component_host.h); null where there is none.
  ModuleInstance *instance = nullptr;
  bool null_result = false;                 // pg_wasm.set_null() was called
  const NullableDatum *sql_args = nullptr;  // for pg_wasm.arg_is_null()
  int nsql_args = 0;
  std::string output[2];  // unfinished lines written to stdout, stderr
  // Finished lines of one stream, fit for a message and joined by newlines,
  // waiting to go out as one entry; the guest's bytes they came from.
  std::string output_lines;
  size_t output_line_count = 0;
  size_t output_lines_cost = 0;  // log_cost of the entry they make
  int output_lines_fd = 0;
  size_t output_lines_bytes = 0;
  // What the call sent to the log and the client (send_guest_message).
  size_t log_bytes = 0;      // its share of kMaxLogPerCall spent
  bool log_started = false;  // its first entry went (with the context and statement if they fit)
  bool log_full = false;     // an entry did not fit: from then on everything is counted
  size_t messages_dropped = 0;
  size_t output_dropped = 0;  // bytes of output not logged
  int dropped_level = 0;      // the level of what was not sent; -1 when of several
};

// The innermost call in progress, or null outside guest code.
GuestCall *current_guest_call();

// Makes `call` the current one for the scope. Touches nothing else.
class ActiveGuestCall {
 public:
  explicit ActiveGuestCall(GuestCall &call);
  ~ActiveGuestCall();
  ActiveGuestCall(const ActiveGuestCall &) = delete;
  ActiveGuestCall &operator=(const ActiveGuestCall &) = delete;

 private:
  GuestCall *outer_;
};

// "module "m", export "e"" (or "module "m" while instantiating it") for the
// current call, for messages.
std::string current_call_description();

// Thrown by WASI's proc_exit: the guest asked to end.
class GuestExit : public std::exception {
 public:
  explicit GuestExit(int32_t code) : code(code) {}
  const char *what() const noexcept override { return "guest exited"; }
  int32_t code;
};

// The guest's bytes [ptr, ptr + len) for host function `function`; an
// out-of-bounds range raises an error naming it and the call.
std::span<uint8_t> guest_bytes(engine::HostCall &call, uint32_t ptr, uint32_t len,
                               std::string_view function);

// The same range as text (not validated).
inline std::string_view guest_text(engine::HostCall &call, const engine::Value &ptr,
                                   const engine::Value &len, std::string_view function) {
  auto bytes = guest_bytes(call, ptr.bits.i32, len.bits.i32, function);
  return {reinterpret_cast<const char *>(bytes.data()), bytes.size()};
}

// Reports a guest's message at `elevel` (DEBUG1 to WARNING), `prefix` (the
// host's words) before its text made fit for a message (message_text.h).
// Every message a guest sends goes through here or log_output_line, within
// its call's share of the log (kMaxLogPerCall); only a call's first entry
// carries the context and the statement.
void send_guest_message(int elevel, std::string_view text, std::string_view prefix = {});

// Whether output of the call still goes to the log; if not, `bytes` more of
// it are counted as not logged.
bool output_goes_to_log(GuestCall &call, size_t bytes);

// Takes one line (or piece of one) the guest wrote to fd 1 (stdout) or 2
// (stderr), `guest_bytes` of its output, for the log.
void log_output_line(GuestCall &call, int fd, std::string_view line, size_t guest_bytes);

// At the end of a call: logs what the guest wrote and did not end with a
// newline, and the lines not yet sent, and says how much of what the call
// sent was not logged. PostgreSQL code: call it in the normal flow only.
void flush_output(GuestCall &call);

}  // namespace pgwasm::pg::host
