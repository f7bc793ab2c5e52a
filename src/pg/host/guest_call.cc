#include <string>

#include "pg/engine_errors.h"
#include "pg/guard.h"
#include "pg/message_text.h"
#include "pg/host/guest_call.h"

namespace pgwasm::pg::host {

namespace {
GuestCall *g_current = nullptr;
}

GuestCall *current_guest_call() {
  return g_current;
}

ActiveGuestCall::ActiveGuestCall(GuestCall &call) : outer_(g_current) {
  g_current = &call;
}
ActiveGuestCall::~ActiveGuestCall() {
  g_current = outer_;
}

std::string current_call_description() {
  const GuestCall *c = g_current;
  if (!c) return "the host";
  return describe_call(c->module, c->export_name, c->for_export);
}

std::span<uint8_t> guest_bytes(engine::HostCall &call, uint32_t ptr, uint32_t len,
                               std::string_view function) {
  std::span<uint8_t> memory = call.memory();
  if (uint64_t{ptr} + len > memory.size())
    throw SqlError(
        ERRCODE_EXTERNAL_ROUTINE_EXCEPTION,
        "wasm " + current_call_description() + " passed a bad pointer to " + std::string(function),
        "Bytes " + std::to_string(ptr) + " to " + std::to_string(uint64_t{ptr} + len) +
            " are outside its memory of " + std::to_string(memory.size()) + " bytes.");
  return memory.subspan(ptr, len);
}

void log_output_line(const GuestCall &call, int fd, std::string_view line) {
  std::string text = message_text(line);
  std::string module(call.module);
  pg_guard([&] {
    ereport(LOG, (errmsg("wasm module \"%s\" %s: %s", module.c_str(), fd == 2 ? "stderr" : "stdout",
                         text.c_str())));
  });
}

void flush_output(GuestCall &call) {
  for (int i = 0; i < 2; i++) {
    if (call.output[i].empty()) continue;
    std::string line = std::move(call.output[i]);
    call.output[i].clear();
    log_output_line(call, i + 1, line);
  }
  if (call.output_dropped > 0) {
    std::string module(call.module);
    size_t dropped = call.output_dropped;
    call.output_dropped = 0;
    pg_guard([&] {
      ereport(LOG,
              (errmsg("wasm module \"%s\": %zu more bytes of output were not logged",
                      module.c_str(), dropped),
               errdetail("One call logs at most %zu bytes of its output.", kMaxOutputPerCall)));
    });
  }
}

}  // namespace pgwasm::pg::host
