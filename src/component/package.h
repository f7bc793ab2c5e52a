// A component read as a package of a WIT world: which interface functions
// it exports (lifted from which core export, with which canonical options),
// which imported functions its core code calls (lowered, with which
// options), which resources it drops, and which core module is its main one.
// This is what a host needs to link the package's core modules itself.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "component/model.h"

namespace pgwasm::component {

// Canonical options with their core indices turned into the names the core
// instances export them under (empty when not given).
struct NamedOptions {
  StringEncoding string_encoding = StringEncoding::Utf8;
  std::string memory, realloc, post_return;
  // The core instance exporting the realloc: the main module's, or another
  // module's such as a WASI preview 1 adapter's (cabi_import_realloc).
  std::optional<uint32_t> realloc_instance;
};

struct ExportedFunc {
  std::string interface;           // the component export: "supabase:wrappers/routines@0.1.0"
  std::string name;                // "init"
  const FuncType *type = nullptr;  // in the component's own types, or the nested one's
  // The component whose type index space `type`'s indices refer to: null
  // for the one described, else a component nested in it (wit-component's
  // shim), which stays where it is when the outer Component is moved.
  const Component *scope = nullptr;
  uint32_t core_instance = 0;  // the core instance whose export is lifted
  std::string core_name;       // "supabase:wrappers/routines@0.1.0#init"
  NamedOptions options;
};

struct ImportedFunc {
  std::string interface;  // the component import: "supabase:wrappers/http@0.1.0"
  std::string name;       // "get", "[method]context.get-options"
  NamedOptions options;
};

struct DroppedResource {
  std::string interface;  // the import it comes from
  std::string resource;   // "options"
};

struct Package {
  std::vector<std::string> imports;  // component import names, in order
  std::vector<ExportedFunc> exports;
  std::vector<ImportedFunc> lowered;
  std::vector<DroppedResource> drops;
  std::optional<uint32_t> main_module;  // the core module the exports are lifted from
  // The core instance of the main module: options naming another
  // instance's functions belong to modules the host does not instantiate.
  std::optional<uint32_t> main_instance;
};

// Follows the component's aliases, instantiations and canonical definitions.
// Throws ComponentError (Unsupported, at offset 0 or the definition's) for a
// shape wit-component does not make: a lift of something other than a core
// instance's export, exports from several core instances, ...
Package describe_package(const Component &component);

}  // namespace pgwasm::component
