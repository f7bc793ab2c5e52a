// Engine-independent description of WebAssembly types, imports and exports.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace pgwasm {

enum class ValType : uint8_t { I32, I64, F32, F64, V128, FuncRef, ExternRef };

std::string_view to_string(ValType t);
inline bool is_ref(ValType t) {
  return t == ValType::FuncRef || t == ValType::ExternRef;
}

struct FuncType {
  std::vector<ValType> params;
  std::vector<ValType> results;
  bool operator==(const FuncType &) const = default;
};
// "(i32, i32) -> i32", "() -> ()"
std::string to_string(const FuncType &t);

struct Limits {
  uint64_t min = 0;
  std::optional<uint64_t> max;
  bool operator==(const Limits &) const = default;
};
struct TableType {
  ValType element = ValType::FuncRef;
  Limits limits;
  bool operator==(const TableType &) const = default;
};
struct MemoryType {
  Limits limits;  // in 64 KiB pages
  bool shared = false;
  bool operator==(const MemoryType &) const = default;
};
struct GlobalType {
  ValType type = ValType::I32;
  bool is_mutable = false;
  bool operator==(const GlobalType &) const = default;
};

enum class ExternKind : uint8_t { Func, Table, Memory, Global };
std::string_view to_string(ExternKind k);

using ExternType = std::variant<FuncType, TableType, MemoryType, GlobalType>;
ExternKind kind_of(const ExternType &t);
std::string to_string(const ExternType &t);

struct ImportDesc {
  std::string module;
  std::string name;
  ExternType type;
};

struct ExportDesc {
  std::string name;
  ExternType type;
};

// What a module needs and offers, read from its binary.
struct ModuleInfo {
  std::vector<ImportDesc> imports;
  std::vector<ExportDesc> exports;
  // The module's whole table and memory index spaces, imported first.
  std::vector<TableType> tables;
  std::vector<MemoryType> memories;

  // The export with this name, if any.
  const ExportDesc *find_export(std::string_view name) const;
  // Its index in `exports`, if any.
  std::optional<uint32_t> export_index(std::string_view name) const;
};

}  // namespace pgwasm
