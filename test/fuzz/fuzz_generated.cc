// Fuzz target: the modules the toolkit generates. The bytes choose either
// the types of a call trampoline's targets and globals, or a global module's
// type and bits. A trampoline must read back as a valid module with the
// promised imports and exports, and V8 must accept it; a global module's
// global must hold exactly the bits asked for, read back by the toolkit and
// through the engine (a host global made from it).
#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <cstring>
#include <string>

#include "engine/engine.h"
#include "fuzz/fuzz_support.h"
#include "toolkit/binary.h"
#include "toolkit/global_module.h"
#include "toolkit/text.h"
#include "toolkit/trampoline.h"

using namespace pgwasm;
using toolkit::CallTrampoline;

namespace {

constexpr ValType kTypes[] = {ValType::I32,  ValType::I64,     ValType::F32,      ValType::F64,
                              ValType::V128, ValType::FuncRef, ValType::ExternRef};
constexpr ValType kNumericTypes[] = {ValType::I32, ValType::I64, ValType::F32, ValType::F64,
                                     ValType::V128};

// Mostly a few, sometimes up to the engine's limit of 1000 parameters or
// results per function.
std::vector<ValType> value_types(FuzzedDataProvider &in) {
  size_t n = in.ConsumeBool() ? in.ConsumeIntegralInRange<size_t>(0, 1000)
                              : in.ConsumeIntegralInRange<size_t>(0, 6);
  std::vector<ValType> out;
  for (size_t i = 0; i < n && in.remaining_bytes() > 0; i++)
    out.push_back(in.PickValueInArray(kTypes));
  return out;
}

ModuleInfo read_or_fail(std::span<const uint8_t> wasm, std::string_view what) {
  try {
    return toolkit::read_module(wasm);
  } catch (const toolkit::BinaryError &e) {
    fuzz::fail(std::string(what) + " is not a valid module", e.what());
  }
}

void check_import(const ImportDesc &imp, const std::string &name, const ExternType &type) {
  if (imp.module != CallTrampoline::kImportModule || imp.name != name || imp.type != type)
    fuzz::fail("trampoline import " + name + " is " + imp.module + "." + imp.name + ": " +
               to_string(imp.type) + ", expected " + to_string(type));
}

void fuzz_trampoline(FuzzedDataProvider &in) {
  std::vector<FuncType> targets(in.ConsumeIntegralInRange<size_t>(0, 6));
  for (auto &t : targets) {
    t.params = value_types(in);
    t.results = value_types(in);
  }
  std::vector<GlobalType> globals(in.ConsumeIntegralInRange<size_t>(0, 6));
  for (auto &g : globals) {
    g.type = in.PickValueInArray(kTypes);
    // The engine never gives the trampoline an immutable v128 global (V8
    // 10.2 cannot import one).
    g.is_mutable = in.ConsumeBool() || g.type == ValType::V128;
  }
  CallTrampoline t = toolkit::make_call_trampoline(targets, globals);
  ModuleInfo info = read_or_fail(t.wasm, "the call trampoline");

  if (info.imports.size() != targets.size() + globals.size())
    fuzz::fail("the trampoline has " + std::to_string(info.imports.size()) + " imports");
  for (size_t i = 0; i < targets.size(); i++)
    check_import(info.imports[i], toolkit::trampoline_call_export(i), targets[i]);
  for (size_t i = 0; i < globals.size(); i++)
    check_import(info.imports[targets.size() + i], toolkit::trampoline_global_export(i),
                 globals[i]);

  size_t slots = 1;
  for (const auto &f : targets) slots = std::max({slots, f.params.size(), f.results.size()});
  if (t.slots < slots) fuzz::fail("the trampoline has too few slots");
  const auto *memory = info.find_export(CallTrampoline::kMemoryExport);
  const auto *memory_type = memory ? std::get_if<MemoryType>(&memory->type) : nullptr;
  if (!memory_type || memory_type->limits.min * 65536 < t.slots * CallTrampoline::kSlotSize)
    fuzz::fail("the trampoline's slots do not fit its memory");
  for (size_t i = 0; i < targets.size(); i++) {
    const auto *e = info.find_export(toolkit::trampoline_call_export(i));
    if (!e || e->type != ExternType(toolkit::trampoline_signature(targets[i])))
      fuzz::fail("trampoline export " + toolkit::trampoline_call_export(i) + " is wrong");
  }
  for (size_t i = 0; i < globals.size(); i++) {
    FuncType getter;
    if (is_ref(globals[i].type)) getter.results.push_back(globals[i].type);
    const auto *e = info.find_export(toolkit::trampoline_global_export(i));
    if (!e || e->type != ExternType(getter))
      fuzz::fail("trampoline export " + toolkit::trampoline_global_export(i) + " is wrong");
  }
  if (auto error = fuzz::Host::get().engine().validate(t.wasm))
    fuzz::fail("V8 rejects the call trampoline", *error);
}

size_t width(ValType t) {
  switch (t) {
    case ValType::I32:
    case ValType::F32: return 4;
    case ValType::I64:
    case ValType::F64: return 8;
    default: return 16;
  }
}

void fuzz_global_module(FuzzedDataProvider &in) {
  GlobalType type{in.PickValueInArray(kNumericTypes), in.ConsumeBool()};
  std::array<uint8_t, 16> bits{};
  in.ConsumeData(bits.data(), width(type.type));
  std::vector<uint8_t> wasm = toolkit::make_global_module(type, bits);
  ModuleInfo info = read_or_fail(wasm, "the global module");
  if (info.exports.size() != 1 || info.exports[0].name != toolkit::GlobalModule::kExport ||
      info.exports[0].type != ExternType(type))
    fuzz::fail("the global module exports something else");
  auto constants = toolkit::describe_module(wasm).constant_globals;
  if (constants.size() != 1 || !constants[0] || *constants[0] != bits)
    fuzz::fail("the global module's global has other bits than asked");

  // The engine makes its host globals from the same module: read one back
  // through a module that imports and exports it.
  if (type.type == ValType::V128 && !type.is_mutable) return;  // V8 10.2 cannot import it
  auto &engine = fuzz::Host::get().engine();
  engine::Value value = fuzz::zero_value(type.type);
  std::memcpy(&value.bits, bits.data(), bits.size());
  std::shared_ptr<engine::Extern> imports[] = {engine.host_global(type, value)};
  std::string wat_type(to_string(type.type));
  if (type.is_mutable) wat_type = "(mut " + wat_type + ")";
  auto reader = engine.compile(toolkit::assemble_wat("(module (import \"h\" \"g\" (global " +
                                                     wat_type + ")) (export \"g\" (global 0)))"));
  engine::Value got = engine.instantiate(reader, imports)->get_global(0);
  if (got.type != type.type || std::memcmp(&got.bits, bits.data(), width(type.type)) != 0)
    fuzz::fail("a host global has other bits than it was made with",
               "type " + to_string(ExternType(type)));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  FuzzedDataProvider in(data, size);
  if (in.ConsumeBool())
    fuzz_trampoline(in);
  else
    fuzz_global_module(in);
  return 0;
}
