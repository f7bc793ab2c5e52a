// A component's exported functions with their WIT types, as a host that
// calls them from SQL needs them: every value type resolved out of the
// component's own type index spaces (through imports, exports, aliases and
// nested components) into cabi_layout.h's Type, with the names WIT gave
// records, variants, enums and flags. Knows nothing of PostgreSQL.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "component/cabi_layout.h"
#include "component/model.h"
#include "component/package.h"

namespace pgwasm::component {

struct WitFunction {
  std::string interface;  // "" for a function of the world, else "my:pkg/text@1.0.0"
  std::string name;       // "slugify"
  std::vector<std::string> param_names;
  Signature sig;            // its types live in the arena given to wit_functions
  size_t export_index = 0;  // into Package::exports
  // Why the function cannot be called from SQL (a resource, future or stream
  // in its type), naming the parameter or result: "parameter 1 (r) has type
  // own<blob>: resources stay inside the component". nullopt when it can.
  std::optional<std::string> refusal;

  // "slugify" or "my:pkg/text@1.0.0#slugify".
  std::string full_name() const { return interface.empty() ? name : interface + "#" + name; }
};

// Every exported function of the package, in Package::exports order. Type
// resolution is bounded (nesting depth, type count: ComponentError past
// them), never recursive without a bound. Throws ComponentError for a type
// the reader accepted but that cannot be resolved.
std::vector<WitFunction> wit_functions(const Component &component, const Package &package,
                                       TypeArena &arena);

}  // namespace pgwasm::component
