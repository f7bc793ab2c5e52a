#include "spec/wast_reader.h"

#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>

#include "toolkit/wabt_convert.h"
#include "wabt/binary-writer.h"
#include "wabt/cast.h"
#include "wabt/feature.h"
#include "wabt/ir.h"
#include "wabt/stream.h"
#include "wabt/wast-lexer.h"
#include "wabt/wast-parser.h"

namespace pgwasm::spec {

namespace {

using engine::Ref;
using engine::Value;

std::string describe_errors(const wabt::Errors &errors) {
  std::string out;
  int shown = 0;
  for (const auto &e : errors) {
    if (shown++ == 3) break;
    out += "\n  line " + std::to_string(e.loc.line) + ":" + std::to_string(e.loc.first_column) +
           ": " + e.message;
  }
  return out;
}

// The value a constant stands for, exact bits; references are null or a
// host value (ref.extern N).
Value value_of(const wabt::Const &c) {
  Value v;
  v.type = toolkit::from_wabt(c.type());
  switch (v.type) {
    case ValType::I32: v.bits.i32 = c.u32(); break;
    case ValType::I64: v.bits.i64 = c.u64(); break;
    case ValType::F32: v.bits.f32 = c.f32_bits(); break;
    case ValType::F64: v.bits.f64 = c.f64_bits(); break;
    case ValType::V128: {
      v128 data = c.vec128();
      std::memcpy(v.bits.v128, data.v, 16);
      break;
    }
    case ValType::FuncRef:
    case ValType::ExternRef:
      if (c.ref_bits() == wabt::Const::kRefNullBits)
        v.ref = {Ref::Kind::Null, 0};
      else if (v.type == ValType::ExternRef)
        v.ref = {Ref::Kind::Host, c.ref_bits()};
      else
        throw std::runtime_error("a function reference cannot be written as a constant");
      break;
  }
  return v;
}

Expected::Nan nan_of(wabt::ExpectedNan n) {
  switch (n) {
    case wabt::ExpectedNan::None: return Expected::Nan::None;
    case wabt::ExpectedNan::Canonical: return Expected::Nan::Canonical;
    case wabt::ExpectedNan::Arithmetic: return Expected::Nan::Arithmetic;
  }
  return Expected::Nan::None;
}

Expected::Lanes lanes_of(wabt::Type lane) {
  switch (lane) {
    case wabt::Type::I8: return Expected::Lanes::I8x16;
    case wabt::Type::I16: return Expected::Lanes::I16x8;
    case wabt::Type::I32: return Expected::Lanes::I32x4;
    case wabt::Type::I64: return Expected::Lanes::I64x2;
    case wabt::Type::F32: return Expected::Lanes::F32x4;
    case wabt::Type::F64: return Expected::Lanes::F64x2;
    default: throw std::runtime_error("unknown v128 lane type");
  }
}

Expected expected_of(const wabt::Const &c) {
  Expected e;
  if (c.type() == wabt::Type::FuncRef && c.ref_bits() != wabt::Const::kRefNullBits) {
    // (ref.func): any non-null function reference.
    e.value.type = ValType::FuncRef;
    e.value.ref = {Ref::Kind::Func, 0};
    e.any_func = true;
    return e;
  }
  e.value = value_of(c);
  if (c.type() == wabt::Type::F32 || c.type() == wabt::Type::F64) {
    e.nan[0] = nan_of(c.expected_nan(0));
  } else if (c.type() == wabt::Type::V128) {
    e.lanes = lanes_of(c.lane_type());
    for (int lane = 0; lane < 4; lane++) e.nan[lane] = nan_of(c.expected_nan(lane));
  }
  return e;
}

std::vector<uint8_t> encode(const wabt::Module &module) {
  wabt::Features features;  // WebAssembly 2.0
  wabt::MemoryStream stream;
  wabt::WriteBinaryOptions options(features, /*canonicalize_lebs=*/true, /*relocatable=*/false,
                                   /*write_debug_names=*/false);
  if (wabt::Failed(wabt::WriteBinaryModule(&stream, &module, options)))
    throw std::runtime_error("wabt cannot encode the module");
  return std::move(stream.output_buffer().data);
}

ModuleSource text_source(const wabt::Module &module) {
  ModuleSource src;
  src.form = ModuleSource::Form::Text;
  try {
    src.bytes = encode(module);
  } catch (const std::exception &e) {
    src.encode_error = e.what();
  }
  return src;
}

ModuleSource source_of(const wabt::ScriptModule &sm) {
  if (const auto *text = wabt::dyn_cast<wabt::TextScriptModule>(&sm))
    return text_source(text->module);
  ModuleSource src;
  if (const auto *bin = wabt::dyn_cast<wabt::BinaryScriptModule>(&sm)) {
    src.form = ModuleSource::Form::Binary;
    src.bytes = bin->data;
  } else {
    const auto *quoted = wabt::cast<wabt::QuotedScriptModule>(&sm);
    src.form = ModuleSource::Form::Quoted;
    src.text.assign(quoted->data.begin(), quoted->data.end());
  }
  return src;
}

// Turns wabt's commands into ours, resolving module names in script order
// (a name refers to the latest module defined with it).
class Converter {
 public:
  explicit Converter(Script &out) : out_(out) {}

