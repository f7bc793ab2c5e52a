// Modules stored in wasm.modules may be WebAssembly components (a Supabase
// Wasm FDW package): the catalog keeps the component as loaded, with its
// sha256, and the engines compile its main core module. The host links that
// module itself (src/fdw/component), so its shim and fixup modules are never
// instantiated.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "component/errors.h"
#include "component/model.h"
#include "component/package.h"
#include "component/read.h"
#include "component/wit_types.h"

namespace pgwasm::pg {

// A component's exported functions with their WIT types, whose types live
// in `arena`.
struct WitFunctions {
  component::TypeArena arena;
  std::vector<component::WitFunction> functions;
};

struct ComponentPackage {
  std::vector<uint8_t> bytes;
  component::Component component;        // views of `bytes`
  component::Package package;            // pointers into `component`
  std::span<const uint8_t> main_module;  // a view of `bytes`

  // The exported functions with their WIT types, resolved at the first
  // need (an FDW package never needs them) and kept. Throws ComponentError.
  const WitFunctions &wit() const;

 private:
  mutable std::unique_ptr<WitFunctions> wit_;
};

// Reads a component and describes it as a package with a main core module.
// Throws component::ComponentError.
std::shared_ptr<const ComponentPackage> read_component_package(std::span<const uint8_t> bytes);
// The same, taking the bytes rather than copying them, and the core
// modules' descriptions from `facts` where it has them.
std::shared_ptr<const ComponentPackage> read_component_package(
    std::vector<uint8_t> &&bytes, component::CoreModuleFacts *facts = nullptr);

// The core module the engines compile for `code`: `code` itself, or a
// component's main core module (a view of `code`). Throws ComponentError.
std::span<const uint8_t> core_module_of(std::span<const uint8_t> code);

}  // namespace pgwasm::pg
