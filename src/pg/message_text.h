// Text a guest or a module supplies, made fit for a message: for the
// server log and for the client, whatever their encodings.
//
// A guest's bytes are whatever it wrote: invalid UTF-8, zero bytes (which
// would cut a C string short), megabytes, characters the database's or the
// client's encoding cannot hold (PostgreSQL would then fail while sending
// the message, and report an error that names nothing). Every message built
// from guest bytes goes through here first.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace pgwasm::pg {

// How much of a guest's text one message shows.
inline constexpr size_t kMessageTextBytes = 8192;

// `utf8` (meant as UTF-8) in the server's encoding: invalid sequences and
// zero bytes become U+FFFD (or '?' where the encoding has no such
// character), characters that the server's or the client's encoding cannot
// hold become '?', and text beyond `max_bytes` is cut, saying how much
// there was.
std::string message_text(std::string_view utf8, size_t max_bytes = kMessageTextBytes);

}  // namespace pgwasm::pg
