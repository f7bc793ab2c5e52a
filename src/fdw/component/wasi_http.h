// WASI 0.2's outgoing HTTP on the FDW's client and policies (wasi_http.cc).
#pragma once

namespace pgwasm::fdw {

// Sets pg's outgoing_http hook (from _PG_init).
void register_wasi_http();

}  // namespace pgwasm::fdw
