#include "fuzz/module_pipeline.h"

#include <string>

#include "engine/engine.h"
#include "fuzz/fuzz_support.h"
#include "fuzz/passes.h"
#include "toolkit/binary.h"

namespace pgwasm::fuzz {

using namespace std::chrono_literals;

namespace {

// Budgets that keep an input well under 100 ms whatever the guest does
// (libFuzzer's -timeout is for our own hangs).
constexpr auto kInstantiateBudget = 20ms;
constexpr auto kCallBudget = 10ms;
constexpr size_t kMaxCalls = 8;

ModuleInfo read_or_fail(std::span<const uint8_t> wasm, std::string_view what) {
  try {
    return toolkit::read_module(wasm);
  } catch (const toolkit::BinaryError &e) {
    fail(std::string(what) + " is not a valid module", e.what());
  }
}

void check_constant_globals(std::span<const uint8_t> wasm, const ModuleInfo &info) {
  auto constants = toolkit::describe_module(wasm).constant_globals;
  if (constants.size() != info.exports.size())
    fail("describe_module has " + std::to_string(constants.size()) + " entries for " +
         std::to_string(info.exports.size()) + " exports");
  for (size_t i = 0; i < constants.size(); i++)
    if (constants[i] && kind_of(info.exports[i].type) != ExternKind::Global)
      fail("describe_module gives a constant for export " + std::to_string(i) +
           ", which is not a global");
}

void call_exports(engine::Instance &instance) {
  const auto &exports = instance.info().exports;
  size_t calls = 0;
  for (uint32_t i = 0; i < exports.size(); i++) {
    (void)instance.get_export(i);
    if (const auto *g = std::get_if<GlobalType>(&exports[i].type)) {
      engine::Value v = instance.get_global(i);
      if (v.type != g->type) fail("get_global returned a value of another type");
    }
    const auto *f = std::get_if<FuncType>(&exports[i].type);
    if (!f || calls++ == kMaxCalls) continue;
    std::vector<engine::Value> args, results(f->results.size());
    for (ValType t : f->params) args.push_back(zero_value(t));
    try {
      Deadline deadline(kCallBudget);
      instance.call(i, args.data(), results.data());
    } catch (const engine::EngineError &) {
      continue;  // a trap
    } catch (const engine::Interrupted &) {
      continue;  // stopped at the deadline
    }
    for (size_t k = 0; k < results.size(); k++)
      if (results[k].type != f->results[k]) fail("a call returned a result of another type");
  }
  auto memory = instance.memory();
  if (!memory.empty()) (void)*static_cast<volatile uint8_t *>(&memory.back());
}

void run_in_engine(std::span<const uint8_t> wasm) {
  auto &host = Host::get();
  host.recycle_if_needed();
  engine::Engine &engine = host.engine();
  std::shared_ptr<const engine::Module> module;
  // The host's three ways to compile, by the input: plain, with memory
  // bounds (as every PostgreSQL session does), with fuel too.
  engine::CompileOptions options;
  switch (wasm.size() % 3) {
    case 1: options = {.fuel = false, .limit_memory = true}; break;
    case 2: options = {.fuel = true, .limit_memory = true}; break;
    default: break;
  }
  try {
    module = engine.compile(wasm, options);
  } catch (const engine::CompileError &) {
    return;  // V8 is stricter than wabt on some modules (README: conformance)
  }
  std::unique_ptr<engine::Instance> instance;
  try {
    auto imports = host.stub_imports(module->info().imports);
    Deadline deadline(kInstantiateBudget);
    instance = engine.instantiate(module, imports);
  } catch (const engine::EngineError &) {
    return;  // a link error, or the start function trapped
  } catch (const engine::Interrupted &) {
    return;  // the start function ran too long
  }
  call_exports(*instance);
}

}  // namespace

void run_module_pipeline(std::span<const uint8_t> wasm, Origin origin) {
  ModuleInfo info;
  try {
    info = toolkit::read_module(wasm);
  } catch (const toolkit::BinaryError &e) {
    if (origin == Origin::Toolkit)
      fail("the toolkit made a module that read_module rejects", e.what());
    return;
  }
  check_constant_globals(wasm, info);
  // Export names with a leading zero byte are the host's (its passes add
  // them); pg_wasm refuses to load a module that has one (module_loader.cc),
  // so no such module reaches the passes.
  for (const auto &e : info.exports)
    if (!e.name.empty() && e.name[0] == '\0') return;

  std::vector<uint8_t> rewritten(wasm.begin(), wasm.end());
  for (const auto &pass : passes()) {
    std::vector<uint8_t> out = pass.apply(rewritten, info);
    ModuleInfo out_info = read_or_fail(out, "the output of pass " + std::string(pass.name));
    if (pass.check) pass.check(info, out_info);
    if (pass.feeds_engine) {
      rewritten = std::move(out);
      info = std::move(out_info);
    }
  }
  run_in_engine(rewritten);
}

}  // namespace pgwasm::fuzz
