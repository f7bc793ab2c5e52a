#include "toolkit/types.h"

namespace pgwasm {

std::string_view to_string(ValType t) {
  switch (t) {
    case ValType::I32: return "i32";
    case ValType::I64: return "i64";
    case ValType::F32: return "f32";
    case ValType::F64: return "f64";
    case ValType::V128: return "v128";
    case ValType::FuncRef: return "funcref";
    case ValType::ExternRef: return "externref";
  }
  return "?";
}

static void append_list(std::string &out, const std::vector<ValType> &types) {
  out += '(';
  for (size_t i = 0; i < types.size(); i++) {
    if (i > 0) out += ", ";
    out += to_string(types[i]);
  }
  out += ')';
}

std::string to_string(const FuncType &t) {
  std::string out;
  append_list(out, t.params);
  out += " -> ";
  if (t.results.size() == 1)
    out += to_string(t.results[0]);
  else
    append_list(out, t.results);
  return out;
}

std::string_view to_string(ExternKind k) {
  switch (k) {
    case ExternKind::Func: return "function";
    case ExternKind::Table: return "table";
    case ExternKind::Memory: return "memory";
    case ExternKind::Global: return "global";
  }
  return "?";
}

ExternKind kind_of(const ExternType &t) {
  return static_cast<ExternKind>(t.index());
}

static std::string limits_string(const Limits &l) {
  std::string s = std::to_string(l.min);
  if (l.max) s += ".." + std::to_string(*l.max);
  return s;
}

std::string to_string(const ExternType &t) {
  struct Printer {
    std::string operator()(const FuncType &f) { return "function " + to_string(f); }
    std::string operator()(const TableType &tt) {
      return "table of " + std::string(to_string(tt.element)) + " [" + limits_string(tt.limits) +
             "]";
    }
    std::string operator()(const MemoryType &m) {
      return "memory [" + limits_string(m.limits) + " pages]";
    }
    std::string operator()(const GlobalType &g) {
      return std::string("global ") + (g.is_mutable ? "mut " : "") + std::string(to_string(g.type));
    }
  };
  return std::visit(Printer{}, t);
}

const ExportDesc *ModuleInfo::find_export(std::string_view name) const {
  for (const auto &e : exports)
    if (e.name == name) return &e;
  return nullptr;
}

std::optional<uint32_t> ModuleInfo::export_index(std::string_view name) const {
  for (size_t i = 0; i < exports.size(); i++)
    if (exports[i].name == name) return static_cast<uint32_t>(i);
  return std::nullopt;
}

}  // namespace pgwasm
