#include "toolkit/binary.h"

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

ModuleInfo read_module(std::span<const uint8_t> wasm) {
  wabt::Features features;  // wabt's defaults are exactly WebAssembly 2.0
  wabt::ReadBinaryOptions options(features, nullptr, /*read_debug_names=*/false,
                                  /*stop_on_first_error=*/true,
                                  /*fail_on_custom_section_error=*/false);
  wabt::Errors errors;
  wabt::Module module;
  if (wabt::Failed(wabt::ReadBinaryIr("module", wasm.data(), wasm.size(), options, &errors, &module)))
    throw first_error(BinaryError::Kind::Malformed, errors);
  wabt::ValidateOptions vopts(features);
  if (wabt::Failed(wabt::ValidateModule(&module, &errors, vopts)))
    throw first_error(BinaryError::Kind::Invalid, errors);
  try {
    return describe(module);
  } catch (const std::invalid_argument &e) {
    throw BinaryError(BinaryError::Kind::Invalid, 0, e.what());
  }
}

}  // namespace pgwasm::toolkit
