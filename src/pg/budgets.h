// What one Wasm call may use: wasm.max_fuel and wasm.max_memory.
//
// Both are settings a plain user may set, to lower them only: at the
// session, in a function's SET clause, or per role and database. Raising
// one above the value in effect is for superusers (and their functions),
// which is what makes a superuser's ALTER ROLE or ALTER DATABASE setting a
// ceiling. Both are read at every call.
#pragma once

#include <cstdint>

#include "engine/engine.h"

namespace pgwasm::pg {

// Registers wasm.max_fuel and wasm.max_memory (from _PG_init).
void define_budget_settings();

// The bounds of a call starting now.
engine::CallBounds current_bounds();

// Whether calls now meter fuel (wasm.max_fuel is not 0).
bool fuel_metered();

// wasm.max_fuel as set (0: no limit), and wasm.max_memory in bytes.
int64_t max_fuel();
uint64_t guest_memory_limit();

}  // namespace pgwasm::pg
