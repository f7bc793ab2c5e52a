#include <optional>
#include <string>
#include <vector>

#include "pg/guard.h"
#include "pg/sql_function.h"

namespace pgwasm::pg {

FuncType SqlFunction::wasm_type() const {
  FuncType t;
  for (auto a : args) t.params.push_back(wasm_type_of(a));
  if (result) t.results.push_back(wasm_type_of(*result));
  return t;
}

static const char *sql_name(SqlKind k) {
  switch (k) {
    case SqlKind::Bool: return "bool";
    case SqlKind::Int2: return "int2";
    case SqlKind::Int4: return "int4";
    case SqlKind::Int8: return "int8";
    case SqlKind::Float4: return "float4";
    case SqlKind::Float8: return "float8";
  }
  return "?";
}

std::string SqlFunction::sql_type_string() const {
  std::string s = "(";
  for (size_t i = 0; i < args.size(); i++) s += (i ? ", " : "") + std::string(sql_name(args[i]));
  return s + ") -> " + (result ? sql_name(*result) : "void");
}

static constexpr const char *kSupportedTypes =
    "Wasm functions take and return bool, smallint, integer, bigint, real and double precision, "
    "and may return void.";

SqlFunction describe_sql_function(Oid fn_oid) {
  struct Raw {
    std::string signature, name, prosrc;
    std::vector<Oid> argtypes;
    Oid rettype = InvalidOid;
    bool retset = false, has_modes = false;
  } raw;
  pg_guard([&] {
    HeapTuple tup = SearchSysCache1(PROCOID, ObjectIdGetDatum(fn_oid));
    if (!HeapTupleIsValid(tup)) elog(ERROR, "cache lookup failed for function %u", fn_oid);
    auto *proc = (Form_pg_proc)GETSTRUCT(tup);
    raw.signature = format_procedure(fn_oid);
    raw.name = NameStr(proc->proname);
    raw.rettype = proc->prorettype;
    raw.retset = proc->proretset;
    for (int i = 0; i < proc->pronargs; i++) raw.argtypes.push_back(proc->proargtypes.values[i]);
    bool isnull;
    SysCacheGetAttr(PROCOID, tup, Anum_pg_proc_proallargtypes, &isnull);
    raw.has_modes = !isnull;
    Datum src = SysCacheGetAttr(PROCOID, tup, Anum_pg_proc_prosrc, &isnull);
    if (!isnull) raw.prosrc = TextDatumGetCString(src);
    ReleaseSysCache(tup);
  });

  SqlFunction fn;
  fn.signature = raw.signature;
  auto source = parse_function_source(raw.prosrc);
  if (!source)
    throw SqlError(
        ERRCODE_INVALID_FUNCTION_DEFINITION,
        "invalid AS string for wasm function " + fn.signature + ": \"" + raw.prosrc + "\"", "",
        "Write AS 'module::export', or AS 'module' when the export has the function's name.");
  fn.source = *source;
  if (fn.source.export_name.empty()) fn.source.export_name = raw.name;

  if (raw.retset)
    throw SqlError(ERRCODE_FEATURE_NOT_SUPPORTED,
                   "wasm function " + fn.signature + " cannot return a set");
  if (raw.has_modes)
    throw SqlError(
        ERRCODE_FEATURE_NOT_SUPPORTED,
        "wasm function " + fn.signature + " cannot have OUT, INOUT or VARIADIC parameters");
  for (size_t i = 0; i < raw.argtypes.size(); i++) {
    auto kind = sql_kind_of(raw.argtypes[i]);
    if (!kind) {
      std::string type = pg_guard([&] { return format_type_be(raw.argtypes[i]); });
      throw SqlError(ERRCODE_INVALID_FUNCTION_DEFINITION,
                     "wasm function " + fn.signature + " cannot take type " + type + " (argument " +
                         std::to_string(i + 1) + ")",
                     "", kSupportedTypes);
    }
    fn.args.push_back(*kind);
  }
  if (raw.rettype != VOIDOID) {
    auto kind = sql_kind_of(raw.rettype);
    if (!kind) {
      std::string type = pg_guard([&] { return format_type_be(raw.rettype); });
      throw SqlError(ERRCODE_INVALID_FUNCTION_DEFINITION,
                     "wasm function " + fn.signature + " cannot return type " + type, "",
                     kSupportedTypes);
    }
    fn.result = kind;
  }
  return fn;
}

uint32_t bind_export(const SqlFunction &fn, const LoadedModule &module) {
  const ModuleInfo &info = module.compiled->info();
  const std::string &want = fn.source.export_name;
  for (uint32_t i = 0; i < info.exports.size(); i++) {
    if (info.exports[i].name != want) continue;
    const auto *type = std::get_if<FuncType>(&info.exports[i].type);
    if (!type)
      throw SqlError(ERRCODE_WRONG_OBJECT_TYPE,
                     "export \"" + want + "\" of wasm module \"" + module.name + "\" is a " +
                         std::string(to_string(kind_of(info.exports[i].type))) +
                         ", not a function");
    FuncType expected = fn.wasm_type();
    if (*type != expected)
      throw SqlError(ERRCODE_INVALID_FUNCTION_DEFINITION,
                     "function " + fn.signature + " does not match export \"" + want +
                         "\" of wasm module \"" + module.name + "\"",
                     "The SQL signature " + fn.sql_type_string() + " needs the Wasm type " +
                         to_string(expected) + "; the export's type is " + to_string(*type) + ".");
    return i;
  }
  throw SqlError(ERRCODE_UNDEFINED_FUNCTION,
                 "wasm module \"" + module.name + "\" has no export \"" + want + "\"", "",
                 "See its exports with: SELECT * FROM wasm.module_exports('" + module.name + "');");
}

}  // namespace pgwasm::pg
