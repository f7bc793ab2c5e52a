#include "fdw/context.h"

#include "fdw/fdw_headers.h"
#include "fdw/sql_cells.h"
#include "pg/guard.h"
#include "pg/module_cache.h"

namespace pgwasm::fdw {

using pg::SqlError;

namespace {

// Options the host consumes; the guest sees the others. rowid_column is
// both the host's and the guest's: Supabase's guests read it themselves.
bool host_option(std::string_view name) {
  return name == "module" || name.starts_with("fdw_package_") || name.starts_with("http_") ||
         name == "rows";
}

void pack_options(pg::MsgpackPacker &packer, const OptionList &options) {
  uint32_t n = 0;
  for (const auto &[k, v] : options) n += host_option(k) ? 0 : 1;
  packer.pack_map(n);
  for (const auto &[k, v] : options) {
    if (host_option(k)) continue;
    pack_str(packer, k);
    pack_str(packer, v);
  }
}

}  // namespace

void pack_str(pg::MsgpackPacker &packer, std::string_view s) {
  packer.pack_str(static_cast<uint32_t>(s.size()));
  packer.pack_str_body(s.data(), static_cast<uint32_t>(s.size()));
}

std::string quote_name(const std::string &name) {
  return pg::pg_guard([&] { return quote_identifier(name.c_str()); });
}

uint32_t common_entries(const TableConfig *table, const OptionList *user, bool columns) {
  return 1 + (table ? 1 : 0) + (user ? 1 : 0) + (table && columns ? 1 : 0);
}

void pack_common(pg::MsgpackPacker &packer, const ServerConfig &server, const TableConfig *table,
                 const OptionList *user, bool columns) {
  pack_str(packer, "server");
  pack_options(packer, server.options);
  if (table) {
    pack_str(packer, "table");
    pack_options(packer, table->options);
  }
  if (user) {
    pack_str(packer, "user");
    pack_options(packer, *user);
  }
  if (table && columns) {
    pack_str(packer, "columns");
    packer.pack_array(static_cast<uint32_t>(table->columns.size()));
    for (const auto &c : table->columns) {
      packer.pack_map(3);
      pack_str(packer, "name");
      pack_str(packer, c.name);
      pack_str(packer, "type");
      pack_str(packer, c.type_name);
      pack_str(packer, "num");
      packer.pack_int32(c.attnum);
    }
  }
}

pg::LoadedModule &server_module(const ServerConfig &server) {
  pg::LoadedModule &module = pg::module_cache().get(server.module);
  if (server.package && module.sha256 != server.package->checksum)
    throw SqlError(ERRCODE_INVALID_PARAMETER_VALUE,
                   "the module of " + describe_code(server) +
                       " does not have the checksum of "
                       "server \"" +
                       server.name + "\"",
                   "Module \"" + server.module + "\" has sha256 " + module.sha256 +
                       "; the server's fdw_package_checksum is " + server.package->checksum + ".",
                   "Alter the server's fdw_package_* options to load the package again.");
  return module;
}

GuestContext guest_context(const ServerConfig &server, const TableConfig *table,
                           const OptionList &user, std::optional<HttpPolicy> http) {
  GuestContext ctx;
  ctx.server = server.name;
  ctx.server_oid = server.oid;
  if (table) ctx.table = table->name;
  ctx.code = describe_code(server);
  for (const auto &[k, v] : user) ctx.secrets.push_back(v);
  ctx.http = std::move(http);
  if (OidIsValid(server.oid)) ctx.stats = &server_stats(server.oid, server.name);
  return ctx;
}

std::string scan_input(const TableGuest &table_guest, const ScanPlan &plan,
                       const std::vector<QualValue> &values) {
  msgpack::sbuffer buf;
  pg::MsgpackPacker packer(buf);
  bool sorts = !plan.sorts.empty();
  packer.pack_map(common_entries(&table_guest.table, &table_guest.user, true) + 2 +
                  (sorts ? 1 : 0) + (plan.limit ? 2 : 0));
  pack_common(packer, table_guest.server, &table_guest.table, &table_guest.user, true);
  pack_str(packer, "targets");
  packer.pack_array(static_cast<uint32_t>(plan.targets.size()));
  for (int t : plan.targets) packer.pack_int32(t);
  pack_str(packer, "quals");
  packer.pack_array(static_cast<uint32_t>(plan.quals.size()));
  for (size_t i = 0; i < plan.quals.size(); i++) {
    const PushedQual &q = plan.quals[i];
    const QualValue &v = values[i];
    bool has_value = q.value >= 0 && v.present;
    packer.pack_map(2 + (has_value ? 1 : 0) + (q.any ? 1 : 0) + (q.param ? 1 : 0));
    pack_str(packer, "column");
    packer.pack_int32(q.column);
    pack_str(packer, "op");
    pack_str(packer, q.op);
    if (has_value) {
      pack_str(packer, "value");
      pack_cell(packer, v.type, v.value, v.isnull);
    }
    if (q.any) {
      pack_str(packer, "any");
      packer.pack_true();
    }
    if (q.param) {
      pack_str(packer, "param");
      packer.pack_true();
    }
  }
  if (sorts) {
    pack_str(packer, "sorts");
    packer.pack_array(static_cast<uint32_t>(plan.sorts.size()));
    for (const auto &s : plan.sorts) {
      packer.pack_map(3);
      pack_str(packer, "column");
      packer.pack_int32(s.column);
      pack_str(packer, "desc");
      s.desc ? packer.pack_true() : packer.pack_false();
      pack_str(packer, "nulls_first");
      s.nulls_first ? packer.pack_true() : packer.pack_false();
    }
  }
  if (plan.limit) {
    pack_str(packer, "limit");
    packer.pack_int64(*plan.limit);
    pack_str(packer, "offset");
    packer.pack_int64(plan.offset);
  }
  return std::string(buf.data(), buf.size());
}

TableGuest make_table_guest(Oid relid, Oid user) {
  TableGuest table_guest;
  Oid server = pg::pg_guard([&] { return GetForeignTable(relid)->serverid; });
  table_guest.server = server_config(server);
  table_guest.table = table_config(relid);
  table_guest.user = user_options(user, server);
  table_guest.http = http_policy(table_guest.server);
  pg::LoadedModule &module = server_module(table_guest.server);
  msgpack::sbuffer buf;
  pg::MsgpackPacker packer(buf);
  packer.pack_map(common_entries(&table_guest.table, &table_guest.user, true));
  pack_common(packer, table_guest.server, &table_guest.table, &table_guest.user, true);
  table_guest.guest = std::make_unique<FdwGuest>(
      module,
      guest_context(table_guest.server, &table_guest.table, table_guest.user, table_guest.http),
      std::string_view(buf.data(), buf.size()));
  return table_guest;
}

}  // namespace pgwasm::fdw
