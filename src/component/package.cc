#include "component/package.h"

#include "component/cursor.h"

namespace pgwasm::component {

namespace {

using Origin = IndexEntry::Origin;

struct CoreRef {
  uint32_t instance;
  std::string name;
};

// The core instance export that a core index aliases, if it is one.
std::optional<CoreRef> core_export(const Component &c, Sort sort, uint32_t index) {
  IndexEntry e = c.space(sort)[index];
  if (e.origin != Origin::Alias) return std::nullopt;
  const Alias &a = c.aliases[e.item];
  if (a.target != Alias::Target::CoreInstanceExport) return std::nullopt;
  return CoreRef{a.instance, a.name};
}

std::string option_name(const Component &c, Sort sort, const std::optional<uint32_t> &index,
                        size_t offset, const char *what) {
  if (!index) return {};
  std::optional<CoreRef> ref = core_export(c, sort, *index);
  if (!ref)
    unsupported(offset, std::string("a canonical ") + what + " that no core instance exports");
  return ref->name;
}

NamedOptions named(const Component &c, const Canon &canon) {
  NamedOptions n;
  n.string_encoding = canon.options.string_encoding;
  n.memory = option_name(c, Sort::CoreMemory, canon.options.memory, canon.offset, "memory");
  n.realloc = option_name(c, Sort::CoreFunc, canon.options.realloc, canon.offset, "realloc");
  if (canon.options.realloc)
    n.realloc_instance = core_export(c, Sort::CoreFunc, *canon.options.realloc)->instance;
  n.post_return =
      option_name(c, Sort::CoreFunc, canon.options.post_return, canon.offset, "post-return");
  return n;
}

const FuncType *func_type(const Component &c, uint32_t type) {
  for (int hops = 0; hops < 64 && type < c.size(Sort::Type); hops++) {
    IndexEntry e = c.space(Sort::Type)[type];
    if (e.origin == Origin::Definition) return std::get_if<FuncType>(&c.types[e.item]);
    if (e.origin == Origin::Import && !c.imports[e.item].desc.sub_resource)
      type = c.imports[e.item].desc.type;
    else if (e.origin == Origin::Export)
      type = c.exports[e.item].index;
    else
      return nullptr;
  }
  return nullptr;
}

// The export of func `index`, a lift of a core instance's export.
ExportedFunc lifted(const Component &c, uint32_t index, std::string interface, std::string name) {
  IndexEntry e = c.space(Sort::Func)[index];
  if (e.origin != Origin::Definition)
    unsupported(0, "export \"" + name + "\" of \"" + interface + "\" is not a lifted function");
  const Canon &canon = c.canons[e.item];
  std::optional<CoreRef> core = core_export(c, Sort::CoreFunc, canon.func);
  if (!core) unsupported(canon.offset, "a lift of a core function that no core instance exports");
  ExportedFunc f;
  f.interface = std::move(interface);
  f.name = std::move(name);
  f.type = func_type(c, canon.type);
  f.core_instance = core->instance;
  f.core_name = core->name;
  f.options = named(c, canon);
  return f;
}

// The functions of an exported instance: inline exports, or a component
// instantiated with lifted functions (wit-component's shim, which gives the
// interface its types).
void instance_exports(const Component &c, const Export &x, std::vector<ExportedFunc> &out) {
  IndexEntry e = c.space(Sort::Instance)[x.index];
  if (e.origin != Origin::Definition)
    unsupported(0, "export \"" + x.name + "\" is not an instance defined by the component");
  const Instance &inst = c.instances[e.item];
  if (!inst.component) {
    for (const SortRef &r : inst.exports)
      if (r.sort == Sort::Func) out.push_back(lifted(c, r.index, x.name, r.name));
    return;
  }
  IndexEntry ce = c.space(Sort::Component)[*inst.component];
  if (ce.origin != Origin::Definition)
    unsupported(0, "export \"" + x.name + "\" instantiates a component not defined here");
  const Component &nested = c.components[ce.item];
  for (const Export &nx : nested.exports) {
    if (nx.sort != Sort::Func) continue;
    IndexEntry fe = nested.space(Sort::Func)[nx.index];
    if (fe.origin != Origin::Import)
      unsupported(0, "function \"" + nx.name + "\" of \"" + x.name + "\" is not passed in");
    const std::string &import = nested.imports[fe.item].name;
    const SortRef *arg = nullptr;
    for (const SortRef &a : inst.args)
      if (a.name == import && a.sort == Sort::Func) arg = &a;
    if (!arg)
      unsupported(0, "instantiation of \"" + x.name + "\" does not give \"" + import + "\"");
    ExportedFunc f = lifted(c, arg->index, x.name, nx.name);
    if (nx.desc)
      if (const FuncType *t = func_type(nested, nx.desc->type)) {
        f.type = t;
        f.scope = &nested;
      }
    out.push_back(std::move(f));
  }
}

// The import and name of a func aliased from an imported instance, or of an
// imported func (a plain-named world import).
std::pair<std::string, std::string> imported(const Component &c, uint32_t func, size_t offset) {
  IndexEntry e = c.space(Sort::Func)[func];
  if (e.origin == Origin::Import) return {"", c.imports[e.item].name};
  if (e.origin == Origin::Alias) {
    const Alias &a = c.aliases[e.item];
    if (a.target == Alias::Target::InstanceExport) {
      IndexEntry ie = c.space(Sort::Instance)[a.instance];
      if (ie.origin == Origin::Import) return {c.imports[ie.item].name, a.name};
    }
  }
  unsupported(offset, "a lower of a function that is not imported");
}

}  // namespace

Package describe_package(const Component &c) {
  Package p;
  for (const ExternItem &i : c.imports) p.imports.push_back(i.name);
  for (const Export &x : c.exports) {
    if (x.sort == Sort::Func) p.exports.push_back(lifted(c, x.index, "", x.name));
    if (x.sort == Sort::Instance) instance_exports(c, x, p.exports);
  }
  for (const Canon &canon : c.canons) {
    if (canon.kind == Canon::Kind::Lower) {
      auto [interface, name] = imported(c, canon.func, canon.offset);
      p.lowered.push_back({std::move(interface), std::move(name), named(c, canon)});
    } else if (canon.kind == Canon::Kind::ResourceDrop) {
      IndexEntry e = c.space(Sort::Type)[canon.type];
      if (e.origin == Origin::Alias && c.aliases[e.item].target == Alias::Target::InstanceExport) {
        const Alias &a = c.aliases[e.item];
        IndexEntry ie = c.space(Sort::Instance)[a.instance];
        if (ie.origin == Origin::Import) p.drops.push_back({c.imports[ie.item].name, a.name});
      } else if (e.origin == Origin::Import) {
        p.drops.push_back({"", c.imports[e.item].name});
      }
    }
  }
  std::optional<uint32_t> instance;
  for (const ExportedFunc &f : p.exports) {
    if (instance && *instance != f.core_instance)
      unsupported(0, "exports lifted from several core instances");
    instance = f.core_instance;
  }
  p.main_instance = instance;
  if (instance) {
    IndexEntry ie = c.space(Sort::CoreInstance)[*instance];
    const CoreInstance *ci = ie.origin == Origin::Definition ? &c.core_instances[ie.item] : nullptr;
    if (ci && ci->module) {
      IndexEntry me = c.space(Sort::CoreModule)[*ci->module];
      if (me.origin == Origin::Definition) p.main_module = me.item;
    }
  }
  return p;
}

}  // namespace pgwasm::component
