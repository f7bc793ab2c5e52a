// Calls into a V8 instance through its trampoline (numbers pass through
// the trampoline's memory), reading its exports and globals, and its
// traps rethrown as the engine's.
#include <cstring>
#include <string>

#include "engine/v8/traps.h"
#include "engine/v8/v8_engine.h"
#include "engine/v8/v8_extern.h"
#include "engine/v8/v8_instance.h"
#include "toolkit/trampoline.h"

namespace pgwasm::engine::v8impl {

using toolkit::CallTrampoline;

// The control slot holds the bounds: the trampoline reads them at every
// call, so setting them costs two stores.
void V8Instance::set_bounds(const CallBounds &bounds) {
  uint8_t *control = slots_ + module_->control_offset_;
  std::memcpy(control, &bounds.fuel, sizeof bounds.fuel);
  std::memcpy(control + 8, &bounds.max_pages, sizeof bounds.max_pages);
}

void V8Instance::rethrow_trap() {
  try {
    throw;
  } catch (const Trap &t) {
    if (!module_->controls_.fuel || t.kind != Trap::Kind::Unreachable) throw;
    // An instrumented module traps with `unreachable` when fuel runs out,
    // having left the counter negative in its global.
    v8::Isolate *iso = engine_.isolate();
    v8::HandleScope scope(iso);
    auto reader = fuel_reader_.Get(iso);
    if (reader->Call(engine_.context(), v8::Undefined(iso), 0, nullptr).IsEmpty()) throw;
    int64_t fuel;
    std::memcpy(&fuel, slots_ + module_->control_offset_, sizeof fuel);
    if (fuel >= 0) throw;
    throw Trap(Trap::Kind::FuelExhausted, "out of fuel", t.frames);
  }
}

void V8Instance::call(uint32_t export_index, const Value *args, Value *results) {
  const FuncType *type =
      export_index < module_->func_types_.size() ? module_->func_types_[export_index] : nullptr;
  if (!type)
    throw std::invalid_argument("export " + std::to_string(export_index) + " is not a function");
  if (module_->table_growth_room_ > 0)
    need_room(kWorkRoom + module_->table_growth_room_, "the instance's tables to grow");
  if (module_->has_refs_[export_index]) return call_with_refs(export_index, *type, args, results);
  v8::Isolate *iso = engine_.isolate();
  v8::HandleScope scope(iso);
  // Every value travels as a whole 16-byte slot: no per-type work.
  static_assert(sizeof(Value::bits) == CallTrampoline::kSlotSize);
  for (size_t k = 0; k < type->params.size(); k++)
    std::memcpy(slots_ + k * CallTrampoline::kSlotSize, &args[k].bits, CallTrampoline::kSlotSize);
  auto fn = trampolines_[export_index].Get(iso);
  auto ctx = engine_.context();
  try {
    engine_.run_guest(this, [&] { return fn->Call(ctx, v8::Undefined(iso), 0, nullptr); });
  } catch (const Trap &) {
    rethrow_trap();
  }
  for (size_t k = 0; k < type->results.size(); k++) {
    results[k].type = type->results[k];
    std::memcpy(&results[k].bits, slots_ + k * CallTrampoline::kSlotSize,
                CallTrampoline::kSlotSize);
  }
}

// Reference values cannot live in memory: they are the trampoline's own
// parameters and results, converted through JS values.
void V8Instance::call_with_refs(uint32_t export_index, const FuncType &type, const Value *args,
                                Value *results) {
  v8::Isolate *iso = engine_.isolate();
  v8::HandleScope scope(iso);
  std::vector<v8::Local<v8::Value>> ref_args;
  for (size_t k = 0; k < type.params.size(); k++) {
    if (is_ref(type.params[k]))
      ref_args.push_back(engine_.to_js(args[k]));
    else
      std::memcpy(slots_ + k * CallTrampoline::kSlotSize, &args[k].bits, CallTrampoline::kSlotSize);
  }
  auto fn = trampolines_[export_index].Get(iso);
  auto ctx = engine_.context();
  v8::Local<v8::Value> ret;
  try {
    ret = engine_.run_guest(this, [&] {
      return fn->Call(ctx, v8::Undefined(iso), static_cast<int>(ref_args.size()), ref_args.data());
    });
  } catch (const Trap &) {
    rethrow_trap();
  }
  size_t nref_results = std::count_if(type.results.begin(), type.results.end(), is_ref);
  size_t ref_seen = 0;
  for (size_t k = 0; k < type.results.size(); k++) {
    ValType t = type.results[k];
    if (is_ref(t)) {
      v8::Local<v8::Value> r = ret;
      if (nref_results > 1)
        r = ret.As<v8::Array>()->Get(ctx, static_cast<uint32_t>(ref_seen)).ToLocalChecked();
      ref_seen++;
      results[k] = engine_.from_js(t, r);
    } else {
      results[k].type = t;
      std::memcpy(&results[k].bits, slots_ + k * CallTrampoline::kSlotSize,
                  CallTrampoline::kSlotSize);
    }
  }
}

std::shared_ptr<Extern> V8Instance::get_export(uint32_t export_index) {
  const auto &desc = info().exports.at(export_index);
  v8::Isolate *iso = engine_.isolate();
  v8::HandleScope scope(iso);
  auto value =
      exports_.Get(iso)->Get(engine_.context(), js_string(iso, desc.name)).ToLocalChecked();
  auto ext = std::make_shared<V8Extern>(iso, value, desc.type);
  ext->needs_liftoff_ = needs_liftoff_;
  return ext;
}

Value V8Instance::get_global(uint32_t export_index) {
  const auto *type = std::get_if<GlobalType>(&info().exports.at(export_index).type);
  if (!type)
    throw std::invalid_argument("export " + std::to_string(export_index) + " is not a global");
  if (const auto &constant = module_->constant_globals_[export_index]) return *constant;
  if (trampolines_[export_index].IsEmpty())
    throw std::invalid_argument("export " + std::to_string(export_index) +
                                " is an immutable v128 global that V8 10.2 cannot read");
  v8::Isolate *iso = engine_.isolate();
  v8::HandleScope scope(iso);
  auto fn = trampolines_[export_index].Get(iso);
  auto ctx = engine_.context();
  auto ret = engine_.run_guest(this, [&] { return fn->Call(ctx, v8::Undefined(iso), 0, nullptr); });
  if (is_ref(type->type)) return engine_.from_js(type->type, ret);
  Value v;
  v.type = type->type;
  std::memcpy(&v.bits, slots_, CallTrampoline::kSlotSize);
  return v;
}

std::span<uint8_t> V8Instance::memory() {
  if (memory_.IsEmpty()) return {};
  v8::HandleScope scope(engine_.isolate());
  auto buffer = memory_.Get(engine_.isolate())->Buffer();
  return {static_cast<uint8_t *>(buffer->Data()), buffer->ByteLength()};
}

}  // namespace pgwasm::engine::v8impl
