#include "component/wit_types.h"

#include <deque>
#include <type_traits>
#include <utility>
#include <variant>

#include "component/cursor.h"
#include "component/wit_text.h"

namespace pgwasm::component {

namespace {

// Resolution follows imports, exports and aliases, and descends into the
// types of records, lists, ...: each step is one level, and a type deeper
// than this is refused (the canonical ABI's own functions recurse on it).
constexpr int kMaxDepth = 64;
// Types made for one call of wit_functions: each use of a type is resolved
// afresh (no sharing), so this also bounds a type that names another many
// times over.
constexpr size_t kMaxTypes = 100000;

using Origin = IndexEntry::Origin;

// A type index space and where it sits: a component, or a component or
// instance type; outer aliases count up through `parent`.
struct Scope {
  const IndexSpaces *spaces;
  const Component *component = nullptr;
  const DeclScope *decls = nullptr;
  const Scope *parent = nullptr;
};

// A type index followed to its definition: the body and the scope its own
// indices refer to, or a resource (defined or imported). `name` is the
// first import or export name met on the way, the name WIT gave the type.
struct Target {
  const TypeBody *body = nullptr;
  const Scope *scope = nullptr;
  bool resource = false;
  std::string name;
};

[[noreturn]] void fail(const std::string &message) {
  invalid(0, message);
}

class Resolver {
 public:
  Resolver(TypeArena &arena) : arena_(arena) {}

  const Scope *scope(Scope s) {
    if (scopes_.size() >= kMaxTypes) fail("too many nested scopes to resolve");
    scopes_.push_back(s);
    return &scopes_.back();
  }

  const Type *value_type(const Scope &s, const component::ValType &v, int depth) {
    if (v.prim) return made(arena_.prim(prim_kind(*v.prim)));
    return defined(s, v.index, depth);
  }

 private:
  const Type *made(const Type *t) {
    if (++made_ > kMaxTypes)
      fail("the types of its functions have more than " + std::to_string(kMaxTypes) + " parts");
    return t;
  }

  static void deeper(int depth) {
    if (depth > kMaxDepth) fail("a type nested more than " + std::to_string(kMaxDepth) + " deep");
  }

  static Kind prim_kind(Prim p) {
    switch (p) {
      case Prim::Bool: return Kind::Bool;
      case Prim::S8: return Kind::S8;
      case Prim::U8: return Kind::U8;
      case Prim::S16: return Kind::S16;
      case Prim::U16: return Kind::U16;
      case Prim::S32: return Kind::S32;
      case Prim::U32: return Kind::U32;
      case Prim::S64: return Kind::S64;
      case Prim::U64: return Kind::U64;
      case Prim::F32: return Kind::F32;
      case Prim::F64: return Kind::F64;
      case Prim::Char: return Kind::Char;
      case Prim::String: return Kind::String;
    }
    return Kind::Bool;
  }

  // The scope `count` levels out of s.
  static const Scope &outer(const Scope &s, uint32_t count) {
    const Scope *at = &s;
    for (uint32_t i = 0; i < count; i++) {
      if (!at->parent) fail("an outer alias beyond the outermost component");
      at = at->parent;
    }
    return *at;
  }

  // An instance or component type's declarations as a scope of their own,
  // inside the scope that defined them.
  const Scope *decl_scope(const Target &t) {
    const DeclScope *d = nullptr;
    if (auto *it = std::get_if<std::unique_ptr<InstanceType>>(t.body)) d = it->get();
    if (auto *ct = std::get_if<std::unique_ptr<ComponentType>>(t.body)) d = ct->get();
    if (!d) return nullptr;
    return scope(Scope{d, nullptr, d, t.scope});
  }

