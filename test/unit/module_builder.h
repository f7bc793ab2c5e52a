// Builds binary modules byte by byte, for tests that need shapes no text
// file should hold (tens of thousands of nested blocks, huge counts).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace pgwasm::test {

using Bytes = std::vector<uint8_t>;

inline void put_leb(Bytes &out, uint64_t v) {
  do {
    uint8_t b = v & 0x7f;
    v >>= 7;
    out.push_back(v ? b | 0x80 : b);
  } while (v);
}

inline Bytes section(uint8_t id, const Bytes &body) {
  Bytes s{id};
  put_leb(s, body.size());
  s.insert(s.end(), body.begin(), body.end());
  return s;
}

// A module of `count` functions of type (i32) -> i32 with the same `body`
// (locals declarations and instructions, without the size), the first
// exported as "f".
inline Bytes module_with_functions(uint32_t count, const Bytes &body) {
  Bytes m = {0x00, 'a', 's', 'm', 0x01, 0x00, 0x00, 0x00};
  Bytes types = {0x01, 0x60, 0x01, 0x7f, 0x01, 0x7f};
  Bytes funcs;
  put_leb(funcs, count);
  funcs.insert(funcs.end(), count, 0x00);
  Bytes exports = {0x01, 0x01, 'f', 0x00, 0x00};
  Bytes code;
  put_leb(code, count);
  for (uint32_t i = 0; i < count; i++) {
    put_leb(code, body.size());
    code.insert(code.end(), body.begin(), body.end());
  }
  for (const Bytes &s :
       {section(1, types), section(3, funcs), section(7, exports), section(10, code)})
    m.insert(m.end(), s.begin(), s.end());
  return m;
}

// A body of `depth` nested blocks around local.get 0.
inline Bytes nested_blocks(uint32_t depth) {
  Bytes body = {0x00};  // no locals
  for (uint32_t i = 0; i < depth; i++) body.insert(body.end(), {0x02, 0x40});
  for (uint32_t i = 0; i < depth; i++) body.push_back(0x0b);
  body.insert(body.end(), {0x20, 0x00, 0x0b});
  return body;
}

// `depth` nested blocks in the text format, folded or flat.
inline std::string nested_text(uint32_t depth, bool folded) {
  std::string s = "(module (func (export \"f\") ";
  for (uint32_t i = 0; i < depth; i++) s += folded ? "(block " : "block ";
  for (uint32_t i = 0; i < depth; i++) s += folded ? ")" : "end ";
  return s + "))";
}

}  // namespace pgwasm::test
