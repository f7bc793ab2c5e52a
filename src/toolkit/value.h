// A WebAssembly value with its exact bits, as engines, hosts and the
// component model's canonical ABI pass it.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>

#include "toolkit/types.h"

namespace pgwasm {

// A reference: null, a host value (externref) or a function known to the
// engine (funcref), both named by an id the engine hands out.
struct Ref {
  enum class Kind : uint8_t { Null, Host, Func };
  Kind kind = Kind::Null;
  uint64_t id = 0;
  bool operator==(const Ref &) const = default;
};

struct Value {
  ValType type = ValType::I32;
  union {
    uint32_t i32;
    uint64_t i64;
    uint32_t f32;  // bits, so NaN payloads survive
    uint64_t f64;  // bits
    uint8_t v128[16];
  } bits{};
  Ref ref;

  static Value make_i32(int32_t v) { return numeric(ValType::I32, static_cast<uint32_t>(v)); }
  static Value make_i64(int64_t v) { return numeric(ValType::I64, static_cast<uint64_t>(v)); }
  static Value make_f32(float v) { return numeric(ValType::F32, std::bit_cast<uint32_t>(v)); }
  static Value make_f64(double v) { return numeric(ValType::F64, std::bit_cast<uint64_t>(v)); }
  static Value make_ref(ValType t, Ref r) {
    Value v;
    v.type = t;
    v.ref = r;
    return v;
  }

  int32_t as_i32() const { return static_cast<int32_t>(bits.i32); }
  int64_t as_i64() const { return static_cast<int64_t>(bits.i64); }
  float as_f32() const { return std::bit_cast<float>(bits.f32); }
  double as_f64() const { return std::bit_cast<double>(bits.f64); }

 private:
  static Value numeric(ValType t, uint64_t raw) {
    Value v;
    v.type = t;
    if (t == ValType::I32 || t == ValType::F32)
      v.bits.i32 = static_cast<uint32_t>(raw);
    else
      v.bits.i64 = raw;
    return v;
  }
};

}  // namespace pgwasm