  // Follows type index `index` of scope s to what defines it.
  Target follow(const Scope &s, uint32_t index, int depth, std::string name = {}) {
    deeper(depth);
    if (index >= s.spaces->size(Sort::Type))
      fail("type index " + std::to_string(index) + " is out of range");
    IndexEntry e = s.spaces->space(Sort::Type)[index];
    switch (e.origin) {
      case Origin::Definition: {
        const TypeBody &b = s.component ? s.component->types[e.item] : s.decls->types[e.item];
        Target t{&b, &s, std::holds_alternative<ResourceType>(b), std::move(name)};
        return t;
      }
      case Origin::Import:
      case Origin::Export: {
        if (s.component && e.origin == Origin::Export) {
          const Export &x = s.component->exports[e.item];
          keep_first_name_into(name, x.name);
          return follow(s, x.index, depth + 1, std::move(name));
        }
        const ExternItem &item =
            e.origin == Origin::Import
                ? (s.component ? s.component->imports : s.decls->imports)[e.item]
                : s.decls->exports[e.item];
        keep_first_name_into(name, item.name);
        if (item.desc.sub_resource) return Target{nullptr, &s, true, std::move(name)};
        return follow(s, item.desc.type, depth + 1, std::move(name));
      }
      case Origin::Alias: {
        const Alias &a = s.component ? s.component->aliases[e.item] : s.decls->aliases[e.item];
        if (a.target == Alias::Target::Outer)
          return follow(outer(s, a.outer_count), a.outer_index, depth + 1, std::move(name));
        if (a.target != Alias::Target::InstanceExport)
          fail("type index " + std::to_string(index) + " aliases a core export");
        keep_first_name_into(name, a.name);
        return instance_export(s, a.instance, a.name, depth + 1, std::move(name));
      }
    }
    fail("type index " + std::to_string(index) + " cannot be resolved");
  }

  static void keep_first_name_into(std::string &name, const std::string &n) {
    if (name.empty()) name = n;
  }

  // The type that instance `instance` of scope s exports as `export_name`.
  Target instance_export(const Scope &s, uint32_t instance, const std::string &export_name,
                         int depth, std::string name) {
    deeper(depth);
    if (instance >= s.spaces->size(Sort::Instance))
      fail("instance index " + std::to_string(instance) + " is out of range");
    IndexEntry e = s.spaces->space(Sort::Instance)[instance];
    const ExternItem *typed = nullptr;  // an instance given by an instance type
    switch (e.origin) {
      case Origin::Import:
        typed = &(s.component ? s.component->imports : s.decls->imports)[e.item];
        break;
      case Origin::Export:
        if (s.component) {
          const Export &x = s.component->exports[e.item];
          return instance_export(s, x.index, export_name, depth + 1, std::move(name));
        }
        typed = &s.decls->exports[e.item];
        break;
      case Origin::Alias: {
        // An instance exported by an instance: its type is that export's.
        const Alias &a = s.component ? s.component->aliases[e.item] : s.decls->aliases[e.item];
        if (a.target != Alias::Target::InstanceExport)
          fail("instance index " + std::to_string(instance) + " is not an instance export");
        Target outer_instance = instance_type_export(s, a.instance, a.name, depth + 1);
        return export_of_instance_type(outer_instance, export_name, depth + 1, std::move(name));
      }
      case Origin::Definition: {
        if (!s.component) fail("an instance defined outside a component");
        const Instance &inst = s.component->instances[e.item];
        if (!inst.component) {
          for (const SortRef &r : inst.exports)
            if (r.sort == Sort::Type && r.name == export_name)
              return follow(s, r.index, depth + 1, std::move(name));
          fail("instance " + std::to_string(instance) + " exports no type \"" + export_name + "\"");
        }
        return instantiated_export(s, inst, export_name, depth + 1, std::move(name));
      }
    }
    if (!typed || typed->desc.sort != Sort::Instance)
      fail("instance index " + std::to_string(instance) + " is not typed by an instance type");
    Target it = follow(s, typed->desc.type, depth + 1);
    return export_of_instance_type(it, export_name, depth + 1, std::move(name));
  }

  // The instance type an instance's export `export_name` has (an instance
  // exported by an instance).
  Target instance_type_export(const Scope &s, uint32_t instance, const std::string &export_name,
                              int depth) {
    deeper(depth);
    if (instance >= s.spaces->size(Sort::Instance))
      fail("instance index " + std::to_string(instance) + " is out of range");
    IndexEntry e = s.spaces->space(Sort::Instance)[instance];
    if (e.origin != Origin::Import && !(e.origin == Origin::Export && !s.component))
      fail("instance " + std::to_string(instance) + " is not typed by an instance type");
    const ExternItem &typed = e.origin == Origin::Import
                                  ? (s.component ? s.component->imports : s.decls->imports)[e.item]
                                  : s.decls->exports[e.item];
    Target it = follow(s, typed.desc.type, depth + 1);
    const Scope *d = decl_scope(it);
    if (!d || !std::holds_alternative<std::unique_ptr<InstanceType>>(*it.body))
      fail("instance " + std::to_string(instance) + " is not typed by an instance type");
    for (const ExternItem &x : d->decls->exports)
      if (x.name == export_name && x.desc.sort == Sort::Instance)
        return follow(*d, x.desc.type, depth + 1);
    fail("instance " + std::to_string(instance) + " exports no instance \"" + export_name + "\"");
  }

