#include <optional>
#include <string>
#include <vector>

#include "pg/host_imports.h"

namespace pgwasm::pg {

// The host offers no imports yet: modules must be self-contained.
std::optional<std::string> unsatisfied_import(const ImportDesc &import) {
  return "the host provides no module \"" + import.module + "\"";
}

std::optional<std::string> check_imports(const ModuleInfo &info) {
  for (const auto &imp : info.imports) {
    if (auto why = unsatisfied_import(imp))
      return "import \"" + imp.module + "\".\"" + imp.name + "\" (" + to_string(imp.type) +
             ") is not provided: " + *why;
  }
  return std::nullopt;
}

std::vector<std::shared_ptr<engine::Extern>> resolve_imports(engine::Engine &engine,
                                                             const ModuleInfo &info) {
  if (auto missing = check_imports(info)) throw engine::LinkError(*missing);
  return {};
}

}  // namespace pgwasm::pg
