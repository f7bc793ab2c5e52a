#include "toolkit/binary.h"

#include <memory>

#include "toolkit/wabt_ir.h"
#include "toolkit/worker.h"

namespace pgwasm::toolkit {

// The bytes, owned, for work on a worker thread that may outlive the call.
static std::shared_ptr<const std::vector<uint8_t>> own(std::span<const uint8_t> wasm) {
  return std::make_shared<const std::vector<uint8_t>>(wasm.begin(), wasm.end());
}

// Validates with wabt's IR a module whose scan passed.
static ModuleScan validate(std::span<const uint8_t> wasm, ModuleScan scan) {
  wabt::Module module;
  read_valid_ir(wasm, module);
  return scan;
}

ModuleScan read_module_scan(std::span<const uint8_t> wasm) {
  // First the bounds, then wabt's IR. The IR's destructors recurse once per
  // nested block, about 30 bytes of stack a level: a small module nested
  // no deeper than this is validated in the caller's thread.
  constexpr uint32_t kInlineNesting = 1'000;
  if (wasm.size() <= kInlineWorkBytes) {
    ModuleScan scan = scan_module(wasm);
    if (scan.shape.max_nesting <= kInlineNesting) return validate(wasm, std::move(scan));
  }
  return on_worker([bytes = own(wasm)] { return validate(*bytes, scan_module(*bytes)); });
}

ModuleInfo read_module(std::span<const uint8_t> wasm) {
  return std::move(read_module_scan(wasm).info);
}

ModuleScan describe_module(std::span<const uint8_t> wasm) {
  if (wasm.size() <= kInlineWorkBytes) return scan_module(wasm);
  return on_worker([bytes = own(wasm)] { return scan_module(*bytes); });
}

}  // namespace pgwasm::toolkit
