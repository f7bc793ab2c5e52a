// What WASI preview 1 (wasi.cc) and WASI 0.2 (wasi_p2.cc) share: a guest's
// standard output as lines in the server log, and sleeping until a
// deadline.
#pragma once

#include <cstdint>
#include <string_view>

#include "pg/host/guest_call.h"

namespace pgwasm::pg::host {

// Appends `data` written to fd 1 (stdout) or 2 (stderr) to the stream's
// unfinished line, sending each line it completes to the log (within the
// call's share: past it, output is only counted).
void append_output(GuestCall &gc, int fd, std::string_view data);

// CLOCK_MONOTONIC in nanoseconds.
uint64_t monotonic_now();

// Sleeps until CLOCK_MONOTONIC reaches `deadline` (nanoseconds); cancel,
// statement_timeout and termination stop it (engine::Interrupted).
void sleep_until(uint64_t deadline);

}  // namespace pgwasm::pg::host
