// What the fuzz targets share: how they report a broken promise, one engine
// per process with a deadline for guest code, and stub imports.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/engine.h"
#include "toolkit/types.h"

namespace pgwasm::fuzz {

// Reports a broken promise (a generated or rewritten module that does not
// read back, a wrong value...) and aborts, so that libFuzzer keeps the input.
[[noreturn]] void fail(std::string_view what, std::string_view detail = {});

// The value whose bits are all zero (null for references).
engine::Value zero_value(ValType type);

// Guest code started while a Deadline lives stops with engine::Interrupted
// once `budget` has passed, so an input that loops forever costs only that.
class Deadline {
 public:
  explicit Deadline(std::chrono::milliseconds budget);
  ~Deadline();
  Deadline(const Deadline &) = delete;
  Deadline &operator=(const Deadline &) = delete;
};

// Whether the current Deadline has passed: an EngineConfig's
// interrupt_requested, for an engine other than Host's.
bool past_deadline();

// The process's engine and the stub imports it has made. One V8 isolate
// serves every input: making one per input would cost more than the input.
class Host {
 public:
  static Host &get();

  engine::Engine &engine() { return *engine_; }

  // Call before each input. The engine keeps every host function it made
  // for its whole life, and V8 keeps some of every module it compiled until
  // the isolate goes (the fuzz process grew by 10 KB an input, to libFuzzer's
  // 2 GB limit in five minutes; a PostgreSQL session replacing a module 4,000
  // times stays flat): after a while the engine is replaced by a fresh one,
  // so that long runs stay as fast and as small as short ones.
  void recycle_if_needed();

  // Imports for a module that needs `imports`: host functions that return
  // zeros, globals holding zero (or null), fresh zeroed memories and null
  // tables. Stateless stubs (functions, immutable globals) are shared
  // between inputs; the others are new each time, so that no input sees
  // another's writes. Throws engine::LinkError when the engine cannot make
  // one (limits too large for it).
  std::vector<std::shared_ptr<engine::Extern>> stub_imports(const std::vector<ImportDesc> &imports);

 private:
  Host();
  std::unique_ptr<engine::Engine> engine_;
  size_t inputs_ = 0;  // run since the engine was made
  std::map<std::string, std::shared_ptr<engine::Extern>, std::less<>> stateless_;
};

}  // namespace pgwasm::fuzz
