// What host functions do in PostgreSQL, shared by the import modules.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace pgwasm::pg::host {

// Reports a guest's message at a PostgreSQL level (DEBUG1, LOG, INFO,
// NOTICE, WARNING), after `prefix` (the host's own words), within the
// call's share of the log (send_guest_message in guest_call.h).
void guest_log(int elevel, std::string_view text, std::string_view prefix = {});

// Raises an ERROR with the guest's message (SQLSTATE P0001, like RAISE).
[[noreturn]] void guest_raise(std::string_view text);

// Fills the bytes from a cryptographically strong source.
void guest_random(std::span<uint8_t> bytes);

}  // namespace pgwasm::pg::host
