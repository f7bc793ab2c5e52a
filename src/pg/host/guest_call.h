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

namespace pgwasm::pg::host {

// The most of its output (WASI stdout and stderr) one Wasm call sends to the
// server log; the rest is counted.
inline constexpr size_t kMaxOutputPerCall = 64 * 1024;

struct GuestCall {
  GuestCall(std::string_view module, std::string_view export_name)
      : module(module), export_name(export_name) {}
  std::string_view module;
  std::string_view export_name;             // empty while instantiating
  std::string_view for_export;              // the export an ABI export is called for
  bool null_result = false;                 // pg_wasm.set_null() was called
  const NullableDatum *sql_args = nullptr;  // for pg_wasm.arg_is_null()
  int nsql_args = 0;
  std::string output[2];      // unfinished lines written to stdout, stderr
  size_t output_logged = 0;   // bytes of output taken for the log
  size_t output_dropped = 0;  // bytes beyond what one call may log
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

// Sends what the guest wrote to stdout/stderr and did not end with a newline
// to the server log. PostgreSQL code: call it in the normal flow only.
void flush_output(GuestCall &call);

// Logs one line the guest wrote to fd 1 (stdout) or 2 (stderr), made fit
// for a message (message_text.h).
void log_output_line(const GuestCall &call, int fd, std::string_view line);

}  // namespace pgwasm::pg::host
