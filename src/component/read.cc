#include "component/read.h"

#include <algorithm>
#include <unordered_set>

#include "component/names.h"
#include "component/reader.h"
#include "toolkit/binary.h"
#include "toolkit/limits.h"

namespace pgwasm::component {

namespace reader {

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
        size_t index_at = c.offset();
        o.memory = c.u32("a core memory index");
        check_index(index_at, Sort::CoreMemory, *o.memory);
        break;
      }
      case 0x04:
      case 0x05: {
        bool realloc = opt == 0x04;
        once(realloc ? o.realloc.has_value() : o.post_return.has_value(),
             realloc ? "realloc" : "post-return");
        if (!realloc && !lift) invalid(at, "post-return is an option of lift only");
        size_t index_at = c.offset();
        uint32_t f = c.u32("a core func index");
        check_index(index_at, Sort::CoreFunc, f);
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

void Reader::core_module_section(Cursor &c, Component &comp) {
  size_t at = c.offset();
  std::span<const uint8_t> bytes = c.bytes(c.left(), "a core module");
  if (bytes.size() < 8 || !std::equal(kMagic, kMagic + 4, bytes.begin()) ||
      !std::equal(kModuleVersion, kModuleVersion + 4, bytes.begin() + 4))
    malformed(at, "expected a core module (\\0asm, version 1)");
  uint32_t index = static_cast<uint32_t>(comp.core_modules.size());
  ModuleInfo info;
  try {
    std::optional<toolkit::ModuleScan> kept = facts_ ? facts_->find(index, bytes) : std::nullopt;
    if (!kept) {
      kept = toolkit::describe_module(bytes);
      if (facts_) facts_->keep(index, bytes, *kept);
    }
    info = std::move(kept->info);
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
      size_t module_at = c.offset();
      inst.module = c.u32("a core module index");
      check_index(module_at, Sort::CoreModule, *inst.module);
      uint32_t nargs = c.count("instantiation arguments", 3);
      inst.args.reserve(nargs);
      for (uint32_t k = 0; k < nargs; k++) {
        size_t arg_name_at = c.offset();
        std::string name = c.name("an argument name");
        for (const auto &prev : inst.args)
          if (prev.name == name)
            invalid(arg_name_at, "duplicate instantiation argument \"" + name + "\"");
        size_t sort_at = c.offset();
        if (c.byte("0x12 (instance)") != 0x12) malformed(sort_at, "expected 0x12 (instance)");
        size_t index_at = c.offset();
        uint32_t instance = c.u32("a core instance index");
        check_index(index_at, Sort::CoreInstance, instance);
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
        size_t export_name_at = c.offset();
        std::string name = c.name("a core export name");
        for (const auto &prev : inst.exports)
          if (prev.name == name) invalid(export_name_at, "duplicate core export \"" + name + "\"");
        Sort s = core_sort(c);
        size_t index_at = c.offset();
        uint32_t index = c.u32("an index");
        check_index(index_at, s, index);
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
        size_t name_at = c.offset();
        std::string name = exports ? extern_name(c, "an export name") : c.name("an argument name");
        for (const auto &prev : out)
          if (prev.name == name) invalid(name_at, "duplicate name \"" + name + "\"");
        Sort s = sort(c);
        size_t index_at = c.offset();
        uint32_t index = c.u32("an index");
        check_index(index_at, s, index);
        out.push_back({std::move(name), s, index});
      }
      return out;
    };
    if (form == 0x00) {
      size_t component_at = c.offset();
      inst.component = c.u32("a component index");
      check_index(component_at, Sort::Component, *inst.component);
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
        size_t func_byte_at = c.offset();
        if (c.byte("0x00 (func)") != 0x00) malformed(func_byte_at, "expected 0x00 (func)");
        canon.kind = lift ? Canon::Kind::Lift : Canon::Kind::Lower;
        size_t func_at = c.offset();
        canon.func = c.u32(lift ? "a core func index" : "a func index");
        check_index(func_at, lift ? Sort::CoreFunc : Sort::Func, canon.func);
        canon.options = canon_options(c, lift);
        if (lift) {
          size_t type_at = c.offset();
          canon.type = c.u32("a type index");
          check_index(type_at, Sort::Type, canon.type);
          Resolved r = resolve(scope(), canon.type);
          if (r.known && !(r.body && std::holds_alternative<FuncType>(*r.body)))
            invalid(type_at,
                    "type " + std::to_string(canon.type) + " of a lift is not a func type");
        }
        break;
      }
      case 0x02:
      case 0x03:
      case 0x04: {
        canon.kind = form == 0x02   ? Canon::Kind::ResourceNew
                     : form == 0x03 ? Canon::Kind::ResourceDrop
                                    : Canon::Kind::ResourceRep;
        size_t type_at = c.offset();
        canon.type = c.u32("a type index");
        check_index(type_at, Sort::Type, canon.type);
        Resolved r = resolve(scope(), canon.type);
        // new and rep need a resource this component defines; drop any.
        bool ok = form == 0x03 ? !r.known || r.resource
                               : r.body && std::holds_alternative<ResourceType>(*r.body);
        if (!ok)
          invalid(type_at,
                  "type " + std::to_string(canon.type) + " is not " +
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
    size_t sort_at = c.offset();
    e.sort = sort(c);
    if (is_core(e.sort) && e.sort != Sort::CoreModule)
      invalid(sort_at, "a component exports no core sort but core modules");
    size_t index_at = c.offset();
    e.index = c.u32("an index");
    check_index(index_at, e.sort, e.index);
    size_t desc_at = c.offset();
    switch (c.byte("0x00 or 0x01 (an optional extern type)")) {
      case 0x00: break;
      case 0x01: {
        e.desc = extern_desc(c);
        if (e.desc->sort != e.sort)
          invalid(desc_at,
                  "an export of a " + sort_name(e.sort) + " typed as a " + sort_name(e.desc->sort));
        break;
      }
      default: malformed(desc_at, "expected 0x00 or 0x01 (an optional extern type)");
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

}  // namespace reader

bool is_component(std::span<const uint8_t> bytes) {
  using reader::kComponentVersion;
  using reader::kMagic;
  return bytes.size() >= 8 && std::equal(kMagic, kMagic + 4, bytes.begin()) &&
         std::equal(kComponentVersion + 2, kComponentVersion + 4, bytes.begin() + 6);
}

Component read_component(std::span<const uint8_t> bytes) {
  return read_component(bytes, nullptr);
}

Component read_component(std::span<const uint8_t> bytes, CoreModuleFacts *facts) {
  if (bytes.size() > toolkit::limits::kModuleBytes)
    malformed(0, "a component of " + std::to_string(bytes.size()) + " bytes is larger than " +
                     std::to_string(toolkit::limits::kModuleBytes));
  return reader::Reader(bytes, facts).component(0, bytes.size());
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
