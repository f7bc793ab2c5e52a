#include "component/read.h"

#include <algorithm>
#include <unordered_set>

#include "toolkit/binary.h"
#include "component/cursor.h"
#include "component/names.h"
#include "toolkit/limits.h"

namespace pgwasm::component {

namespace {

// Components, component types and instance types open at once. The packages
// this reader serves nest three deep (a component holding a shim component
// whose imports are typed); the bound keeps recursion shallow.
constexpr size_t kMaxDepth = 32;

constexpr uint8_t kMagic[] = {0x00, 0x61, 0x73, 0x6d};
constexpr uint8_t kComponentVersion[] = {0x0d, 0x00, 0x01, 0x00};
constexpr uint8_t kModuleVersion[] = {0x01, 0x00, 0x00, 0x00};

std::string sort_name(Sort s) {
  return std::string(to_string(s));
}

// The sorts of a core instance's exports, for checking core export aliases;
// nothing when the instance's module is not known here.
using CoreExports = std::optional<std::vector<std::pair<std::string, Sort>>>;

Sort core_sort_of(ExternKind k) {
  switch (k) {
    case ExternKind::Func: return Sort::CoreFunc;
    case ExternKind::Table: return Sort::CoreTable;
    case ExternKind::Memory: return Sort::CoreMemory;
    case ExternKind::Global: return Sort::CoreGlobal;
  }
  return Sort::CoreFunc;
}

bool is_core(Sort s) {
  return s <= Sort::CoreInstance;
}

// What a type index resolves to, as far as it can be followed.
struct Resolved {
  const TypeBody *body = nullptr;  // a definition
  bool resource = false;           // a resource, defined or abstract
  bool known = false;              // false: behind an alias this reader does not follow
};

class Reader {
 public:
  explicit Reader(std::span<const uint8_t> all) : all_(all) {}

  Component component(size_t begin, size_t end);

 private:
  // ---- scopes: the component or type being read, and its enclosing ones
  struct Scope {
    IndexSpaces *spaces;
    Component *component = nullptr;  // when the scope is a component
    DeclScope *decls = nullptr;      // when it is a component or instance type
    std::vector<CoreExports> *core_instance_exports = nullptr;
  };

  void push(Scope s, size_t offset) {
    if (scopes_.size() >= kMaxDepth)
      malformed(offset,
                "components and types nested more than " + std::to_string(kMaxDepth) + " deep");
    scopes_.push_back(s);
  }
  Scope &scope() { return scopes_.back(); }

  void check_index(size_t offset, Sort sort, uint32_t index) {
    uint32_t n = scope().spaces->size(sort);
    if (index >= n)
      invalid(offset, "expected a " + sort_name(sort) + " index below " + std::to_string(n) +
                          ", found " + std::to_string(index));
  }
  void add(Sort sort, IndexEntry::Origin origin, size_t item) {
    scope().spaces->space(sort).push_back({origin, static_cast<uint32_t>(item)});
  }

  Resolved resolve(const Scope &s, uint32_t index, int hops = 0);
  Resolved resolve_in_decls(const DeclScope &d, uint32_t index, int hops);
  std::optional<ExternDesc> instance_export(const Scope &s, uint32_t instance,
                                            const std::string &name, const DeclScope **where);

  // ---- pieces
  Sort core_sort(Cursor &c);
  Sort sort(Cursor &c);
  std::string extern_name(Cursor &c, const char *what);
  ValType valtype(Cursor &c);
  std::optional<ValType> opt_valtype(Cursor &c);
  std::string label(Cursor &c, const char *what);
  ExternDesc extern_desc(Cursor &c);
  CoreFuncType core_type(Cursor &c);
  TypeBody deftype(Cursor &c, bool in_decls);
  void decls(Cursor &c, DeclScope &d, bool component_type);
  Alias alias(Cursor &c, bool in_decls);
  CanonOptions canon_options(Cursor &c, bool lift);

  // ---- sections of a component
  void core_module_section(Cursor &c, Component &comp);
  void core_instance_section(Cursor &c, Component &comp, std::vector<CoreExports> &exports);
  void instance_section(Cursor &c, Component &comp);
  void canon_section(Cursor &c, Component &comp);
  void import_section(Cursor &c, Component &comp);
  void export_section(Cursor &c, Component &comp);

