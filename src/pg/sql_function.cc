#include <optional>
#include <string>
#include <vector>

#include "pg/guard.h"
#include "pg/sql_function.h"
#include "toolkit/name_text.h"

namespace pgwasm::pg {

FuncType SqlFunction::wasm_type() const {
  FuncType t;
  switch (source.abi) {
    case Abi::BufferedV1: return {{ValType::I32, ValType::I32}, {ValType::I32}};
    case Abi::Direct:
      for (const auto &a : args) t.params.push_back(wasm_type_of(a.kind));
      if (result) t.results.push_back(wasm_type_of(result->kind));
      return t;
    default:
      for (const auto &a : args) {
        if (is_scalar(a.kind)) {
          t.params.push_back(wasm_type_of(a.kind));
        } else {
          t.params.push_back(ValType::I32);  // pointer
          t.params.push_back(ValType::I32);  // length
        }
      }
      if (result)
        t.results.push_back(is_scalar(result->kind) && !retset ? wasm_type_of(result->kind)
                                                               : ValType::I64);
      return t;
  }
}

std::string SqlFunction::sql_type_string() const {
  std::string s = "(";
  for (size_t i = 0; i < args.size(); i++) s += (i ? ", " : "") + type_name(args[i]);
  s += ") -> ";
  if (retset) s += "setof ";
  return s + (result ? type_name(*result) : "void");
}

static constexpr const char *kSupportedTypes =
    "Wasm functions take and return bool, smallint, integer, bigint, real, double precision, "
    "date, timestamp, timestamptz, text, varchar, char, bytea, json, jsonb, numeric, uuid and "
    "arrays of the numeric types; they may also return void, rows and sets (docs/abi.md).";

static SqlError definition_error(const SqlFunction &fn, const std::string &what,
                                 const char *hint = "") {
  return SqlError(ERRCODE_INVALID_FUNCTION_DEFINITION, "wasm function " + fn.signature + " " + what,
                  "", hint);
}

static Abi resolve_abi(const SqlFunction &fn) {
  if (fn.source.abi != Abi::Auto) return fn.source.abi;
  bool all_scalar = !fn.retset && (!fn.result || is_scalar(fn.result->kind));
  for (const auto &a : fn.args) all_scalar = all_scalar && is_scalar(a.kind);
  return all_scalar ? Abi::Direct : Abi::PgWasm;
}

// What each ABI allows of a SQL signature.
static void check_abi(const SqlFunction &fn) {
  std::string abi = std::string("abi=") + abi_name(fn.source.abi);
  switch (fn.source.abi) {
    case Abi::Direct:
      for (const auto &a : fn.args)
        if (!is_scalar(a.kind))
          throw definition_error(fn, "cannot take " + type_name(a) + " with " + abi,
                                 "Use abi=pg_wasm.");
      if (fn.result && !is_scalar(fn.result->kind))
        throw definition_error(fn, "cannot return " + type_name(*fn.result) + " with " + abi,
                               "Use abi=pg_wasm.");
      if (fn.retset)
        throw definition_error(fn, "cannot return a set with " + abi, "Use abi=pg_wasm.");
      break;
    case Abi::BufferedV1:
      if (fn.retset) throw definition_error(fn, "cannot return a set with " + abi);
      if (fn.result && fn.result->kind == SqlKind::Record)
        throw definition_error(fn, "cannot return a row with " + abi);
      break;
    default: break;
  }
}

SqlFunction describe_sql_function(Oid fn_oid) {
  struct Raw {
    std::string signature, name, prosrc;
    std::vector<Oid> argtypes;
    std::vector<char> modes;
    Oid rettype = InvalidOid;
    bool retset = false, strict = true;
  } raw;
  pg_guard([&] {
    HeapTuple tup = SearchSysCache1(PROCOID, ObjectIdGetDatum(fn_oid));
    if (!HeapTupleIsValid(tup)) elog(ERROR, "cache lookup failed for function %u", fn_oid);
    auto *proc = (Form_pg_proc)GETSTRUCT(tup);
    raw.signature = format_procedure(fn_oid);
    raw.name = NameStr(proc->proname);
    raw.rettype = proc->prorettype;
    raw.retset = proc->proretset;
    raw.strict = proc->proisstrict;
    for (int i = 0; i < proc->pronargs; i++) raw.argtypes.push_back(proc->proargtypes.values[i]);
    bool isnull;
    Datum modes = SysCacheGetAttr(PROCOID, tup, Anum_pg_proc_proargmodes, &isnull);
    if (!isnull) {
      ArrayType *arr = DatumGetArrayTypeP(modes);
      const char *m = reinterpret_cast<const char *>(ARR_DATA_PTR(arr));
      raw.modes.assign(m, m + ARR_DIMS(arr)[0]);
    }
    Datum src = SysCacheGetAttr(PROCOID, tup, Anum_pg_proc_prosrc, &isnull);
    if (!isnull) raw.prosrc = TextDatumGetCString(src);
    ReleaseSysCache(tup);
  });

  SqlFunction fn;
  fn.oid = fn_oid;
  fn.signature = raw.signature;
  fn.retset = raw.retset;
  fn.strict = raw.strict;
  std::string error;
  auto source = parse_function_source(raw.prosrc, error);
  if (!source)
    throw SqlError(ERRCODE_INVALID_FUNCTION_DEFINITION,
                   "invalid AS string for wasm function " + fn.signature + ": " + error, "",
                   "Write AS 'module::export', or AS 'module' when the export has the function's "
                   "name; options follow, as in AS 'module::export abi=pg_wasm'.");
  fn.source = *source;
  fn.requested_abi = fn.source.abi;
  if (fn.source.export_name.empty()) fn.source.export_name = raw.name;
  fn.arg_oids = raw.argtypes;
  fn.arg_typmods.assign(raw.argtypes.size(), -1);
  fn.result_oid = raw.rettype;
  // The core ABIs' checks below may refuse what a component's function
  // takes: without a core abi= the module decides (bind_export).
  bool may_be_component = fn.source.abi == Abi::Auto || fn.source.abi == Abi::Component;
  // Only the kinds of type a component's function may take (composites,
  // enums, arrays) wait for the module; the rest no ABI takes.
  auto refuse = [&](SqlError e, Oid type) {
    bool component_type = pg_guard([&] {
      char t = get_typtype(type);
      return t == TYPTYPE_COMPOSITE || t == TYPTYPE_ENUM || type == RECORDOID ||
             OidIsValid(get_element_type(type));
    });
    if (!may_be_component || !component_type) throw e;
    if (!fn.core_refusal) fn.core_refusal = std::move(e);
  };

  for (char m : raw.modes)
    if (m == PROARGMODE_INOUT || m == PROARGMODE_VARIADIC)
      throw SqlError(ERRCODE_FEATURE_NOT_SUPPORTED,
                     "wasm function " + fn.signature + " cannot have INOUT or VARIADIC parameters");
  if (fn.source.abi == Abi::Component) return fn;  // the WIT types decide (bind time)
  for (size_t i = 0; i < raw.argtypes.size(); i++) {
    auto type = sql_type_of(raw.argtypes[i]);
    if (!type || type->kind == SqlKind::Record) {
      std::string name = pg_guard([&] { return format_type_be(raw.argtypes[i]); });
      refuse(definition_error(
                 fn, "cannot take type " + name + " (argument " + std::to_string(i + 1) + ")",
                 kSupportedTypes),
             raw.argtypes[i]);
      return fn;
    }
    fn.args.push_back(*type);
  }
  if (raw.rettype != VOIDOID) {
    auto type = sql_type_of(raw.rettype);
    if (!type) {
      std::string name = pg_guard([&] { return format_type_be(raw.rettype); });
      refuse(definition_error(fn, "cannot return type " + name, kSupportedTypes), raw.rettype);
      return fn;
    }
    fn.result = type;
  }
  fn.source.abi = resolve_abi(fn);
  check_abi(fn);
  return fn;
}

// The export `name` of `module` if it is a function of type `type`.
static void require_export(const SqlFunction &fn, const LoadedModule &module, const char *name,
                           const FuncType &type, const std::string &why) {
  const ModuleInfo &info = module.info();
  const ExportDesc *e = info.find_export(name);
  const auto *have = e ? std::get_if<FuncType>(&e->type) : nullptr;
  if (!have || *have != type)
    throw SqlError(
        ERRCODE_INVALID_FUNCTION_DEFINITION,
        "wasm module \"" + module.name + "\" does not provide what " + fn.signature + " needs",
        "With abi=" + std::string(abi_name(fn.source.abi)) + ", " + why +
            ", the module must export " + name + " of type " + to_string(type) +
            (have ? "; its export has type " + to_string(*have) : std::string("")) + ".",
        "docs/abi.md describes the ABI.");
}

static void require_memory(const SqlFunction &fn, const LoadedModule &module) {
  for (const auto &e : module.info().exports)
    if (kind_of(e.type) == ExternKind::Memory) return;
  throw SqlError(
      ERRCODE_INVALID_FUNCTION_DEFINITION,
      "wasm module \"" + module.name + "\" does not provide what " + fn.signature + " needs",
      "With abi=" + std::string(abi_name(fn.source.abi)) + " the module must export its memory.");
}

uint32_t bind_export(const SqlFunction &fn, const LoadedModule &module) {
  if (fn.core_refusal) throw *fn.core_refusal;
  if (fn.source.abi == Abi::Component)
    throw SqlError(ERRCODE_INVALID_FUNCTION_DEFINITION,
                   "wasm module \"" + module.name + "\" is not a component", "",
                   "abi=component is for the functions of a WebAssembly component.");
  const ModuleInfo &info = module.info();
  const std::string &want = fn.source.export_name;
  auto index = info.export_index(want);
  if (!index)
    throw SqlError(
        ERRCODE_UNDEFINED_FUNCTION,
        "wasm module \"" + module.name + "\" has no export " + toolkit::quoted_name(want), "",
        "See its exports with: SELECT * FROM wasm.module_exports('" + module.name + "');");
  const auto *type = std::get_if<FuncType>(&info.exports[*index].type);
  if (!type)
    throw SqlError(ERRCODE_WRONG_OBJECT_TYPE,
                   "export " + toolkit::quoted_name(want) + " of wasm module \"" + module.name +
                       "\" is a " + std::string(to_string(kind_of(info.exports[*index].type))) +
                       ", not a function");
  FuncType expected = fn.wasm_type();
  if (*type != expected)
    throw SqlError(ERRCODE_INVALID_FUNCTION_DEFINITION,
                   "function " + fn.signature + " does not match export " +
                       toolkit::quoted_name(want) + " of wasm module \"" + module.name + "\"",
                   "With abi=" + std::string(abi_name(fn.source.abi)) + ", the SQL signature " +
                       fn.sql_type_string() + " needs the Wasm type " + to_string(expected) +
                       "; the export's type is " + to_string(*type) + ".");
  const FuncType alloc{{ValType::I32}, {ValType::I32}};
  if (fn.source.abi == Abi::PgWasm) {
    require_export(fn, module, "pg_wasm_abi_v1", {}, "pg_wasm's ABI version 1");
    if (info.find_export("pg_wasm_free"))
      require_export(fn, module, "pg_wasm_free", {{ValType::I32}, {}},
                     "for the host to free what it allocated");
    bool bytes_args = false;
    for (const auto &a : fn.args) bytes_args = bytes_args || is_bytes(a.kind);
    if (bytes_args) require_export(fn, module, "pg_wasm_alloc", alloc, "for its arguments");
    if (bytes_args || (fn.result && (!is_scalar(fn.result->kind) || fn.retset)))
      require_memory(fn, module);
  } else if (fn.source.abi == Abi::BufferedV1) {
    require_export(fn, module, "clickhouse_create_buffer", alloc, "ClickHouse's BUFFERED_V1");
    require_export(fn, module, "clickhouse_destroy_buffer", {{ValType::I32}, {}},
                   "ClickHouse's BUFFERED_V1");
    require_memory(fn, module);
  }
  return *index;
}

}  // namespace pgwasm::pg
