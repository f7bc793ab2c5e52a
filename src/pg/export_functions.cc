#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "pg/export_functions.h"
#include "pg/function_source.h"
#include "pg/guard.h"
#include "pg/loaded_module.h"
#include "pg/message_text.h"
#include "pg/module_cache.h"
#include "pg/sql_types.h"
#include "toolkit/name_text.h"

extern "C" {
#include "mb/pg_wchar.h"
}

namespace pgwasm::pg {

// Exports the host calls on its own (ABI and WASI), never SQL functions.
static bool is_plumbing(std::string_view name) {
  for (std::string_view p :
       {"pg_wasm_abi_v1", "pg_wasm_alloc", "pg_wasm_free", "clickhouse_create_buffer",
        "clickhouse_destroy_buffer", "_initialize"})
    if (name == p) return true;
  return false;
}

// Why an export's name cannot name a SQL function and be written in an AS
// string, or nullopt. Wasm names are any UTF-8, the empty string and zero
// bytes included.
static std::optional<std::string> unusable_name(const std::string &name) {
  if (name.empty()) return "its name is empty";
  if (name.find('\0') != std::string::npos) return "its name has a zero byte";
  // AS strings are in the database's encoding, export names in UTF-8.
  bool ascii = std::all_of(name.begin(), name.end(), [](char c) { return c > 0; });
  if (!ascii && GetDatabaseEncoding() != PG_UTF8)
    return "its name is not ASCII, and the database's encoding is not UTF-8";
  return std::nullopt;
}

std::vector<Oid> create_export_functions(std::string_view module_name, std::string_view prefix,
                                         bool replace) {
  LoadedModule &loaded = module_cache().get(module_name);
  const ModuleInfo &info = loaded.info();
  std::string module(module_name);
  // The functions go to the schema CREATE FUNCTION would choose, named
  // explicitly: so that each is found again by its qualified name, never
  // a built-in of the same name (abs, length) ahead of it on the path.
  const char *schema_ident = pg_guard([] {
    char *objname;
    Oid creation =
        QualifiedNameGetCreationNamespace(list_make1(makeString(pstrdup("f"))), &objname);
    return quote_identifier(get_namespace_name(creation));
  });
  std::string schema(schema_ident);
  if (loaded.component) return create_component_functions(loaded, module, prefix, replace, schema);

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
    else if (auto unusable = unusable_name(e.name))
      why = *unusable;
    else if (is_plumbing(e.name))
      why = "it serves the module's ABI, not SQL";
    else if (auto reason = unsupported_reason(*ft))
      why = *reason;
    else if (name.size() >= NAMEDATALEN)
      why = "the name " + name + " is longer than " + std::to_string(NAMEDATALEN - 1) + " bytes";
    if (why) {
      skipped.push_back(message_text(toolkit::quoted_name(e.name), 200) + " (" + *why + ")");
      continue;
    }
    std::string args = *sql_type_list(ft->params);
    std::string result = ft->results.empty() ? "void" : *sql_type_for(ft->results[0]);
    std::string source = module + "::" + quote_export_name(e.name);
    pg_guard([&] {
      const char *ident = quote_identifier(name.c_str());
      planned.push_back(
          {psprintf("CREATE %sFUNCTION %s.%s(%s) RETURNS %s LANGUAGE wasm STRICT AS %s",
                    replace ? "OR REPLACE " : "", schema.c_str(), ident, args.c_str(),
                    result.c_str(), quote_literal_cstr(source.c_str())),
           psprintf("%s.%s(%s)", schema.c_str(), ident, args.c_str())});
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
