// SQL functions over the module catalog: wasm.load_module and friends,
// wasm.drop_module, wasm.module_exports and wasm.create_functions.
#include <optional>
#include <string>
#include <vector>

#include "component/errors.h"
#include "component/wit_text.h"
#include "pg/abi/component_values.h"
#include "pg/catalog.h"
#include "pg/component_code.h"
#include "pg/datum_args.h"
#include "pg/export_functions.h"
#include "pg/guard.h"
#include "pg/message_text.h"
#include "pg/module_cache.h"
#include "pg/module_loader.h"
#include "pg/result_set.h"
#include "pg/sql_types.h"

using namespace pgwasm;
using namespace pgwasm::pg;

namespace {

// load_module*(name, <source>, sha256 DEFAULT NULL, replace DEFAULT false)
Datum load_from(FunctionCallInfo fcinfo, std::vector<uint8_t> code, std::string name) {
  LoadRequest req;
  req.name = std::move(name);
  req.code = std::move(code);
  req.expected_sha256 = optional_text_arg(fcinfo, 2);
  req.replace = bool_arg(fcinfo, 3, false);
  return text_result(load_module(req));
}

}  // namespace

PG_WASM_FUNCTION(pg_wasm_load_module) {
  require_args(fcinfo, {0, 1}, "wasm.load_module");
  return load_from(fcinfo, bytea_arg(fcinfo, 1), text_arg(fcinfo, 0));
}

PG_WASM_FUNCTION(pg_wasm_load_module_wat) {
  require_args(fcinfo, {0, 1}, "wasm.load_module_wat");
  std::string name = text_arg(fcinfo, 0);
  return load_from(fcinfo, module_bytes_from_text(text_arg(fcinfo, 1), name), name);
}

PG_WASM_FUNCTION(pg_wasm_load_module_file) {
  require_args(fcinfo, {0, 1}, "wasm.load_module_file");
  std::string name = text_arg(fcinfo, 0);
  return load_from(fcinfo, module_bytes_from_file(read_server_file(text_arg(fcinfo, 1)), name),
                   name);
}

PG_WASM_FUNCTION(pg_wasm_drop_module) {
  require_args(fcinfo, {0}, "wasm.drop_module");
  drop_module(text_arg(fcinfo, 0), bool_arg(fcinfo, 1, false));
  PG_RETURN_VOID();
}

namespace {

void put_export_row(ReturnSetInfo *rsinfo, const std::string &name, const std::string &kind,
                    const std::string &type, const std::optional<std::string> &inputs,
                    const std::optional<std::string> &outputs) {
  pg_guard([&] {
    Datum values[5] = {CStringGetTextDatum(name.c_str()), CStringGetTextDatum(kind.c_str()),
                       CStringGetTextDatum(type.c_str()),
                       inputs ? CStringGetTextDatum(inputs->c_str()) : 0,
                       outputs ? CStringGetTextDatum(outputs->c_str()) : 0};
    bool nulls[5] = {false, false, false, !inputs, !outputs};
    tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
  });
}

// A component's functions, one row each, with the SQL types suggested for
// them (or "-" and why none fits); its core exports are not SQL's business.
void component_export_rows(ReturnSetInfo *rsinfo, const LoadedModule &module) {
  const WitFunctions *wit = nullptr;
  try {
    wit = &module.component->wit();
  } catch (const component::ComponentError &e) {
    throw SqlError(ERRCODE_FEATURE_NOT_SUPPORTED,
                   "the WIT types of wasm component \"" + module.name + "\" cannot be read",
                   e.what());
  }
  for (const auto &f : wit->functions) {
    std::string inputs, outputs;
    if (f.refusal) {
      inputs = "- " + *f.refusal;
      outputs = "-";
    } else {
      for (size_t i = 0; i < f.sig.params.size(); i++) {
        std::string why;
        auto t = suggested_sql_type(*f.sig.params[i], &why);
        if (!t || f.sig.params[i]->kind == component::Kind::Result) {
          std::string name = i < f.param_names.size() ? " (" + f.param_names[i] + ")" : "";
          inputs = "- parameter " + std::to_string(i + 1) + name + ": " +
                   (t ? "a result cannot be passed" : why);
          break;
        }
        inputs += (i ? ", " : "") + *t;
      }
      const component::Type *r = f.sig.result;
      if (r && r->kind == component::Kind::Result) r = r->items[0];
      std::string why;
      std::optional<std::string> t = r ? suggested_sql_type(*r, &why) : "void";
      // A list of rows is a set of rows.
      if (t && r && r->kind == component::Kind::List &&
          (r->items[0]->kind == component::Kind::Record ||
           r->items[0]->kind == component::Kind::Tuple))
        t = "SETOF " + t->substr(0, t->size() - 2);
      outputs = t ? *t : "- " + why;
    }
    put_export_row(rsinfo, message_text(f.full_name(), SIZE_MAX), "component function",
                   message_text(component::wit_text(f), SIZE_MAX), inputs, outputs);
  }
}

}  // namespace

// wasm.module_exports(module) -> (name, kind, type, inputs, outputs)
PG_WASM_FUNCTION(pg_wasm_module_exports) {
  LoadedModule &module = module_cache().get(text_arg(fcinfo, 0));
  const ModuleInfo &info = module.info();
  ReturnSetInfo *rsinfo = pg_guard([&] { return begin_result_set(fcinfo); });
  if (module.component) {
    component_export_rows(rsinfo, module);
    return 0;
  }
  for (const auto &e : info.exports) {
    std::optional<std::string> inputs, outputs;
    if (const auto *ft = std::get_if<FuncType>(&e.type)) {
      inputs = sql_type_list(ft->params);
      outputs = sql_type_list(ft->results);
    }
    std::string kind(to_string(kind_of(e.type)));
    std::string type = kind_of(e.type) == ExternKind::Func ? to_string(std::get<FuncType>(e.type))
                                                           : to_string(e.type);
    // Names are any UTF-8 (zero bytes too): shown as text can hold them.
    put_export_row(rsinfo, message_text(e.name, SIZE_MAX), kind, type, inputs, outputs);
  }
  return 0;
}

// wasm.module_engine(module) -> 'native' or 'v8'
PG_WASM_FUNCTION(pg_wasm_module_engine) {
  EngineKind kind = module_cache().get(text_arg(fcinfo, 0)).engine_now();
  return pg_guard(
      [&] { return CStringGetTextDatum(kind == EngineKind::Native ? "native" : "v8"); });
}

// wasm.create_functions(module, prefix, replace DEFAULT false)
//   -> SETOF regprocedure
PG_WASM_FUNCTION(pg_wasm_create_functions) {
  require_args(fcinfo, {0, 1}, "wasm.create_functions");
  std::vector<Oid> created =
      create_export_functions(text_arg(fcinfo, 0), text_arg(fcinfo, 1), bool_arg(fcinfo, 2, false));
  pg_guard([&] {
    ReturnSetInfo *rsinfo = begin_result_set(fcinfo);
    for (Oid oid : created) {
      Datum value = ObjectIdGetDatum(oid);
      bool isnull = false;
      tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, &value, &isnull);
    }
  });
  return 0;
}

// wasm.reset_session(): every instance of this session goes (their memory
// and globals), and the engine frees their memory at once.
PG_WASM_FUNCTION(pg_wasm_reset_session) {
  reset_session();
  PG_RETURN_VOID();
}
