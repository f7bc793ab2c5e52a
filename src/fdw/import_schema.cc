// IMPORT FOREIGN SCHEMA: the guest describes tables; the host filters them
// (LIMIT TO, EXCEPT), reads every type name with PostgreSQL's parser and
// writes the CREATE FOREIGN TABLE statements itself, quoting every name and
// value. No SQL text from the guest is executed.
#include <set>

#include "fdw/callbacks.h"
#include "fdw/context.h"
#include "toolkit/msgpack_reader.h"

namespace pgwasm::fdw {

using pg::pg_guard;
using toolkit::MsgpackReader;
using Type = MsgpackReader::Type;

namespace {

// The most tables and columns one import may create.
constexpr uint32_t kMaxTables = 10'000;
constexpr uint32_t kMaxColumns = 1'600;  // PostgreSQL's MaxHeapAttributeNumber

struct ImportedColumn {
  std::string name, type;
  bool not_null = false;
};
struct ImportedTable {
  std::string name;
  std::vector<ImportedColumn> columns;
  OptionList options;
};

std::string quote_literal(const std::string &s) {
  return pg_guard([&] { return std::string(quote_literal_cstr(s.c_str())); });
}

class Reader {
 public:
  Reader(const FdwGuest &guest, std::string_view bytes) : guest_(guest), r_(bytes) {}

  std::vector<ImportedTable> tables() {
    auto list = r_.next();
    if (list.type != Type::Array) bad("the result " + toolkit::describe(list) + ", not an array");
    if (list.count > kMaxTables)
      bad(std::to_string(list.count) + " tables, more than " + std::to_string(kMaxTables));
    std::vector<ImportedTable> out;
    for (uint32_t i = 0; i < list.count; i++) out.push_back(table());
    return out;
  }

 private:
  [[noreturn]] void bad(const std::string &what) const {
    guest_.fail(ERRCODE_FDW_INVALID_DATA_TYPE, "fdw_import_foreign_schema returned " + what);
  }

  std::string text(std::string_view what) {
    auto v = r_.next();
    if (v.type != Type::Str) bad(std::string(what) + " " + toolkit::describe(v) + ", not a string");
    std::string s(v.bytes);
    if (s.empty() || s.size() >= NAMEDATALEN * 4 || s.find('\0') != std::string::npos)
      bad(std::string(what) + " \"" + s.substr(0, 64) + "\", not a name");
    return s;
  }

  ImportedTable table() {
    auto map = r_.next();
    if (map.type != Type::Map) bad("a table " + toolkit::describe(map) + ", not a map");
    ImportedTable t;
    for (uint32_t i = 0; i < map.count; i++) {
      auto k = r_.next_key();
      if (k == "name") {
        t.name = text("a table name");
      } else if (k == "columns") {
        auto cols = r_.next();
        if (cols.type != Type::Array || cols.count > kMaxColumns)
          bad("columns " + toolkit::describe(cols) + ", not an array of at most 1600 columns");
        for (uint32_t c = 0; c < cols.count; c++) t.columns.push_back(column());
      } else if (k == "options") {
        auto opts = r_.next();
        if (opts.type != Type::Map) bad("options " + toolkit::describe(opts) + ", not a map");
        for (uint32_t o = 0; o < opts.count; o++) {
          std::string name = text("an option name");
          auto v = r_.next();
          if (v.type != Type::Str)
            bad("option " + name + " " + toolkit::describe(v) + ", not a string");
          t.options.emplace_back(name, std::string(v.bytes));
        }
      } else {
        r_.skip();
      }
    }
    if (t.name.empty()) bad("a table without a name");
    return t;
  }

  ImportedColumn column() {
    auto map = r_.next();
    if (map.type != Type::Map) bad("a column " + toolkit::describe(map) + ", not a map");
    ImportedColumn c;
    for (uint32_t i = 0; i < map.count; i++) {
      auto k = r_.next_key();
      if (k == "name") {
        c.name = text("a column name");
      } else if (k == "type") {
        c.type = text("a column type");
      } else if (k == "not_null") {
        auto v = r_.next();
        c.not_null = v.type == Type::Bool && v.boolean;
      } else {
        r_.skip();
      }
    }
    if (c.name.empty() || c.type.empty()) bad("a column without a name or a type");
    return c;
  }

