// import-foreign-schema gives SQL text: it is parsed with PostgreSQL's raw
// parser, never executed. Each statement must be exactly one CREATE FOREIGN
// TABLE; its table name, columns (name, type, NOT NULL) and options become
// the tables the host's IMPORT FOREIGN SCHEMA writes its own statements
// from, quoting everything.
#include "fdw/component/component_guest.h"
#include "fdw/fdw_headers.h"
#include "pg/abi/msgpack_values.h"

extern "C" {
#include "commands/defrem.h"
#include "parser/parse_type.h"
#include "parser/parser.h"
#include "utils/syscache.h"
}

namespace pgwasm::fdw {

namespace {

constexpr size_t kMaxStatements = 10'000;
constexpr size_t kMaxStatementBytes = 1 << 20;

struct Parsed {
  std::string name;
  std::vector<std::tuple<std::string, std::string, bool>> columns;
  OptionList options;
  std::string refused;  // why the statement is not one the host takes
};

Parsed parse_statement(const std::string &sql) {
  Parsed out;
  pg::pg_guard([&] {
    List *stmts = raw_parser(sql.c_str(), RAW_PARSE_DEFAULT);
    if (list_length(stmts) != 1) {
      out.refused = "it holds " + std::to_string(list_length(stmts)) + " statements, not one";
      return;
    }
    Node *n = linitial_node(RawStmt, stmts)->stmt;
    if (!IsA(n, CreateForeignTableStmt)) {
      out.refused = "it is not a CREATE FOREIGN TABLE statement";
      return;
    }
    auto *s = reinterpret_cast<CreateForeignTableStmt *>(n);
    out.name = s->base.relation->relname;
    if (s->base.inhRelations || s->base.partbound || s->base.constraints) {
      out.refused = "it has inheritance, partitioning or table constraints";
      return;
    }
    ListCell *lc;
    foreach (lc, s->base.tableElts) {
      Node *e = static_cast<Node *>(lfirst(lc));
      if (!IsA(e, ColumnDef)) {
        out.refused = "it has a table element that is not a column";
        return;
      }
      auto *c = reinterpret_cast<ColumnDef *>(e);
      bool not_null = c->is_not_null;
      ListCell *cc;
      foreach (cc, c->constraints) {
        auto *con = static_cast<Constraint *>(lfirst(cc));
        if (con->contype == CONSTR_NOTNULL)
          not_null = true;
        else if (con->contype != CONSTR_NULL) {
          out.refused = std::string("column \"") + c->colname + "\" has a constraint or default";
          return;
        }
      }
      if (c->fdwoptions) {
        out.refused = std::string("column \"") + c->colname + "\" has options";
        return;
      }
      // A type that does not exist stays a name: it is an error only if
      // the table is imported (LIMIT TO and EXCEPT are applied after).
      int32 typmod;
      Type found = LookupTypeName(nullptr, c->typeName, &typmod, true);
      if (found) {
        Oid type = typeTypeId(found);
        ReleaseSysCache(found);
        out.columns.emplace_back(c->colname, format_type_with_typemod(type, typmod), not_null);
      } else {
        out.columns.emplace_back(c->colname, TypeNameToString(c->typeName), not_null);
      }
    }
    foreach (lc, s->options) {
      auto *d = static_cast<DefElem *>(lfirst(lc));
      out.options.emplace_back(d->defname, defGetString(d));
    }
  });
  return out;
}

void pack_str(pg::MsgpackPacker &p, std::string_view s) {
  p.pack_str(static_cast<uint32_t>(s.size()));
  p.pack_str_body(s.data(), static_cast<uint32_t>(s.size()));
}

}  // namespace

std::string import_statements_to_tables(const FdwGuest &guest,
                                        const std::vector<std::string> &statements) {
  if (statements.size() > kMaxStatements)
    guest.fail(ERRCODE_FDW_INVALID_DATA_TYPE,
               "import-foreign-schema returned " + std::to_string(statements.size()) +
                   " statements, more than " + std::to_string(kMaxStatements));
  msgpack::sbuffer buf;
  pg::MsgpackPacker p(buf);
  p.pack_array(static_cast<uint32_t>(statements.size()));
  for (size_t i = 0; i < statements.size(); i++) {
    const std::string &sql = statements[i];
    std::string head = sql.substr(0, 80);
    if (sql.size() > kMaxStatementBytes || sql.find('\0') != std::string::npos)
      guest.fail(ERRCODE_FDW_INVALID_DATA_TYPE, "import-foreign-schema returned statement " +
                                                    std::to_string(i + 1) +
                                                    " that is too long or holds a zero byte");
    Parsed t;
    try {
      t = parse_statement(sql);
    } catch (const pg::PgError &e) {
      guest.fail(ERRCODE_FDW_INVALID_DATA_TYPE,
                 "import-foreign-schema returned statement " + std::to_string(i + 1) +
                     " that PostgreSQL cannot read: " + e.what(),
                 "The statement begins: " + head);
    }
    if (!t.refused.empty())
      guest.fail(ERRCODE_FDW_INVALID_DATA_TYPE,
                 "import-foreign-schema returned statement " + std::to_string(i + 1) +
                     " the host does not take: " + t.refused,
                 "The statement begins: " + head);
    p.pack_map(3);
    pack_str(p, "name");
    pack_str(p, t.name);
    pack_str(p, "columns");
    p.pack_array(static_cast<uint32_t>(t.columns.size()));
    for (const auto &[name, type, not_null] : t.columns) {
      p.pack_map(3);
      pack_str(p, "name");
      pack_str(p, name);
      pack_str(p, "type");
      pack_str(p, type);
      pack_str(p, "not_null");
      not_null ? p.pack_true() : p.pack_false();
    }
    pack_str(p, "options");
    p.pack_map(static_cast<uint32_t>(t.options.size()));
    for (const auto &[k, v] : t.options) {
      pack_str(p, k);
      pack_str(p, v);
    }
  }
  return std::string(buf.data(), buf.size());
}

}  // namespace pgwasm::fdw
