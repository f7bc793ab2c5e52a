// What a WebAssembly component is made of, as read from its binary
// (component-model design/mvp/Binary.md): the subset that packages of a WIT
// world such as supabase:wrappers use, built by wit-component (jco,
// wasm-tools, cargo-component).
//
// Every definition keeps the order and indices of the binary: each sort has
// an index space (IndexSpaces), and each entry says where its item is
// (an import, an export, an alias, or the sort's own definitions).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace pgwasm::component {

enum class Sort : uint8_t {
  CoreFunc,
  CoreTable,
  CoreMemory,
  CoreGlobal,
  CoreType,
  CoreModule,
  CoreInstance,
  Func,
  Value,
  Type,
  Component,
  Instance,
};
inline constexpr size_t kSortCount = 12;
std::string_view to_string(Sort s);

// Where an index of a sort's index space comes from; `item` indexes the
// scope's vector of that origin (imports, exports, aliases, or the sort's
// definitions: core_modules, core_instances, types, components, instances,
// canons for funcs and core funcs).
struct IndexEntry {
  enum class Origin : uint8_t { Import, Export, Alias, Definition };
  Origin origin;
  uint32_t item;
};

struct IndexSpaces {
  std::array<std::vector<IndexEntry>, kSortCount> spaces;
  const std::vector<IndexEntry> &space(Sort s) const { return spaces[static_cast<size_t>(s)]; }
  std::vector<IndexEntry> &space(Sort s) { return spaces[static_cast<size_t>(s)]; }
  uint32_t size(Sort s) const { return static_cast<uint32_t>(space(s).size()); }
};

// ---- types ----

enum class Prim : uint8_t { Bool, S8, U8, S16, U16, S32, U32, S64, U64, F32, F64, Char, String };
std::string_view to_string(Prim p);

// A primitive, or an index into the scope's type index space.
struct ValType {
  std::optional<Prim> prim;
  uint32_t index = 0;
};

struct Field {
  std::string name;
  ValType type;
};
struct Case {
  std::string name;
  std::optional<ValType> type;
};

struct RecordType {
  std::vector<Field> fields;
};
struct VariantType {
  std::vector<Case> cases;
};
struct ListType {
  ValType element;
};
struct TupleType {
  std::vector<ValType> elements;
};
struct FlagsType {
  std::vector<std::string> names;
};
struct EnumType {
  std::vector<std::string> names;
};
struct OptionType {
  ValType value;
};
struct ResultType {
  std::optional<ValType> ok, error;
};
struct OwnType {
  uint32_t resource;
};
struct BorrowType {
  uint32_t resource;
};
struct FuncType {
  std::vector<Field> params;
  std::optional<ValType> result;
};
// A resource defined by this component; its representation is i32.
struct ResourceType {
  std::optional<uint32_t> destructor;  // core func index
};
// A core function type (core type section, core:type declarations); core
// module types are refused.
struct CoreFuncType {
  std::vector<uint8_t> params, results;  // core valtype bytes (0x7f i32, ...)
};

// How an import, export or declaration is typed (externtype).
struct ExternDesc {
  Sort sort;                  // CoreModule, Func, Value, Type, Component or Instance
  uint32_t type = 0;          // type index (core type index for CoreModule)
  bool sub_resource = false;  // Type: (sub resource); else (eq type)
};

struct Alias {
  enum class Target : uint8_t { InstanceExport, CoreInstanceExport, Outer };
  Sort sort;
  Target target;
  uint32_t instance = 0;                      // InstanceExport, CoreInstanceExport
  std::string name;                           // InstanceExport, CoreInstanceExport
  uint32_t outer_count = 0, outer_index = 0;  // Outer
};

struct ExternItem {
  std::string name;
  ExternDesc desc;
};

struct InstanceType;
struct ComponentType;

using TypeBody =
    std::variant<Prim, RecordType, VariantType, ListType, TupleType, FlagsType, EnumType,
                 OptionType, ResultType, OwnType, BorrowType, FuncType, ResourceType,
                 std::unique_ptr<InstanceType>, std::unique_ptr<ComponentType>>;

// The declarations of an instance or component type: a scope of its own.
struct DeclScope : IndexSpaces {
  std::vector<CoreFuncType> core_types;
  std::vector<TypeBody> types;
  std::vector<Alias> aliases;
  std::vector<ExternItem> imports;  // component types only
  std::vector<ExternItem> exports;
  // A type index space entry introduced by an import or export declaration
  // points into imports/exports; its bound is in the item's desc.
};
struct InstanceType : DeclScope {};
struct ComponentType : DeclScope {};

// ---- definitions ----

struct CoreModule {
  size_t offset;                   // of the module's first byte in the component
  std::span<const uint8_t> bytes;  // a view of the bytes read
};

struct CoreExportRef {
  std::string name;
  Sort sort;  // a core sort
  uint32_t index;
};

struct CoreInstance {
  struct Arg {
    std::string name;
    uint32_t instance;  // core instance index
  };
  std::optional<uint32_t> module;  // (instantiate module args), else inline exports
  std::vector<Arg> args;
  std::vector<CoreExportRef> exports;
};

struct SortRef {
  std::string name;
  Sort sort;
  uint32_t index;
};

struct Instance {
  std::optional<uint32_t> component;  // (instantiate component args), else inline exports
  std::vector<SortRef> args;
  std::vector<SortRef> exports;
};

enum class StringEncoding : uint8_t { Utf8, Utf16, Latin1Utf16 };

struct CanonOptions {
  StringEncoding string_encoding = StringEncoding::Utf8;
  bool string_encoding_given = false;
  std::optional<uint32_t> memory;       // core memory index
  std::optional<uint32_t> realloc;      // core func index
  std::optional<uint32_t> post_return;  // core func index
};

struct Canon {
  enum class Kind : uint8_t { Lift, Lower, ResourceNew, ResourceDrop, ResourceRep };
  Kind kind;
  uint32_t func = 0;  // Lift: the core func lifted; Lower: the func lowered
  uint32_t type = 0;  // Lift: its func type; resource.*: the resource type
  CanonOptions options;
  size_t offset = 0;  // where it was read, for later errors
};

struct Export {
  std::string name;
  Sort sort;
  uint32_t index;
  std::optional<ExternDesc> desc;
};

struct Component : IndexSpaces {
  std::vector<CoreModule> core_modules;
  std::vector<CoreInstance> core_instances;
  std::vector<CoreFuncType> core_types;
  std::vector<TypeBody> types;
  std::vector<Component> components;
  std::vector<Instance> instances;
  std::vector<Alias> aliases;
  std::vector<Canon> canons;
  std::vector<ExternItem> imports;
  std::vector<Export> exports;
};

}  // namespace pgwasm::component
