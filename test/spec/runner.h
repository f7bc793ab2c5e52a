// Runs the commands of one script against the engine, in process.
//
// What each assertion checks:
// - module: the project's load path accepts it (Engine::compile, which has
//   the toolkit (wabt) decode and validate it and V8 compile it), and it
//   instantiates with its imports resolved from registered modules.
// - assert_return, assert_trap, assert_exhaustion, action: the export is
//   called (or the global read) through the engine; results must match
//   (NaN patterns per lane), traps must be of the kind the message names.
// - assert_malformed, assert_invalid with a binary or text module (a text
//   module is encoded by wabt when the script is read): V8 itself must
//   reject the bytes (Engine::validate). When wabt's reader disagrees, the
//   runner notes it (Discrepancy); that is not a failure, since the
//   project's load path rejects what either rejects.
// - assert_malformed with a quoted module: the project's text front-end
//   (toolkit::assemble_wat, i.e. wabt's text parser) must fail to parse it;
//   a rejection by validation alone is a failure (wrong reason).
// - assert_unlinkable: the module compiles, instantiation fails with
//   LinkError; assert_uninstantiable: it compiles, instantiation traps.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engine/engine.h"
#include "spec/script.h"
#include "spec/spectest_host.h"

namespace pgwasm::spec {

struct Failure {
  int line = 0;
  Command::Kind kind = Command::Kind::Module;
  std::string detail;
};

// A module the spec rejects, which V8 rejects but the toolkit's reader
// (wabt) accepts: not a failure, since the project's load path runs both.
struct Discrepancy {
  int line = 0;
  Command::Kind kind = Command::Kind::AssertMalformed;
  std::string text;  // what the spec expects ("malformed UTF-8 encoding")
};

struct FileResult {
  std::string file;
  size_t commands = 0;
  size_t passed = 0;
  size_t failed = 0;
  size_t skipped = 0;
  std::vector<Failure> failures;
  std::vector<Discrepancy> discrepancies;
};

class Runner {
 public:
  // Modules are compiled with `options`: instrumented ones must behave
  // exactly as the originals (with bounds no call reaches).
  Runner(engine::Engine &engine, SpectestHost &spectest, engine::CompileOptions options = {});
  FileResult run(const Script &script);

  // Deadline of the running command: the engine's watchdog stops guest code
  // that runs past it (read from the watchdog thread).
  static bool past_deadline();

 private:
  class ScriptRun;
  engine::Engine &engine_;
  SpectestHost &spectest_;
  engine::CompileOptions options_;
};

}  // namespace pgwasm::spec
