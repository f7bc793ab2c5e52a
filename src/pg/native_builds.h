// The native engine's builds as the database keeps them: one cache
// directory per database in the data directory, builds made by background
// workers (so that with wasm.engine = auto no call waits for a compiler: V8
// serves until the build is there), and the builds of dropped or replaced
// modules removed when that commits.
#pragma once

#include <string_view>

#include "pg/pg_headers.h"

namespace pgwasm::pg {

// Starts a background worker that builds the module whose code has this
// sha256 (read from wasm.modules), metered or not; for code this
// transaction loaded, when it commits. False when no worker could be
// started (max_worker_processes, or wasm.native_max_builds is 0), said in
// the log.
bool request_native_build(std::string_view sha256, bool metered);

// When this transaction commits, removes the builds of the module with
// this sha256; call it once no module of the database has that code.
void remove_native_builds_at_commit(std::string_view sha256);

// A load brings code no module of the database had: what is built of it
// from now on stays, unless the (sub)transaction aborts, which removes it;
// background builds asked for meanwhile start when it commits.
void note_code_loaded(std::string_view sha256);

}  // namespace pgwasm::pg

extern "C" {
// The background worker's entry (bgw_function_name).
PGDLLEXPORT void pg_wasm_native_builder_main(Datum arg);
}