  void add(const wabt::Command &cmd) {
    Command c;
    switch (cmd.type) {
      case wabt::CommandType::Module: {
        const auto &m = wabt::cast<wabt::ModuleCommand>(&cmd)->module;
        c.kind = Command::Kind::Module;
        c.line = m.loc.line;
        c.name = m.name;
        c.module = text_source(m);
        break;
      }
      case wabt::CommandType::ScriptModule: {
        const auto *sm = wabt::cast<wabt::ScriptModuleCommand>(&cmd);
        c.kind = Command::Kind::Module;
        c.line = sm->script_module->location().line;
        c.name = sm->module.name;
        c.module = source_of(*sm->script_module);
        break;
      }
      case wabt::CommandType::Action: {
        const auto &a = *wabt::cast<wabt::ActionCommand>(&cmd)->action;
        c.kind = Command::Kind::Action;
        c.line = a.loc.line;
        c.action = action_of(a);
        break;
      }
      case wabt::CommandType::Register: {
        const auto *r = wabt::cast<wabt::RegisterCommand>(&cmd);
        c.kind = Command::Kind::Register;
        c.line = r->var.loc.line;
        c.name = r->module_name;
        c.target = module_index(r->var);
        break;
      }
      case wabt::CommandType::AssertReturn: {
        const auto *ar = wabt::cast<wabt::AssertReturnCommand>(&cmd);
        c.kind = Command::Kind::AssertReturn;
        c.line = ar->action->loc.line;
        c.action = action_of(*ar->action);
        if (ar->expected->type() == wabt::ExpectationType::Either) {
          for (const auto &alt : ar->expected->expected) c.results.push_back({expected_of(alt)});
        } else {
          c.results.emplace_back();
          for (const auto &v : ar->expected->expected) c.results.back().push_back(expected_of(v));
        }
        break;
      }
      case wabt::CommandType::AssertTrap: {
        const auto *at = wabt::cast<wabt::AssertTrapCommand>(&cmd);
        c.kind = Command::Kind::AssertTrap;
        c.line = at->action->loc.line;
        c.action = action_of(*at->action);
        c.text = at->text;
        break;
      }
      case wabt::CommandType::AssertExhaustion: {
        const auto *ae = wabt::cast<wabt::AssertExhaustionCommand>(&cmd);
        c.kind = Command::Kind::AssertExhaustion;
        c.line = ae->action->loc.line;
        c.action = action_of(*ae->action);
        c.text = ae->text;
        break;
      }
      case wabt::CommandType::AssertMalformed:
        module_assertion<wabt::AssertMalformedCommand>(cmd, Command::Kind::AssertMalformed, c);
        break;
      case wabt::CommandType::AssertInvalid:
        module_assertion<wabt::AssertInvalidCommand>(cmd, Command::Kind::AssertInvalid, c);
        break;
      case wabt::CommandType::AssertUnlinkable:
        module_assertion<wabt::AssertUnlinkableCommand>(cmd, Command::Kind::AssertUnlinkable, c);
        break;
      case wabt::CommandType::AssertUninstantiable:
        module_assertion<wabt::AssertUninstantiableCommand>(cmd,
                                                            Command::Kind::AssertUninstantiable, c);
        break;
      case wabt::CommandType::AssertException:
        // Exception handling is not part of WebAssembly 2.0.
        throw std::runtime_error("assert_exception is not a WebAssembly 2.0 command");
    }
    if (c.kind == Command::Kind::Module) {
      last_module_ = static_cast<int>(out_.commands.size());
      if (!c.name.empty()) names_[c.name] = last_module_;
    }
    out_.commands.push_back(std::move(c));
  }

 private:
  template <typename T>
  void module_assertion(const wabt::Command &cmd, Command::Kind kind, Command &c) {
    const auto *a = wabt::cast<T>(&cmd);
    c.kind = kind;
    c.line = a->module->location().line;
    c.module = source_of(*a->module);
    c.text = a->text;
  }

  // The module command a script names: by $name, or by default the latest.
  int module_index(const wabt::Var &var) const {
    if (var.is_name()) {
      auto it = names_.find(var.name());
      if (it == names_.end()) throw std::runtime_error("unknown module " + var.name());
      return it->second;
    }
    // wabt's default is the index of the latest module command, which is
    // ours too (one command each).
    return var.index() == wabt::kInvalidIndex ? -1 : static_cast<int>(var.index());
  }

  Action action_of(const wabt::Action &a) const {
    Action out;
    out.module = module_index(a.module_var);
    out.field = a.name;
    if (const auto *invoke = wabt::dyn_cast<wabt::InvokeAction>(&a)) {
      out.kind = Action::Kind::Invoke;
      for (const auto &arg : invoke->args) out.args.push_back(value_of(arg));
    } else {
      out.kind = Action::Kind::Get;
    }
    return out;
  }

  Script &out_;
  std::map<std::string, int> names_;
  int last_module_ = -1;
};

}  // namespace

Script read_wast(const std::filesystem::path &path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path.string());
  std::stringstream buffer;
  buffer << in.rdbuf();
  std::string data = buffer.str();

  wabt::Errors errors;
  wabt::Features features;  // WebAssembly 2.0
  wabt::WastParseOptions options(features);
  auto lexer = wabt::WastLexer::CreateBufferLexer(path.filename().string(), data.data(),
                                                  data.size(), &errors);
  std::unique_ptr<wabt::Script> parsed;
  if (wabt::Failed(wabt::ParseWastScript(lexer.get(), &parsed, &errors, &options)))
    throw std::runtime_error("cannot parse " + path.string() + ":" + describe_errors(errors));

  Script script;
  script.file = path.filename().string();
  Converter converter(script);
  for (const auto &cmd : parsed->commands) converter.add(*cmd);
  return script;
}

}  // namespace pgwasm::spec
