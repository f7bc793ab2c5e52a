// The options of the wasm FDW: which the host knows and checks, and what a
// server, a foreign table and a user mapping resolve to (docs/fdw.md).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "pg/pg_headers.h"

namespace pgwasm::fdw {

// Options as written, in order. Every option reaches the guest; those the
// host knows it also checks and uses.
using OptionList = std::vector<std::pair<std::string, std::string>>;

OptionList option_list(List *options);  // from a DefElem list
const std::string *find_option(const OptionList &options, std::string_view name);

// A package given by URL (Supabase's fdw_package_* options).
struct PackageSpec {
  std::string url;
  std::string name;
  std::string version;
  std::string checksum;  // lower-case hex, without "sha256:"
};

// What a server is.
struct ServerConfig {
  Oid oid = InvalidOid;
  std::string name;
  std::string module;  // its module in wasm.modules
  std::optional<PackageSpec> package;
  OptionList options;
};

// A foreign table's column as the guest sees it.
struct ColumnInfo {
  std::string name;
  int attnum = 0;  // the table's attribute number
  Oid type = InvalidOid;
  int32 typmod = -1;
  std::string type_name;  // format_type_with_typemod
  std::string field;      // the column's `field` option, or its name
};

struct TableConfig {
  Oid relid = InvalidOid;
  std::string name;  // schema-qualified, quoted as needed, for messages
  OptionList options;
  std::vector<ColumnInfo> columns;  // live columns, in attribute order
  std::optional<int> rowid_column;  // index into columns
  std::optional<double> rows;       // the `rows` option
};

ServerConfig server_config(Oid server);
// Fills module and package from config.options (checked). Throws SqlError.
void complete_server_config(ServerConfig &config);
TableConfig table_config(Oid relid);
// The user mapping's options for `user` (or PUBLIC's) on the server; empty
// without one.
OptionList user_options(Oid user, Oid server);

// The module a package is stored as in wasm.modules.
std::string package_module_name(const PackageSpec &spec);

// "package \"name\" 0.1.0" or "module \"m\"", for messages and EXPLAIN.
std::string describe_code(const ServerConfig &server);

// The validator's checks of the options the host knows, for the catalog
// (ForeignServerRelationId, ...) they are given for. Throws SqlError.
void check_options(const OptionList &options, Oid catalog);

}  // namespace pgwasm::fdw
