// An extern of the V8 engine: the JS value that stands for it (an exported
// function, a WebAssembly.Global, .Memory or .Table) and its type.
#pragma once

#include <v8.h>

#include "engine/engine.h"

namespace pgwasm::engine::v8impl {

class V8Extern final : public Extern {
 public:
  V8Extern(v8::Isolate *iso, v8::Local<v8::Value> value, ExternType type)
      : value_(iso, value), type_(std::move(type)) {}
  ExternType type() const override { return type_; }
  v8::Global<v8::Value> value_;
  ExternType type_;
  // An export of an instance whose functions may be compiled only with
  // Liftoff (V8Instance::needs_liftoff_): so may its importers'.
  bool needs_liftoff_ = false;
};

}  // namespace pgwasm::engine::v8impl
