#include "toolkit/wabt_ir.h"

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

void read_valid_ir(std::span<const uint8_t> wasm, wabt::Module &module) {
  wabt::Features features;  // wabt's defaults are exactly WebAssembly 2.0
  wabt::ReadBinaryOptions options(features, nullptr, /*read_debug_names=*/false,
                                  /*stop_on_first_error=*/true,
                                  /*fail_on_custom_section_error=*/false);
  wabt::Errors errors;
  if (wabt::Failed(
          wabt::ReadBinaryIr("module", wasm.data(), wasm.size(), options, &errors, &module)))
    throw first_error(BinaryError::Kind::Malformed, errors);
  wabt::ValidateOptions validate_options(features);
  if (wabt::Failed(wabt::ValidateModule(&module, &errors, validate_options)))
    throw first_error(BinaryError::Kind::Invalid, errors);
}

}  // namespace pgwasm::toolkit
