// The compatibility layer for wasmer-postgres and openGauss-wasm: their SQL
// API, so that code written for them runs on pg_wasm, done right: instances
// are modules in the catalog, so their functions work in every session and
// survive restarts.
//
//   wasm_new_instance(path, namespace)     -> instance id
//   wasm_new_instance_wat(path, namespace) -> instance id
//   wasm_delete_instance(id)               -> true
//
// An instance id is its namespace, which is also the module's name; the
// functions are namespace_export in the current creation schema.
#include <string>

#include "pg/catalog.h"
#include "pg/datum_args.h"
#include "pg/export_functions.h"
#include "pg/guard.h"
#include "pg/module_loader.h"
#include "toolkit/sha256.h"
#include "toolkit/text.h"

using namespace pgwasm::pg;

namespace {

Datum new_instance(FunctionCallInfo fcinfo, bool text_format) {
  require_args(fcinfo, {0, 1}, text_format ? "wasm_new_instance_wat" : "wasm_new_instance");
  std::string path = text_arg(fcinfo, 0);
  std::string ns = text_arg(fcinfo, 1);
  std::vector<uint8_t> file = read_server_file(path);
  if (text_format && pgwasm::toolkit::looks_like_binary(file))
    throw SqlError(ERRCODE_INVALID_PARAMETER_VALUE,
                   "file \"" + path + "\" holds a binary module, not text", "",
                   "Use wasm_new_instance() for .wasm files.");
  std::vector<uint8_t> code = module_bytes_from_file(std::move(file), ns);

  auto existing = catalog::find_module(ns, /*with_code=*/false);
  if (existing && !catalog::find_instance_file(ns))
    throw SqlError(ERRCODE_DUPLICATE_OBJECT,
                   "wasm module \"" + ns + "\" already exists and is not an instance", "",
                   "Choose another namespace, or drop the module with wasm.drop_module().");
  // A new instance in the same namespace replaces the old one and its
  // functions, whatever their signatures were.
  if (existing && existing->sha256 != pgwasm::toolkit::sha256_hex(code))
    drop_module(ns, /*cascade=*/true);
  load_module({ns, std::move(code), std::nullopt, false});
  catalog::save_instance(ns, path);
  create_export_functions(ns, ns, /*replace=*/true);
  return text_result(ns);
}

}  // namespace

PG_WASM_FUNCTION(pg_wasm_new_instance) {
  return new_instance(fcinfo, false);
}

PG_WASM_FUNCTION(pg_wasm_new_instance_wat) {
  return new_instance(fcinfo, true);
}

PG_WASM_FUNCTION(pg_wasm_delete_instance) {
  require_args(fcinfo, {0}, "wasm_delete_instance");
  std::string id = text_arg(fcinfo, 0);
  if (!catalog::find_instance_file(id))
    throw SqlError(ERRCODE_UNDEFINED_OBJECT, "wasm instance \"" + id + "\" does not exist");
  drop_module(id, /*cascade=*/true);
  PG_RETURN_BOOL(true);
}
