// Values crossing the JS boundary: host functions (the V8 callback behind
// each) and references; the call path passes numbers through the
// trampoline's memory instead (v8_calls.cc).
#include <stdexcept>
#include <vector>

#include "engine/v8/v8_engine.h"
#include "engine/v8/v8_extern.h"
#include "engine/v8/v8_instance.h"

namespace pgwasm::engine::v8impl {

namespace {

class V8HostCall final : public HostCall {
 public:
  explicit V8HostCall(V8Instance *caller) : caller_(caller) {}
  std::span<uint8_t> memory() override {
    return caller_ ? caller_->memory() : std::span<uint8_t>{};
  }

 private:
  V8Instance *caller_;
};

// The V8 callback behind every host function. No C++ exception may cross
// V8's frames: we catch everything, keep it, and make V8 throw instead;
// V8Engine::run_guest rethrows the original once V8 has unwound.
void host_trampoline(const v8::FunctionCallbackInfo<v8::Value> &info) {
  auto *data = static_cast<HostFunctionData *>(info.Data().As<v8::External>()->Value());
  V8Engine &engine = *data->engine;
  v8::Isolate *iso = info.GetIsolate();
  try {
    std::vector<Value> args(data->type.params.size());
    for (size_t k = 0; k < args.size(); k++)
      args[k] = engine.from_js(data->type.params[k], info[static_cast<int>(k)]);
    std::vector<Value> results(data->type.results.size());
    for (size_t k = 0; k < results.size(); k++) results[k].type = data->type.results[k];
    V8HostCall call(engine.current_instance());
    data->callback(call, args, results);
    if (results.size() == 1) {
      info.GetReturnValue().Set(engine.to_js(results[0]));
    } else if (results.size() > 1) {
      v8::Local<v8::Array> arr = v8::Array::New(iso, static_cast<int>(results.size()));
      for (size_t k = 0; k < results.size(); k++)
        arr->Set(iso->GetCurrentContext(), static_cast<uint32_t>(k), engine.to_js(results[k]))
            .Check();
      info.GetReturnValue().Set(arr);
    }
  } catch (...) {
    engine.set_pending_host_error(std::current_exception());
    iso->ThrowException(v8::Exception::Error(js_string(iso, "host function failed")));
  }
}

}  // namespace

std::shared_ptr<Extern> V8Engine::host_function(FuncType type, HostCallback callback) {
  v8::HandleScope scope(isolate_);
  // Host functions are few and made once per engine; the engine keeps their
  // data for its whole life.
  auto &data = host_functions_.emplace_back(
      std::make_unique<HostFunctionData>(HostFunctionData{this, type, std::move(callback)}));
  auto function_template =
      v8::FunctionTemplate::New(isolate_, host_trampoline, v8::External::New(isolate_, data.get()));
  auto fn = function_template->GetFunction(context()).ToLocalChecked();
  return std::make_shared<V8Extern>(isolate_, fn, type);
}

v8::Local<v8::Value> V8Engine::to_js(const Value &v) {
  switch (v.type) {
    case ValType::I32: return v8::Integer::New(isolate_, v.as_i32());
    case ValType::I64: return v8::BigInt::New(isolate_, v.as_i64());
    case ValType::F32: return v8::Number::New(isolate_, v.as_f32());
    case ValType::F64: return v8::Number::New(isolate_, v.as_f64());
    case ValType::V128:
      throw std::invalid_argument("v128 values cannot cross into a host function");
    case ValType::FuncRef:
    case ValType::ExternRef:
      switch (v.ref.kind) {
        case Ref::Kind::Null: return v8::Null(isolate_);
        case Ref::Kind::Host: return v8::Number::New(isolate_, static_cast<double>(v.ref.id));
        case Ref::Kind::Func: return func_ref(v.ref.id);
      }
  }
  return v8::Undefined(isolate_);
}

Value V8Engine::from_js(ValType type, v8::Local<v8::Value> js) {
  auto ctx = context();
  switch (type) {
    case ValType::I32: return Value::make_i32(js->Int32Value(ctx).FromMaybe(0));
    case ValType::I64: {
      v8::Local<v8::BigInt> b;
      if (!js->ToBigInt(ctx).ToLocal(&b)) return Value::make_i64(0);
      return Value::make_i64(b->Int64Value());
    }
    case ValType::F32:
      return Value::make_f32(static_cast<float>(js->NumberValue(ctx).FromMaybe(0)));
    case ValType::F64: return Value::make_f64(js->NumberValue(ctx).FromMaybe(0));
    case ValType::V128:
      throw std::invalid_argument("v128 values cannot cross into a host function");
    case ValType::FuncRef:
    case ValType::ExternRef: {
      if (js->IsNull()) return Value::make_ref(type, {});
      if (type == ValType::ExternRef && js->IsNumber())
        return Value::make_ref(
            type, {Ref::Kind::Host, static_cast<uint64_t>(js.As<v8::Number>()->Value())});
      return Value::make_ref(type, {Ref::Kind::Func, func_ref_id(js)});
    }
  }
  return Value{};
}

// A function reference the host holds is an id: a slot, and the slot's
// generation in the upper half. The slot holds the function weakly, so that
// an id never keeps a function, and its instance, alive; an id whose
// function is gone names nothing, even once its slot serves another.
uint64_t V8Engine::func_ref_id(v8::Local<v8::Value> fn) {
  size_t free_slot = func_refs_.size();
  for (size_t i = 0; i < func_refs_.size(); i++) {
    if (func_refs_[i].handle.IsEmpty()) {
      free_slot = std::min(free_slot, i);
      continue;
    }
    if (func_refs_[i].handle.Get(isolate_)->StrictEquals(fn))
      return (uint64_t{func_refs_[i].generation} << 32) | i;
  }
  if (free_slot == func_refs_.size()) func_refs_.emplace_back();
  FuncRefSlot &slot = func_refs_[free_slot];
  slot.generation++;
  slot.handle.Reset(isolate_, fn);
  slot.handle.SetWeak();
  return (uint64_t{slot.generation} << 32) | free_slot;
}

v8::Local<v8::Value> V8Engine::func_ref(uint64_t id) {
  size_t index = static_cast<uint32_t>(id);
  uint32_t generation = static_cast<uint32_t>(id >> 32);
  if (index >= func_refs_.size() || func_refs_[index].generation != generation ||
      func_refs_[index].handle.IsEmpty())
    throw std::invalid_argument("a function reference whose function is gone");
  return func_refs_[index].handle.Get(isolate_);
}

}  // namespace pgwasm::engine::v8impl
