// Errors the toolkit reports about a module's bytes or text, and the one
// every layer throws when work is stopped from outside.
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>

namespace pgwasm::toolkit {

// A binary that cannot be decoded (malformed) or that decodes but breaks the
// validation rules (invalid). `offset` is the byte offset wabt reported.
class BinaryError : public std::runtime_error {
 public:
  enum class Kind { Malformed, Invalid };
  BinaryError(Kind kind, size_t offset, std::string message);
  Kind kind;
  size_t offset;
  std::string message;  // without the location
};

// A text-format module with a syntax error (malformed) or a validation error
// (invalid) at line:column.
class TextError : public std::runtime_error {
 public:
  enum class Kind { Malformed, Invalid };
  TextError(int line, int column, std::string message, Kind kind = Kind::Malformed);
  Kind kind;
  int line;
  int column;
  std::string message;  // without the location
};

// Work was stopped from outside (a cancel, a timeout, a module dropped
// under its build) before it finished: toolkit work a caller stopped
// waiting for (worker.h), or guest code or a build an engine stopped. The
// engine's name for it is engine::Interrupted, the same type. Not an
// engine::EngineError: catch it by this name.
class Interrupted : public std::runtime_error {
 public:
  Interrupted() : std::runtime_error("execution interrupted") {}
};

}  // namespace pgwasm::toolkit
