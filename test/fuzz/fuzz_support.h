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

// The process's engine and the stub imports it has made. One V8 isolate
// serves every input: making one per input would cost more than the input.
class Host {
 public:
  static Host &get();

  engine::Engine &engine() { return *engine_; }

  // Call before each input. The engine keeps every host function it made,
  // and every function reference that crossed into the host (with its
  // instance: a bug, FunctionReferencesDoNotKeepInstancesAlive in
  // test/unit/fuzz_regressions_test.cc), for its whole life; once many have
  // piled up it is replaced by a fresh engine, so that long runs stay as
  // fast as short ones.
  void recycle_if_needed();

  // Counts the function references among values the host received.
  void count_function_refs(std::span<const engine::Value> values);

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
  size_t function_refs_ = 0;  // received since the engine was made
  std::map<std::string, std::shared_ptr<engine::Extern>, std::less<>> stateless_;
};

}  // namespace pgwasm::fuzz
