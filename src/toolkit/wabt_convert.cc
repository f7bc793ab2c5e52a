#include "toolkit/wabt_convert.h"

#include <stdexcept>

namespace pgwasm::toolkit {

ValType from_wabt(wabt::Type t) {
  switch (t) {
    case wabt::Type::I32: return ValType::I32;
    case wabt::Type::I64: return ValType::I64;
    case wabt::Type::F32: return ValType::F32;
    case wabt::Type::F64: return ValType::F64;
    case wabt::Type::V128: return ValType::V128;
    case wabt::Type::FuncRef: return ValType::FuncRef;
    case wabt::Type::ExternRef: return ValType::ExternRef;
    default: throw std::invalid_argument(std::string("unsupported value type ") + t.GetName());
  }
}

FuncType from_wabt(const wabt::FuncSignature &sig) {
  FuncType f;
  for (auto t : sig.param_types) f.params.push_back(from_wabt(t));
  for (auto t : sig.result_types) f.results.push_back(from_wabt(t));
  return f;
}

Limits from_wabt(const wabt::Limits &l) {
  Limits out{l.initial, std::nullopt};
  if (l.has_max) out.max = l.max;
  return out;
}

static ExternType import_type(const wabt::Import &imp) {
  using wabt::ExternalKind;
  switch (imp.kind()) {
    case ExternalKind::Func: return from_wabt(wabt::cast<wabt::FuncImport>(&imp)->func.decl.sig);
    case ExternalKind::Table: {
      const auto &t = wabt::cast<wabt::TableImport>(&imp)->table;
      return TableType{from_wabt(t.elem_type), from_wabt(t.elem_limits)};
    }
    case ExternalKind::Memory: {
      const auto &m = wabt::cast<wabt::MemoryImport>(&imp)->memory;
      return MemoryType{from_wabt(m.page_limits), m.page_limits.is_shared};
    }
    case ExternalKind::Global: {
      const auto &g = wabt::cast<wabt::GlobalImport>(&imp)->global;
      return GlobalType{from_wabt(g.type), g.mutable_};
    }
    default: throw std::invalid_argument("unsupported import kind (exception tag)");
  }
}

// Only a validated module is sure to export what exists: a module read
// without validation is checked here.
template <typename T>
static const T &exported(const T *item, const wabt::Export &e) {
  if (!item) throw std::invalid_argument("export \"" + e.name + "\" refers to nothing");
  return *item;
}

static ExternType export_type(const wabt::Module &m, const wabt::Export &e) {
  using wabt::ExternalKind;
  switch (e.kind) {
    case ExternalKind::Func: return from_wabt(exported(m.GetFunc(e.var), e).decl.sig);
    case ExternalKind::Table: {
      const auto &t = exported(m.GetTable(e.var), e);
      return TableType{from_wabt(t.elem_type), from_wabt(t.elem_limits)};
    }
    case ExternalKind::Memory: {
      const auto &mem = exported(m.GetMemory(e.var), e);
      return MemoryType{from_wabt(mem.page_limits), mem.page_limits.is_shared};
    }
    case ExternalKind::Global: {
      const auto &g = exported(m.GetGlobal(e.var), e);
      return GlobalType{from_wabt(g.type), g.mutable_};
    }
    default: throw std::invalid_argument("unsupported export kind (exception tag)");
  }
}

ModuleInfo describe(const wabt::Module &m) {
  ModuleInfo info;
  for (const auto *imp : m.imports)
    info.imports.push_back({imp->module_name, imp->field_name, import_type(*imp)});
  for (const auto *e : m.exports) info.exports.push_back({e->name, export_type(m, *e)});
  for (const auto *t : m.tables)
    info.tables.push_back(TableType{from_wabt(t->elem_type), from_wabt(t->elem_limits)});
  return info;
}

}  // namespace pgwasm::toolkit
