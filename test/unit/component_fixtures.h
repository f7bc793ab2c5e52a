// The components the build makes for the tests (test/components), read
// from PGWASM_COMPONENTS_DIR.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

// The bytes of a built component, empty if it is missing.
inline std::vector<uint8_t> component_fixture(const std::string &name) {
  std::ifstream in(std::string(PGWASM_COMPONENTS_DIR) + "/" + name, std::ios::binary);
  if (!in) return {};
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// A missing fixture is a failure, never a skip: the build makes them all
// (test/components; configuring fails without node or jco's wasm-tools).
#define LOAD(var, name)                                               \
  std::vector<uint8_t> var = component_fixture(name);                 \
  ASSERT_FALSE(var.empty()) << name                                   \
                            << " missing from " PGWASM_COMPONENTS_DIR \
                               " (build the target test_components)"