  // Export `export_name` of an instance type, a type.
  Target export_of_instance_type(const Target &it, const std::string &export_name, int depth,
                                 std::string name) {
    const Scope *d = decl_scope(it);
    if (!d || !std::holds_alternative<std::unique_ptr<InstanceType>>(*it.body))
      fail("an instance typed by something other than an instance type");
    for (size_t i = 0; i < d->decls->exports.size(); i++) {
      const ExternItem &x = d->decls->exports[i];
      if (x.name != export_name) continue;
      if (x.desc.sort != Sort::Type) fail("export \"" + export_name + "\" is not a type");
      if (x.desc.sub_resource) return Target{nullptr, d, true, std::move(name)};
      return follow(*d, x.desc.type, depth + 1, std::move(name));
    }
    fail("an instance type exports no \"" + export_name + "\"");
  }

  // Export `export_name` of a component instantiated in scope s: found in the
  // nested component, and when it is one of that component's imports, the
  // argument the instantiation gave for it.
  Target instantiated_export(const Scope &s, const Instance &inst, const std::string &export_name,
                             int depth, std::string name) {
    deeper(depth);
    uint32_t ci = *inst.component;
    if (ci >= s.spaces->size(Sort::Component)) fail("a component index out of range");
    IndexEntry ce = s.spaces->space(Sort::Component)[ci];
    if (ce.origin != Origin::Definition)
      fail("an instance of a component not defined in the component");
    const Component &nested = s.component->components[ce.item];
    const Scope *ns = scope(Scope{&nested, &nested, nullptr, &s});
    for (const Export &x : nested.exports)
      if (x.sort == Sort::Type && x.name == export_name)
        return through_args(s, inst, *ns, x.index, depth + 1, std::move(name));
    fail("an instantiated component exports no type \"" + export_name + "\"");
  }

  // Type `index` of an instantiated component, an import of it replaced by
  // the instantiation's argument.
  Target through_args(const Scope &s, const Instance &inst, const Scope &ns, uint32_t index,
                      int depth, std::string name) {
    for (;; depth++) {
      deeper(depth);
      if (index >= ns.spaces->size(Sort::Type)) fail("a type index out of range");
      IndexEntry e = ns.spaces->space(Sort::Type)[index];
      if (e.origin == Origin::Export) {
        const Export &x = ns.component->exports[e.item];
        keep_first_name_into(name, x.name);
        index = x.index;
        continue;
      }
      if (e.origin != Origin::Import) return follow(ns, index, depth + 1, std::move(name));
      const ExternItem &imp = ns.component->imports[e.item];
      for (const SortRef &a : inst.args)
        if (a.name == imp.name && a.sort == Sort::Type)
          return follow(s, a.index, depth + 1, std::move(name));
      return follow(ns, index, depth + 1, std::move(name));
    }
  }

