#include <string>

#include "pg/guard.h"
#include "pg/host/guest_call.h"
#include "pg/host/host_actions.h"
#include "pg/message_text.h"

namespace pgwasm::pg::host {

void guest_log(int elevel, std::string_view text, std::string_view prefix) {
  send_guest_message(elevel, text, prefix);
}

void guest_raise(std::string_view text) {
  std::string message = message_text(text);
  if (message.empty()) message = "wasm " + current_call_description() + " raised an error";
  throw SqlError(ERRCODE_RAISE_EXCEPTION, message,
                 "Raised by wasm " + current_call_description() + ".");
}

void guest_random(std::span<uint8_t> bytes) {
  // pg_strong_random takes at most a few kB at a time on some platforms.
  constexpr size_t kChunk = 4096;
  for (size_t off = 0; off < bytes.size(); off += kChunk) {
    size_t n = std::min(kChunk, bytes.size() - off);
    bool ok = pg_guard([&] { return pg_strong_random(bytes.data() + off, n); });
    if (!ok) throw SqlError(ERRCODE_INTERNAL_ERROR, "could not generate random bytes for wasm");
  }
}

}  // namespace pgwasm::pg::host
