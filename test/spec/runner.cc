#include "spec/runner.h"

#include <atomic>
#include <chrono>
#include <optional>
#include <stdexcept>
#include <string_view>

#include "spec/values.h"
#include "toolkit/binary.h"
#include "toolkit/text.h"

namespace pgwasm::spec {

using engine::Instance;
using engine::Trap;
using engine::Value;

namespace {

// No command of the suite takes more than a fraction of a second; a guest
// that runs this long is stuck, and is stopped so that the run goes on.
constexpr std::chrono::seconds kCommandTimeout{60};
std::atomic<int64_t> g_deadline_ns{INT64_MAX};

void arm_deadline() {
  auto deadline = std::chrono::steady_clock::now() + kCommandTimeout;
  g_deadline_ns.store(deadline.time_since_epoch().count(), std::memory_order_relaxed);
}

// A command the script gets wrong or the runner cannot carry out (unknown
// export, arguments of the wrong type): a failure, whatever the engine does.
class ScriptError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The trap kinds a spec failure message stands for. V8 reports a call
// through a null table entry and a signature mismatch with one message, so
// both are IndirectCallMismatch.
struct TrapMessage {
  std::string_view prefix;
  Trap::Kind kind;
};
constexpr TrapMessage kTrapMessages[] = {
    {"unreachable", Trap::Kind::Unreachable},
    {"integer divide by zero", Trap::Kind::DivideByZero},
    {"integer overflow", Trap::Kind::IntegerOverflow},
    {"invalid conversion to integer", Trap::Kind::InvalidConversion},
    {"out of bounds memory access", Trap::Kind::MemoryOutOfBounds},
    {"out of bounds table access", Trap::Kind::TableOutOfBounds},
    {"undefined element", Trap::Kind::TableOutOfBounds},
    {"uninitialized element", Trap::Kind::IndirectCallMismatch},
    {"indirect call type mismatch", Trap::Kind::IndirectCallMismatch},
    {"call stack exhausted", Trap::Kind::StackExhausted},
};

std::optional<Trap::Kind> trap_kind_for(std::string_view text) {
  for (const auto &m : kTrapMessages)
    if (text.substr(0, m.prefix.size()) == m.prefix) return m.kind;
  return std::nullopt;
}

const char *kind_name(Trap::Kind k) {
  switch (k) {
    case Trap::Kind::Unreachable: return "unreachable";
    case Trap::Kind::MemoryOutOfBounds: return "memory out of bounds";
    case Trap::Kind::TableOutOfBounds: return "table out of bounds";
    case Trap::Kind::DivideByZero: return "divide by zero";
    case Trap::Kind::IntegerOverflow: return "integer overflow";
    case Trap::Kind::InvalidConversion: return "invalid conversion";
    case Trap::Kind::IndirectCallMismatch: return "indirect call mismatch";
    case Trap::Kind::StackExhausted: return "stack exhausted";
    case Trap::Kind::OutOfMemory: return "out of memory";
    case Trap::Kind::HeapExhausted: return "heap exhausted";
    case Trap::Kind::FuelExhausted: return "out of fuel";
    case Trap::Kind::Other: return "other";
  }
  return "?";
}

std::string list(const std::vector<Value> &values, const std::vector<Expected> *shape = nullptr) {
  std::string s = "(";
  for (size_t i = 0; i < values.size(); i++) {
    if (i) s += ", ";
    s += shape && i < shape->size() ? to_string(values[i], (*shape)[i]) : to_string(values[i]);
  }
  return s + ")";
}

std::string list(const std::vector<Expected> &values) {
  std::string s = "(";
  for (size_t i = 0; i < values.size(); i++) s += (i ? ", " : "") + to_string(values[i]);
  return s + ")";
}

}  // namespace

bool Runner::past_deadline() {
  return std::chrono::steady_clock::now().time_since_epoch().count() >
         g_deadline_ns.load(std::memory_order_relaxed);
}

// The state of one script: its instances and the names registered.
class Runner::ScriptRun {
 public:
  ScriptRun(engine::Engine &engine, SpectestHost &spectest, engine::CompileOptions options,
            const Script &script, FileResult &result)
      : engine_(engine), options_(options), script_(script), result_(result) {
    registry_["spectest"] = spectest.instantiate();
  }

  void run() {
    for (size_t i = 0; i < script_.commands.size(); i++) {
      const Command &cmd = script_.commands[i];
      result_.commands++;
      std::string failure;
      arm_deadline();
      try {
        failure = execute(static_cast<int>(i), cmd);
      } catch (const Trap &t) {
        failure = std::string("unexpected trap: ") + t.what();
      } catch (const engine::Interrupted &) {
        failure = "timed out after " + std::to_string(kCommandTimeout.count()) + " s";
      } catch (const std::exception &e) {
        failure = e.what();
      }
      if (failure.empty()) {
        result_.passed++;
      } else {
        result_.failed++;
        result_.failures.push_back({cmd.line, cmd.kind, failure});
      }
    }
  }

