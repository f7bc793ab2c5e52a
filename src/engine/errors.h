// What can go wrong inside the engine. The host turns these into its own
// errors (for PostgreSQL: an ERROR with a SQLSTATE).
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

#include "toolkit/errors.h"

namespace pgwasm::engine {

class EngineError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The engine refused the module's bytes.
class CompileError : public EngineError {
 public:
  using EngineError::EngineError;
};

// Instantiation failed: an import does not fit, or a segment does not fit
// its memory or table.
class LinkError : public EngineError {
 public:
  using EngineError::EngineError;
};

// The guest trapped. `frames` is the guest's call stack, innermost first.
class Trap : public EngineError {
 public:
  enum class Kind {
    Unreachable,
    MemoryOutOfBounds,
    TableOutOfBounds,
    DivideByZero,
    IntegerOverflow,
    InvalidConversion,
    IndirectCallMismatch,  // null entry or signature mismatch in call_indirect
    StackExhausted,
    OutOfMemory,    // a linear memory could not be allocated
    HeapExhausted,  // the engine's own heap (instances, tables) is full
    FuelExhausted,  // the call's instruction budget ran out (CallBounds::fuel)
    Other,
  };
  Trap(Kind k, std::string message, std::vector<std::string> frames = {})
      : EngineError(std::move(message)), kind(k), frames(std::move(frames)) {}
  Kind kind;
  std::vector<std::string> frames;
};

// The call was stopped from outside (cancel, timeout) before it finished:
// the toolkit's Interrupted, so that one catch takes it from either.
using toolkit::Interrupted;

}  // namespace pgwasm::engine
