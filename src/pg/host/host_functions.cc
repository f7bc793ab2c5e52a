#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "pg/host/host_functions.h"

#include "component/wasi.h"

#include "toolkit/name_text.h"

namespace pgwasm::pg::host {

namespace {

std::vector<HostFunction> &registry() {
  // Built once per process and never destroyed (no static destructors at
  // backend exit).
  static std::vector<HostFunction> *all = [] {
    auto *v = new std::vector<HostFunction>();
    for (auto &&list :
         {pg_wasm_functions(), clickhouse_functions(), wasi_functions(), wasi_p2_functions()})
      for (auto &f : list) v->push_back(f);
    return v;
  }();
  return *all;
}

// The module name the host registers an import's functions under: WASI
// 0.2's in one form for every 0.2.N (component/wasi.h), others as written.
std::string host_module(const std::string &module) {
  if (auto wasi = component::parse_wasi_module(module))
    return component::wasi_module_name(wasi->interface);
  return module;
}

}  // namespace

void register_host_functions(std::vector<HostFunction> functions) {
  std::vector<HostFunction> &all = registry();
  for (auto &f : functions) all.push_back(std::move(f));
}

std::span<const HostFunction> all_host_functions() {
  return registry();
}

static const HostFunction *find(const ImportDesc &import) {
  const auto *type = std::get_if<FuncType>(&import.type);
  if (!type) return nullptr;
  std::string module = host_module(import.module);
  for (const auto &f : all_host_functions())
    if (f.module == module && f.name == import.name && f.type == *type) return &f;
  return nullptr;
}

std::optional<std::string> unsatisfied_import(const ImportDesc &import) {
  if (find(import)) return std::nullopt;
  bool module_known = false;
  std::vector<const HostFunction *> same_name;
  std::string module = host_module(import.module);
  for (const auto &f : all_host_functions()) {
    if (f.module != module) continue;
    module_known = true;
    if (f.name == import.name) same_name.push_back(&f);
  }
  if (!module_known) return "the host provides no module " + toolkit::quoted_name(import.module);
  if (kind_of(import.type) != ExternKind::Func)
    return "the host provides only functions in module " + toolkit::quoted_name(import.module);
  if (same_name.empty())
    return "module " + toolkit::quoted_name(import.module) + " has no function " +
           toolkit::quoted_name(import.name);
  std::string types;
  for (const auto *f : same_name) types += (types.empty() ? "" : " or ") + to_string(f->type);
  return "the host's function has type " + types;
}

std::optional<std::string> check_imports(const ModuleInfo &info) {
  for (const auto &imp : info.imports) {
    if (auto why = unsatisfied_import(imp))
      return "import " + toolkit::quoted_name(imp.module) + "." + toolkit::quoted_name(imp.name) +
             " (" + to_string(imp.type) + ") is not provided: " + *why;
  }
  return std::nullopt;
}

std::vector<std::shared_ptr<engine::Extern>> resolve_imports(engine::Engine &engine,
                                                             const ModuleInfo &info) {
  if (auto missing = check_imports(info)) throw engine::LinkError(*missing);
  // One extern per host function per engine, made on first use.
  static auto *cache = new std::map<std::pair<engine::Engine *, const HostFunction *>,
                                    std::shared_ptr<engine::Extern>>();
  std::vector<std::shared_ptr<engine::Extern>> externs;
  for (const auto &imp : info.imports) {
    const HostFunction *f = find(imp);
    auto &ext = (*cache)[{&engine, f}];
    if (!ext) ext = engine.host_function(f->type, f->callback);
    externs.push_back(ext);
  }
  return externs;
}

}  // namespace pgwasm::pg::host
