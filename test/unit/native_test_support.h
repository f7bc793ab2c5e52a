// What the native engine's unit tests share: a cache directory of their own
// and an engine over it with a stack limit set.
#pragma once

#include <stdlib.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>

#include "engine/engine.h"

namespace pgwasm::test {

// A fresh directory under /tmp, removed with everything in it at the end.
struct ScratchDir {
  explicit ScratchDir(const std::string &prefix) {
    std::string name = "/tmp/" + prefix + "_XXXXXX";
    if (!mkdtemp(name.data())) throw std::runtime_error("mkdtemp failed for " + name);
    path = name;
  }
  ~ScratchDir() { std::filesystem::remove_all(path); }
  ScratchDir(const ScratchDir &) = delete;
  ScratchDir &operator=(const ScratchDir &) = delete;
  std::string path;
};

// A native engine as configured, its stack limit a megabyte below here.
inline std::unique_ptr<engine::Engine> native_engine_with(const engine::NativeConfig &config) {
  auto e = engine::make_native_engine({}, config);
  int here;
  e->set_stack_limit(reinterpret_cast<uintptr_t>(&here) - (1 << 20));
  return e;
}

}  // namespace pgwasm::test
