#include "fdw/options.h"

#include <algorithm>
#include <cctype>
#include <span>
#include <string>

#include "fdw/fdw_headers.h"
#include "pg/guard.h"
#include "toolkit/sha256.h"

namespace pgwasm::fdw {

using pg::pg_guard;
using pg::SqlError;

OptionList option_list(List *options) {
  OptionList out;
  ListCell *cell;
  foreach (cell, options) {
    auto *def = static_cast<DefElem *>(lfirst(cell));
    const char *value = pg_guard([&] { return defGetString(def); });
    out.emplace_back(def->defname, value);
  }
  return out;
}

const std::string *find_option(const OptionList &options, std::string_view name) {
  for (const auto &[k, v] : options)
    if (k == name) return &v;
  return nullptr;
}

namespace {

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

// The host's options, by where they may be given.
constexpr std::string_view kServerOptions[] = {"module",
                                               "fdw_package_url",
                                               "fdw_package_name",
                                               "fdw_package_version",
                                               "fdw_package_checksum",
                                               "http_allowed_hosts",
                                               "http_timeout",
                                               "http_max_response_bytes"};
constexpr std::string_view kTableOptions[] = {"rowid_column", "rows"};
constexpr std::string_view kColumnOptions[] = {"field"};

bool known(std::span<const std::string_view> names, std::string_view name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

[[noreturn]] void bad_option(const std::string &name, const std::string &why,
                             const std::string &hint = {}) {
  throw SqlError(ERRCODE_FDW_INVALID_OPTION_NAME, "invalid option \"" + name + "\": " + why, "",
                 hint);
}

[[noreturn]] void missing_option(const std::string &what, const std::string &hint = {}) {
  throw SqlError(ERRCODE_FDW_OPTION_NAME_NOT_FOUND, what, "", hint);
}

// A whole number in [lo, hi].
int64_t integer_option(const std::string &name, const std::string &value, int64_t lo, int64_t hi) {
  size_t used = 0;
  long long v = 0;
  try {
    v = std::stoll(value, &used);
  } catch (const std::exception &) {
    used = 0;
  }
  if (used == 0 || used != value.size() || v < lo || v > hi)
    bad_option(name, "\"" + value + "\" is not a whole number from " + std::to_string(lo) + " to " +
                         std::to_string(hi));
  return v;
}

std::string normalized_checksum(const std::string &value) {
  std::string hex = starts_with(value, "sha256:") ? value.substr(7) : value;
  std::transform(hex.begin(), hex.end(), hex.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  bool ok = hex.size() == 64 &&
            std::all_of(hex.begin(), hex.end(), [](unsigned char c) { return std::isxdigit(c); });
  if (!ok)
    bad_option(
        "fdw_package_checksum",
        "\"" + value + "\" is not a SHA-256 digest (64 hex digits, optionally after sha256:)");
  return hex;
}

void check_server_options(const OptionList &options) {
  for (const auto &[name, value] : options) {
    if (!known(kServerOptions, name) &&
        (starts_with(name, "fdw_package_") || starts_with(name, "http_")))
      bad_option(name, "the wasm foreign data wrapper has no such option",
                 "Its server options are module, fdw_package_url, fdw_package_name, "
                 "fdw_package_version, fdw_package_checksum, http_allowed_hosts, http_timeout "
                 "and http_max_response_bytes; the others are the package's own.");
    if (name == "http_timeout") integer_option(name, value, 1, 3'600'000);
    if (name == "http_max_response_bytes") integer_option(name, value, 1, int64_t{1} << 30);
    if (name == "fdw_package_checksum") normalized_checksum(value);
    if (name == "fdw_package_url" && !starts_with(value, "file://") &&
        !starts_with(value, "http://") && !starts_with(value, "https://"))
      bad_option(name, "a package is read from a file:// or an http(s):// URL");
    if ((name == "module" || starts_with(name, "fdw_package_")) && value.empty())
      bad_option(name, "the value is empty");
  }
  bool has_module = find_option(options, "module");
  bool has_url = find_option(options, "fdw_package_url");
  if (has_module && has_url)
    bad_option("module", "a server names either a module or a package URL, not both");
  if (!has_module && !has_url)
    missing_option("a wasm server needs the option module or fdw_package_url",
                   "module names a module in wasm.modules; fdw_package_url reads a package.");
  if (has_url)
    for (std::string_view required :
         {"fdw_package_name", "fdw_package_version", "fdw_package_checksum"})
      if (!find_option(options, required))
        missing_option("a package given by fdw_package_url needs the option " +
                       std::string(required));
}

}  // namespace

void check_options(const OptionList &options, Oid catalog) {
  if (catalog == ForeignDataWrapperRelationId) {
    if (!options.empty())
      bad_option(options.front().first, "the wasm foreign data wrapper takes no wrapper options",
                 "Give options to its servers, foreign tables and user mappings.");
  } else if (catalog == ForeignServerRelationId) {
    check_server_options(options);
  } else if (catalog == ForeignTableRelationId) {
    for (const auto &[name, value] : options) {
      if (name == "rows") {
        char *end = nullptr;
        double rows = std::strtod(value.c_str(), &end);
        if (value.empty() || *end != '\0' || !(rows >= 0))
          bad_option(name, "\"" + value + "\" is not a row count");
      }
      if (name == "rowid_column" && value.empty()) bad_option(name, "the value is empty");
    }
  } else if (catalog == AttributeRelationId) {
    for (const auto &[name, value] : options)
      if (name == "field" && value.empty()) bad_option(name, "the value is empty");
  }
}

std::string package_module_name(const PackageSpec &spec) {
  auto clean = [](const std::string &s) {
    std::string out;
    for (unsigned char c : s) out += std::isalnum(c) ? static_cast<char>(c) : '_';
    return out;
  };
  std::string name = "pkg_" + clean(spec.name) + "__" + clean(spec.version);
  if (name.size() > 63) {
    std::string key = spec.name + "@" + spec.version;
    std::string digest =
        toolkit::sha256_hex(std::span(reinterpret_cast<const uint8_t *>(key.data()), key.size()));
    name = name.substr(0, 50) + "_" + digest.substr(0, 12);
  }
  return name;
}

std::string describe_code(const ServerConfig &server) {
  if (server.package) return "package \"" + server.package->name + "\" " + server.package->version;
  return "module \"" + server.module + "\"";
}

void complete_server_config(ServerConfig &config) {
  check_server_options(config.options);
  if (const auto *url = find_option(config.options, "fdw_package_url")) {
    PackageSpec spec;
    spec.url = *url;
    spec.name = *find_option(config.options, "fdw_package_name");
    spec.version = *find_option(config.options, "fdw_package_version");
    spec.checksum = normalized_checksum(*find_option(config.options, "fdw_package_checksum"));
    config.module = package_module_name(spec);
    config.package = std::move(spec);
  } else {
    config.module = *find_option(config.options, "module");
  }
}

ServerConfig server_config(Oid server) {
  ForeignServer *fs = pg_guard([&] { return GetForeignServer(server); });
  ServerConfig config;
  config.oid = server;
  config.name = fs->servername;
  config.options = option_list(fs->options);
  complete_server_config(config);
  return config;
}

TableConfig table_config(Oid relid) {
  TableConfig config;
  config.relid = relid;
  ForeignTable *ft = pg_guard([&] { return GetForeignTable(relid); });
  config.options = option_list(ft->options);
  char *name = pg_guard([&] {
    return quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)),
                                      get_rel_name(relid));
  });
  config.name = name;
  Relation rel = pg_guard([&] { return table_open(relid, NoLock); });
  TupleDesc desc = RelationGetDescr(rel);
  for (int i = 0; i < desc->natts; i++) {
    Form_pg_attribute attr = TupleDescAttr(desc, i);
    if (attr->attisdropped) continue;
    ColumnInfo col;
    col.name = NameStr(attr->attname);
    col.attnum = attr->attnum;
    col.type = attr->atttypid;
    col.typmod = attr->atttypmod;
    List *col_options = nullptr;
    const char *type_name = pg_guard([&] {
      col_options = GetForeignColumnOptions(relid, attr->attnum);
      return format_type_with_typemod(attr->atttypid, attr->atttypmod);
    });
    col.type_name = type_name;
    OptionList opts = option_list(col_options);
    const std::string *field = find_option(opts, "field");
    col.field = field ? *field : col.name;
    config.columns.push_back(std::move(col));
  }
  pg_guard([&] { table_close(rel, NoLock); });
  if (const auto *rowid = find_option(config.options, "rowid_column")) {
    for (size_t i = 0; i < config.columns.size(); i++)
      if (config.columns[i].name == *rowid) config.rowid_column = static_cast<int>(i);
    if (!config.rowid_column)
      throw SqlError(ERRCODE_FDW_COLUMN_NAME_NOT_FOUND,
                     "foreign table " + config.name + " has no column \"" + *rowid + "\"",
                     "Its option rowid_column names it.");
  }
  if (const auto *rows = find_option(config.options, "rows"))
    config.rows = std::strtod(rows->c_str(), nullptr);
  return config;
}

OptionList user_options(Oid user, Oid server) {
  // GetUserMapping raises an error when there is none: look it up ourselves.
  List *options = pg_guard([&]() -> List * {
    HeapTuple tp =
        SearchSysCache2(USERMAPPINGUSERSERVER, ObjectIdGetDatum(user), ObjectIdGetDatum(server));
    if (!HeapTupleIsValid(tp))
      tp = SearchSysCache2(USERMAPPINGUSERSERVER, ObjectIdGetDatum(InvalidOid),
                           ObjectIdGetDatum(server));
    if (!HeapTupleIsValid(tp)) return NIL;
    bool isnull;
    Datum datum =
        SysCacheGetAttr(USERMAPPINGUSERSERVER, tp, Anum_pg_user_mapping_umoptions, &isnull);
    List *result = isnull ? NIL : untransformRelOptions(datum);
    ReleaseSysCache(tp);
    return result;
  });
  return option_list(options);
}

}  // namespace pgwasm::fdw
