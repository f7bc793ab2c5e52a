// An instance of the native engine: its state, linking its imports, and
// reading its exports.
#include "engine/native/native_instance.h"

#include <cstring>

#include "engine/native/native_engine.h"
#include "toolkit/name_text.h"

namespace pgwasm::engine::native {

InstanceState::InstanceState(NativeEngine &engine, std::shared_ptr<const NativeModule> module)
    : engine(engine), module(std::move(module)) {
  storage = std::make_unique<uint8_t[]>(entry().instance_size);
  std::memset(storage.get(), 0, entry().instance_size);
  host = {&InstanceState::dispatch, this};
  // Fields of the instance struct: their places are fixed from now on.
  if (this->module->fuel) fuel = static_cast<int64_t *>(entry().global(storage.get(), 0));
  interrupt = static_cast<uint32_t *>(entry().global(storage.get(), 1));
  if (this->module->max_pages)
    max_pages = static_cast<uint32_t *>(entry().global(storage.get(), 2));
  engine.add(*this);
}

InstanceState::~InstanceState() {
  engine.remove(*this);
  if (instantiated) entry().free(storage.get());
}

namespace {

std::string limits_text(const Limits &l) {
  return std::to_string(l.min) + (l.max ? " to " + std::to_string(*l.max) : "");
}

// Whether an extern of limits {size, declared max} fits an import's.
bool fits(uint64_t size, std::optional<uint64_t> max, const Limits &wanted) {
  if (size < wanted.min) return false;
  if (!wanted.max) return true;
  return max && *max <= *wanted.max;
}

}  // namespace

std::unique_ptr<Instance> NativeEngine::instantiate(
    std::shared_ptr<const Module> module, std::span<const std::shared_ptr<Extern>> imports,
    const CallBounds &bounds) {
  auto native = std::dynamic_pointer_cast<const NativeModule>(module);
  if (!native) throw LinkError("a module compiled by another engine");
  const auto &wanted = native->info_.imports;
  if (imports.size() != wanted.size())
    throw LinkError("the module has " + std::to_string(wanted.size()) + " imports; " +
                    std::to_string(imports.size()) + " were given");
  const GlueEntry &entry = *native->object->entry();
  uint32_t cap = max_table_entries();
  for (size_t t = 0; t < native->info_.tables.size(); t++)
    if (native->info_.tables[t].limits.min > cap)
      throw LinkError("a table of " + std::to_string(native->info_.tables[t].limits.min) +
                      " entries, more than the " + std::to_string(cap) + " a table may have");

  auto state = std::make_shared<InstanceState>(*this, native);
  size_t n = wanted.size();
  state->imports.assign(imports.begin(), imports.end());
  state->externs.resize(n);
  state->functions.resize(n);
  state->host_functions.resize(n);
  bool shares_funcrefs = false;
  for (size_t i = 0; i < n; i++) {
    const auto &imp = wanted[i];
    std::string what = "import " + std::to_string(i) + " (" + toolkit::quoted_name(imp.module) +
                       "." + toolkit::quoted_name(imp.name) + ")";
    const Extern *given = imports[i].get();
    if (!given) throw LinkError(what + " is missing");
    if (const auto *type = std::get_if<FuncType>(&imp.type)) {
      if (const auto *h = dynamic_cast<const NativeHostFunction *>(given)) {
        if (!(h->type_ == *type)) throw LinkError(what + " has another type");
        state->host_functions[i] = h;
      } else if (const auto *f = dynamic_cast<const NativeFunction *>(given)) {
        if (!(f->type_ == *type)) throw LinkError(what + " has another type");
        if (f->owner->entry().runtime != entry.runtime)
          throw LinkError(what + " was built against another copy of wasm2c's runtime");
        state->functions[i] = f->ref;
      } else {
        throw LinkError(what + " is not a function of this engine");
      }
      state->externs[i] = &state->functions[i];
      continue;
    }
    auto *cell = const_cast<NativeCell *>(dynamic_cast<const NativeCell *>(given));
    if (!cell || kind_of(cell->type_) != kind_of(imp.type))
      throw LinkError(what + " is not a " + std::string(to_string(kind_of(imp.type))) +
                      " of this engine");
    if (const auto *m = std::get_if<MemoryType>(&imp.type)) {
      const auto &have = std::get<MemoryType>(cell->type_);
      uint32_t pages = static_cast<const WasmMemory *>(cell->ptr)->pages;
      if (have.shared != m->shared || !fits(pages, have.limits.max, m->limits))
        throw LinkError(what + ": a memory of " + limits_text(have.limits) +
                        " pages does not fit " + limits_text(m->limits));
    } else if (const auto *t = std::get_if<TableType>(&imp.type)) {
      const auto &have = std::get<TableType>(cell->type_);
      uint32_t size = static_cast<const WasmTable *>(cell->ptr)->size;
      if (have.element != t->element || !fits(size, have.limits.max, t->limits))
        throw LinkError(what + ": a table of " + limits_text(have.limits) +
                        " entries does not fit " + limits_text(t->limits));
    } else if (!(std::get<GlobalType>(cell->type_) == std::get<GlobalType>(imp.type))) {
      throw LinkError(what + ": a global of another type or mutability");
    }
    if (cell->holds_funcrefs()) {
      if (cell->runtime && cell->runtime != entry.runtime)
        throw LinkError(what + " holds functions of another copy of wasm2c's runtime");
      cell->runtime = entry.runtime;
    }
    // A table or a global of references: the instance may store its funcrefs
    // there, for others to call.
    if (std::holds_alternative<TableType>(imp.type) ||
        (std::holds_alternative<GlobalType>(imp.type) &&
         std::get<GlobalType>(imp.type).type == ValType::FuncRef))
      shares_funcrefs = true;
    state->externs[i] = cell->ptr;
  }
  if (shares_funcrefs) pin(state);
  set_limits(*state);
  auto instance = std::make_unique<NativeInstance>(*this, std::move(state));
  instance->instantiate(bounds);
  return instance;
}

void *NativeInstance::export_pointer(uint32_t export_index, FuncRef *func) {
  const auto &exports = info().exports;
  if (export_index >= exports.size() || export_index >= entry().exports)
    throw EngineError("no export " + std::to_string(export_index));
  void *p = entry().any_export(state_->storage.get(), export_index, func);
  if (!p)
    throw EngineError("the native engine cannot pass export " +
                      toolkit::quoted_name(exports[export_index].name) +
                      ": it takes or returns a type the engine does not pass");
  return p;
}

std::shared_ptr<Extern> NativeInstance::get_export(uint32_t export_index) {
  FuncRef func{};
  void *p = export_pointer(export_index, &func);
  const ExternType &type = info().exports[export_index].type;
  if (const auto *f = std::get_if<FuncType>(&type))
    return std::make_shared<NativeFunction>(*f, func, state_);
  auto cell = std::make_shared<NativeCell>(type, p, state_, entry().runtime);
  // Another instance may store its funcrefs in this table or global, and the
  // host read them: both stay as long as the engine.
  if (cell->holds_funcrefs() || std::holds_alternative<TableType>(type)) engine_.pin(state_);
  return cell;
}

Value NativeInstance::get_global(uint32_t export_index) {
  const auto *type = std::get_if<GlobalType>(&info().exports.at(export_index).type);
  if (!type) throw EngineError("export " + std::to_string(export_index) + " is not a global");
  FuncRef unused{};
  const void *p = export_pointer(export_index, &unused);
  if (type->type == ValType::FuncRef)
    return engine_.from_slot(ValType::FuncRef, reinterpret_cast<uintptr_t>(p));
  uint64_t slot = 0;
  if (type->type == ValType::ExternRef)
    slot = reinterpret_cast<uintptr_t>(*static_cast<void *const *>(p));
  else
    std::memcpy(&slot, p, NativeEngine::type_size(type->type));
  return engine_.from_slot(type->type, slot);
}

}  // namespace pgwasm::engine::native
