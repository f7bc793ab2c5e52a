// A foreign table's guest for a statement: the server, table and user
// mapping resolved, the module found (and, for a package, checked against
// its checksum), and the MessagePack inputs every routine shares.
#pragma once

#include <memory>
#include <string>

#include "fdw/guest.h"
#include "fdw/http_policy.h"
#include "fdw/options.h"
#include "fdw/scan_plan.h"
#include "pg/abi/msgpack_values.h"

namespace pgwasm::fdw {

// Everything a routine of a foreign table's guest needs.
struct TableGuest {
  ServerConfig server;
  TableConfig table;
  OptionList user;
  HttpPolicy http;
  std::unique_ptr<FdwGuest> guest;
};

// Makes the guest of foreign table `relid` for `user` (the role the
// statement checks permissions as), instantiated and initialized.
TableGuest make_table_guest(Oid relid, Oid user);

// The module a server's guest runs, as this session has it: a package's
// module must still have the package's checksum. Throws SqlError.
pg::LoadedModule &server_module(const ServerConfig &server);

// The GuestContext of a server's (and a table's) work.
GuestContext guest_context(const ServerConfig &server, const TableConfig *table,
                           const OptionList &user, std::optional<HttpPolicy> http);

// Packs the map entries every routine input starts with: "server",
// "table" (with a table) and "user" (with a mapping), the guest's options
// only; with `columns`, the table's columns too. The caller opened a map of
// `input_entries(...)` + its own entries.
void pack_common(pg::MsgpackPacker &packer, const ServerConfig &server, const TableConfig *table,
                 const OptionList *user, bool columns);
uint32_t common_entries(const TableConfig *table, const OptionList *user, bool columns);

void pack_str(pg::MsgpackPacker &packer, std::string_view s);

// An SQL identifier, quoted as needed.
std::string quote_name(const std::string &name);

// A qual's value for the guest; absent while planning for what is known
// only when the scan runs.
struct QualValue {
  bool present = false;
  Datum value = 0;
  bool isnull = false;
  Oid type = InvalidOid;
};

// The map fdw_plan and fdw_begin_scan take (docs/fdw.md, "Scans"); `values`
// has one entry per qual.
std::string scan_input(const TableGuest &table_guest, const ScanPlan &plan,
                       const std::vector<QualValue> &values);

}  // namespace pgwasm::fdw
