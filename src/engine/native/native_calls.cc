// Calls into a native instance and out of it: values in the glue's slots,
// host functions dispatched, the watchdog's flag set for the call's time,
// and wasm2c's traps turned into the engine's.
#include <cstring>
#include <exception>
#include <vector>

#include "engine/native/c_glue.h"
#include "engine/native/native_engine.h"
#include "toolkit/name_text.h"

namespace pgwasm::engine::native {

int InstanceState::dispatch(void *ctx, uint32_t import, const uint64_t *args, uint64_t *results) {
  auto *self = static_cast<InstanceState *>(ctx);
  NativeEngine &engine = self->engine;
  try {
    const NativeHostFunction *f = self->host_functions.at(import);
    const FuncType &type = f->type_;
    std::vector<Value> params(type.params.size()), out(type.results.size());
    for (size_t i = 0; i < type.params.size(); i++)
      params[i] = engine.from_slot(type.params[i], args[i]);
    for (size_t i = 0; i < type.results.size(); i++) out[i].type = type.results[i];
    f->callback(*self, params, out);
    for (size_t i = 0; i < type.results.size(); i++) {
      if (type.results[i] == ValType::FuncRef) {
        // The glue's slot holds the address of its own FuncRef.
        engine.to_slot(type.results[i], out[i],
                       reinterpret_cast<FuncRef *>(static_cast<uintptr_t>(results[i])));
      } else {
        FuncRef unused;
        results[i] = engine.to_slot(type.results[i], out[i], &unused);
      }
    }
    return 0;
  } catch (...) {
    engine.pending = std::current_exception();
    return 1;
  }
}

void NativeInstance::prepare(const CallBounds &bounds) {
  if (state_->fuel) *state_->fuel = bounds.fuel;
  if (state_->max_pages) *state_->max_pages = bounds.max_pages;
}

template <typename Body>
int NativeInstance::run(Body &&body) {
  // Only this thread writes running_flag (the watchdog reads it): a load and
  // a store, not a locked exchange, on every call.
  uint32_t *outer = engine_.running_flag.load(std::memory_order_relaxed);
  engine_.running_flag.store(state_->interrupt, std::memory_order_release);
  if (!outer) engine_.clear_interrupts();
  if (state_->interrupt) *state_->interrupt = 0;
  // Every call: the shared object's code, shared by modules of the same
  // content, keeps one limit.
  engine_.set_limits(*state_);
  engine_.call_started();
  int trap = body();
  engine_.call_finished();
  engine_.running_flag.store(outer, std::memory_order_release);
  return trap;
}

void NativeInstance::instantiate(const CallBounds &bounds) {
  bounds_ = bounds;
  prepare(bounds);
  int trap = run([&] {
    return entry().instantiate(state_->storage.get(), &state_->host, state_->externs.data());
  });
  state_->instantiated = true;  // wasm2c's instance is set up even when start traps
  if (trap) raise(trap);
}

void NativeInstance::raise(int trap) {
  if (engine_.pending) {
    std::exception_ptr e = std::move(engine_.pending);
    engine_.pending = nullptr;
    std::rethrow_exception(e);
  }
  if (engine_.interrupt_sent.load() && engine_.interrupt_sent.exchange(false)) throw Interrupted();
  if (trap == kTrapUnreachable && state_->fuel && *state_->fuel < 0)
    throw Trap(Trap::Kind::FuelExhausted, "out of fuel");
  switch (trap) {
    case kTrapOob: throw Trap(Trap::Kind::MemoryOutOfBounds, "memory access out of bounds");
    case kTrapIntOverflow: throw Trap(Trap::Kind::IntegerOverflow, "integer overflow");
    case kTrapDivByZero: throw Trap(Trap::Kind::DivideByZero, "divide by zero");
    case kTrapInvalidConversion:
      throw Trap(Trap::Kind::InvalidConversion, "invalid conversion to integer");
    case kTrapUnreachable: throw Trap(Trap::Kind::Unreachable, "unreachable");
    case kTrapCallIndirect:
      throw Trap(Trap::Kind::IndirectCallMismatch, "indirect call to a null or mismatched entry");
    case kTrapExhaustion: throw Trap(Trap::Kind::StackExhausted, "call stack exhausted");
    case native::kTrapOutOfMemory:
      throw Trap(Trap::Kind::OutOfMemory, "Out of memory: cannot allocate what the instance needs");
    default: throw Trap(Trap::Kind::Other, "trap " + std::to_string(trap));
  }
}

void NativeInstance::call(uint32_t export_index, const Value *args, Value *results) {
  const auto &exports = info().exports;
  if (export_index >= exports.size() || export_index >= entry().exports ||
      !entry().calls[export_index])
    throw EngineError(
        "the native engine cannot call export " +
        toolkit::quoted_name(export_index < exports.size() ? exports[export_index].name : "") +
        ": it takes or returns a type the engine does not pass");
  const auto &type = std::get<FuncType>(exports[export_index].type);
  // Slots: one per value, and never none (a C array of zero elements); the
  // FuncRefs funcref slots point to. On the stack unless there are many.
  constexpr size_t kSmall = 16;
  uint64_t small_in[kSmall], small_out[kSmall];
  FuncRef small_refs[2 * kSmall];
  std::vector<uint64_t> big_in, big_out;
  std::vector<FuncRef> big_refs;
  uint64_t *slots = small_in, *res = small_out;
  FuncRef *refs = small_refs;
  size_t np = type.params.size(), nr = type.results.size();
  if (np > kSmall || nr > kSmall) {
    big_in.resize(np + 1);
    big_out.resize(nr + 1);
    big_refs.resize(np + nr);
    slots = big_in.data();
    res = big_out.data();
    refs = big_refs.data();
  }
  for (size_t i = 0; i < np; i++) slots[i] = engine_.to_slot(type.params[i], args[i], &refs[i]);
  for (size_t i = 0; i < nr; i++)
    if (type.results[i] == ValType::FuncRef) {
      refs[np + i] = {};
      res[i] = reinterpret_cast<uintptr_t>(&refs[np + i]);
    }
  prepare(bounds_);
  int trap = run([&] { return entry().calls[export_index](state_->storage.get(), slots, res); });
  if (trap) raise(trap);
  for (size_t i = 0; i < type.results.size(); i++)
    results[i] = engine_.from_slot(type.results[i], res[i]);
}

uint64_t NativeEngine::to_slot(ValType type, const Value &v, FuncRef *cell) {
  switch (type) {
    case ValType::ExternRef: return v.ref.kind == Ref::Kind::Null ? 0 : v.ref.id + 1;
    case ValType::FuncRef:
      *cell = {};
      if (v.ref.kind == Ref::Kind::Func) {
        if (v.ref.id == 0 || v.ref.id > funcs_.size())
          throw EngineError("a funcref the native engine did not make");
        *cell = funcs_[v.ref.id - 1].ref;
      }
      return reinterpret_cast<uintptr_t>(cell);
    case ValType::I32:
    case ValType::F32: return v.bits.i32;
    default: return v.bits.i64;
  }
}

Value NativeEngine::from_slot(ValType type, uint64_t slot) {
  Value v;
  v.type = type;
  switch (type) {
    case ValType::ExternRef:
      if (slot) v.ref = {Ref::Kind::Host, slot - 1};
      break;
    case ValType::FuncRef:
      v.ref = func_ref(*reinterpret_cast<const FuncRef *>(static_cast<uintptr_t>(slot)));
      break;
    case ValType::I32:
    case ValType::F32: v.bits.i64 = slot & 0xffffffffu; break;
    default: v.bits.i64 = slot;
  }
  return v;
}

Ref NativeEngine::func_ref(const FuncRef &ref) {
  if (!ref.func) return {};
  auto key = std::make_pair(reinterpret_cast<uintptr_t>(ref.func),
                            reinterpret_cast<uintptr_t>(ref.instance));
  auto [it, added] = func_ids_.emplace(key, funcs_.size() + 1);
  if (added) funcs_.push_back({ref, owner_of(ref.instance)});
  return {Ref::Kind::Func, it->second};
}

std::shared_ptr<InstanceState> NativeEngine::owner_of(const void *instance) {
  std::lock_guard lock(states_mutex_);
  auto it = states_.upper_bound(reinterpret_cast<uintptr_t>(instance));
  if (it == states_.begin()) return nullptr;
  --it;
  return it->second->contains(instance) ? it->second->shared_from_this() : nullptr;
}

size_t NativeEngine::type_size(ValType t) {
  switch (t) {
    case ValType::I32:
    case ValType::F32: return 4;
    case ValType::FuncRef: return sizeof(FuncRef);
    default: return 8;
  }
}

}  // namespace pgwasm::engine::native
