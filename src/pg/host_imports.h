// The imports the host offers to modules, and their resolution.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/engine.h"
#include "toolkit/types.h"

namespace pgwasm::pg {

// Why the host cannot satisfy this import, or nullopt if it can.
std::optional<std::string> unsatisfied_import(const ImportDesc &import);

// The first import of the module the host cannot satisfy, as an error
// message, or nullopt if all are satisfied.
std::optional<std::string> check_imports(const ModuleInfo &info);

// The externs to instantiate `info` with, in import order.
std::vector<std::shared_ptr<engine::Extern>> resolve_imports(engine::Engine &engine,
                                                             const ModuleInfo &info);

}  // namespace pgwasm::pg
