// Instantiating a module with V8: its imports checked and given under
// their keys, then its trampoline linked to its exports, then its start
// function run through the trampoline.
#include <algorithm>
#include <string>

#include "engine/v8/v8_engine.h"
#include "engine/v8/v8_extern.h"
#include "engine/v8/v8_instance.h"
#include "toolkit/instrument.h"
#include "toolkit/name_text.h"
#include "toolkit/trampoline.h"

namespace pgwasm::engine::v8impl {

using toolkit::CallTrampoline;

v8::Local<v8::Object> V8Engine::new_instance(v8::Local<v8::WasmModuleObject> module,
                                             v8::Local<v8::Object> imports, V8Instance *owner) {
  v8::Local<v8::Value> argv[2] = {module, imports};
  auto ctx = context();
  auto ctor = instance_constructor_.Get(isolate_);
  auto instance = run_guest(owner, [&]() -> v8::MaybeLocal<v8::Value> {
    v8::MaybeLocal<v8::Object> obj = ctor->NewInstance(ctx, 2, argv);
    if (obj.IsEmpty()) return {};
    return obj.ToLocalChecked();
  });
  return instance.As<v8::Object>()
      ->Get(ctx, js_string(isolate_, "exports"))
      .ToLocalChecked()
      .As<v8::Object>();
}

// "\"module\".\"name\"" of an import, for messages.
static std::string import_name(const ImportDesc &d) {
  return toolkit::quoted_name(d.module) + "." + toolkit::quoted_name(d.name);
}

// The trampoline's import and export for an export of the module.
static std::string trampoline_name(const ExportDesc &e, int32_t index) {
  return kind_of(e.type) == ExternKind::Global ? toolkit::trampoline_global_export(index)
                                               : toolkit::trampoline_call_export(index);
}

std::unique_ptr<Instance> V8Engine::instantiate(std::shared_ptr<const Module> module_base,
                                                std::span<const std::shared_ptr<Extern>> imports,
                                                const CallBounds &bounds) {
  auto module = std::static_pointer_cast<const V8Module>(module_base);
  const ModuleInfo &info = module->info_;
  if (imports.size() != info.imports.size())
    throw LinkError("expected " + std::to_string(info.imports.size()) + " imports, got " +
                    std::to_string(imports.size()));
  // Its start function may grow its tables.
  need_room(kWorkRoom + module->table_room_ + module->table_growth_room_,
            module->info_.tables.empty() ? "instantiating the module" : "the instance's tables");
  v8::HandleScope scope(isolate_);
  auto ctx = context();
  for (const auto &desc : info.imports)
    if (const auto *g = std::get_if<GlobalType>(&desc.type); g && v8_cannot_import(*g))
      throw LinkError("import " + import_name(desc) +
                      ": V8 10.2 cannot import an immutable v128 global");
  auto instance = std::make_unique<V8Instance>(*this, module);
  instance->needs_liftoff_ = module->baseline_only_;
  for (const auto &imp : imports)
    if (auto *ext = dynamic_cast<V8Extern *>(imp.get()); ext && ext->needs_liftoff_)
      instance->needs_liftoff_ = true;
  // A table or a global can take its functions to any instance sharing it,
  // and a funcref the host is given to any instance the host gives it to.
  if (instance->needs_liftoff_) {
    auto passes_funcrefs = [](const ExternType &type) {
      const auto *f = std::get_if<FuncType>(&type);
      auto funcref = [](ValType t) { return t == ValType::FuncRef; };
      return f && (std::any_of(f->params.begin(), f->params.end(), funcref) ||
                   std::any_of(f->results.begin(), f->results.end(), funcref));
    };
    for (const auto &desc : info.imports)
      if (kind_of(desc.type) == ExternKind::Table || kind_of(desc.type) == ExternKind::Global ||
          passes_funcrefs(desc.type))
        set_liftoff_everywhere();
    for (const auto &desc : info.exports)
      if (passes_funcrefs(desc.type)) set_liftoff_everywhere();
  }

  v8::Local<v8::Object> import_object = v8::Object::New(isolate_);
  for (size_t i = 0; i < imports.size(); i++) {
    const auto &desc = info.imports[i];
    auto *ext = dynamic_cast<V8Extern *>(imports[i].get());
    if (!ext) throw LinkError("import " + import_name(desc) + " is not provided");
    // V8 checks the type of every import except a host function's: to V8 it
    // is a JS function, callable with any signature.
    const auto *want = std::get_if<FuncType>(&desc.type);
    const auto *have = std::get_if<FuncType>(&ext->type_);
    if (want && have && *want != *have)
      throw LinkError("import " + import_name(desc) + ": incompatible import type: " + "expected " +
                      to_string(*want) + ", got " + to_string(*have));
    const auto &key = module->import_keys_[i];
    auto mod_key = js_string(isolate_, key.first);
    v8::Local<v8::Value> ns;
    if (!import_object->Get(ctx, mod_key).ToLocal(&ns) || !ns->IsObject()) {
      ns = v8::Object::New(isolate_);
      import_object->Set(ctx, mod_key, ns).Check();
    }
    ns.As<v8::Object>()
        ->Set(ctx, js_string(isolate_, key.second), ext->value_.Get(isolate_))
        .Check();
  }
  auto exports = new_instance(module->module_.Get(isolate_), import_object, nullptr);
  instance->exports_.Reset(isolate_, exports);

  // The trampoline imports every function and global export, in export
  // order.
  v8::Local<v8::Object> targets = v8::Object::New(isolate_);
  for (size_t e = 0; e < info.exports.size(); e++) {
    int32_t t = module->trampoline_index_[e];
    if (t < 0) continue;
    auto value = exports->Get(ctx, js_string(isolate_, info.exports[e].name)).ToLocalChecked();
    targets->Set(ctx, js_string(isolate_, trampoline_name(info.exports[e], t)), value).Check();
  }
  auto hidden_export = [&](std::string_view name) {
    return exports->Get(ctx, js_string(isolate_, name)).ToLocalChecked();
  };
  std::string start_name =
      module->has_start_ ? toolkit::trampoline_call_export(module->start_trampoline_) : "";
  if (module->has_start_)
    targets->Set(ctx, js_string(isolate_, start_name), hidden_export(kStartExport)).Check();
  if (module->controls_.fuel)
    targets
        ->Set(ctx, js_string(isolate_, CallTrampoline::kFuelImport),
              hidden_export(toolkit::kFuelExport))
        .Check();
  if (module->controls_.max_pages)
    targets
        ->Set(ctx, js_string(isolate_, CallTrampoline::kMaxPagesImport),
              hidden_export(toolkit::kMaxPagesExport))
        .Check();
  v8::Local<v8::Object> trampoline_imports = v8::Object::New(isolate_);
  trampoline_imports->Set(ctx, js_string(isolate_, CallTrampoline::kImportModule), targets).Check();
  auto trampoline_exports =
      new_instance(module->trampoline_.Get(isolate_), trampoline_imports, nullptr);

  auto slots = trampoline_exports->Get(ctx, js_string(isolate_, CallTrampoline::kMemoryExport))
                   .ToLocalChecked()
                   .As<v8::WasmMemoryObject>();
  // The trampoline's memory never grows, so its buffer never moves.
  instance->slots_store_ = slots->Buffer()->GetBackingStore();
  instance->slots_ = static_cast<uint8_t *>(instance->slots_store_->Data());
  instance->set_bounds(bounds);
  if (module->controls_.fuel)
    instance->fuel_reader_.Reset(
        isolate_, trampoline_exports->Get(ctx, js_string(isolate_, CallTrampoline::kFuelExport))
                      .ToLocalChecked()
                      .As<v8::Function>());
  instance->trampolines_.resize(info.exports.size());
  for (size_t e = 0; e < info.exports.size(); e++) {
    int32_t t = module->trampoline_index_[e];
    if (t < 0) continue;
    auto fn = trampoline_exports->Get(ctx, js_string(isolate_, trampoline_name(info.exports[e], t)))
                  .ToLocalChecked();
    instance->trampolines_[e].Reset(isolate_, fn.As<v8::Function>());
  }
  // The guest's memory, for host functions: the export named "memory", else
  // the first exported memory.
  for (const auto &e : info.exports) {
    if (kind_of(e.type) != ExternKind::Memory) continue;
    if (!instance->memory_.IsEmpty() && e.name != "memory") continue;
    auto mem = exports->Get(ctx, js_string(isolate_, e.name)).ToLocalChecked();
    instance->memory_.Reset(isolate_, mem.As<v8::WasmMemoryObject>());
  }
  if (module->has_start_) {
    auto start = trampoline_exports->Get(ctx, js_string(isolate_, start_name)).ToLocalChecked();
    try {
      run_guest(instance.get(), [&] {
        return start.As<v8::Function>()->Call(ctx, v8::Undefined(isolate_), 0, nullptr);
      });
    } catch (const Trap &) {
      instance->rethrow_trap();
    }
  }
  return instance;
}

}  // namespace pgwasm::engine::v8impl
