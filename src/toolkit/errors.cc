#include "toolkit/errors.h"

#include <cstdio>

#include "toolkit/name_text.h"

namespace pgwasm::toolkit {

static std::string describe_binary(BinaryError::Kind kind, size_t offset, const std::string &msg) {
  char where[64];
  std::snprintf(where, sizeof where, " at byte offset %zu (0x%zx)", offset, offset);
  return std::string(kind == BinaryError::Kind::Malformed ? "malformed module: "
                                                          : "invalid module: ") +
         msg + where;
}

// wabt's messages quote the module's names as they are, zero bytes included.
BinaryError::BinaryError(Kind k, size_t off, std::string msg)
    : std::runtime_error(describe_binary(k, off, escaped_controls(msg))),
      kind(k),
      offset(off),
      message(escaped_controls(msg)) {}

TextError::TextError(int l, int c, std::string msg, Kind k)
    : std::runtime_error("line " + std::to_string(l) + ", column " + std::to_string(c) + ": " +
                         escaped_controls(msg)),
      kind(k),
      line(l),
      column(c),
      message(escaped_controls(msg)) {}

}  // namespace pgwasm::toolkit
