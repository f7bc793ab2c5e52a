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
#include <vector>

namespace pgwasm::pg {

// How much of a guest's text one message shows.
inline constexpr size_t kMessageTextBytes = 8192;

// `utf8` (meant as UTF-8) in the server's encoding: invalid sequences and
// zero bytes become U+FFFD (or '?' where the encoding has no such
// character), characters that the server's or the client's encoding cannot
// hold become '?', and text beyond `max_bytes` is cut, saying how much
// there was.
// While it runs, the values of a wasm FDW's user mapping are secrets:
// message_text shows each (of four or more bytes) as ***.
std::string message_text(std::string_view utf8, size_t max_bytes = kMessageTextBytes);

// `text` with each secret of four or more bytes replaced by ***.
std::string scrub_secrets(std::string text, const std::vector<std::string> &secrets);

// Makes `secrets` the ones message_text hides, for a scope (nested scopes
// add theirs).
class SecretsScope {
 public:
  explicit SecretsScope(const std::vector<std::string> &secrets);
  ~SecretsScope();
  SecretsScope(const SecretsScope &) = delete;
  SecretsScope &operator=(const SecretsScope &) = delete;

 private:
  const SecretsScope *outer_;
  const std::vector<std::string> &secrets_;
  friend std::string message_text(std::string_view, size_t);
};

}  // namespace pgwasm::pg
