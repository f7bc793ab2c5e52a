#include "engine/v8/traps.h"

#include <cstdio>
#include <string_view>
#include <vector>

#include "engine/errors.h"
#include "toolkit/name_text.h"
#include "toolkit/trampoline.h"

namespace pgwasm::engine::v8impl {

namespace {

std::string utf8(v8::Isolate *iso, v8::Local<v8::Value> v) {
  v8::String::Utf8Value s(iso, v);
  return *s ? std::string(*s, s.length()) : std::string("(unprintable exception)");
}

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

// V8's trap messages (src/common/message-template.h, WasmTrap*).
struct TrapText {
  std::string_view text;
  Trap::Kind kind;
};
constexpr TrapText kTrapTexts[] = {
    {"unreachable", Trap::Kind::Unreachable},
    {"memory access out of bounds", Trap::Kind::MemoryOutOfBounds},
    {"divide by zero", Trap::Kind::DivideByZero},
    {"remainder by zero", Trap::Kind::DivideByZero},
    {"divide result unrepresentable", Trap::Kind::IntegerOverflow},
    {"float unrepresentable in integer range", Trap::Kind::InvalidConversion},
    {"table index is out of bounds", Trap::Kind::TableOutOfBounds},
    {"invalid index into function table", Trap::Kind::TableOutOfBounds},
    {"null function or function signature mismatch", Trap::Kind::IndirectCallMismatch},
    {"function signature mismatch", Trap::Kind::IndirectCallMismatch},
    {"data segment has been dropped", Trap::Kind::MemoryOutOfBounds},
    {"element segment has been dropped", Trap::Kind::TableOutOfBounds},
    {"Maximum call stack size exceeded", Trap::Kind::StackExhausted},
    // Segments that do not fit, while instantiating (after the API prefix).
    {"data segment is out of bounds", Trap::Kind::MemoryOutOfBounds},
    {"table initializer is out of bounds", Trap::Kind::TableOutOfBounds},
};

// The guest frames of the exception's stack, innermost first, without the
// call trampoline's own frame.
std::vector<std::string> guest_frames(v8::Isolate *iso, const v8::TryCatch &tc) {
  std::vector<std::string> frames;
  v8::Local<v8::Message> msg = tc.Message();
  if (msg.IsEmpty()) return frames;
  v8::Local<v8::StackTrace> trace = msg->GetStackTrace();
  if (trace.IsEmpty()) return frames;
  for (int i = 0; i < trace->GetFrameCount(); i++) {
    v8::Local<v8::StackFrame> f = trace->GetFrame(iso, i);
    if (!f->IsWasm()) continue;
    std::string script = utf8(iso, f->GetScriptName());
    if (script.find(toolkit::CallTrampoline::kModuleName) != std::string::npos) continue;
    // The name section's names are the module's: any bytes.
    std::string name = toolkit::escaped_controls(utf8(iso, f->GetFunctionName()));
    if (name.empty()) name = "(unnamed)";
    char where[48];
    std::snprintf(where, sizeof where, " at byte offset %d", f->GetColumn() - 1);
    frames.push_back(name + where);
  }
  return frames;
}

}  // namespace

std::string exception_message(v8::Isolate *iso, const v8::TryCatch &tc) {
  if (tc.Exception().IsEmpty()) return "unknown error";
  // Its text names what the module named (imports, exports, functions).
  v8::String::Utf8Value text(iso, tc.Exception());
  if (*text) return toolkit::escaped_controls({*text, static_cast<size_t>(text.length())});
  // Making a string of an error runs JavaScript (Error.prototype.toString),
  // which needs stack: right after a stack overflow in a guest the host
  // called from a host function (a re-entrant cabi_realloc), the stack is
  // still all but exhausted and it fails. The message V8 made when it threw
  // has the same text, "Uncaught RangeError: ...", and is read without
  // running anything.
  v8::Local<v8::Message> message = tc.Message();
  if (message.IsEmpty()) return "(unprintable exception)";
  std::string made = utf8(iso, message->Get());
  std::string_view bare = made;
  if (starts_with(bare, "Uncaught ")) bare.remove_prefix(9);
  return toolkit::escaped_controls(bare);
}

// V8 names the JS API call in its messages ("WebAssembly.Instance(): ...");
// the host never made one, so drop it.
static std::string_view without_api_prefix(std::string_view text) {
  for (std::string_view api : {"WebAssembly.Instance(): ", "WebAssembly.Module(): "}) {
    size_t at = text.find(api);
    if (at != std::string_view::npos) return text.substr(at + api.size());
  }
  return text;
}

void throw_guest_failure(v8::Isolate *iso, const v8::TryCatch &tc) {
  std::string full = exception_message(iso, tc);
  // "RuntimeError: divide by zero", "LinkError: WebAssembly.Instance(): ..."
  std::string_view text = full;
  if (starts_with(text, "RuntimeError: ")) {
    text.remove_prefix(14);
    std::string_view bare = without_api_prefix(text);
    for (const auto &t : kTrapTexts)
      if (bare == t.text) throw Trap(t.kind, std::string(text), guest_frames(iso, tc));
    throw Trap(Trap::Kind::Other, std::string(text), guest_frames(iso, tc));
  }
  if (starts_with(text, "RangeError: ")) {
    text = without_api_prefix(text.substr(12));
    Trap::Kind kind = text.find("Out of memory") != std::string_view::npos ||
                              text.find("could not allocate memory") != std::string_view::npos
                          ? Trap::Kind::OutOfMemory
                          : Trap::Kind::StackExhausted;
    if (text.find("Maximum call stack size exceeded") != std::string_view::npos)
      kind = Trap::Kind::StackExhausted;
    throw Trap(kind, std::string(text), guest_frames(iso, tc));
  }
  if (starts_with(text, "LinkError: "))
    throw LinkError(std::string(without_api_prefix(text.substr(11))));
  if (starts_with(text, "CompileError: "))
    throw CompileError(std::string(without_api_prefix(text.substr(14))));
  throw EngineError(full);
}

}  // namespace pgwasm::engine::v8impl
