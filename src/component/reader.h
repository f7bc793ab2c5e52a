// The component reader's state, shared by its parts: section decoding
// (read.cc), type decoding (read_types.cc) and scope, index and alias
// resolution (resolve.cc). Only those files include it; read.h is the
// interface.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "component/cursor.h"
#include "component/errors.h"
#include "component/model.h"
#include "toolkit/binary.h"

namespace pgwasm::component {
class CoreModuleFacts;
}  // namespace pgwasm::component

namespace pgwasm::component::reader {

// Components, component types and instance types open at once. The packages
// this reader serves nest three deep (a component holding a shim component
// whose imports are typed); the bound keeps recursion shallow.
inline constexpr size_t kMaxDepth = 32;

inline constexpr uint8_t kMagic[] = {0x00, 0x61, 0x73, 0x6d};
inline constexpr uint8_t kComponentVersion[] = {0x0d, 0x00, 0x01, 0x00};
inline constexpr uint8_t kModuleVersion[] = {0x01, 0x00, 0x00, 0x00};

inline std::string sort_name(Sort s) {
  return std::string(to_string(s));
}

// The sorts of a core instance's exports, for checking core export aliases;
// nothing when the instance's module is not known here.
using CoreExports = std::optional<std::vector<std::pair<std::string, Sort>>>;

inline Sort core_sort_of(ExternKind k) {
  switch (k) {
    case ExternKind::Func: return Sort::CoreFunc;
    case ExternKind::Table: return Sort::CoreTable;
    case ExternKind::Memory: return Sort::CoreMemory;
    case ExternKind::Global: return Sort::CoreGlobal;
  }
  return Sort::CoreFunc;
}

inline bool is_core(Sort s) {
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
  Reader(std::span<const uint8_t> all, CoreModuleFacts *facts) : all_(all), facts_(facts) {}

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
  CoreModuleFacts *facts_ = nullptr;
  std::vector<Scope> scopes_;
  // Core module exports per core module index of each component being read.
  std::vector<std::vector<ModuleInfo>> modules_;
};

}  // namespace pgwasm::component::reader
