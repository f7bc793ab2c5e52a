#include "toolkit/trampoline.h"

#include <algorithm>
#include <string>

#include "toolkit/text.h"

namespace pgwasm::toolkit {

static void append_types(std::string &out, const char *keyword, const std::vector<ValType> &types) {
  if (types.empty()) return;
  out += " (";
  out += keyword;
  for (auto t : types) {
    out += ' ';
    out += to_string(t);
  }
  out += ')';
}

static std::vector<ValType> refs_only(const std::vector<ValType> &types) {
  std::vector<ValType> out;
  std::copy_if(types.begin(), types.end(), std::back_inserter(out), is_ref);
  return out;
}

FuncType trampoline_signature(const FuncType &target) {
  return {refs_only(target.params), refs_only(target.results)};
}

static std::string slot_offset(size_t k) {
  return " offset=" + std::to_string(k * CallTrampoline::kSlotSize);
}

// Body of the trampoline for one target, in the flat (stack) syntax.
static std::string body(size_t index, const FuncType &target, TrampolineControls controls,
                        uint32_t control_offset) {
  std::string b;
  std::string at = " offset=" + std::to_string(control_offset);
  if (controls.fuel) b += "    i32.const 0 i64.load" + at + " global.set $fuel\n";
  if (controls.max_pages)
    b += "    i32.const 0 i32.load offset=" + std::to_string(control_offset + 8) +
         " global.set $max_pages\n";
  uint32_t ref_param = 0;
  for (size_t k = 0; k < target.params.size(); k++) {
    ValType t = target.params[k];
    if (is_ref(t))
      b += "    local.get " + std::to_string(ref_param++) + "\n";
    else
      b += "    i32.const 0 " + std::string(to_string(t)) + ".load" + slot_offset(k) + "\n";
  }
  b += "    call $f" + std::to_string(index) + "\n";
  // Results are on the stack in order; park them in locals to store them.
  uint32_t first_local = ref_param;
  for (size_t k = target.results.size(); k-- > 0;)
    b += "    local.set " + std::to_string(first_local + k) + "\n";
  for (size_t k = 0; k < target.results.size(); k++) {
    ValType t = target.results[k];
    if (is_ref(t)) continue;
    b += "    i32.const 0 local.get " + std::to_string(first_local + k) + " " +
         std::string(to_string(t)) + ".store" + slot_offset(k) + "\n";
  }
  for (size_t k = 0; k < target.results.size(); k++)
    if (is_ref(target.results[k])) b += "    local.get " + std::to_string(first_local + k) + "\n";
  return b;
}

std::string trampoline_call_export(size_t index) {
  return std::to_string(index);
}
std::string trampoline_global_export(size_t index) {
  return "g" + std::to_string(index);
}

// A getter for global `index`: numbers go to slot 0, references are returned.
static std::string global_getter(size_t index, const GlobalType &g) {
  std::string name = trampoline_global_export(index);
  std::string t(to_string(g.type));
  if (is_ref(g.type))
    return "  (func (export \"" + name + "\") (result " + t + ") global.get $" + name + ")\n";
  return "  (func (export \"" + name + "\") i32.const 0 global.get $" + name + " " + t +
         ".store)\n";
}

CallTrampoline make_call_trampoline(std::span<const FuncType> targets,
                                    std::span<const GlobalType> globals,
                                    TrampolineControls controls) {
  CallTrampoline out;
  size_t slots = 1;
  for (const auto &t : targets) slots = std::max({slots, t.params.size(), t.results.size()});
  out.slots = static_cast<uint32_t>(slots);
  size_t pages = ((slots + 1) * CallTrampoline::kSlotSize + 65535) / 65536;

  std::string wat = "(module $" + std::string(CallTrampoline::kModuleName) + "\n";
  for (size_t i = 0; i < targets.size(); i++) {
    wat += "  (import \"" + std::string(CallTrampoline::kImportModule) + "\" \"" +
           trampoline_call_export(i) + "\" (func $f" + std::to_string(i);
    append_types(wat, "param", targets[i].params);
    append_types(wat, "result", targets[i].results);
    wat += "))\n";
  }
  for (size_t i = 0; i < globals.size(); i++) {
    std::string t(to_string(globals[i].type));
    if (globals[i].is_mutable) t = "(mut " + t + ")";
    wat += "  (import \"" + std::string(CallTrampoline::kImportModule) + "\" \"" +
           trampoline_global_export(i) + "\" (global $" + trampoline_global_export(i) + " " + t +
           "))\n";
  }
  std::string m = CallTrampoline::kImportModule;
  if (controls.fuel)
    wat += "  (import \"" + m + "\" \"" + CallTrampoline::kFuelImport +
           "\" (global $fuel (mut i64)))\n";
  if (controls.max_pages)
    wat += "  (import \"" + m + "\" \"" + CallTrampoline::kMaxPagesImport +
           "\" (global $max_pages (mut i32)))\n";
  wat += "  (memory (export \"" + std::string(CallTrampoline::kMemoryExport) + "\") " +
         std::to_string(pages) + " " + std::to_string(pages) + ")\n";
  for (size_t i = 0; i < targets.size(); i++) {
    FuncType sig = trampoline_signature(targets[i]);
    wat += "  (func (export \"" + trampoline_call_export(i) + "\")";
    append_types(wat, "param", sig.params);
    append_types(wat, "result", sig.results);
    append_types(wat, "local", targets[i].results);
    wat += "\n" + body(i, targets[i], controls, out.control_offset()) + "  )\n";
  }
  for (size_t i = 0; i < globals.size(); i++) wat += global_getter(i, globals[i]);
  if (controls.fuel)
    wat += "  (func (export \"" + std::string(CallTrampoline::kFuelExport) +
           "\") i32.const 0 global.get $fuel i64.store offset=" +
           std::to_string(out.control_offset()) + ")\n";
  wat += ")\n";
  out.wasm = assemble_wat(wat);
  return out;
}

}  // namespace pgwasm::toolkit
