#include "toolkit/global_module.h"

#include <bit>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <string>

#include "toolkit/text.h"

namespace pgwasm::toolkit {

template <typename T>
static T load(std::span<const uint8_t, 16> bits, size_t lane = 0) {
  T v;
  std::memcpy(&v, bits.data() + lane * sizeof(T), sizeof(T));
  return v;
}

// A float literal that the text format reads back to exactly these bits:
// NaNs with their payload, everything else as an exact hexadecimal float.
template <typename Bits, typename Float>
static std::string float_literal(Bits raw, int mantissa_bits) {
  Float f = std::bit_cast<Float>(raw);
  std::string sign = std::signbit(f) ? "-" : "";
  if (std::isnan(f)) {
    char payload[32];
    std::snprintf(payload, sizeof payload, "0x%llx",
                  static_cast<unsigned long long>(raw & ((Bits(1) << mantissa_bits) - 1)));
    return sign + "nan:" + payload;
  }
  if (std::isinf(f)) return sign + "inf";
  char hex[64];
  std::snprintf(hex, sizeof hex, "%a", static_cast<double>(std::fabs(f)));
  return sign + hex;
}

static std::string constant(ValType type, std::span<const uint8_t, 16> bits) {
  switch (type) {
    case ValType::I32: return "i32.const " + std::to_string(load<uint32_t>(bits));
    case ValType::I64: return "i64.const " + std::to_string(load<uint64_t>(bits));
    case ValType::F32:
      return "f32.const " + float_literal<uint32_t, float>(load<uint32_t>(bits), 23);
    case ValType::F64:
      return "f64.const " + float_literal<uint64_t, double>(load<uint64_t>(bits), 52);
    case ValType::V128: {
      std::string s = "v128.const i32x4";
      for (size_t lane = 0; lane < 4; lane++) s += " " + std::to_string(load<uint32_t>(bits, lane));
      return s;
    }
    default: throw std::invalid_argument("the global module holds numeric globals only");
  }
}

std::vector<uint8_t> make_global_module(GlobalType type, std::span<const uint8_t, 16> bits) {
  std::string t(to_string(type.type));
  if (type.is_mutable) t = "(mut " + t + ")";
  return assemble_wat("(module (global (export \"" + std::string(GlobalModule::kExport) + "\") " +
                      t + " (" + constant(type.type, bits) + ")))");
}

}  // namespace pgwasm::toolkit
