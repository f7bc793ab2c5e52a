// RFC 3339 date-times as microseconds since the Unix epoch, for FDW guests
// that read and write API timestamps. Calendar arithmetic is our own
// (proleptic Gregorian), not time_t/gmtime: no range limits of time_t, no
// locale, no time zone database, thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace pgwasm::services {

// Microseconds since 1970-01-01T00:00:00Z of an RFC 3339 date-time:
// YYYY-MM-DD, then "T", "t" or a space, then HH:MM:SS, an optional fraction
// of 1 to 9 digits (digits beyond the sixth are truncated), then "Z", "z"
// or an offset +HH:MM / -HH:MM. A leap second (":60", only in a minute
// ":59") is taken as the first instant of the next minute. nullopt for
// anything else, including an instant outside years 0000-9999 UTC.
std::optional<int64_t> parse_rfc3339(std::string_view text);

// "2024-05-01T12:00:00Z", with ".ffffff" (exactly 6 digits) when the
// microseconds are not zero; UTC. Throws std::out_of_range outside years
// 0000-9999.
std::string format_rfc3339(int64_t micros_since_unix_epoch);

}  // namespace pgwasm::services
