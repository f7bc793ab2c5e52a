// The "wasi_snapshot_preview1" import module: a WASI subset.
#include <vector>

#include "pg/host/host_functions.h"

namespace pgwasm::pg::host {

std::vector<HostFunction> wasi_functions() { return {}; }

}  // namespace pgwasm::pg::host