  std::span<const uint8_t> all_;
  std::vector<Scope> scopes_;
  // Core module exports per core module index of each component being read.
  std::vector<std::vector<ModuleInfo>> modules_;
};

// ---- resolution

Resolved Reader::resolve_in_decls(const DeclScope &d, uint32_t index, int hops) {
  if (hops > 64 || index >= d.size(Sort::Type)) return {};
  IndexEntry e = d.space(Sort::Type)[index];
  switch (e.origin) {
    case IndexEntry::Origin::Definition: {
      const TypeBody *b = &d.types[e.item];
      return {b, std::holds_alternative<ResourceType>(*b), true};
    }
    case IndexEntry::Origin::Import:
    case IndexEntry::Origin::Export: {
      const ExternDesc &desc =
          (e.origin == IndexEntry::Origin::Import ? d.imports : d.exports)[e.item].desc;
      if (desc.sub_resource) return {nullptr, true, true};
      return resolve_in_decls(d, desc.type, hops + 1);
    }
    case IndexEntry::Origin::Alias: return {};
  }
  return {};
}

Resolved Reader::resolve(const Scope &s, uint32_t index, int hops) {
  if (hops > 64 || index >= s.spaces->size(Sort::Type)) return {};
  if (s.decls) return resolve_in_decls(*s.decls, index, hops);
  const Component &comp = *s.component;
  IndexEntry e = comp.space(Sort::Type)[index];
  switch (e.origin) {
    case IndexEntry::Origin::Definition: {
      const TypeBody *b = &comp.types[e.item];
      return {b, std::holds_alternative<ResourceType>(*b), true};
    }
    case IndexEntry::Origin::Import: {
      const ExternDesc &desc = comp.imports[e.item].desc;
      if (desc.sub_resource) return {nullptr, true, true};
      return resolve(s, desc.type, hops + 1);
    }
    case IndexEntry::Origin::Export: return resolve(s, comp.exports[e.item].index, hops + 1);
    case IndexEntry::Origin::Alias: {
      const Alias &a = comp.aliases[e.item];
      if (a.target != Alias::Target::InstanceExport) return {};
      const DeclScope *where = nullptr;
      std::optional<ExternDesc> desc = instance_export(s, a.instance, a.name, &where);
      if (!desc || !where || desc->sort != Sort::Type) return {};
      if (desc->sub_resource) return {nullptr, true, true};
      return resolve_in_decls(*where, desc->type, hops + 1);
    }
  }
  return {};
}

// The type of export `name` of instance `instance`, when the instance is an
// import typed by an instance type of this component (`where` is that type).
std::optional<ExternDesc> Reader::instance_export(const Scope &s, uint32_t instance,
                                                  const std::string &name,
                                                  const DeclScope **where) {
  if (!s.component || instance >= s.component->size(Sort::Instance)) return std::nullopt;
  const Component &comp = *s.component;
  IndexEntry e = comp.space(Sort::Instance)[instance];
  if (e.origin != IndexEntry::Origin::Import) return std::nullopt;
  Resolved r = resolve(s, comp.imports[e.item].desc.type);
  if (!r.body) return std::nullopt;
  auto *it = std::get_if<std::unique_ptr<InstanceType>>(r.body);
  if (!it) return std::nullopt;
  for (const ExternItem &x : (*it)->exports)
    if (x.name == name) {
      *where = it->get();
      return x.desc;
    }
  *where = it->get();
  return ExternDesc{Sort::Value};  // marks "no such export" (values are never read)
}

// ---- pieces

Sort Reader::core_sort(Cursor &c) {
  size_t at = c.offset();
  switch (c.byte("a core sort")) {
    case 0x00: return Sort::CoreFunc;
    case 0x01: return Sort::CoreTable;
    case 0x02: return Sort::CoreMemory;
    case 0x03: return Sort::CoreGlobal;
    case 0x04: unsupported(at, "core tags are not supported");
    case 0x10: return Sort::CoreType;
    case 0x11: return Sort::CoreModule;
    case 0x12: return Sort::CoreInstance;
    default: malformed(at, "expected a core sort (0x00-0x04, 0x10-0x12)");
  }
}

Sort Reader::sort(Cursor &c) {
  size_t at = c.offset();
  switch (c.byte("a sort")) {
    case 0x00: return core_sort(c);
    case 0x01: return Sort::Func;
    case 0x02: unsupported(at, "component values are not supported");
    case 0x03: return Sort::Type;
    case 0x04: return Sort::Component;
    case 0x05: return Sort::Instance;
    default: malformed(at, "expected a sort (0x00-0x05)");
  }
}

std::string Reader::extern_name(Cursor &c, const char *what) {
  size_t at = c.offset();
  uint8_t form = c.byte("an import or export name (0x00 or 0x01)");
  if (form == 0x02)
    unsupported(at, "names with attributes (implements, versionsuffix) are not supported");
  if (form > 0x02) malformed(at, "expected an import or export name (0x00 or 0x01)");
  size_t name_at = c.offset();
  std::string name = c.name(what);
  std::string why;
  if (!parse_extern_name(name, &why))
    invalid(name_at, "\"" + name + "\" is not a valid name: " + why);
  return name;
}

ValType Reader::valtype(Cursor &c) {
  size_t at = c.offset();
  uint32_t index = 0;
  uint8_t code = 0;
  if (c.s33("a value type", &index, &code)) {
    check_index(at, Sort::Type, index);
    Resolved r = resolve(scope(), index);
    bool value_type =
        !r.known || (!r.resource && r.body && !std::holds_alternative<FuncType>(*r.body) &&
                     !std::holds_alternative<std::unique_ptr<InstanceType>>(*r.body) &&
                     !std::holds_alternative<std::unique_ptr<ComponentType>>(*r.body));
    if (!value_type) invalid(at, "type " + std::to_string(index) + " is not a value type");
    return {std::nullopt, index};
  }
  if (code >= 0x73) return {static_cast<Prim>(0x7f - code), 0};
  if (code == 0x64) unsupported(at, "error-context is not supported");
  malformed(at, "expected a value type (a primitive 0x73-0x7f or a type index)");
}

std::optional<ValType> Reader::opt_valtype(Cursor &c) {
  size_t at = c.offset();
  switch (c.byte("0x00 or 0x01 (an optional value type)")) {
    case 0x00: return std::nullopt;
    case 0x01: return valtype(c);
    default: malformed(at, "expected 0x00 or 0x01 (an optional value type)");
  }
}

std::string Reader::label(Cursor &c, const char *what) {
  size_t at = c.offset();
  std::string s = c.name(what);
  if (!is_label(s)) invalid(at, std::string(what) + " \"" + s + "\" is not a kebab-case label");
  return s;
}

ExternDesc Reader::extern_desc(Cursor &c) {
  size_t at = c.offset();
  ExternDesc d{Sort::Func};
  switch (c.byte("an extern type (0x00-0x05)")) {
    case 0x00:
      if (c.byte("0x11 (core module)") != 0x11) malformed(at + 1, "expected 0x11 (core module)");
      d.sort = Sort::CoreModule;
      d.type = c.u32("a core type index");
      check_index(at, Sort::CoreType, d.type);
      unsupported(at, "core module types are not supported");
    case 0x01: {
      d.sort = Sort::Func;
      d.type = c.u32("a type index");
      check_index(at, Sort::Type, d.type);
      Resolved r = resolve(scope(), d.type);
      if (r.known && !(r.body && std::holds_alternative<FuncType>(*r.body)))
        invalid(at, "type " + std::to_string(d.type) + " of a func is not a func type");
      return d;
    }
    case 0x02: unsupported(at, "component values are not supported");
    case 0x03: {
      d.sort = Sort::Type;
      size_t bound_at = c.offset();
      uint8_t bound = c.byte("a type bound (0x00 eq, 0x01 sub resource)");
      if (bound == 0x01) {
        d.sub_resource = true;
      } else if (bound == 0x00) {
        d.type = c.u32("a type index");
        check_index(bound_at, Sort::Type, d.type);
      } else {
        malformed(bound_at, "expected a type bound (0x00 eq, 0x01 sub resource)");
      }
      return d;
    }
    case 0x04:
    case 0x05: {
      bool instance = all_[at] == 0x05;
      d.sort = instance ? Sort::Instance : Sort::Component;
      d.type = c.u32("a type index");
      check_index(at, Sort::Type, d.type);
      Resolved r = resolve(scope(), d.type);
      bool ok = instance
                    ? r.body && std::holds_alternative<std::unique_ptr<InstanceType>>(*r.body)
                    : r.body && std::holds_alternative<std::unique_ptr<ComponentType>>(*r.body);
      if (r.known && !ok)
        invalid(at, "type " + std::to_string(d.type) + " is not " +
                        (instance ? "an instance type" : "a component type"));
      return d;
    }
    default: malformed(at, "expected an extern type (0x00-0x05)");
  }
}

CoreFuncType Reader::core_type(Cursor &c) {
  size_t at = c.offset();
  uint8_t form = c.byte("a core type (0x60 func)");
  if (form == 0x50 || form == 0x4e || form == 0x00)
    unsupported(at, "core module, recursive and sub types are not supported");
  if (form != 0x60) malformed(at, "expected a core type (0x60 func)");
  CoreFuncType t;
  for (auto *list : {&t.params, &t.results}) {
    uint32_t n = c.count("core value types");
    list->reserve(n);
    for (uint32_t i = 0; i < n; i++) {
      size_t vat = c.offset();
      uint8_t v = c.byte("a core value type");
      if (v != 0x7f && v != 0x7e && v != 0x7d && v != 0x7c && v != 0x7b && v != 0x70 && v != 0x6f)
        malformed(vat, "expected a core value type (i32, i64, f32, f64, v128, funcref, externref)");
      list->push_back(v);
    }
  }
  return t;
}

TypeBody Reader::deftype(Cursor &c, bool in_decls) {
  size_t at = c.offset();
  uint8_t form = c.peek("a type definition");
  if (form >= 0x73 && form <= 0x7f) {
    c.byte("a primitive type");
    return static_cast<Prim>(0x7f - form);
  }
  c.byte("a type definition");
  auto labels = [&](const char *what) {
    uint32_t n = c.count(what);
    if (n == 0) invalid(at, std::string("expected at least one of ") + what);
    std::vector<std::string> out;
    out.reserve(n);
    std::unordered_set<std::string> seen;
    for (uint32_t i = 0; i < n; i++) {
      size_t lat = c.offset();
      out.push_back(label(c, what));
      if (!seen.insert(out.back()).second) invalid(lat, "duplicate label \"" + out.back() + "\"");
    }
    return out;
  };
  auto fields = [&](const char *what, bool at_least_one) {
    uint32_t n = c.count(what, 2);
    if (n == 0 && at_least_one) invalid(at, std::string("expected at least one of ") + what);
    std::vector<Field> out;
    out.reserve(n);
    std::unordered_set<std::string> seen;
    for (uint32_t i = 0; i < n; i++) {
      size_t lat = c.offset();
      std::string name = label(c, what);
      if (!seen.insert(name).second) invalid(lat, "duplicate label \"" + name + "\"");
      out.push_back({std::move(name), valtype(c)});
    }
    return out;
  };
  auto resource_index = [&](const char *what) {
    size_t iat = c.offset();
    uint32_t i = c.u32("a type index");
    check_index(iat, Sort::Type, i);
    Resolved r = resolve(scope(), i);
    if (r.known && !r.resource)
      invalid(iat,
              std::string(what) + " of type " + std::to_string(i) + ", which is not a resource");
    return i;
  };
  switch (form) {
    case 0x72: return RecordType{fields("record fields", true)};
    case 0x71: {
      uint32_t n = c.count("variant cases", 3);
      if (n == 0) invalid(at, "expected at least one variant case");
      VariantType v;
      v.cases.reserve(n);
      std::unordered_set<std::string> seen;
      for (uint32_t i = 0; i < n; i++) {
        size_t lat = c.offset();
        std::string name = label(c, "a variant case");
        if (!seen.insert(name).second) invalid(lat, "duplicate case \"" + name + "\"");
        std::optional<ValType> t = opt_valtype(c);
        size_t zat = c.offset();
        if (c.byte("0x00 (end of a case)") != 0x00) malformed(zat, "expected 0x00 (end of a case)");
        v.cases.push_back({std::move(name), t});
      }
      return v;
    }
    case 0x70: return ListType{valtype(c)};
    case 0x6f: {
      uint32_t n = c.count("tuple elements");
      if (n == 0) invalid(at, "expected at least one tuple element");
      TupleType t;
      t.elements.reserve(n);
      for (uint32_t i = 0; i < n; i++) t.elements.push_back(valtype(c));
      return t;
    }
    case 0x6e: {
      FlagsType f{labels("flags")};
      if (f.names.size() > 32) invalid(at, "expected at most 32 flags");
      return f;
    }
    case 0x6d: return EnumType{labels("enum cases")};
    case 0x6b: return OptionType{valtype(c)};
    case 0x6a: {
      ResultType r;
      r.ok = opt_valtype(c);
      r.error = opt_valtype(c);
      return r;
    }
    case 0x69: return OwnType{resource_index("own")};
    case 0x68: return BorrowType{resource_index("borrow")};
    case 0x40: {
      FuncType f;
      f.params = fields("parameters", false);
      size_t rat = c.offset();
      uint8_t r = c.byte("a result list (0x00 type, 0x01 0x00 none)");
      if (r == 0x00) {
        f.result = valtype(c);
      } else if (r == 0x01) {
        size_t zat = c.offset();
        if (c.byte("0x00 (no results)") != 0x00)
          unsupported(zat, "named results are not supported");
      } else {
        malformed(rat, "expected a result list (0x00 type, 0x01 0x00 none)");
      }
      return f;
    }
    case 0x41:
    case 0x42: {
      bool component_type = form == 0x41;
      if (component_type) {
        auto t = std::make_unique<ComponentType>();
        decls(c, *t, true);
        return t;
      }
      auto t = std::make_unique<InstanceType>();
      decls(c, *t, false);
      return t;
    }
    case 0x3f: {
      if (in_decls)
        invalid(at, "a resource type cannot be defined inside a component or instance type");
      size_t rat = c.offset();
      if (c.byte("0x7f (i32, a resource's representation)") != 0x7f)
        malformed(rat, "expected 0x7f (i32, a resource's representation)");
      ResourceType r;
      size_t dat = c.offset();
      switch (c.byte("0x00 or 0x01 (an optional destructor)")) {
        case 0x00: break;
        case 0x01: {
          size_t fat = c.offset();
          r.destructor = c.u32("a core func index");
          check_index(fat, Sort::CoreFunc, *r.destructor);
          break;
        }
        default: malformed(dat, "expected 0x00 or 0x01 (an optional destructor)");
      }
      return r;
    }
    case 0x67:
    case 0x66:
    case 0x65:
    case 0x64:
    case 0x63:
      unsupported(at,
                  "fixed-size lists, streams, futures, error contexts and maps are not supported");
    case 0x43: unsupported(at, "async functions are not supported");
    default: malformed(at, "expected a type definition");
  }
}

void Reader::decls(Cursor &c, DeclScope &d, bool component_type) {
  size_t at = c.offset();
  push({&d, nullptr, &d, nullptr}, at);
  uint32_t n = c.count("declarations");
  std::unordered_set<std::string> import_names, export_names;
  for (uint32_t i = 0; i < n; i++) {
    size_t dat = c.offset();
    uint8_t kind = c.byte("a declaration (0x00-0x04)");
    switch (kind) {
      case 0x00:
        d.core_types.push_back(core_type(c));
        add(Sort::CoreType, IndexEntry::Origin::Definition, d.core_types.size() - 1);
        break;
      case 0x01:
        d.types.push_back(deftype(c, true));
        add(Sort::Type, IndexEntry::Origin::Definition, d.types.size() - 1);
        break;
      case 0x02: {
        Alias a = alias(c, true);
        d.aliases.push_back(std::move(a));
        add(d.aliases.back().sort, IndexEntry::Origin::Alias, d.aliases.size() - 1);
        break;
      }
      case 0x03:
      case 0x04: {
        bool import = kind == 0x03;
        if (import && !component_type)
          malformed(dat, "expected an instance declaration (0x00-0x02, 0x04)");
        size_t nat = c.offset();
        std::string name = extern_name(c, import ? "an import name" : "an export name");
        if (!(import ? import_names : export_names).insert(name).second)
          invalid(nat,
                  std::string("duplicate ") + (import ? "import" : "export") + " \"" + name + "\"");
        ExternDesc desc = extern_desc(c);
        auto &items = import ? d.imports : d.exports;
        items.push_back({std::move(name), desc});
        add(desc.sort, import ? IndexEntry::Origin::Import : IndexEntry::Origin::Export,
            items.size() - 1);
        break;
      }
      default: malformed(dat, "expected a declaration (0x00-0x04)");
    }
  }
  scopes_.pop_back();
}

Alias Reader::alias(Cursor &c, bool in_decls) {
  size_t at = c.offset();
  Alias a;
  a.sort = sort(c);
  size_t tat = c.offset();
  uint8_t target = c.byte("an alias target (0x00 export, 0x01 core export, 0x02 outer)");
  switch (target) {
    case 0x00: {
      a.target = Alias::Target::InstanceExport;
      if (in_decls && a.sort != Sort::Type && a.sort != Sort::Instance)
        invalid(at, "an export alias in a type declares a type or an instance");
      size_t iat = c.offset();
      a.instance = c.u32("an instance index");
      check_index(iat, Sort::Instance, a.instance);
      size_t nat = c.offset();
      a.name = c.name("an export name");
      const DeclScope *where = nullptr;
      std::optional<ExternDesc> desc = instance_export(scope(), a.instance, a.name, &where);
      if (desc && desc->sort == Sort::Value)
        invalid(nat,
                "instance " + std::to_string(a.instance) + " has no export \"" + a.name + "\"");
      if (desc && desc->sort != a.sort)
        invalid(at, "export \"" + a.name + "\" of instance " + std::to_string(a.instance) +
                        " is a " + sort_name(desc->sort) + ", not a " + sort_name(a.sort));
      return a;
    }
    case 0x01: {
      a.target = Alias::Target::CoreInstanceExport;
      if (!is_core(a.sort)) invalid(at, "a core export alias has a core sort");
      if (in_decls) invalid(at, "a type cannot alias a core export");
      size_t iat = c.offset();
      a.instance = c.u32("a core instance index");
      check_index(iat, Sort::CoreInstance, a.instance);
      size_t nat = c.offset();
      a.name = c.name("a core export name");
      if (scope().core_instance_exports && (*scope().core_instance_exports)[a.instance]) {
        const auto &exports = *(*scope().core_instance_exports)[a.instance];
        auto it = std::find_if(exports.begin(), exports.end(),
                               [&](const auto &e) { return e.first == a.name; });
        if (it == exports.end())
          invalid(nat, "core instance " + std::to_string(a.instance) + " has no export \"" +
                           a.name + "\"");
        if (it->second != a.sort)
          invalid(at, "core export \"" + a.name + "\" is a " + sort_name(it->second) + ", not a " +
                          sort_name(a.sort));
      }
      return a;
    }
    case 0x02: {
      a.target = Alias::Target::Outer;
      if (a.sort != Sort::Type && a.sort != Sort::CoreType && a.sort != Sort::CoreModule &&
          a.sort != Sort::Component)
        invalid(at, "an outer alias names a type, core type, core module or component");
      if (in_decls && a.sort != Sort::Type && a.sort != Sort::CoreType)
        invalid(at, "an outer alias in a type names a type or core type");
      size_t cat = c.offset();
      a.outer_count = c.u32("an outer scope count");
      if (a.outer_count >= scopes_.size())
        invalid(cat, "expected an outer scope count below " + std::to_string(scopes_.size()));
      size_t iat = c.offset();
      a.outer_index = c.u32("an index");
      const IndexSpaces &target_scope = *scopes_[scopes_.size() - 1 - a.outer_count].spaces;
      if (a.outer_index >= target_scope.size(a.sort))
        invalid(iat, "expected a " + sort_name(a.sort) + " index below " +
                         std::to_string(target_scope.size(a.sort)) + " in the outer scope");
      return a;
    }
    default: malformed(tat, "expected an alias target (0x00 export, 0x01 core export, 0x02 outer)");
  }
}

CanonOptions Reader::canon_options(Cursor &c, bool lift) {
  CanonOptions o;
  uint32_t n = c.count("canonical options");
  for (uint32_t i = 0; i < n; i++) {
    size_t at = c.offset();
    uint8_t opt = c.byte("a canonical option (0x00-0x05)");
    auto once = [&](bool given, const char *what) {
      if (given) invalid(at, std::string("duplicate canonical option ") + what);
    };
    switch (opt) {
      case 0x00:
      case 0x01:
      case 0x02:
        once(o.string_encoding_given, "string-encoding");
        o.string_encoding_given = true;
        o.string_encoding = static_cast<StringEncoding>(opt);
        break;
      case 0x03: {
        once(o.memory.has_value(), "memory");
        size_t iat = c.offset();
        o.memory = c.u32("a core memory index");
        check_index(iat, Sort::CoreMemory, *o.memory);
        break;
      }
      case 0x04:
      case 0x05: {
        bool realloc = opt == 0x04;
        once(realloc ? o.realloc.has_value() : o.post_return.has_value(),
             realloc ? "realloc" : "post-return");
        if (!realloc && !lift) invalid(at, "post-return is an option of lift only");
        size_t iat = c.offset();
        uint32_t f = c.u32("a core func index");
        check_index(iat, Sort::CoreFunc, f);
        (realloc ? o.realloc : o.post_return) = f;
        break;
      }
      case 0x06:
      case 0x07: unsupported(at, "async and callback canonical options are not supported");
      default: malformed(at, "expected a canonical option (0x00-0x05)");
    }
  }
  return o;
}

// ---- sections

void Reader::core_module_section(Cursor &c, Component &comp) {
  size_t at = c.offset();
  std::span<const uint8_t> bytes = c.bytes(c.left(), "a core module");
  if (bytes.size() < 8 || !std::equal(kMagic, kMagic + 4, bytes.begin()) ||
      !std::equal(kModuleVersion, kModuleVersion + 4, bytes.begin() + 4))
    malformed(at, "expected a core module (\\0asm, version 1)");
  uint32_t index = static_cast<uint32_t>(comp.core_modules.size());
  ModuleInfo info;
  try {
    info = toolkit::describe_module(bytes).info;
  } catch (const toolkit::BinaryError &e) {
    auto kind = e.kind == toolkit::BinaryError::Kind::Malformed ? ComponentError::Kind::Malformed
                                                                : ComponentError::Kind::Invalid;
    throw ComponentError(kind, at + e.offset,
                         "core module " + std::to_string(index) + ": " + e.message);
  }
  comp.core_modules.push_back({at, bytes});
  modules_.back().push_back(std::move(info));
  add(Sort::CoreModule, IndexEntry::Origin::Definition, index);
}

void Reader::core_instance_section(Cursor &c, Component &comp, std::vector<CoreExports> &exports) {
  uint32_t n = c.count("core instances", 2);
  for (uint32_t i = 0; i < n; i++) {
    size_t at = c.offset();
    CoreInstance inst;
    CoreExports sorts;
    uint8_t form = c.byte("a core instance (0x00 instantiate, 0x01 exports)");
    if (form == 0x00) {
      size_t mat = c.offset();
      inst.module = c.u32("a core module index");
      check_index(mat, Sort::CoreModule, *inst.module);
      uint32_t nargs = c.count("instantiation arguments", 3);
      inst.args.reserve(nargs);
      for (uint32_t k = 0; k < nargs; k++) {
        size_t aat = c.offset();
        std::string name = c.name("an argument name");
        for (const auto &prev : inst.args)
          if (prev.name == name) invalid(aat, "duplicate instantiation argument \"" + name + "\"");
        size_t sat = c.offset();
        if (c.byte("0x12 (instance)") != 0x12) malformed(sat, "expected 0x12 (instance)");
        size_t iat = c.offset();
        uint32_t instance = c.u32("a core instance index");
        check_index(iat, Sort::CoreInstance, instance);
        inst.args.push_back({std::move(name), instance});
      }
      // The module is only known to this reader when defined here (an
      // alias of an outer module is taken on trust).
      IndexEntry m = comp.space(Sort::CoreModule)[*inst.module];
      if (m.origin == IndexEntry::Origin::Definition) {
        const ModuleInfo &info = modules_.back()[m.item];
        for (const ImportDesc &imp : info.imports) {
          auto arg = std::find_if(inst.args.begin(), inst.args.end(),
                                  [&](const auto &a) { return a.name == imp.module; });
          if (arg == inst.args.end())
            invalid(at, "core module " + std::to_string(*inst.module) + " imports from \"" +
                            imp.module + "\", which its instantiation does not give");
          const CoreExports &given = exports[arg->instance];
          bool found = !given || std::any_of(given->begin(), given->end(), [&](const auto &e) {
            return e.first == imp.name && e.second == core_sort_of(kind_of(imp.type));
          });
          if (!found)
            invalid(at, "core module " + std::to_string(*inst.module) + " imports \"" + imp.module +
                            "\" \"" + imp.name + "\", which core instance " +
                            std::to_string(arg->instance) + " does not export as a " +
                            std::string(to_string(kind_of(imp.type))));
        }
        sorts.emplace();
        for (const ExportDesc &e : info.exports)
          sorts->emplace_back(e.name, core_sort_of(kind_of(e.type)));
      }
    } else if (form == 0x01) {
      sorts.emplace();
      uint32_t nexp = c.count("core exports", 3);
      inst.exports.reserve(nexp);
      for (uint32_t k = 0; k < nexp; k++) {
        size_t eat = c.offset();
        std::string name = c.name("a core export name");
        for (const auto &prev : inst.exports)
          if (prev.name == name) invalid(eat, "duplicate core export \"" + name + "\"");
        Sort s = core_sort(c);
        size_t iat = c.offset();
        uint32_t index = c.u32("an index");
        check_index(iat, s, index);
        sorts->emplace_back(name, s);
        inst.exports.push_back({std::move(name), s, index});
      }
    } else {
      malformed(at, "expected a core instance (0x00 instantiate, 0x01 exports)");
    }
    comp.core_instances.push_back(std::move(inst));
    exports.push_back(std::move(sorts));
    add(Sort::CoreInstance, IndexEntry::Origin::Definition, comp.core_instances.size() - 1);
  }
}

void Reader::instance_section(Cursor &c, Component &comp) {
  uint32_t n = c.count("instances", 2);
  for (uint32_t i = 0; i < n; i++) {
    size_t at = c.offset();
    Instance inst;
    uint8_t form = c.byte("an instance (0x00 instantiate, 0x01 exports)");
    auto sort_refs = [&](bool exports) {
      uint32_t count = c.count(exports ? "exports" : "instantiation arguments", 4);
      std::vector<SortRef> out;
      out.reserve(count);
      for (uint32_t k = 0; k < count; k++) {
        size_t nat = c.offset();
        std::string name = exports ? extern_name(c, "an export name") : c.name("an argument name");
        for (const auto &prev : out)
          if (prev.name == name) invalid(nat, "duplicate name \"" + name + "\"");
        Sort s = sort(c);
        size_t iat = c.offset();
        uint32_t index = c.u32("an index");
        check_index(iat, s, index);
        out.push_back({std::move(name), s, index});
      }
      return out;
    };
    if (form == 0x00) {
      size_t cat = c.offset();
      inst.component = c.u32("a component index");
      check_index(cat, Sort::Component, *inst.component);
      inst.args = sort_refs(false);
      // Every import of a component defined here must be given.
      IndexEntry e = comp.space(Sort::Component)[*inst.component];
      if (e.origin == IndexEntry::Origin::Definition) {
        for (const ExternItem &imp : comp.components[e.item].imports) {
          auto arg = std::find_if(inst.args.begin(), inst.args.end(),
                                  [&](const auto &a) { return a.name == imp.name; });
          if (arg == inst.args.end())
            invalid(at, "component " + std::to_string(*inst.component) + " imports \"" + imp.name +
                            "\", which its instantiation does not give");
          if (arg->sort != imp.desc.sort)
            invalid(at, "argument \"" + imp.name + "\" is a " + sort_name(arg->sort) +
                            ", the import a " + sort_name(imp.desc.sort));
        }
      }
    } else if (form == 0x01) {
      inst.exports = sort_refs(true);
    } else {
      malformed(at, "expected an instance (0x00 instantiate, 0x01 exports)");
    }
    comp.instances.push_back(std::move(inst));
    add(Sort::Instance, IndexEntry::Origin::Definition, comp.instances.size() - 1);
  }
}

void Reader::canon_section(Cursor &c, Component &comp) {
  uint32_t n = c.count("canonical definitions", 2);
  for (uint32_t i = 0; i < n; i++) {
    size_t at = c.offset();
    Canon canon;
    canon.offset = at;
    uint8_t form = c.byte("a canonical definition (0x00-0x04)");
    switch (form) {
      case 0x00:
      case 0x01: {
        bool lift = form == 0x00;
        size_t zat = c.offset();
        if (c.byte("0x00 (func)") != 0x00) malformed(zat, "expected 0x00 (func)");
        canon.kind = lift ? Canon::Kind::Lift : Canon::Kind::Lower;
        size_t fat = c.offset();
        canon.func = c.u32(lift ? "a core func index" : "a func index");
        check_index(fat, lift ? Sort::CoreFunc : Sort::Func, canon.func);
        canon.options = canon_options(c, lift);
        if (lift) {
          size_t tat = c.offset();
          canon.type = c.u32("a type index");
          check_index(tat, Sort::Type, canon.type);
          Resolved r = resolve(scope(), canon.type);
          if (r.known && !(r.body && std::holds_alternative<FuncType>(*r.body)))
            invalid(tat, "type " + std::to_string(canon.type) + " of a lift is not a func type");
        }
        break;
      }
      case 0x02:
      case 0x03:
      case 0x04: {
        canon.kind = form == 0x02   ? Canon::Kind::ResourceNew
                     : form == 0x03 ? Canon::Kind::ResourceDrop
                                    : Canon::Kind::ResourceRep;
        size_t tat = c.offset();
        canon.type = c.u32("a type index");
        check_index(tat, Sort::Type, canon.type);
        Resolved r = resolve(scope(), canon.type);
        // new and rep need a resource this component defines; drop any.
        bool ok = form == 0x03 ? !r.known || r.resource
                               : r.body && std::holds_alternative<ResourceType>(*r.body);
        if (!ok)
          invalid(tat, "type " + std::to_string(canon.type) + " is not " +
                           (form == 0x03 ? "a resource" : "a resource defined by this component"));
        break;
      }
      default:
        unsupported(at,
                    "canonical definitions other than lift, lower and resource.new/drop/rep are "
                    "not supported");
    }
    comp.canons.push_back(canon);
    add(canon.kind == Canon::Kind::Lift ? Sort::Func : Sort::CoreFunc,
        IndexEntry::Origin::Definition, comp.canons.size() - 1);
  }
}

void Reader::import_section(Cursor &c, Component &comp) {
  uint32_t n = c.count("imports", 3);
  for (uint32_t i = 0; i < n; i++) {
    size_t at = c.offset();
    std::string name = extern_name(c, "an import name");
    for (const ExternItem &prev : comp.imports)
      if (prev.name == name) invalid(at, "duplicate import \"" + name + "\"");
    ExternDesc desc = extern_desc(c);
    comp.imports.push_back({std::move(name), desc});
    add(desc.sort, IndexEntry::Origin::Import, comp.imports.size() - 1);
  }
}

void Reader::export_section(Cursor &c, Component &comp) {
  uint32_t n = c.count("exports", 4);
  for (uint32_t i = 0; i < n; i++) {
    size_t at = c.offset();
    Export e;
    e.name = extern_name(c, "an export name");
    for (const Export &prev : comp.exports)
      if (prev.name == e.name) invalid(at, "duplicate export \"" + e.name + "\"");
    size_t sat = c.offset();
    e.sort = sort(c);
    if (is_core(e.sort) && e.sort != Sort::CoreModule)
      invalid(sat, "a component exports no core sort but core modules");
    size_t iat = c.offset();
    e.index = c.u32("an index");
    check_index(iat, e.sort, e.index);
    size_t dat = c.offset();
    switch (c.byte("0x00 or 0x01 (an optional extern type)")) {
      case 0x00: break;
      case 0x01: {
        e.desc = extern_desc(c);
        if (e.desc->sort != e.sort)
          invalid(dat,
                  "an export of a " + sort_name(e.sort) + " typed as a " + sort_name(e.desc->sort));
        break;
      }
      default: malformed(dat, "expected 0x00 or 0x01 (an optional extern type)");
    }
    Sort s = e.sort;
    comp.exports.push_back(std::move(e));
    add(s, IndexEntry::Origin::Export, comp.exports.size() - 1);
  }
}

Component Reader::component(size_t begin, size_t end) {
  Cursor c(all_, begin, end);
  std::span<const uint8_t> head = c.bytes(std::min<size_t>(8, c.left()), "a preamble");
  if (head.size() < 4 || !std::equal(kMagic, kMagic + 4, head.begin()))
    malformed(begin, "expected the magic number \\0asm");
  if (head.size() < 8 || !std::equal(kComponentVersion, kComponentVersion + 4, head.begin() + 4))
    malformed(begin + 4, "expected a component's version and layer (0x0d 0x00 0x01 0x00)");

  Component comp;
  std::vector<CoreExports> core_exports;
  push({&comp, &comp, nullptr, &core_exports}, begin);
  modules_.emplace_back();
  while (!c.done()) {
    size_t at = c.offset();
    uint8_t id = c.byte("a section id");
    size_t size_at = c.offset();
    uint32_t size = c.u32("a section size");
    if (size > c.left())
      malformed(size_at, "a section of " + std::to_string(size) + " bytes cannot fit in the " +
                             std::to_string(c.left()) + " bytes left");
    Cursor s(all_, c.offset(), c.offset() + size);
    switch (id) {
      case 0: s = Cursor(all_, s.end(), s.end()); break;  // custom: names, producers
      case 1: core_module_section(s, comp); break;
      case 2: core_instance_section(s, comp, core_exports); break;
      case 3: {
        uint32_t n = s.count("core types", 3);
        for (uint32_t i = 0; i < n; i++) {
          comp.core_types.push_back(core_type(s));
          add(Sort::CoreType, IndexEntry::Origin::Definition, comp.core_types.size() - 1);
        }
        break;
      }
      case 4: {
        comp.components.push_back(component(s.offset(), s.end()));
        add(Sort::Component, IndexEntry::Origin::Definition, comp.components.size() - 1);
        s = Cursor(all_, s.end(), s.end());
        break;
      }
      case 5: instance_section(s, comp); break;
      case 6: {
        uint32_t n = s.count("aliases", 4);
        for (uint32_t i = 0; i < n; i++) {
          comp.aliases.push_back(alias(s, false));
          add(comp.aliases.back().sort, IndexEntry::Origin::Alias, comp.aliases.size() - 1);
        }
        break;
      }
      case 7: {
        uint32_t n = s.count("types");
        for (uint32_t i = 0; i < n; i++) {
          comp.types.push_back(deftype(s, false));
          add(Sort::Type, IndexEntry::Origin::Definition, comp.types.size() - 1);
        }
        break;
      }
      case 8: canon_section(s, comp); break;
      case 9: unsupported(at, "start definitions are not supported");
      case 10: import_section(s, comp); break;
      case 11: export_section(s, comp); break;
      case 12: unsupported(at, "value definitions are not supported");
      default: malformed(at, "expected a section id (0-12), found " + std::to_string(id));
    }
    if (!s.done())
      malformed(s.offset(), "section " + std::to_string(id) + " ends " + std::to_string(s.left()) +
                                " bytes before its size says");
    c.bytes(size, "a section");
  }
  modules_.pop_back();
  scopes_.pop_back();
  return comp;
}

}  // namespace

bool is_component(std::span<const uint8_t> bytes) {
  return bytes.size() >= 8 && std::equal(kMagic, kMagic + 4, bytes.begin()) &&
         std::equal(kComponentVersion + 2, kComponentVersion + 4, bytes.begin() + 6);
}

Component read_component(std::span<const uint8_t> bytes) {
  if (bytes.size() > toolkit::limits::kModuleBytes)
    malformed(0, "a component of " + std::to_string(bytes.size()) + " bytes is larger than " +
                     std::to_string(toolkit::limits::kModuleBytes));
  return Reader(bytes).component(0, bytes.size());
}

std::string_view to_string(Sort s) {
  static constexpr std::string_view names[] = {
      "core func",     "core table", "core memory", "core global", "core type", "core module",
      "core instance", "func",       "value",       "type",        "component", "instance"};
  return names[static_cast<size_t>(s)];
}

std::string_view to_string(Prim p) {
  static constexpr std::string_view names[] = {"bool", "s8",  "u8",  "s16", "u16",  "s32",   "u32",
                                               "s64",  "u64", "f32", "f64", "char", "string"};
  return names[static_cast<size_t>(p)];
}

}  // namespace pgwasm::component
