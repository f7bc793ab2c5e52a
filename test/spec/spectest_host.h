// The `spectest` module that scripts import from, as the spec's reference
// interpreter defines it: print functions, four immutable globals
// (global_i32, global_i64 = 666; global_f32, global_f64 = 666.6), a funcref
// table of 10 to 20 entries and a memory of 1 to 2 pages.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "engine/engine.h"

namespace pgwasm::spec {

using Exports = std::map<std::string, std::shared_ptr<engine::Extern>, std::less<>>;

class SpectestHost {
 public:
  // Makes the functions and globals, which hold no state and serve every
  // script. `echo` prints each print call's arguments to stdout.
  SpectestHost(engine::Engine &engine, bool echo);

  // The module for one script: the shared functions and globals with a
  // fresh table and memory, so that no script sees another's writes.
  Exports instantiate();

  uint64_t print_calls() const { return print_calls_; }

 private:
  engine::Engine &engine_;
  Exports shared_;
  bool echo_;
  uint64_t print_calls_ = 0;
};

}  // namespace pgwasm::spec
