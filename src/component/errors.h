// The error a component's bytes get when they cannot be taken apart.
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>

namespace pgwasm::component {

// As toolkit::BinaryError for modules: bytes that cannot be decoded
// (malformed), or that decode but refer to what does not exist or is not
// allowed here (invalid). `offset` counts from the component's first byte;
// `message` says what was expected there.
class ComponentError : public std::runtime_error {
 public:
  enum class Kind { Malformed, Invalid, Unsupported };
  ComponentError(Kind kind, size_t offset, std::string message);
  Kind kind;
  size_t offset;
  std::string message;  // without the location
};

}  // namespace pgwasm::component
