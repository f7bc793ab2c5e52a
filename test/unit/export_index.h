// The index of an instance's export by name, for tests that call exports.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

#include "engine/engine.h"

namespace pgwasm::test {

inline uint32_t export_index(const engine::Instance &inst, std::string_view name) {
  const auto &ex = inst.info().exports;
  for (uint32_t i = 0; i < ex.size(); i++)
    if (ex[i].name == name) return i;
  throw std::runtime_error("no export " + std::string(name));
}

}  // namespace pgwasm::test
