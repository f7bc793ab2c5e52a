// A SQL function bound to a function a component exports
// (docs/components-sql.md): which WIT function the AS string names, the core
// exports that carry it (the lifted function, realloc, post-return), and a
// ValueMap for each parameter and for the result.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "component/wit_types.h"
#include "pg/abi/component_values.h"
#include "pg/loaded_module.h"
#include "pg/sql_function.h"

namespace pgwasm::pg {

struct ComponentBinding {
  // The package the function's types live in: kept alive with the binding.
  std::shared_ptr<const ComponentPackage> package;
  const component::WitFunction *fn = nullptr;
  std::string full_name;    // "my:pkg/text@1.0.0#slugify"
  uint32_t core_index = 0;  // the lifted core export, in the main module
  std::string core_name;
  FuncType core_type;
  std::optional<uint32_t> realloc_index;
  std::optional<uint32_t> post_return_index;
  std::vector<std::unique_ptr<ValueMap>> params;
  // The result's map (null with RETURNS void); with SETOF, an element's
  // (or row_map's for rows).
  std::unique_ptr<ValueMap> result;
  std::unique_ptr<RowMap> row_map;
  // SETOF over list<T> (or result<list<T>, E>): one row per element.
  bool set_of_list = false;
  // The result type is result<_, E>: an error is raised (SETOF).
  const component::Type *result_error_type = nullptr;
  bool result_is_result = false;
  // Calls moving a string (or list<u8>) in and out, which skip Value trees.
  enum class Fast : uint8_t { None, StringToString, BytesToBytes } fast = Fast::None;
};

// Binds `fn` to the component function its AS string names in `module` (a
// component), looking the name up as docs/components-sql.md says: exact,
// a world function, then unique short forms. Throws SqlError: 42883 when no
// function has the name (listing what the component exports), 42725 when
// several do, 0A000 for a function SQL cannot call, 42804 and 42P13 when
// the SQL signature does not fit the WIT one. The maps live in `mcxt`.
std::unique_ptr<ComponentBinding> bind_component_export(const SqlFunction &fn,
                                                        const LoadedModule &module,
                                                        MemoryContext mcxt);

// Checks `fn` against `module` as the module's kind says: a component's
// function or a core export. Throws SqlError.
void check_function_binding(const SqlFunction &fn, const LoadedModule &module);

}  // namespace pgwasm::pg
