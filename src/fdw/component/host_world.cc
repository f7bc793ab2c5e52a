// The host functions of supabase:wrappers' imports on pg_wasm's FDW host.
#include "fdw/component/host_world.h"

#include <chrono>
#include <ctime>
#include <map>

#include "fdw/component/component_guest.h"
#include "fdw/fdw_headers.h"
#include "fdw/guest_services.h"
#include "pg/host/host_actions.h"
#include "pg/host/host_functions.h"
#include "services/http_client.h"
#include "services/jwt.h"
#include "services/rfc3339.h"

extern "C" {
#include "utils/guc.h"
}

namespace pgwasm::fdw {

using namespace component;
using pg::SqlError;

// Where the component model and the core have the same names: values are
// the canonical ABI's, types the core's.
using component::Value;
using pgwasm::FuncType;
using pgwasm::ValType;

namespace {

constexpr uint64_t kMaxSleepMs = 60'000;
constexpr size_t kMaxMetadata = 1'000;         // fdw names with metadata, per session
constexpr size_t kMaxMetadataBytes = 1 << 20;  // one name's metadata

std::map<std::string, std::string> &metadata() {
  static auto *m = new std::map<std::string, std::string>();  // never freed
  return *m;
}

Value opt_str(const std::string *s) {
  return s ? Value::some(Value::str(*s)) : Value::none();
}

const OptionList &options_of(ComponentGuest &g, uint32_t type, bool &with_user) {
  StatementState &st = g.state();
  static const OptionList none;
  with_user = type == 0;
  switch (type) {
    case 0: return st.server;
    case 1: return st.table;
    case 2: return st.import;
    default: return none;
  }
}

// A server option not among the server's options is looked up in the user
// mapping's, so that credentials can live where they are kept secret.
const std::string *option(ComponentGuest &g, uint32_t type, const std::string &key) {
  bool with_user;
  const OptionList &opts = options_of(g, type, with_user);
  if (const std::string *v = find_option(opts, key)) return v;
  return with_user ? find_option(g.state().user, key) : nullptr;
}

std::string deparse_value(const Value &v) {
  if (v.case_index() == 1) {
    std::string s = "(";
    for (size_t i = 0; i < v.payload()->items.size(); i++)
      s += (i ? ", " : "") + cell_to_string(v.payload()->items[i]);
    return s + ")";
  }
  return cell_to_string(*v.payload());
}

Value http_call(ComponentGuest &g, const char *method, const Value &req) {
  const GuestContext &ctx = g.owner().context();
  services::HttpRequest r;
  r.method = method;
  r.url = req.items[1].s;
  for (const auto &h : req.items[2].items) r.headers.emplace_back(h.items[0].s, h.items[1].s);
  r.body = req.items[3].s;
  GuestHttpResult result = guest_http(g.owner(), r);
  if (const auto &e = result.error) {
    // The host's limits are errors the guest cannot catch; what the network
    // did is the guest's http-error, as Supabase's host gives it.
    if (is_host_limit(e->kind()))
      g.owner().fail(http_failure_sqlstate(e->kind()), http_failure_message(ctx, *e));
    return Value::error(Value::str(scrub(e->what(), ctx.secrets)));
  }
  const services::HttpResponse &resp = result.response;
  Value headers;
  for (const auto &[k, v] : resp.headers)
    headers.items.push_back(Value::tuple({Value::str(lossy_utf8(k)), Value::str(lossy_utf8(v))}));
  return Value::ok(
      Value::tuple({Value::str(lossy_utf8(resp.final_url.empty() ? r.url : resp.final_url)),
                    Value::u(static_cast<uint16_t>(resp.status)), std::move(headers),
                    Value::str(lossy_utf8(resp.body))}));
}

// parse-from-str: strftime-like formats with %Y %m %d %H %M %S %z %%, the
// rest matched literally; the time is UTC unless %z gives an offset.
std::optional<int64_t> parse_with_format(const std::string &s, const std::string &fmt) {
  struct tm tm = {};
  tm.tm_mday = 1;
  int64_t offset = 0;
  size_t i = 0;
  auto digits = [&](int n, int &out) {
    out = 0;
    for (int k = 0; k < n; k++) {
      if (i >= s.size() || !isdigit(static_cast<unsigned char>(s[i]))) return false;
      out = out * 10 + (s[i++] - '0');
    }
    return true;
  };
  for (size_t f = 0; f < fmt.size(); f++) {
    if (fmt[f] != '%') {
      if (i >= s.size() || s[i] != fmt[f]) return std::nullopt;
      i++;
      continue;
    }
    if (++f >= fmt.size()) return std::nullopt;
    int v;
    switch (fmt[f]) {
      case 'Y':
        if (!digits(4, v)) return std::nullopt;
        tm.tm_year = v - 1900;
        break;
      case 'm':
        if (!digits(2, v)) return std::nullopt;
        tm.tm_mon = v - 1;
        break;
      case 'd':
        if (!digits(2, v)) return std::nullopt;
        tm.tm_mday = v;
        break;
      case 'H':
        if (!digits(2, v)) return std::nullopt;
        tm.tm_hour = v;
        break;
      case 'M':
        if (!digits(2, v)) return std::nullopt;
        tm.tm_min = v;
        break;
      case 'S':
        if (!digits(2, v)) return std::nullopt;
        tm.tm_sec = v;
        break;
      case '%':
        if (i >= s.size() || s[i++] != '%') return std::nullopt;
        break;
      case 'z': {
        if (i < s.size() && s[i] == 'Z') {
          i++;
          break;
        }
        if (i >= s.size() || (s[i] != '+' && s[i] != '-')) return std::nullopt;
        int sign = s[i++] == '-' ? -1 : 1, h, m;
        if (!digits(2, h)) return std::nullopt;
        if (i < s.size() && s[i] == ':') i++;
        if (!digits(2, m)) return std::nullopt;
        offset = sign * (h * 3600 + m * 60);
        break;
      }
      default: return std::nullopt;
    }
  }
  if (i != s.size()) return std::nullopt;
  time_t t = timegm(&tm);
  return (static_cast<int64_t>(t) - offset) * 1'000'000;
}

void report(ComponentGuest &g, int level, const std::string &msg) {
  pg::host::guest_log(level, scrub(msg, g.owner().context().secrets));
}

// ---- types: the statement's resources ----

const ColumnDesc &column(ComponentGuest &g, const Value &h) {
  StatementState &st = g.state();
  uint32_t i = g.rep(h, Resource::Column);
  if (i >= st.context_columns.size()) throw CabiError("a column of an earlier statement");
  return st.context_columns[i];
}

const QualDesc &qual(ComponentGuest &g, const Value &h) {
  StatementState &st = g.state();
  uint32_t i = g.rep(h, Resource::Qual);
  if (i >= st.quals.size()) throw CabiError("a qual of an earlier scan");
  return st.quals[i];
}

const SortDesc &sort(ComponentGuest &g, const Value &h) {
  StatementState &st = g.state();
  uint32_t i = g.rep(h, Resource::Sort);
  if (i >= st.sorts.size()) throw CabiError("a sort of an earlier scan");
  return st.sorts[i];
}

void check_limit(ComponentGuest &g, const Value &h) {
  g.rep(h, Resource::Limit);
  if (!g.state().limit) throw CabiError("a limit of an earlier scan");
}

// [constructor]<r>(index): a handle to the statement's index-th <r>.
Value index_handle(ComponentGuest &g, Resource r, uint64_t index, size_t count) {
  if (index >= count)
    throw CabiError("[constructor]" + std::string(to_string(r)) + "(" + std::to_string(index) +
                    "): index out of range (the statement has " + std::to_string(count) + ")");
  return Value::u(g.new_handle(r, static_cast<uint32_t>(index)));
}

// A list of handles to the statement's `count` <r>s.
Value list_of(ComponentGuest &g, Resource r, size_t count) {
  Value v;
  for (size_t i = 0; i < count; i++)
    v.items.push_back(Value::u(g.new_handle(r, static_cast<uint32_t>(i))));
  return v;
}

std::optional<Value> row_function(ComponentGuest &g, Fn fn, std::vector<Value> &p) {
  StatementState &st = g.state();
  switch (fn) {
    case Fn::RowNew: return Value::u(g.new_handle(Resource::Row, g.new_row()));
    case Fn::RowCols: {
      const HostRow &row = g.row(g.rep(p[0], Resource::Row));
      Value v;
      for (size_t i = 0; i < row.cells.size(); i++)
        v.items.push_back(Value::str(i < row.cols.size()             ? row.cols[i]
                                     : i < st.context_columns.size() ? st.context_columns[i].name
                                                                     : ""));
      return v;
    }
    case Fn::RowCells: {
      Value v;
      for (const auto &c : g.row(g.rep(p[0], Resource::Row)).cells) {
        auto cell = cell_value(c);
        v.items.push_back(cell ? Value::some(std::move(*cell)) : Value::none());
      }
      return v;
    }
    case Fn::RowPush:
      row_push(g, static_cast<uint32_t>(p[0].bits),
               host_cell(p[1].case_index() ? std::optional<Value>(*p[1].payload()) : std::nullopt));
      return std::nullopt;
    default: throw CabiError("a function the host does not have");
  }
}

std::optional<Value> column_function(ComponentGuest &g, Fn fn, std::vector<Value> &p) {
  switch (fn) {
    case Fn::ColumnNew:
      return index_handle(g, Resource::Column, p[0].bits, g.state().context_columns.size());
    case Fn::ColumnName: return Value::str(column(g, p[0]).name);
    case Fn::ColumnNum: return Value::u(static_cast<uint32_t>(column(g, p[0]).num));
    case Fn::ColumnTypeOid: return type_oid_of(column(g, p[0]), g.world().version);
    default: throw CabiError("a function the host does not have");
  }
}

std::optional<Value> qual_function(ComponentGuest &g, Fn fn, std::vector<Value> &p) {
  switch (fn) {
    case Fn::QualNew: return index_handle(g, Resource::Qual, p[0].bits, g.state().quals.size());
    case Fn::QualField: return Value::str(qual(g, p[0]).field);
    case Fn::QualOperator: return Value::str(qual(g, p[0]).op);
    case Fn::QualValue: return qual(g, p[0]).value;
    case Fn::QualUseOr: return Value::u(qual(g, p[0]).use_or);
    case Fn::QualParam: {
      const QualDesc &q = qual(g, p[0]);
      return q.param ? Value::some(Value::tuple({Value::u(q.param_id), Value::u(q.param_type)}))
                     : Value::none();
    }
    case Fn::QualDeparse: {
      const QualDesc &q = qual(g, p[0]);
      if (q.op == "is" || q.op == "is not") return Value::str(q.field + " " + q.op + " null");
      return Value::str(q.field + " " + (q.use_or ? "in" : q.op) + " " + deparse_value(q.value));
    }
    default: throw CabiError("a function the host does not have");
  }
}

std::optional<Value> sort_function(ComponentGuest &g, Fn fn, std::vector<Value> &p) {
  switch (fn) {
    case Fn::SortNew: return index_handle(g, Resource::Sort, p[0].bits, g.state().sorts.size());
    case Fn::SortField: return Value::str(sort(g, p[0]).field);
    case Fn::SortFieldNo: return Value::u(static_cast<uint32_t>(sort(g, p[0]).num));
    case Fn::SortReversed: return Value::u(sort(g, p[0]).reversed);
    case Fn::SortNullsFirst: return Value::u(sort(g, p[0]).nulls_first);
    case Fn::SortCollate: sort(g, p[0]); return Value::none();
    case Fn::SortDeparse:
    case Fn::SortDeparseWithCollate: {
      const SortDesc &s = sort(g, p[0]);
      return Value::str(s.field + (s.reversed ? " desc" : " asc") +
                        (s.nulls_first ? " nulls first" : " nulls last"));
    }
    default: throw CabiError("a function the host does not have");
  }
}

std::optional<Value> limit_function(ComponentGuest &g, Fn fn, std::vector<Value> &p) {
  StatementState &st = g.state();
  switch (fn) {
    case Fn::LimitNew:
      if (!st.limit) throw CabiError("[constructor]limit in a scan without a limit");
      return Value::u(g.new_handle(Resource::Limit, 0));
    case Fn::LimitCount: check_limit(g, p[0]); return Value::i(*st.limit);
    case Fn::LimitOffset: check_limit(g, p[0]); return Value::i(st.offset);
    case Fn::LimitDeparse:
      check_limit(g, p[0]);
      return Value::str("limit " + std::to_string(*st.limit) + " offset " +
                        std::to_string(st.offset));
    default: throw CabiError("a function the host does not have");
  }
}

std::optional<Value> options_function(ComponentGuest &g, Fn fn, std::vector<Value> &p) {
  switch (fn) {
    case Fn::OptionsNew: return Value::u(g.new_handle(Resource::Options, p[0].case_index()));
    case Fn::OptionsGet: return opt_str(option(g, g.rep(p[0], Resource::Options), p[1].s));
    case Fn::OptionsRequire: {
      const std::string *v = option(g, g.rep(p[0], Resource::Options), p[1].s);
      return v ? Value::ok(Value::str(*v))
               : Value::error(Value::str("required option \"" + p[1].s + "\" is not specified"));
    }
    case Fn::OptionsRequireOr: {
      const std::string *v = option(g, g.rep(p[0], Resource::Options), p[1].s);
      return Value::str(v ? *v : p[2].s);
    }
    default: throw CabiError("a function the host does not have");
  }
}

std::optional<Value> context_function(ComponentGuest &g, Fn fn, std::vector<Value> &p) {
  StatementState &st = g.state();
  switch (fn) {
    case Fn::ContextNew: return Value::u(g.new_handle(Resource::Context, 0));
    case Fn::ContextGetOptions:
      g.rep(p[0], Resource::Context);
      return Value::u(g.new_handle(Resource::Options, p[1].case_index()));
    case Fn::ContextGetQuals:
      g.rep(p[0], Resource::Context);
      return list_of(g, Resource::Qual, st.quals.size());
    case Fn::ContextGetColumns:
      g.rep(p[0], Resource::Context);
      return list_of(g, Resource::Column, st.context_columns.size());
    case Fn::ContextGetSorts:
      g.rep(p[0], Resource::Context);
      return list_of(g, Resource::Sort, st.sorts.size());
    case Fn::ContextGetLimit:
      g.rep(p[0], Resource::Context);
      return st.limit ? Value::some(Value::u(g.new_handle(Resource::Limit, 0))) : Value::none();
    default: throw CabiError("a function the host does not have");
  }
}

// ---- http, jwt, stats, time, utils ----

std::optional<Value> http_function(ComponentGuest &g, Fn fn, std::vector<Value> &p) {
  switch (fn) {
    case Fn::HttpGet: return http_call(g, "GET", p[0]);
    case Fn::HttpPost: return http_call(g, "POST", p[0]);
    case Fn::HttpPut: return http_call(g, "PUT", p[0]);
    case Fn::HttpPatch: return http_call(g, "PATCH", p[0]);
    case Fn::HttpDelete: return http_call(g, "DELETE", p[0]);
    case Fn::HttpErrorForStatus: {
      uint64_t status = p[0].items[1].bits;
      if (status < 400) return Value::ok();
      return Value::error(
          Value::str("HTTP status " + std::to_string(status) + " for url " + p[0].items[0].s));
    }
    default: throw CabiError("a function the host does not have");
  }
}

// jwt.encode(payload, algo, secret, expires-in hours).
Value jwt_encode(std::vector<Value> &p) {
  std::string claims = "{";
  auto json = [](const std::string &s) {
    std::string o = "\"";
    for (unsigned char c : s) {
      if (c == '"' || c == '\\')
        o += '\\', o += static_cast<char>(c);
      else if (c < 0x20) {
        char b[8];
        std::snprintf(b, sizeof b, "\\u%04x", c);
        o += b;
      } else
        o += static_cast<char>(c);
    }
    return o + "\"";
  };
  for (const auto &kv : p[0].items)
    claims += (claims.size() > 1 ? "," : "") + json(kv.items[0].s) + ":" + json(kv.items[1].s);
  if (p[3].bits > 0) {
    auto now = std::chrono::duration_cast<std::chrono::seconds>(
                   std::chrono::system_clock::now().time_since_epoch())
                   .count();
    claims += std::string(claims.size() > 1 ? "," : "") +
              "\"exp\":" + std::to_string(now + static_cast<int64_t>(p[3].bits) * 3600);
  }
  claims += "}";
  try {
    return Value::ok(Value::str(services::jwt_sign(p[1].s, p[2].s, "", claims)));
  } catch (const std::invalid_argument &e) {
    return Value::error(Value::str(e.what()));
  }
}

std::optional<Value> stats_function(Fn fn, std::vector<Value> &p) {
  switch (fn) {
    case Fn::StatsIncStats: stats_inc_stats(); return std::nullopt;
    case Fn::StatsGetMetadata: {
      auto it = metadata().find(p[0].s);
      return it == metadata().end() ? Value::none() : Value::some(Value::str(it->second));
    }
    case Fn::StatsSetMetadata:
      if (!p[1].case_index()) {
        metadata().erase(p[0].s);
      } else {
        if (p[1].payload()->s.size() > kMaxMetadataBytes ||
            (metadata().size() >= kMaxMetadata && !metadata().count(p[0].s)))
          throw CabiError("stats.set-metadata beyond what a session keeps");
        metadata()[p[0].s] = p[1].payload()->s;
      }
      return std::nullopt;
    default: throw CabiError("a function the host does not have");
  }
}

std::optional<Value> time_function(ComponentGuest &g, Fn fn, std::vector<Value> &p) {
  switch (fn) {
    case Fn::TimeEpochSecs:
      return Value::i(std::chrono::duration_cast<std::chrono::seconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count());
    case Fn::TimeParseFromRfc3339: {
      auto m = time_parse_from_rfc3339(p[0].s);
      return m ? Value::ok(Value::i(*m))
               : Value::error(
                     Value::str("\"" + p[0].s.substr(0, 64) + "\" is not an RFC 3339 time"));
    }
    case Fn::TimeParseFromStr: {
      auto m = parse_with_format(p[0].s, p[1].s);
      return m ? Value::ok(Value::i(*m))
               : Value::error(Value::str("\"" + p[0].s.substr(0, 64) + "\" does not match \"" +
                                         p[1].s.substr(0, 64) + "\""));
    }
    case Fn::TimeEpochMsToRfc3339:
      try {
        return Value::ok(Value::str(services::format_rfc3339(p[0].as_i64())));
      } catch (const std::exception &) {
        return Value::error(Value::str("a time outside the years 0000 to 9999"));
      }
    case Fn::TimeSleep:
      if (p[0].bits > kMaxSleepMs)
        g.owner().fail(ERRCODE_FDW_INVALID_DATA_TYPE, "time.sleep of " + std::to_string(p[0].bits) +
                                                          " ms; at most " +
                                                          std::to_string(kMaxSleepMs) + " ms");
      guest_sleep_ms(p[0].bits);
      return std::nullopt;
    default: throw CabiError("a function the host does not have");
  }
}

std::optional<Value> utils_function(ComponentGuest &g, Fn fn, std::vector<Value> &p) {
  switch (fn) {
    case Fn::UtilsReportInfo: report(g, INFO, p[0].s); return std::nullopt;
    case Fn::UtilsReportNotice: report(g, NOTICE, p[0].s); return std::nullopt;
    case Fn::UtilsReportWarning: report(g, WARNING, p[0].s); return std::nullopt;
    case Fn::UtilsReportError: g.owner().fail(ERRCODE_FDW_ERROR, p[0].s);
    case Fn::UtilsCellToString:
      return Value::str(
          cell_to_string(p[0].case_index() ? std::optional<Value>(*p[0].payload()) : std::nullopt));
    case Fn::UtilsGetVaultSecret:
    case Fn::UtilsGetVaultSecretByName:
      // Our secret store is the user mapping: an option named by the
      // secret's id or name.
      return opt_str(find_option(g.state().user, p[0].s));
    case Fn::UtilsQuerySetting: {
      std::string name = p[0].s;
      std::optional<std::string> v;
      pg::pg_guard([&] {
        const char *s = GetConfigOptionByName(name.c_str(), nullptr, true);
        if (s) v = s;
      });
      return v ? Value::some(Value::str(*v)) : Value::none();
    }
    default: throw CabiError("a function the host does not have");
  }
}

}  // namespace

void row_push(ComponentGuest &g, uint32_t row, HostCell cell) {
  g.push_cell(g.rep(row, Resource::Row), std::move(cell));
}

void resource_drop(ComponentGuest &g, uint32_t handle, Resource resource) {
  g.drop(handle, resource);
}

void stats_inc_stats() {
  // The host counts scans, rows, requests and bytes itself, exactly: what
  // the guest reports would count them twice.
}

std::optional<int64_t> time_parse_from_rfc3339(std::string_view text) {
  return services::parse_rfc3339(text);
}

std::optional<Value> dispatch(ComponentGuest &g, const ImportFn &f, std::vector<Value> &p) {
  switch (f.fn) {
    case Fn::RowNew:
    case Fn::RowCols:
    case Fn::RowCells:
    case Fn::RowPush: return row_function(g, f.fn, p);
    case Fn::ColumnNew:
    case Fn::ColumnName:
    case Fn::ColumnNum:
    case Fn::ColumnTypeOid: return column_function(g, f.fn, p);
    case Fn::QualNew:
    case Fn::QualField:
    case Fn::QualOperator:
    case Fn::QualValue:
    case Fn::QualUseOr:
    case Fn::QualParam:
    case Fn::QualDeparse: return qual_function(g, f.fn, p);
    case Fn::SortNew:
    case Fn::SortField:
    case Fn::SortFieldNo:
    case Fn::SortReversed:
    case Fn::SortNullsFirst:
    case Fn::SortCollate:
    case Fn::SortDeparse:
    case Fn::SortDeparseWithCollate: return sort_function(g, f.fn, p);
    case Fn::LimitNew:
    case Fn::LimitCount:
    case Fn::LimitOffset:
    case Fn::LimitDeparse: return limit_function(g, f.fn, p);
    case Fn::OptionsNew:
    case Fn::OptionsGet:
    case Fn::OptionsRequire:
    case Fn::OptionsRequireOr: return options_function(g, f.fn, p);
    case Fn::ContextNew:
    case Fn::ContextGetOptions:
    case Fn::ContextGetQuals:
    case Fn::ContextGetColumns:
    case Fn::ContextGetSorts:
    case Fn::ContextGetLimit: return context_function(g, f.fn, p);
    case Fn::Drop:
      resource_drop(g, static_cast<uint32_t>(p[0].bits), f.resource);
      return std::nullopt;
    case Fn::HttpGet:
    case Fn::HttpPost:
    case Fn::HttpPut:
    case Fn::HttpPatch:
    case Fn::HttpDelete:
    case Fn::HttpErrorForStatus: return http_function(g, f.fn, p);
    case Fn::JwtEncode: return jwt_encode(p);
    case Fn::StatsIncStats:
    case Fn::StatsGetMetadata:
    case Fn::StatsSetMetadata: return stats_function(f.fn, p);
    case Fn::TimeEpochSecs:
    case Fn::TimeParseFromRfc3339:
    case Fn::TimeParseFromStr:
    case Fn::TimeEpochMsToRfc3339:
    case Fn::TimeSleep: return time_function(g, f.fn, p);
    case Fn::UtilsReportInfo:
    case Fn::UtilsReportNotice:
    case Fn::UtilsReportWarning:
    case Fn::UtilsReportError:
    case Fn::UtilsCellToString:
    case Fn::UtilsGetVaultSecret:
    case Fn::UtilsGetVaultSecretByName:
    case Fn::UtilsQuerySetting: return utils_function(g, f.fn, p);
  }
  throw CabiError("a function the host does not have");
}

std::vector<pg::host::HostFunction> component_host_functions() {
  std::vector<pg::host::HostFunction> out;
  for (WitVersion v : {WitVersion::V1, WitVersion::V2}) {
    const World &w = world(v);
    std::string full(to_string(v)), canon = full.substr(0, 3);
    for (const ImportFn &f : w.imports) {
      FuncType type = lowered_core_type(f.sig);
      auto callback = [&f](engine::HostCall &, std::span<const engine::Value> args,
                           std::span<engine::Value> results) {
        ComponentGuest *g = current_component_guest();
        if (!g)
          throw SqlError(ERRCODE_FDW_FUNCTION_SEQUENCE_ERROR,
                         "supabase:wrappers/" + f.interface + "." + f.name +
                             " was called outside a routine of a component FDW guest");
        g->host(f, args, results);
      };
      std::vector<std::string> names = {f.name};
      if (f.fn == Fn::Drop) names.push_back(std::string(to_string(f.resource)) + "_drop");
      for (const std::string &module : {"supabase:wrappers/" + f.interface + "@" + full,
                                        "cm32p2|supabase:wrappers/" + f.interface + "@" + canon,
                                        "cm32p2|supabase:wrappers/" + f.interface + "@" + full})
        for (const auto &name : names) out.push_back({module, name, type, callback});
    }
  }
  return out;
}

}  // namespace pgwasm::fdw