 private:
  // Carries out one command: empty if it passed, else why it failed.
  std::string execute(int index, const Command &cmd) {
    switch (cmd.kind) {
      case Command::Kind::Module: return define_module(index, cmd);
      case Command::Kind::Register: return register_module(cmd);
      case Command::Kind::Action: perform(cmd.action); return {};
      case Command::Kind::AssertReturn: return assert_return(cmd);
      case Command::Kind::AssertTrap: return assert_trap(cmd, trap_kind_for(cmd.text));
      case Command::Kind::AssertExhaustion: return assert_trap(cmd, Trap::Kind::StackExhausted);
      case Command::Kind::AssertMalformed:
      case Command::Kind::AssertInvalid: return assert_rejected(cmd);
      case Command::Kind::AssertUnlinkable:
      case Command::Kind::AssertUninstantiable: return assert_not_instantiated(cmd);
    }
    return "unknown command";
  }

  // ---- modules

  // A quoted module's text is either a whole (module ...) or a module's
  // fields: the text front-end reads both, like the reference interpreter.
  std::vector<uint8_t> binary_of(const ModuleSource &src) {
    if (src.form == ModuleSource::Form::Quoted) return toolkit::assemble_wat(src.text);
    if (!src.encode_error.empty()) throw ScriptError(src.encode_error);
    return src.bytes;
  }

  std::vector<std::shared_ptr<engine::Extern>> resolve_imports(const ModuleInfo &info) {
    // A missing import stays null: the engine reports it as a LinkError.
    std::vector<std::shared_ptr<engine::Extern>> imports;
    for (const auto &imp : info.imports) {
      std::shared_ptr<engine::Extern> ext;
      if (auto m = registry_.find(imp.module); m != registry_.end())
        if (auto e = m->second.find(imp.name); e != m->second.end()) ext = e->second;
      imports.push_back(std::move(ext));
    }
    return imports;
  }

  std::unique_ptr<Instance> instantiate(const ModuleSource &src) {
    auto module = engine_.compile(binary_of(src), options_);
    return engine_.instantiate(module, resolve_imports(module->info()));
  }

  std::string define_module(int index, const Command &cmd) {
    // Only named modules and the latest one can be referred to again.
    if (auto it = instances_.find(current_);
        it != instances_.end() && script_.commands[current_].name.empty())
      instances_.erase(it);
    current_ = index;
    instances_[index] = instantiate(cmd.module);
    return {};
  }

  Instance &instance(int module) {
    if (module < 0) throw ScriptError("no module defined before this command");
    auto it = instances_.find(module);
    if (it == instances_.end())
      throw ScriptError("the module of line " + std::to_string(script_.commands[module].line) +
                        " is not available (it failed)");
    return *it->second;
  }

  std::string register_module(const Command &cmd) {
    Instance &inst = instance(cmd.target);
    Exports exports;
    for (uint32_t i = 0; i < inst.info().exports.size(); i++)
      exports[inst.info().exports[i].name] = inst.get_export(i);
    registry_[cmd.name] = std::move(exports);
    return {};
  }

  // ---- actions

  std::vector<Value> perform(const Action &action) {
    Instance &inst = instance(action.module);
    auto index = inst.info().export_index(action.field);
    if (!index) throw ScriptError("no export named \"" + action.field + "\"");
    const ExternType &type = inst.info().exports[*index].type;
    if (action.kind == Action::Kind::Get) {
      if (!std::holds_alternative<GlobalType>(type))
        throw ScriptError("export \"" + action.field + "\" is not a global");
      return {inst.get_global(*index)};
    }
    const auto *ft = std::get_if<FuncType>(&type);
    if (!ft) throw ScriptError("export \"" + action.field + "\" is not a function");
    if (ft->params.size() != action.args.size())
      throw ScriptError("\"" + action.field + "\" takes " + std::to_string(ft->params.size()) +
                        " arguments, the script gives " + std::to_string(action.args.size()));
    for (size_t k = 0; k < ft->params.size(); k++)
      if (ft->params[k] != action.args[k].type)
        throw ScriptError("argument " + std::to_string(k) + " of \"" + action.field + "\" is " +
                          std::string(pgwasm::to_string(ft->params[k])) + ", the script gives " +
                          std::string(pgwasm::to_string(action.args[k].type)));
    std::vector<Value> results(ft->results.size());
    inst.call(*index, action.args.data(), results.data());
    return results;
  }

