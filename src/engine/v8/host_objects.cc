// Globals, memories and tables made by the host (Engine::host_global,
// host_memory, host_table).
#include <stdexcept>
#include <string>

#include "engine/v8/traps.h"
#include "engine/v8/v8_engine.h"
#include "engine/v8/v8_extern.h"
#include "toolkit/global_module.h"

namespace pgwasm::engine::v8impl {

namespace {

// The JS API's name of a reference type, in descriptors.
const char *js_ref_type(ValType t) {
  return t == ValType::FuncRef ? "anyfunc" : "externref";
}

v8::Local<v8::Object> limits_descriptor(v8::Isolate *iso, const Limits &limits) {
  auto ctx = iso->GetCurrentContext();
  v8::Local<v8::Object> d = v8::Object::New(iso);
  d->Set(ctx, js_string(iso, "initial"), v8::Number::New(iso, static_cast<double>(limits.min)))
      .Check();
  if (limits.max)
    d->Set(ctx, js_string(iso, "maximum"), v8::Number::New(iso, static_cast<double>(*limits.max)))
        .Check();
  return d;
}

}  // namespace

v8::Local<v8::Object> V8Engine::construct(std::string_view name,
                                          std::span<v8::Local<v8::Value>> args) {
  auto ctx = context();
  v8::TryCatch tc(isolate_);
  v8::Local<v8::Value> ctor;
  v8::Local<v8::Object> obj;
  if (!wasm_namespace_.Get(isolate_)->Get(ctx, js_string(isolate_, name)).ToLocal(&ctor) ||
      !ctor.As<v8::Function>()
           ->NewInstance(ctx, static_cast<int>(args.size()), args.data())
           .ToLocal(&obj))
    throw LinkError("cannot create WebAssembly." + std::string(name) + ": " +
                    exception_message(isolate_, tc));
  return obj;
}

std::shared_ptr<Extern> V8Engine::host_global(GlobalType type, const Value &initial) {
  if (initial.type != type.type)
    throw std::invalid_argument("initial value of type " + std::string(to_string(initial.type)) +
                                " for a global of type " + std::string(to_string(type.type)));
  v8::HandleScope scope(isolate_);
  auto ctx = context();
  v8::Local<v8::Value> global;
  if (is_ref(type.type)) {
    // A reference is a JS value already: the constructor keeps it as is.
    v8::Local<v8::Object> d = v8::Object::New(isolate_);
    d->Set(ctx, js_string(isolate_, "value"), js_string(isolate_, js_ref_type(type.type))).Check();
    d->Set(ctx, js_string(isolate_, "mutable"), v8::Boolean::New(isolate_, type.is_mutable))
        .Check();
    v8::Local<v8::Value> args[] = {d, to_js(initial)};
    global = construct("Global", args);
  } else {
    // A number would go through a JS number (NaN payloads lost, no v128):
    // a generated module defines the global with the exact bits instead.
    auto bits = std::span<const uint8_t, 16>(reinterpret_cast<const uint8_t *>(&initial.bits), 16);
    auto module = compile_v8(isolate_, toolkit::make_global_module(type, bits));
    auto exports = new_instance(module, v8::Object::New(isolate_), nullptr);
    global =
        exports->Get(ctx, js_string(isolate_, toolkit::GlobalModule::kExport)).ToLocalChecked();
  }
  return std::make_shared<V8Extern>(isolate_, global, type);
}

std::shared_ptr<Extern> V8Engine::host_memory(MemoryType type) {
  v8::HandleScope scope(isolate_);
  v8::Local<v8::Object> d = limits_descriptor(isolate_, type.limits);
  if (type.shared) d->Set(context(), js_string(isolate_, "shared"), v8::True(isolate_)).Check();
  v8::Local<v8::Value> args[] = {d};
  return std::make_shared<V8Extern>(isolate_, construct("Memory", args), type);
}

std::shared_ptr<Extern> V8Engine::host_table(TableType type) {
  if (!is_ref(type.element)) throw std::invalid_argument("a table holds references only");
  v8::HandleScope scope(isolate_);
  v8::Local<v8::Object> d = limits_descriptor(isolate_, type.limits);
  d->Set(context(), js_string(isolate_, "element"), js_string(isolate_, js_ref_type(type.element)))
      .Check();
  // Without an initial value, the JS API fills an externref table with
  // undefined, which is not a null reference.
  v8::Local<v8::Value> args[] = {d, v8::Null(isolate_)};
  return std::make_shared<V8Extern>(isolate_, construct("Table", args), type);
}

}  // namespace pgwasm::engine::v8impl
