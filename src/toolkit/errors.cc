#include "toolkit/errors.h"

#include <cstdio>

namespace pgwasm::toolkit {

static std::string describe_binary(BinaryError::Kind kind, size_t offset, const std::string &msg) {
  char where[64];
  std::snprintf(where, sizeof where, " at byte offset %zu (0x%zx)", offset, offset);
  return std::string(kind == BinaryError::Kind::Malformed ? "malformed module: "
                                                          : "invalid module: ") +
         msg + where;
}

BinaryError::BinaryError(Kind k, size_t off, std::string msg)
    : std::runtime_error(describe_binary(k, off, msg)),
      kind(k),
      offset(off),
      message(std::move(msg)) {}

TextError::TextError(int l, int c, std::string msg, Kind k)
    : std::runtime_error("line " + std::to_string(l) + ", column " + std::to_string(c) + ": " +
                         msg),
      kind(k),
      line(l),
      column(c),
      message(std::move(msg)) {}

}  // namespace pgwasm::toolkit