  const Type *defined(const Scope &s, uint32_t index, int depth) {
    Target t = follow(s, index, depth);
    if (t.resource) fail("resource type \"" + t.name + "\" used as a value");
    const Scope &in = *t.scope;
    int d = depth + 1;
    const Type *out = std::visit(
        [&](const auto &b) -> const Type * {
          using B = std::decay_t<decltype(b)>;
          if constexpr (std::is_same_v<B, Prim>) {
            return arena_.prim(prim_kind(b));
          } else if constexpr (std::is_same_v<B, RecordType>) {
            std::vector<std::pair<std::string, const Type *>> fields;
            for (const Field &f : b.fields) fields.push_back({f.name, value_type(in, f.type, d)});
            return arena_.record(std::move(fields));
          } else if constexpr (std::is_same_v<B, VariantType>) {
            std::vector<std::pair<std::string, const Type *>> cases;
            for (const Case &c : b.cases)
              cases.push_back({c.name, c.type ? value_type(in, *c.type, d) : nullptr});
            return arena_.variant(std::move(cases));
          } else if constexpr (std::is_same_v<B, ListType>) {
            return arena_.list(value_type(in, b.element, d));
          } else if constexpr (std::is_same_v<B, TupleType>) {
            std::vector<const Type *> items;
            for (const component::ValType &v : b.elements) items.push_back(value_type(in, v, d));
            return arena_.tuple(std::move(items));
          } else if constexpr (std::is_same_v<B, FlagsType>) {
            if (b.names.size() > kMaxFlags)
              fail("flags with more than " + std::to_string(kMaxFlags) + " labels");
            return arena_.flags(b.names);
          } else if constexpr (std::is_same_v<B, EnumType>) {
            return arena_.enumeration(b.names);
          } else if constexpr (std::is_same_v<B, OptionType>) {
            return arena_.option(value_type(in, b.value, d));
          } else if constexpr (std::is_same_v<B, ResultType>) {
            const Type *ok = b.ok ? value_type(in, *b.ok, d) : nullptr;
            const Type *err = b.error ? value_type(in, *b.error, d) : nullptr;
            return arena_.result(ok, err);
          } else if constexpr (std::is_same_v<B, OwnType> || std::is_same_v<B, BorrowType>) {
            Target r = follow(in, b.resource, d);
            if (!r.resource)
              fail("a handle of type index " + std::to_string(b.resource) +
                   ", which is not a resource");
            // A handle carries its resource's name, for messages.
            const Type *h = std::is_same_v<B, OwnType> ? arena_.own(0) : arena_.borrow(0);
            return r.name.empty() ? h : made(arena_.named(h, r.name));
          } else {
            fail("type index " + std::to_string(index) + " is not a value type");
          }
        },
        *t.body);
    made(out);
    bool nameable = out->kind == Kind::Record || out->kind == Kind::Variant ||
                    out->kind == Kind::Enum || out->kind == Kind::Flags;
    if (nameable && !t.name.empty()) return made(arena_.named(out, t.name));
    return out;
  }

  TypeArena &arena_;
  std::deque<Scope> scopes_;
  size_t made_ = 0;
};

// The chain of components from `root` down to `target`, outermost first;
// empty when target is not inside root.
bool chain_to(const Component &root, const Component *target,
              std::vector<const Component *> &chain) {
  chain.push_back(&root);
  if (&root == target) return true;
  for (const Component &c : root.components)
    if (chain_to(c, target, chain)) return true;
  chain.pop_back();
  return false;
}

// Whether a type holds a handle anywhere.
bool has_handle(const Type *t) {
  if (!t) return false;
  if (t->kind == Kind::Own || t->kind == Kind::Borrow) return true;
  for (const Type *i : t->items)
    if (has_handle(i)) return true;
  return false;
}

}  // namespace

std::vector<WitFunction> wit_functions(const Component &component, const Package &package,
                                       TypeArena &arena) {
  Resolver r(arena);
  std::vector<WitFunction> out;
  for (size_t i = 0; i < package.exports.size(); i++) {
    const ExportedFunc &x = package.exports[i];
    if (!x.type) fail("the type of exported function \"" + x.name + "\" cannot be resolved");
    std::vector<const Component *> chain;
    if (!chain_to(component, x.scope ? x.scope : &component, chain))
      fail("exported function \"" + x.name + "\" is typed in a component not inside this one");
    const Scope *s = nullptr;
    for (const Component *c : chain) s = r.scope(Scope{c, c, nullptr, s});
    WitFunction f;
    f.interface = x.interface;
    f.name = x.name;
    f.export_index = i;
    for (const Field &p : x.type->params) {
      f.param_names.push_back(p.name);
      f.sig.params.push_back(r.value_type(*s, p.type, 1));
    }
    if (x.type->result) f.sig.result = r.value_type(*s, *x.type->result, 1);
    const char *why = ": resources stay inside the component";
    for (size_t p = 0; p < f.sig.params.size() && !f.refusal; p++)
      if (has_handle(f.sig.params[p]))
        f.refusal = "parameter " + std::to_string(p + 1) + " (" + f.param_names[p] + ") has type " +
                    wit_text(*f.sig.params[p]) + why;
    if (!f.refusal && has_handle(f.sig.result))
      f.refusal = "the result has type " + wit_text(*f.sig.result) + why;
    out.push_back(std::move(f));
  }
  return out;
}

}  // namespace pgwasm::component
