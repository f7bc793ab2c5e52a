// Reading a WebAssembly component's binary (component-model
// design/mvp/Binary.md, layer 1, version 0x0d) far enough to take a package
// of a WIT world apart: its core modules, instances, types, aliases,
// canonical definitions, imports and exports.
#pragma once

#include <cstdint>
#include <optional>
#include <span>

#include "component/errors.h"
#include "component/model.h"
#include "toolkit/shape.h"

namespace pgwasm::component {

// True when the bytes start with a component's preamble (a core module's
// has layer 0).
bool is_component(std::span<const uint8_t> bytes);

// Reads and validates a component: every count and length against the
// bytes left, every index against its index space as built so far, alias
// targets against what they name, canonical options (no duplicates,
// indices in range, post-return only on lift), nesting depth; each core
// module is checked by toolkit::describe_module. Custom sections are
// skipped. Throws ComponentError with the byte offset and what was
// expected; Unsupported for what is valid but not used by the worlds this
// reader serves (values, start, core module types, async, threads, ...).
// The result's CoreModule::bytes are views of `bytes`.
Component read_component(std::span<const uint8_t> bytes);

// What a reader of a component may take instead of describing a core
// module itself: another reading of the same bytes, kept by the caller
// (a cache shared by processes, docs/engines.md "Shared caches").
class CoreModuleFacts {
 public:
  virtual ~CoreModuleFacts() = default;
  // The description of core module `index` (`bytes`), if one was kept.
  virtual std::optional<toolkit::ModuleScan> find(uint32_t index,
                                                  std::span<const uint8_t> bytes) = 0;
  // The description just made of it, to keep.
  virtual void keep(uint32_t index, std::span<const uint8_t> bytes,
                    const toolkit::ModuleScan &scan) = 0;
};
Component read_component(std::span<const uint8_t> bytes, CoreModuleFacts *facts);

}  // namespace pgwasm::component
