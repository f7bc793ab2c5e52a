// With wasm.engine = auto, a module's calls run on V8 until a background
// worker has built it natively (native_builds.h), and natively from the next
// statement on that has not run it on V8 yet: one SQL call is several guest
// calls (arguments in, the call, results out) whose pointers hold in one
// instance only, so a switch never happens inside a statement.
#pragma once

#include <cstdint>
#include <string>

#include "engine/engine.h"
#include "pg/engines.h"

namespace pgwasm::pg {

// One module's way from V8 to its native build, for the calls of one
// metering (wasm.max_fuel): the build this session waits for, and the
// statement that last ran the module on V8.
class NativeSwitch {
 public:
  // Whether calls run natively from now on.
  bool switched() const { return switched_; }

  // Whether to try loading the native build now: not while it has failed,
  // nor, while waiting, before its file is there (looked for every 100 ms;
  // its state asked from the files beside it once in a while).
  bool worth_loading(const std::string &module, const std::string &sha256, bool metered);
  // Loading it found no build: wait for it, ask a worker for it, or give up.
  void not_built(const std::string &module, const std::string &sha256, bool metered,
                 const engine::NotBuilt &e);

  // The engine for a call now (`calling`), or for a question about calls,
  // the native build being there (`built`) or not. Sets `switched_now` when
  // calls switch to native for good: the caller's V8 instances of this
  // metering serve no more calls.
  EngineKind engine_for_call(bool built, bool calling, bool &switched_now);

 private:
  // What to do about a build that is not there: wait, ask a worker for it,
  // or give up (Failed: on V8, said in the log).
  void note_not_built(const std::string &module, const std::string &sha256, bool metered,
                      engine::NotBuilt::State state, const std::string &failure, int64_t now);

  enum class State : uint8_t { Unasked, Waiting, Failed } state_ = State::Unasked;
  std::string artifact_;   // there once built
  int64_t next_look_ = 0;  // TimestampTz
  int64_t asked_at_ = 0;   // when its state was last asked
  int64_t requested_at_ = 0;
  int requests_ = 0;
  int64_t v8_statement_ = 0;  // the statement (start time) that last ran it on V8
  bool switched_ = false;     // calls run natively from now on
};

}  // namespace pgwasm::pg
