// The components the build makes for the tests (test/components), read
// from PGWASM_COMPONENTS_DIR.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <fstream>
#include <initializer_list>
#include <iterator>
#include <span>
#include <string>
#include <string_view>
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

// A component's bytes written by hand: LEB128 numbers, names, sections.
struct Bytes {
  std::vector<uint8_t> b;
  Bytes &u8(std::initializer_list<uint8_t> xs) {
    b.insert(b.end(), xs);
    return *this;
  }
  Bytes &u32(uint32_t v) {
    do {
      uint8_t x = v & 0x7f;
      v >>= 7;
      b.push_back(x | (v ? 0x80 : 0));
    } while (v);
    return *this;
  }
  // A type index as a value type: a signed LEB128 (s33) of a value >= 0.
  Bytes &index(uint32_t v) {
    uint64_t x = v;
    for (;;) {
      uint8_t byte = x & 0x7f;
      x >>= 7;
      if (x == 0 && !(byte & 0x40)) {
        b.push_back(byte);
        return *this;
      }
      b.push_back(byte | 0x80);
    }
  }
  Bytes &name(std::string_view s) {
    u32(static_cast<uint32_t>(s.size()));
    b.insert(b.end(), s.begin(), s.end());
    return *this;
  }
  Bytes &raw(std::span<const uint8_t> s) {
    b.insert(b.end(), s.begin(), s.end());
    return *this;
  }
  Bytes &section(uint8_t id, const Bytes &content) {
    b.push_back(id);
    u32(static_cast<uint32_t>(content.b.size()));
    return raw(content.b);
  }
};
