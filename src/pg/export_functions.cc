#include <optional>
#include <string>
#include <vector>

#include "pg/backend.h"
#include "pg/export_functions.h"
#include "pg/function_source.h"
#include "pg/guard.h"
#include "pg/sql_types.h"

namespace pgwasm::pg {

// Exports the host calls on its own (ABI and WASI), never SQL functions.
static bool is_plumbing(std::string_view name) {
  for (std::string_view p :
       {"pg_wasm_abi_v1", "pg_wasm_alloc", "pg_wasm_free", "clickhouse_create_buffer",
        "clickhouse_destroy_buffer", "_initialize"})
    if (name == p) return true;
  return false;
}

std::vector<Oid> create_export_functions(std::string_view module_name, std::string_view prefix,
                                         bool replace) {
  const ModuleInfo &info = module_cache().get(module_name).compiled->info();
  std::string module(module_name);

  struct Planned {
    std::string create;     // CREATE FUNCTION ...
    std::string signature;  // "name"(int4,int4), to find it again
  };
  std::vector<Planned> planned;
  std::vector<std::string> skipped;
  for (const auto &e : info.exports) {
    const auto *ft = std::get_if<FuncType>(&e.type);
    std::optional<std::string> why;
    std::string name = prefix.empty() ? e.name : std::string(prefix) + "_" + e.name;
    if (!ft)
      why = "a " + std::string(to_string(kind_of(e.type)));
    else if (is_plumbing(e.name))
      why = "it serves the module's ABI, not SQL";
    else if (auto reason = unsupported_reason(*ft))
      why = *reason;
    else if (name.size() >= NAMEDATALEN)
      why = "the name " + name + " is longer than " + std::to_string(NAMEDATALEN - 1) + " bytes";
    if (why) {
      skipped.push_back("\"" + e.name + "\" (" + *why + ")");
      continue;
    }
    std::string args = *sql_type_list(ft->params);
    std::string result = ft->results.empty() ? "void" : *sql_type_for(ft->results[0]);
    std::string source = module + "::" + quote_export_name(e.name);
    pg_guard([&] {
      const char *ident = quote_identifier(name.c_str());
      planned.push_back({psprintf("CREATE %sFUNCTION %s(%s) RETURNS %s LANGUAGE wasm STRICT AS %s",
                                  replace ? "OR REPLACE " : "", ident, args.c_str(), result.c_str(),
                                  quote_literal_cstr(source.c_str())),
                         psprintf("%s(%s)", ident, args.c_str())});
    });
  }
  if (!skipped.empty()) {
    std::string list;
    for (const auto &s : skipped) list += (list.empty() ? "" : ", ") + s;
    pg_guard([&] {
      ereport(NOTICE, (errmsg("skipped %zu export(s) of wasm module \"%s\": %s", skipped.size(),
                              module.c_str(), list.c_str())));
    });
  }
  std::vector<Oid> created;
  pg_guard([&] {
    if (SPI_connect() != SPI_OK_CONNECT) elog(ERROR, "SPI_connect failed");
    for (const auto &p : planned) {
      if (SPI_execute(p.create.c_str(), false, 0) != SPI_OK_UTILITY)
        elog(ERROR, "could not run: %s", p.create.c_str());
      created.push_back(DatumGetObjectId(
          DirectFunctionCall1(regprocedurein, CStringGetDatum(p.signature.c_str()))));
    }
    SPI_finish();
  });
  return created;
}

}  // namespace pgwasm::pg
