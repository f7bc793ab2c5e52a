#include "toolkit/binary.h"

#include <cstring>

#include "toolkit/wabt_convert.h"
#include "wabt/binary-reader-ir.h"
#include "wabt/binary-reader.h"
#include "wabt/feature.h"
#include "wabt/validator.h"

namespace pgwasm::toolkit {

static BinaryError first_error(BinaryError::Kind kind, const wabt::Errors &errors) {
  for (const auto &e : errors)
    if (e.error_level == wabt::ErrorLevel::Error) return BinaryError(kind, e.loc.offset, e.message);
  return BinaryError(kind, 0, "unknown error");
}

static void decode(std::span<const uint8_t> wasm, wabt::Module &module) {
  wabt::Features features;  // wabt's defaults are exactly WebAssembly 2.0
  wabt::ReadBinaryOptions options(features, nullptr, /*read_debug_names=*/false,
                                  /*stop_on_first_error=*/true,
                                  /*fail_on_custom_section_error=*/false);
  wabt::Errors errors;
  if (wabt::Failed(
          wabt::ReadBinaryIr("module", wasm.data(), wasm.size(), options, &errors, &module)))
    throw first_error(BinaryError::Kind::Malformed, errors);
}

ModuleInfo read_module(std::span<const uint8_t> wasm) {
  wabt::Features features;
  wabt::Errors errors;
  wabt::Module module;
  decode(wasm, module);
  wabt::ValidateOptions vopts(features);
  if (wabt::Failed(wabt::ValidateModule(&module, &errors, vopts)))
    throw first_error(BinaryError::Kind::Invalid, errors);
  try {
    return describe(module);
  } catch (const std::invalid_argument &e) {
    throw BinaryError(BinaryError::Kind::Invalid, 0, e.what());
  }
}

static ValueBits const_bits(const wabt::Const &c) {
  ValueBits bits{};
  auto put = [&bits](auto v) { std::memcpy(bits.data(), &v, sizeof v); };
  switch (c.type()) {
    case wabt::Type::I32: put(c.u32()); break;
    case wabt::Type::I64: put(c.u64()); break;
    case wabt::Type::F32: put(c.f32_bits()); break;
    case wabt::Type::F64: put(c.f64_bits()); break;
    case wabt::Type::V128: put(c.vec128()); break;
    default: break;
  }
  return bits;
}

std::vector<std::optional<ValueBits>> constant_global_exports(std::span<const uint8_t> wasm) {
  wabt::Module module;
  decode(wasm, module);
  std::vector<std::optional<ValueBits>> out;
  for (const auto *e : module.exports) {
    out.emplace_back();
    if (e->kind != wabt::ExternalKind::Global) continue;
    wabt::Index index = module.GetGlobalIndex(e->var);
    if (index < module.num_global_imports || index >= module.globals.size()) continue;
    const wabt::ExprList &init = module.globals[index]->init_expr;
    if (init.size() != 1 || init.front().type() != wabt::ExprType::Const) continue;
    out.back() = const_bits(wabt::cast<wabt::ConstExpr>(&init.front())->const_);
  }
  return out;
}

}  // namespace pgwasm::toolkit