  const FdwGuest &guest_;
  MsgpackReader r_;
};

// The type as PostgreSQL names it, or an error naming table and column.
std::string canonical_type(const FdwGuest &guest, const ImportedTable &t, const ImportedColumn &c) {
  try {
    return pg_guard([&] {
      Oid type;
      int32 typmod;
      parseTypeString(c.type.c_str(), &type, &typmod, false);
      return std::string(format_type_with_typemod(type, typmod));
    });
  } catch (const pg::PgError &e) {
    guest.fail(ERRCODE_FDW_INVALID_DATA_TYPE, "fdw_import_foreign_schema gave column \"" + c.name +
                                                  "\" of table \"" + t.name + "\" the type \"" +
                                                  c.type + "\": " + e.what());
  }
}

List *import_schema(ImportForeignSchemaStmt *stmt, Oid server_oid) {
  ServerConfig server = server_config(server_oid);
  OptionList user = user_options(GetUserId(), server_oid);
  pg::LoadedModule &module = server_module(server);
  msgpack::sbuffer init;
  {
    pg::MsgpackPacker p(init);
    p.pack_map(common_entries(nullptr, &user, false));
    pack_common(p, server, nullptr, &user, false);
  }
  FdwGuest guest(module, guest_context(server, nullptr, user, http_policy(server)),
                 std::string_view(init.data(), init.size()));
  msgpack::sbuffer buf;
  pg::MsgpackPacker p(buf);
  p.pack_map(common_entries(nullptr, &user, false) + 3);
  pack_common(p, server, nullptr, &user, false);
  pack_str(p, "remote_schema");
  pack_str(p, stmt->remote_schema);
  pack_str(p, "local_schema");
  pack_str(p, stmt->local_schema);
  OptionList options = option_list(stmt->options);
  pack_str(p, "options");
  p.pack_map(static_cast<uint32_t>(options.size()));
  for (const auto &[k, v] : options) {
    pack_str(p, k);
    pack_str(p, v);
  }
  std::string_view result =
      guest.call(Routine::ImportForeignSchema, std::string_view(buf.data(), buf.size()));
  std::vector<ImportedTable> tables;
  try {
    tables = Reader(guest, result).tables();
  } catch (const toolkit::MsgpackError &e) {
    guest.fail(ERRCODE_FDW_INVALID_DATA_TYPE,
               std::string("fdw_import_foreign_schema returned invalid MessagePack: ") + e.what());
  }
  std::set<std::string> listed;
  ListCell *c;
  foreach (c, stmt->table_list) listed.insert(static_cast<RangeVar *>(lfirst(c))->relname);
  List *commands = NIL;
  for (const auto &t : tables) {
    bool in_list = listed.count(t.name) > 0;
    if (stmt->list_type == FDW_IMPORT_SCHEMA_LIMIT_TO && !in_list) continue;
    if (stmt->list_type == FDW_IMPORT_SCHEMA_EXCEPT && in_list) continue;
    std::string sql =
        "CREATE FOREIGN TABLE " + quote_name(stmt->local_schema) + "." + quote_name(t.name) + " (";
    for (size_t i = 0; i < t.columns.size(); i++) {
      const auto &col = t.columns[i];
      sql += (i ? ", " : "") + quote_name(col.name) + " " + canonical_type(guest, t, col) +
             (col.not_null ? " NOT NULL" : "");
    }
    sql += ") SERVER " + quote_name(server.name);
    if (!t.options.empty()) {
      sql += " OPTIONS (";
      for (size_t i = 0; i < t.options.size(); i++)
        sql += (i ? ", " : "") + quote_name(t.options[i].first) + " " +
               quote_literal(t.options[i].second);
      sql += ")";
    }
    commands = pg_guard([&] { return lappend(commands, pstrdup(sql.c_str())); });
  }
  return commands;
}

}  // namespace

void set_import_callbacks(FdwRoutine *routine) {
  routine->ImportForeignSchema = [](ImportForeignSchemaStmt *stmt, Oid server) {
    return pg::cpp_entry([&] { return import_schema(stmt, server); });
  };
}

}  // namespace pgwasm::fdw
