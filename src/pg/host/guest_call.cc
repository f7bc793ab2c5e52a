#include <cstring>
#include <string>

#include "pg/engine_errors.h"
#include "pg/guard.h"
#include "pg/host/guest_call.h"
#include "pg/message_text.h"

extern "C" {
#include "tcop/tcopprot.h"
}

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

// ---------------------------------------------------------------------------
// What a guest sends to the log and the client. A call spends at most
// kMaxLogPerCall: a guest printing a newline at a time, or logging in a
// loop, under a long statement once wrote hundreds of megabytes of log (each
// line an entry, each entry with the context and statement).

size_t log_cost(std::string_view text) {
  size_t n = text.size();
  for (char ch : text) {
    auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == 0x7F)
      n += 5;
    else if (c == '"' || c == '\\')
      n += 1;
  }
  return n;
}

namespace {

// What the context adds to the call's first entry.
size_t context_cost() {
  size_t n = 0;
  pg_guard([&] {
    char *context = GetErrorContextStack();
    if (context) {
      n = log_cost(context) + kLogEntryOverhead;
      pfree(context);
    }
  });
  return n;
}

// Reports `text`, with the context and the statement or without.
void emit(int elevel, const std::string &text, bool with_context, bool with_statement,
          const std::string &detail = {}) {
  pg_guard([&] {
    // PG_TRY restores the stack if ereport fails.
    ErrorContextCallback *context = error_context_stack;
    if (!with_context) error_context_stack = nullptr;
    ereport(elevel, (errmsg_internal("%s", text.c_str()), errhidestmt(!with_statement),
                     detail.empty() ? 0 : errdetail_internal("%s", detail.c_str())));
    error_context_stack = context;
  });
}

void count_dropped(GuestCall &call, int elevel) {
  if (call.dropped_level == 0)
    call.dropped_level = elevel;
  else if (call.dropped_level != elevel)
    call.dropped_level = -1;
}

// Sends one entry of the call if it fits in what is left of its share;
// false (the call's log is then full) if not.
bool send_entry(GuestCall &call, int elevel, const std::string &text) {
  size_t cost = log_cost(text) + kLogEntryOverhead;
  if (call.log_full || cost > kMaxLogPerCall - call.log_bytes) {
    call.log_full = true;
    return false;
  }
  // The first entry says where it comes from, and in what statement, if
  // that fits; the others would repeat it.
  bool with_context = false, with_statement = false;
  if (!call.log_started) {
    call.log_started = true;
    size_t context = context_cost();
    if (context <= kMaxLogPerCall - call.log_bytes - cost) {
      with_context = true;
      cost += context;
    }
    size_t statement = debug_query_string ? log_cost(debug_query_string) + kLogEntryOverhead : 0;
    if (statement <= kMaxLogPerCall - call.log_bytes - cost) {
      with_statement = true;
      cost += statement;
    }
  }
  call.log_bytes += cost;
  emit(elevel, text, with_context, with_statement);
  return true;
}

// Sends the output lines waiting, as one entry.
void send_output_lines(GuestCall &call) {
  if (call.output_line_count == 0) return;
  std::string entry = "wasm module \"" + std::string(call.module) + "\" " +
                      (call.output_lines_fd == 2 ? "stderr" : "stdout") + ": " + call.output_lines;
  if (!send_entry(call, LOG, entry)) {
    call.output_dropped += call.output_lines_bytes;
    count_dropped(call, LOG);
  }
  call.output_lines.clear();
  call.output_line_count = 0;
  call.output_lines_cost = 0;
  call.output_lines_bytes = 0;
}

}  // namespace

void send_guest_message(int elevel, std::string_view text, std::string_view prefix) {
  // A message that goes nowhere costs nothing, and spends nothing.
  if (!message_level_is_interesting(elevel)) return;
  GuestCall *call = g_current;
  if (!call) {
    emit(elevel, std::string(prefix) + message_text(text), true, true);
    return;
  }
  send_output_lines(*call);  // what the guest printed before comes before
  if (!call->log_full && send_entry(*call, elevel, std::string(prefix) + message_text(text)))
    return;
  call->messages_dropped++;
  count_dropped(*call, elevel);
}

bool output_goes_to_log(GuestCall &call, size_t bytes) {
  if (!call.log_full && message_level_is_interesting(LOG)) return true;
  if (bytes > 0) {
    call.output_dropped += bytes;
    count_dropped(call, LOG);
  }
  return false;
}

void log_output_line(GuestCall &call, int fd, std::string_view line, size_t guest_bytes) {
  if (!output_goes_to_log(call, guest_bytes)) return;
  std::string text = message_text(line);
  size_t cost = log_cost(text);
  constexpr size_t kNewline = 6;  // log_cost("\n")
  if (call.output_line_count > 0 &&
      (call.output_lines_fd != fd ||
       call.output_lines_cost + kNewline + cost > kOutputEntryBytes)) {
    send_output_lines(call);
    if (!output_goes_to_log(call, guest_bytes)) return;
  }
  if (call.output_line_count++ > 0) {
    call.output_lines += '\n';
    call.output_lines_cost += kNewline;
  }
  call.output_lines += text;
  call.output_lines_cost += cost;
  call.output_lines_fd = fd;
  call.output_lines_bytes += guest_bytes;
}

void flush_output(GuestCall &call) {
  for (int fd = 1; fd <= 2; fd++) {
    std::string line = std::move(call.output[fd - 1]);
    call.output[fd - 1].clear();
    if (!line.empty()) log_output_line(call, fd, line, line.size());
  }
  send_output_lines(call);
  if (call.messages_dropped == 0 && call.output_dropped == 0) return;
  std::string what;
  if (call.output_dropped > 0) what = std::to_string(call.output_dropped) + " bytes of output";
  if (call.messages_dropped > 0)
    what += (what.empty() ? "" : ", ") + std::to_string(call.messages_dropped) +
            (call.messages_dropped == 1 ? " message" : " messages");
  // Where the entries not sent would have gone: at their level, or as a
  // WARNING (to the log and the client) when they had several.
  int elevel = call.dropped_level > 0 ? call.dropped_level : WARNING;
  call.messages_dropped = call.output_dropped = 0;
  call.dropped_level = 0;
  if (!message_level_is_interesting(elevel)) return;
  emit(elevel,
       "wasm " + describe_call(call.module, call.export_name, call.for_export) +
           " reached the most one call may log; not sent: " + what,
       false, false,
       "One call sends at most " + std::to_string(kMaxLogPerCall) +
           " bytes to the server log and the client, the context and statement of its first "
           "entry included.");
}

}  // namespace pgwasm::pg::host
