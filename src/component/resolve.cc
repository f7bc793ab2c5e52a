#include <algorithm>

#include "component/reader.h"

namespace pgwasm::component::reader {

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

Alias Reader::alias(Cursor &c, bool in_decls) {
  size_t at = c.offset();
  Alias a;
  a.sort = sort(c);
  size_t target_at = c.offset();
  uint8_t target = c.byte("an alias target (0x00 export, 0x01 core export, 0x02 outer)");
  switch (target) {
    case 0x00: {
      a.target = Alias::Target::InstanceExport;
      if (in_decls && a.sort != Sort::Type && a.sort != Sort::Instance)
        invalid(at, "an export alias in a type declares a type or an instance");
      size_t index_at = c.offset();
      a.instance = c.u32("an instance index");
      check_index(index_at, Sort::Instance, a.instance);
      size_t name_at = c.offset();
      a.name = c.name("an export name");
      const DeclScope *where = nullptr;
      std::optional<ExternDesc> desc = instance_export(scope(), a.instance, a.name, &where);
      if (desc && desc->sort == Sort::Value)
        invalid(name_at,
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
      size_t index_at = c.offset();
      a.instance = c.u32("a core instance index");
      check_index(index_at, Sort::CoreInstance, a.instance);
      size_t name_at = c.offset();
      a.name = c.name("a core export name");
      if (scope().core_instance_exports && (*scope().core_instance_exports)[a.instance]) {
        const auto &exports = *(*scope().core_instance_exports)[a.instance];
        auto it = std::find_if(exports.begin(), exports.end(),
                               [&](const auto &e) { return e.first == a.name; });
        if (it == exports.end())
          invalid(name_at, "core instance " + std::to_string(a.instance) + " has no export \"" +
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
      size_t count_at = c.offset();
      a.outer_count = c.u32("an outer scope count");
      if (a.outer_count >= scopes_.size())
        invalid(count_at, "expected an outer scope count below " + std::to_string(scopes_.size()));
      size_t index_at = c.offset();
      a.outer_index = c.u32("an index");
      const IndexSpaces &target_scope = *scopes_[scopes_.size() - 1 - a.outer_count].spaces;
      if (a.outer_index >= target_scope.size(a.sort))
        invalid(index_at, "expected a " + sort_name(a.sort) + " index below " +
                              std::to_string(target_scope.size(a.sort)) + " in the outer scope");
      return a;
    }
    default:
      malformed(target_at, "expected an alias target (0x00 export, 0x01 core export, 0x02 outer)");
  }
}

}  // namespace pgwasm::component::reader
