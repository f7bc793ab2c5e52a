// A .wast script as the runner sees it: the commands of the spec test suite
// with their modules, actions and expected values, independent of the
// parser that read them (wast_reader.h).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "engine/engine.h"

namespace pgwasm::spec {

// A module as the script gives it.
struct ModuleSource {
  enum class Form : uint8_t {
    Binary,  // (module binary "..."): these bytes
    Text,    // (module ...): parsed by the script reader, encoded to `bytes`
    Quoted,  // (module quote "..."): `text`, to be parsed when the command runs
  };
  Form form = Form::Binary;
  std::vector<uint8_t> bytes;
  std::string text;
  // Text form only: why the module could not be encoded (an invalid module
  // can be beyond the binary writer), in which case `bytes` is empty.
  std::string encode_error;
};

// An expected result: exact bits, or a NaN pattern per float lane.
struct Expected {
  enum class Nan : uint8_t { None, Canonical, Arithmetic };
  // The shape of a v128 value (how it is compared and printed).
  enum class Lanes : uint8_t { I8x16, I16x8, I32x4, I64x2, F32x4, F64x2 };
  engine::Value value;         // type, bits; or the reference expected
  bool any_func = false;       // (ref.func): any non-null function reference
  Lanes lanes = Lanes::I32x4;  // v128 only
  std::array<Nan, 4> nan{};    // f32, f64: [0]; v128 float lanes: one each
};

struct Action {
  enum class Kind : uint8_t { Invoke, Get };
  Kind kind = Kind::Invoke;
  int module = -1;  // index of the module command it names, -1 if none
  std::string field;
  std::vector<engine::Value> args;
};

struct Command {
  enum class Kind : uint8_t {
    Module,
    Register,
    Action,
    AssertReturn,
    AssertTrap,
    AssertExhaustion,
    AssertMalformed,
    AssertInvalid,
    AssertUnlinkable,
    AssertUninstantiable,
  };
  Kind kind = Kind::Module;
  int line = 0;
  ModuleSource module;  // Module and the module assertions
  std::string name;     // Module: its $name, if any; Register: the name to register under
  int target = -1;      // Register: index of the module command registered
  Action action;        // Action, AssertReturn, AssertTrap, AssertExhaustion
  // AssertReturn: the acceptable result lists (several for `either`).
  std::vector<std::vector<Expected>> results;
  std::string text;  // the failure the assertion expects ("integer overflow")
};

struct Script {
  std::string file;  // base name, e.g. "i32.wast"
  std::vector<Command> commands;
};

const char *to_string(Command::Kind kind);

}  // namespace pgwasm::spec
