#include "engine/native/build_bounds.h"

namespace pgwasm::engine::native {

std::optional<std::string> build_refusal(const toolkit::ModuleShape &shape) {
  // wasm2c 1.0.32 has no SIMD (it aborts on such a module).
  if (shape.uses_simd)
    return "the native engine cannot build SIMD instructions or v128 values (wasm2c 1.0.32 does "
           "not translate them)";
  // "too costly to build natively: function 3 has 5000 branches (at most 4000)"
  auto refusal = [](const std::string &who, uint64_t have, const std::string &what, uint64_t most) {
    return "too costly to build natively: " + who + " " + std::to_string(have) + " " + what +
           " (at most " + std::to_string(most) + ")";
  };
  uint64_t branches = 0, targets = 0, code = 0;
  for (size_t i = 0; i < shape.defined.size(); i++) {
    const auto &f = shape.defined[i];
    uint32_t plain = f.branches - f.table_targets;
    if (plain > kMaxFunctionBranches)
      return refusal("function " + std::to_string(shape.imported_functions + i) + " has", plain,
                     "branches", kMaxFunctionBranches);
    branches += plain;
    targets += f.table_targets;
    code += f.body_bytes;
  }
  if (branches > kMaxModuleBranches)
    return refusal("its functions have", branches, "branches", kMaxModuleBranches);
  if (targets > kMaxTableTargets)
    return refusal("its br_tables have", targets, "targets", kMaxTableTargets);
  if (shape.data_bytes > kMaxDataBytes)
    return refusal("its data segments hold", shape.data_bytes, "bytes", kMaxDataBytes);
  if (code > kMaxCodeBytes) return refusal("its code has", code, "bytes", kMaxCodeBytes);
  return std::nullopt;
}

}  // namespace pgwasm::engine::native