  std::string assert_return(const Command &cmd) {
    std::vector<Value> got = perform(cmd.action);
    for (const auto &alternative : cmd.results) {
      if (alternative.size() != got.size()) continue;
      bool all = true;
      for (size_t k = 0; k < got.size() && all; k++) all = matches(got[k], alternative[k]);
      if (all) return {};
    }
    std::string want;
    for (const auto &alternative : cmd.results)
      want += (want.empty() ? "" : " or ") + list(alternative);
    return "\"" + cmd.action.field + "\" returned " + list(got, &cmd.results.front()) +
           ", expected " + want;
  }

  std::string assert_trap(const Command &cmd, std::optional<Trap::Kind> want) {
    if (!want) return "no trap kind is known for \"" + cmd.text + "\"";
    try {
      std::vector<Value> got = perform(cmd.action);
      return "\"" + cmd.action.field + "\" returned " + list(got) +
             ", expected a trap: " + cmd.text;
    } catch (const Trap &t) {
      if (t.kind == *want) return {};
      return std::string("trapped with \"") + t.what() + "\" (" + kind_name(t.kind) +
             "), expected \"" + cmd.text + "\" (" + kind_name(*want) + ")";
    }
  }

  // ---- module assertions

  std::string assert_rejected(const Command &cmd) {
    const bool malformed = cmd.kind == Command::Kind::AssertMalformed;
    const ModuleSource &src = cmd.module;
    if (src.form == ModuleSource::Form::Quoted) {
      // The text itself is under test: the project's text front-end (wabt).
      try {
        toolkit::assemble_wat(src.text);
        return "the text front-end (wabt) accepted the module, expected: " + cmd.text;
      } catch (const toolkit::TextError &e) {
        bool as_malformed = e.kind == toolkit::TextError::Kind::Malformed;
        if (as_malformed == malformed) return {};
        return std::string("the text front-end rejected it as ") +
               (as_malformed ? "malformed" : "invalid") + " (" + e.what() + "), expected " +
               (malformed ? "malformed" : "invalid") + ": " + cmd.text;
      }
    }
    if (src.form == ModuleSource::Form::Text && malformed)
      return "wabt parsed the text module, expected it to be malformed: " + cmd.text;
    if (!src.encode_error.empty())
      return "wabt cannot encode the text module (" + src.encode_error +
             "), so V8 cannot be asked about it";
    bool v8_rejects = engine_.validate(src.bytes).has_value();
    bool wabt_rejects = toolkit_rejects(src.bytes);
    if (v8_rejects && !wabt_rejects)
      result_.discrepancies.push_back({cmd.line, cmd.kind, cmd.text});
    if (v8_rejects) return {};
    return std::string("V8 accepted the module (") +
           (wabt_rejects ? "wabt rejects it, so the project's load path does too"
                         : "and so does wabt: the project loads it") +
           "), expected: " + cmd.text;
  }

  // The toolkit (wabt) reads every module before V8 in Engine::compile.
  static bool toolkit_rejects(const std::vector<uint8_t> &bytes) {
    try {
      toolkit::read_module(bytes);
      return false;
    } catch (const toolkit::BinaryError &) {
      return true;
    }
  }

  std::string assert_not_instantiated(const Command &cmd) {
    auto module = engine_.compile(binary_of(cmd.module), options_);
    try {
      engine_.instantiate(module, resolve_imports(module->info()));
    } catch (const engine::LinkError &e) {
      if (cmd.kind == Command::Kind::AssertUnlinkable) return {};
      return std::string("link error \"") + e.what() + "\", expected a trap: " + cmd.text;
    } catch (const Trap &t) {
      if (cmd.kind == Command::Kind::AssertUnlinkable)
        return std::string("trapped with \"") + t.what() + "\", expected a link error: " + cmd.text;
      auto want = trap_kind_for(cmd.text);
      if (want && t.kind == *want) return {};
      return std::string("trapped with \"") + t.what() + "\" (" + kind_name(t.kind) +
             "), expected \"" + cmd.text + "\"";
    }
    return "the module instantiated, expected: " + cmd.text;
  }

  engine::Engine &engine_;
  engine::CompileOptions options_;
  const Script &script_;
  FileResult &result_;
  std::map<std::string, Exports, std::less<>> registry_;
  std::map<int, std::unique_ptr<Instance>> instances_;  // by module command index
  int current_ = -1;                                    // the latest module command
};

Runner::Runner(engine::Engine &engine, SpectestHost &spectest, engine::CompileOptions options)
    : engine_(engine), spectest_(spectest), options_(options) {}

FileResult Runner::run(const Script &script) {
  FileResult result;
  result.file = script.file;
  ScriptRun(engine_, spectest_, options_, script, result).run();
  return result;
}

}  // namespace pgwasm::spec
