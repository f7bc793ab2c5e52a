// The native engine's builds as the database keeps them: one cache
// directory per database in the data directory, builds made by background
// workers (so that with wasm.engine = auto no call waits for a compiler: V8
// serves until the build is there), and the builds of dropped or replaced
// modules removed when that commits.
#pragma once

#include <string>
#include <string_view>

#include "pg/pg_headers.h"

namespace pgwasm::pg {

// $PGDATA/pg_wasm_native/<database OID>, made if missing. Per database: a
// module dropped in one must not take away another database's build.
std::string native_cache_dir();

// Starts a background worker that builds the module whose code has this
// sha256 (read from wasm.modules), metered or not. False when no worker
// could be started (max_worker_processes), said in the log.
bool request_native_build(std::string_view sha256, bool metered);

// When this transaction commits, removes the builds of the module with
// this sha256; call it once no module of the database has that code.
void remove_native_builds_at_commit(std::string_view sha256);

}  // namespace pgwasm::pg

extern "C" {
// The background worker's entry (bgw_function_name).
PGDLLEXPORT void pg_wasm_native_builder_main(Datum arg);
}
