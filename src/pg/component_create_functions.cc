// wasm.create_functions for a component (docs/components-sql.md): one SQL
// function per exported WIT function, and a composite type per WIT record
// the functions need. Names go from kebab-case to snake_case: upper-all
// becomes prefix_upper_all, record point becomes type prefix_point.
#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "component/errors.h"
#include "component/wit_text.h"
#include "component/wit_types.h"
#include "pg/abi/component_values.h"
#include "pg/component_code.h"
#include "pg/export_functions.h"
#include "pg/function_source.h"
#include "pg/guard.h"
#include "pg/loaded_module.h"
#include "pg/message_text.h"
#include "toolkit/name_text.h"

extern "C" {
#include "parser/parse_type.h"
#include "utils/typcache.h"
}

namespace pgwasm::pg {

namespace {

using component::Kind;
using component::Type;

std::string quoted(const std::string &ident) {
  return pg_guard([&] { return std::string(quote_identifier(ident.c_str())); });
}

// What wasm.create_functions writes for WIT types, and the records it must
// create for them.
class Planner {
 public:
  Planner(std::string schema, std::string prefix)
      : schema_(std::move(schema)), prefix_(std::move(prefix)) {}

  std::string prefixed(const std::string &wit_name) const {
    std::string n = sql_name_of(wit_name);
    return prefix_.empty() ? n : prefix_ + "_" + n;
  }

  // The SQL type of a value of `t` (a parameter, a record field, an array
  // element), noting the records it needs in `needs`; nullopt with `why`.
  std::optional<std::string> type_of(const Type &t, std::set<std::string> &needs,
                                     std::string &why) {
    switch (t.kind) {
      case Kind::Option:
        if (t.items[0]->kind == Kind::Option) {
          why = "an option of an option has no SQL type (NULL is one none)";
          return std::nullopt;
        }
        return type_of(*t.items[0], needs, why);
      case Kind::Result: why = "a WIT result is only a function's result"; return std::nullopt;
      case Kind::Tuple:
        why = "the tuple " + component::wit_text(t) +
              " needs a composite type of its own: create one, and the function with "
              "CREATE FUNCTION";
        return std::nullopt;
      case Kind::Record: {
        if (t.name.empty()) {
          why = "a record without a WIT name";
          return std::nullopt;
        }
        if (!plan_record(t, why)) return std::nullopt;
        needs.insert(t.name);
        return schema_ + "." + quoted(prefixed(t.name));
      }
      case Kind::List: {
        if (t.items[0]->kind == Kind::U8) return std::string("bytea");
        const Type *elem = t.items[0];
        if (elem->kind == Kind::Option) elem = elem->items[0];
        if (elem->kind == Kind::List || elem->kind == Kind::Option) {
          why = "the list " + component::wit_text(t) + " has no SQL array type";
          return std::nullopt;
        }
        auto inner = type_of(*elem, needs, why);
        if (!inner) return std::nullopt;
        return *inner + "[]";
      }
      case Kind::Enum: return std::string("text");
      case Kind::Flags: return std::string("text[]");
      case Kind::Variant: {
        // Resources inside are refused by the binding; say it here too.
        for (const Type *p : t.items)
          if (p && !payload_ok(*p, why)) return std::nullopt;
        return std::string("jsonb");
      }
      default: {
        auto s = suggested_sql_type(t, &why);
        if (!s) return std::nullopt;
        return *s;
      }
    }
  }

  // RETURNS ... for a function's result.
  std::optional<std::string> result_of(const Type *t, std::set<std::string> &needs,
                                       std::string &why) {
    if (!t) return std::string("void");
    if (t->kind == Kind::Result) {
      if (!t->items[0]) return std::string("void");
      t = t->items[0];
    }
    if (t->kind == Kind::List && t->items[0]->kind == Kind::Record) {
      auto row = type_of(*t->items[0], needs, why);
      if (!row) return std::nullopt;
      return "SETOF " + *row;
    }
    return type_of(*t, needs, why);
  }

  struct Record {
    const Type *type;
    std::string definition;  // WIT's text, to tell two records of one name apart
    std::vector<std::pair<std::string, std::string>> attributes;  // name, SQL type
    std::set<std::string> needs;
    std::optional<std::string> unusable;  // why the type cannot be used
  };
  std::map<std::string, Record> records;  // by WIT name
  std::vector<std::string> order;         // records after those they need

