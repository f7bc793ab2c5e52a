// A component of the world supabase:wrappers as an FDW guest (docs/components.md):
// the routines' MessagePack (docs/fdw.md) on one side, the component's
// canonical ABI on the other. The host links the component's main core
// module itself, binding each lowered import to a host function by its core
// import name (both forms current tools emit).
#pragma once

#include <string>
#include <vector>

#include "fdw/guest.h"
#include "pg/component_code.h"
#include "pg/host/host_functions.h"

namespace pgwasm::fdw {

// Whether a component package has the routine.
bool component_exports(const pg::ComponentPackage &package, Routine r);

// The host functions of the world's imports, for every naming form and
// version, offered beside the glue's own (fdw/host_module.h).
std::vector<pg::host::HostFunction> component_host_functions();

// CREATE FOREIGN TABLE statements as a component's import-foreign-schema
// gives them, parsed (never executed) into the MessagePack tables of
// fdw_import_foreign_schema. Refuses anything but one CREATE FOREIGN TABLE
// per statement. Throws SqlError (via `guest.fail`).
std::string import_statements_to_tables(const FdwGuest &guest,
                                        const std::vector<std::string> &statements);

}  // namespace pgwasm::fdw
