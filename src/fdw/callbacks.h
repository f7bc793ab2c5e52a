// The FDW's callbacks, by what they do; wasm_fdw_handler gathers them.
#pragma once

#include "fdw/fdw_headers.h"

namespace pgwasm::fdw {

void set_plan_callbacks(FdwRoutine *routine);    // plan.cc
void set_scan_callbacks(FdwRoutine *routine);    // scan.cc
void set_modify_callbacks(FdwRoutine *routine);  // modify.cc
void set_import_callbacks(FdwRoutine *routine);  // import_schema.cc

}  // namespace pgwasm::fdw
