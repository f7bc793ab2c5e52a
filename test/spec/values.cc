#include "spec/values.h"

#include <bit>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstring>

namespace pgwasm::spec {

namespace {

using engine::Ref;
using engine::Value;

// A canonical NaN has only the quiet bit set in its payload; an arithmetic
// NaN has at least the quiet bit. The sign is free in both.
bool is_nan_of_kind32(uint32_t bits, Expected::Nan kind) {
  uint32_t magnitude = bits & 0x7fffffffu;
  if (kind == Expected::Nan::Canonical) return magnitude == 0x7fc00000u;
  return (magnitude & 0x7fc00000u) == 0x7fc00000u;
}

bool is_nan_of_kind64(uint64_t bits, Expected::Nan kind) {
  uint64_t magnitude = bits & 0x7fffffffffffffffull;
  if (kind == Expected::Nan::Canonical) return magnitude == 0x7ff8000000000000ull;
  return (magnitude & 0x7ff8000000000000ull) == 0x7ff8000000000000ull;
}

template <typename T>
T lane(const Value &v, int i) {
  T x;
  std::memcpy(&x, v.bits.v128 + i * sizeof(T), sizeof(T));
  return x;
}

bool v128_matches(const Value &actual, const Expected &e) {
  if (e.lanes == Expected::Lanes::F32x4) {
    for (int i = 0; i < 4; i++) {
      uint32_t a = lane<uint32_t>(actual, i);
      if (e.nan[i] != Expected::Nan::None ? !is_nan_of_kind32(a, e.nan[i])
                                          : a != lane<uint32_t>(e.value, i))
        return false;
    }
    return true;
  }
  if (e.lanes == Expected::Lanes::F64x2) {
    for (int i = 0; i < 2; i++) {
      uint64_t a = lane<uint64_t>(actual, i);
      if (e.nan[i] != Expected::Nan::None ? !is_nan_of_kind64(a, e.nan[i])
                                          : a != lane<uint64_t>(e.value, i))
        return false;
    }
    return true;
  }
  return std::memcmp(actual.bits.v128, e.value.bits.v128, 16) == 0;
}

std::string hex(uint64_t bits) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%" PRIx64, bits);
  return buf;
}

std::string float_text(double d, uint64_t bits, uint64_t payload_mask) {
  if (std::isnan(d))
    return std::string(std::signbit(d) ? "-" : "") + "nan:" + hex(bits & payload_mask);
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.17g", d);
  return buf;
}

std::string f32_text(uint32_t bits) {
  return float_text(std::bit_cast<float>(bits), bits, 0x7fffff) + " (" + hex(bits) + ")";
}
std::string f64_text(uint64_t bits) {
  return float_text(std::bit_cast<double>(bits), bits, 0xfffffffffffffull) + " (" + hex(bits) + ")";
}

const char *nan_text(Expected::Nan n) {
  return n == Expected::Nan::Canonical ? "nan:canonical" : "nan:arithmetic";
}

std::string v128_text(const Value &v, Expected::Lanes lanes, const Expected::Nan *nan) {
  std::string s = "v128.const ";
  auto lane_nan = [&](int i) { return nan && nan[i] != Expected::Nan::None; };
  switch (lanes) {
    case Expected::Lanes::I8x16:
      s += "i8x16";
      for (int i = 0; i < 16; i++) s += " " + std::to_string(lane<uint8_t>(v, i));
      break;
    case Expected::Lanes::I16x8:
      s += "i16x8";
      for (int i = 0; i < 8; i++) s += " " + std::to_string(lane<uint16_t>(v, i));
      break;
    case Expected::Lanes::I32x4:
      s += "i32x4";
      for (int i = 0; i < 4; i++) s += " " + std::to_string(lane<uint32_t>(v, i));
      break;
    case Expected::Lanes::I64x2:
      s += "i64x2";
      for (int i = 0; i < 2; i++) s += " " + std::to_string(lane<uint64_t>(v, i));
      break;
    case Expected::Lanes::F32x4:
      s += "f32x4";
      for (int i = 0; i < 4; i++)
        s += std::string(" ") + (lane_nan(i) ? nan_text(nan[i]) : f32_text(lane<uint32_t>(v, i)));
      break;
    case Expected::Lanes::F64x2:
      s += "f64x2";
      for (int i = 0; i < 2; i++)
        s += std::string(" ") + (lane_nan(i) ? nan_text(nan[i]) : f64_text(lane<uint64_t>(v, i)));
      break;
  }
  return s;
}

std::string ref_text(const Value &v) {
  switch (v.ref.kind) {
    case Ref::Kind::Null: return v.type == ValType::FuncRef ? "ref.null func" : "ref.null extern";
    case Ref::Kind::Host: return "ref.extern " + std::to_string(v.ref.id);
    case Ref::Kind::Func: return "ref.func #" + std::to_string(v.ref.id);
  }
  return "?";
}

}  // namespace

std::string to_string(const Value &v, const Expected &shape) {
  if (v.type == ValType::V128 && shape.value.type == ValType::V128)
    return v128_text(v, shape.lanes, nullptr);
  return to_string(v);
}

bool matches(const Value &actual, const Expected &e) {
  if (actual.type != e.value.type) return false;
  switch (actual.type) {
    case ValType::I32: return actual.bits.i32 == e.value.bits.i32;
    case ValType::I64: return actual.bits.i64 == e.value.bits.i64;
    case ValType::F32:
      return e.nan[0] != Expected::Nan::None ? is_nan_of_kind32(actual.bits.f32, e.nan[0])
                                             : actual.bits.f32 == e.value.bits.f32;
    case ValType::F64:
      return e.nan[0] != Expected::Nan::None ? is_nan_of_kind64(actual.bits.f64, e.nan[0])
                                             : actual.bits.f64 == e.value.bits.f64;
    case ValType::V128: return v128_matches(actual, e);
    case ValType::FuncRef:
    case ValType::ExternRef:
      if (e.any_func) return actual.ref.kind == Ref::Kind::Func;
      return actual.ref == e.value.ref;
  }
  return false;
}

std::string to_string(const Value &v) {
  switch (v.type) {
    case ValType::I32: return "i32.const " + std::to_string(v.as_i32());
    case ValType::I64: return "i64.const " + std::to_string(v.as_i64());
    case ValType::F32: return "f32.const " + f32_text(v.bits.f32);
    case ValType::F64: return "f64.const " + f64_text(v.bits.f64);
    case ValType::V128: return v128_text(v, Expected::Lanes::I32x4, nullptr);
    case ValType::FuncRef:
    case ValType::ExternRef: return ref_text(v);
  }
  return "?";
}

std::string to_string(const Expected &e) {
  switch (e.value.type) {
    case ValType::F32:
    case ValType::F64:
      if (e.nan[0] != Expected::Nan::None)
        return std::string(e.value.type == ValType::F32 ? "f32.const " : "f64.const ") +
               nan_text(e.nan[0]);
      return to_string(e.value);
    case ValType::V128: return v128_text(e.value, e.lanes, e.nan.data());
    case ValType::FuncRef:
      if (e.any_func) return "ref.func";
      return to_string(e.value);
    default: return to_string(e.value);
  }
}

}  // namespace pgwasm::spec
