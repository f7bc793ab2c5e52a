#include <unordered_set>

#include "component/names.h"
#include "component/reader.h"

namespace pgwasm::component::reader {

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
      size_t valtype_at = c.offset();
      uint8_t v = c.byte("a core value type");
      if (v != 0x7f && v != 0x7e && v != 0x7d && v != 0x7c && v != 0x7b && v != 0x70 && v != 0x6f)
        malformed(valtype_at,
                  "expected a core value type (i32, i64, f32, f64, v128, funcref, externref)");
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
      size_t label_at = c.offset();
      out.push_back(label(c, what));
      if (!seen.insert(out.back()).second)
        invalid(label_at, "duplicate label \"" + out.back() + "\"");
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
      size_t label_at = c.offset();
      std::string name = label(c, what);
      if (!seen.insert(name).second) invalid(label_at, "duplicate label \"" + name + "\"");
      out.push_back({std::move(name), valtype(c)});
    }
    return out;
  };
  auto resource_index = [&](const char *what) {
    size_t index_at = c.offset();
    uint32_t i = c.u32("a type index");
    check_index(index_at, Sort::Type, i);
    Resolved r = resolve(scope(), i);
    if (r.known && !r.resource)
      invalid(index_at,
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
        size_t label_at = c.offset();
        std::string name = label(c, "a variant case");
        if (!seen.insert(name).second) invalid(label_at, "duplicate case \"" + name + "\"");
        std::optional<ValType> t = opt_valtype(c);
        size_t end_at = c.offset();
        if (c.byte("0x00 (end of a case)") != 0x00)
          malformed(end_at, "expected 0x00 (end of a case)");
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
      size_t results_at = c.offset();
      uint8_t r = c.byte("a result list (0x00 type, 0x01 0x00 none)");
      if (r == 0x00) {
        f.result = valtype(c);
      } else if (r == 0x01) {
        size_t names_at = c.offset();
        if (c.byte("0x00 (no results)") != 0x00)
          unsupported(names_at, "named results are not supported");
      } else {
        malformed(results_at, "expected a result list (0x00 type, 0x01 0x00 none)");
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
      size_t rep_at = c.offset();
      if (c.byte("0x7f (i32, a resource's representation)") != 0x7f)
        malformed(rep_at, "expected 0x7f (i32, a resource's representation)");
      ResourceType r;
      size_t destructor_at = c.offset();
      switch (c.byte("0x00 or 0x01 (an optional destructor)")) {
        case 0x00: break;
        case 0x01: {
          size_t func_at = c.offset();
          r.destructor = c.u32("a core func index");
          check_index(func_at, Sort::CoreFunc, *r.destructor);
          break;
        }
        default: malformed(destructor_at, "expected 0x00 or 0x01 (an optional destructor)");
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
    size_t decl_at = c.offset();
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
          malformed(decl_at, "expected an instance declaration (0x00-0x02, 0x04)");
        size_t name_at = c.offset();
        std::string name = extern_name(c, import ? "an import name" : "an export name");
        if (!(import ? import_names : export_names).insert(name).second)
          invalid(name_at,
                  std::string("duplicate ") + (import ? "import" : "export") + " \"" + name + "\"");
        ExternDesc desc = extern_desc(c);
        auto &items = import ? d.imports : d.exports;
        items.push_back({std::move(name), desc});
        add(desc.sort, import ? IndexEntry::Origin::Import : IndexEntry::Origin::Export,
            items.size() - 1);
        break;
      }
      default: malformed(decl_at, "expected a declaration (0x00-0x04)");
    }
  }
  scopes_.pop_back();
}

}  // namespace pgwasm::component::reader