 private:
  bool payload_ok(const Type &t, std::string &why) {
    if (t.kind == Kind::Own || t.kind == Kind::Borrow) {
      why = "a resource cannot be a SQL value";
      return false;
    }
    for (const Type *i : t.items)
      if (i && !payload_ok(*i, why)) return false;
    return true;
  }

  bool plan_record(const Type &t, std::string &why) {
    std::string def = component::wit_definition(t);
    auto it = records.find(t.name);
    if (it != records.end()) {
      if (it->second.definition != def) {
        why = "two WIT records are named " + t.name;
        return false;
      }
      if (it->second.unusable) why = *it->second.unusable;
      return !it->second.unusable;
    }
    Record &r = records[t.name];
    r.type = &t;
    r.definition = def;
    for (size_t i = 0; i < t.items.size(); i++) {
      std::string field_why;
      auto sql = type_of(*t.items[i], r.needs, field_why);
      if (!sql) {
        r.unusable = "field " + t.names[i] + " of record " + t.name + ": " + field_why;
        break;
      }
      r.attributes.emplace_back(sql_name_of(t.names[i]), *sql);
    }
    if (r.unusable) {
      why = *r.unusable;
      return false;
    }
    order.push_back(t.name);
    return true;
  }

  std::string schema_, prefix_;
};

// The attributes of an existing composite type as "name type" (types by
// OID), or nullopt when `name` is no composite type in `schema`.
struct Existing {
  Oid type = InvalidOid;
  bool composite = false;
  std::vector<std::pair<std::string, Oid>> attributes;
};

Existing existing_type(const std::string &qualified) {
  Existing e;
  pg_guard([&] {
    int32 typmod;
    parseTypeString(qualified.c_str(), &e.type, &typmod, true);
  });
  if (e.type == InvalidOid) return e;
  pg_guard([&] {
    e.composite = get_typtype(e.type) == TYPTYPE_COMPOSITE;
    if (!e.composite) return;
    TupleDesc d = lookup_rowtype_tupdesc(e.type, -1);
    for (int i = 0; i < d->natts; i++) {
      Form_pg_attribute a = TupleDescAttr(d, i);
      if (!a->attisdropped) e.attributes.emplace_back(NameStr(a->attname), a->atttypid);
    }
    ReleaseTupleDesc(d);
  });
  return e;
}

Oid type_oid(const std::string &sql) {
  return pg_guard([&] {
    Oid oid;
    int32 typmod;
    parseTypeString(sql.c_str(), &oid, &typmod, false);
    return oid;
  });
}

}  // namespace

std::vector<Oid> create_component_functions(const LoadedModule &loaded, const std::string &module,
                                            std::string_view prefix_view, bool replace,
                                            const std::string &schema) {
  const ComponentPackage &pkg = *loaded.component;
  component::TypeArena arena;
  std::vector<component::WitFunction> functions;
  try {
    functions = component::wit_functions(pkg.component, pkg.package, arena);
  } catch (const component::ComponentError &e) {
    throw SqlError(ERRCODE_INVALID_PARAMETER_VALUE,
                   "the types of wasm component \"" + module + "\" cannot be read: " + e.what());
  }
  std::string prefix(prefix_view);
  Planner planner(schema, prefix);

  struct Planned {
    std::string wit_name;
    std::string sql_name;
    std::string args;   // "x int4, s text"
    std::string types;  // "int4, text"
    std::string result;
    bool strict = true;
    std::set<std::string> needs;
  };
  std::vector<Planned> planned;
  std::vector<std::string> skipped;
  std::set<std::string> taken;
  for (const auto &f : functions) {
    Planned p;
    p.wit_name = f.full_name();
    p.sql_name = planner.prefixed(f.name);
    std::optional<std::string> why = f.refusal;
    if (!why && p.sql_name.size() >= NAMEDATALEN)
      why = "the name " + p.sql_name + " is longer than " + std::to_string(NAMEDATALEN - 1) +
            " bytes";
    if (!why && taken.count(p.sql_name))
      why = "another function is named " + p.sql_name + " already";
    for (size_t i = 0; !why && i < f.sig.params.size(); i++) {
      const Type &t = *f.sig.params[i];
      std::string reason;
      auto sql = planner.type_of(t, p.needs, reason);
      if (!sql) {
        std::string pname = i < f.param_names.size() ? f.param_names[i] : "";
        why = "parameter " + std::to_string(i + 1) + (pname.empty() ? "" : " (" + pname + ")") +
              ": " + reason;
        break;
      }
      if (t.kind == Kind::Option) p.strict = false;
      std::string pname =
          i < f.param_names.size() ? f.param_names[i] : "arg" + std::to_string(i + 1);
      p.args += (p.args.empty() ? "" : ", ") + quoted(sql_name_of(pname)) + " " + *sql;
      p.types += (p.types.empty() ? "" : ", ") + *sql;
    }
    if (!why) {
      std::string reason;
      auto r = planner.result_of(f.sig.result, p.needs, reason);
      if (r)
        p.result = *r;
      else
        why = "the result: " + reason;
    }
    if (why) {
      skipped.push_back(message_text(toolkit::quoted_name(p.wit_name), 200) + " (" + *why + ")");
      continue;
    }
    taken.insert(p.sql_name);
    planned.push_back(std::move(p));
  }

  std::vector<Oid> created;
  std::vector<std::string> notices;
  pg_guard([&] {
    if (SPI_connect() != SPI_OK_CONNECT) elog(ERROR, "SPI_connect failed");
  });
  {
    // Records after the records they hold; one that exists with other
    // attributes is not replaced, and the functions that need it are
    // skipped.
    for (const auto &name : planner.order) {
      auto &r = planner.records.at(name);
      for (const auto &n : r.needs)
        if (planner.records.at(n).unusable && !r.unusable)
          r.unusable = "it holds record " + n + ", which is unusable";
      if (r.unusable) continue;
      std::string sql_name = planner.prefixed(name);
      std::string qualified = schema + "." + quoted(sql_name);
      std::vector<std::pair<std::string, Oid>> want;
      for (const auto &[attname, type] : r.attributes) want.emplace_back(attname, type_oid(type));
      Existing e = existing_type(qualified);
      if (e.type != InvalidOid) {
        if (!e.composite || e.attributes != want) {
          std::string def;
          for (const auto &[attname, type] : r.attributes)
            def += (def.empty() ? "" : ", ") + attname + " " + type;
          r.unusable = "type " + sql_name + " exists with other attributes";
          notices.push_back("type " + qualified + " exists, and is not (" + def +
                            ") as WIT record " + name + " needs");
        }
        continue;
      }
      std::string def;
      for (const auto &[attname, type] : r.attributes)
        def += (def.empty() ? "" : ", ") + quoted(attname) + " " + type;
      std::string create = "CREATE TYPE " + qualified + " AS (" + def + ")";
      pg_guard([&] {
        if (SPI_execute(create.c_str(), false, 0) != SPI_OK_UTILITY)
          elog(ERROR, "could not run: %s", create.c_str());
      });
    }
    for (const auto &p : planned) {
      std::optional<std::string> why;
      for (const auto &n : p.needs)
        if (planner.records.at(n).unusable) why = *planner.records.at(n).unusable;
      if (why) {
        skipped.push_back(message_text(toolkit::quoted_name(p.wit_name), 200) + " (" + *why + ")");
        continue;
      }
      std::string source = module + "::" + quote_export_name(p.wit_name);
      std::string ident = schema + "." + quoted(p.sql_name);
      std::string create = pg_guard([&] {
        return std::string(psprintf("CREATE %sFUNCTION %s(%s) RETURNS %s LANGUAGE wasm%s AS %s",
                                    replace ? "OR REPLACE " : "", ident.c_str(), p.args.c_str(),
                                    p.result.c_str(), p.strict ? " STRICT" : "",
                                    quote_literal_cstr(source.c_str())));
      });
      std::string signature = ident + "(" + p.types + ")";
      Oid oid = pg_guard([&] {
        if (SPI_execute(create.c_str(), false, 0) != SPI_OK_UTILITY)
          elog(ERROR, "could not run: %s", create.c_str());
        return DatumGetObjectId(
            DirectFunctionCall1(regprocedurein, CStringGetDatum(signature.c_str())));
      });
      created.push_back(oid);
    }
  }
  // An error above aborts the transaction, which ends SPI too.
  pg_guard([&] { SPI_finish(); });
  for (const auto &n : notices) pg_guard([&] { ereport(NOTICE, (errmsg("%s", n.c_str()))); });
  if (!skipped.empty()) {
    std::string list;
    for (const auto &s : skipped) list += (list.empty() ? "" : ", ") + s;
    pg_guard([&] {
      ereport(NOTICE, (errmsg("skipped %zu function(s) of wasm component \"%s\": %s",
                              skipped.size(), module.c_str(), list.c_str())));
    });
  }
  return created;
}

}  // namespace pgwasm::pg
