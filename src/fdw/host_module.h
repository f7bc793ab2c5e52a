// The FDW's host functions: the "pg_wasm_fdw" import module (host_module.cc)
// and the imports of supabase:wrappers components (component/host_world.cc).
#pragma once

namespace pgwasm::fdw {

// Offers them to guests beside the glue's own (pg/host/host_functions.h);
// from _PG_init.
void register_host_functions();

}  // namespace pgwasm::fdw
