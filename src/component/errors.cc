#include "component/errors.h"

#include <cstdio>

namespace pgwasm::component {

static std::string describe(ComponentError::Kind kind, size_t offset, const std::string &msg) {
  const char *what = kind == ComponentError::Kind::Malformed ? "malformed component: "
                     : kind == ComponentError::Kind::Invalid ? "invalid component: "
                                                             : "unsupported component: ";
  char where[64];
  std::snprintf(where, sizeof where, " at byte offset %zu (0x%zx)", offset, offset);
  return what + msg + where;
}

ComponentError::ComponentError(Kind k, size_t off, std::string msg)
    : std::runtime_error(describe(k, off, msg)), kind(k), offset(off), message(std::move(msg)) {}

}  // namespace pgwasm::component
