#include "component/world.h"

namespace pgwasm::component {

std::string_view to_string(WitVersion v) {
  return v == WitVersion::V1 ? "0.1.0" : "0.2.0";
}

std::string_view to_string(Resource r) {
  static constexpr std::string_view names[] = {"",     "row",   "column",  "qual",
                                               "sort", "limit", "options", "context"};
  auto i = static_cast<uint32_t>(r);
  return i <= kResources ? names[i] : "?";
}

std::string_view to_string(WorldExport e) {
  static constexpr std::string_view names[] = {
#define PGWASM_WORLD_ROUTINE(name, core_export, wit_name, input, result) wit_name,
#include "component/routines.def"
  };
  return names[static_cast<size_t>(e)];
}

const ExportFn *World::find_export(std::string_view name) const {
  for (const auto &e : exports)
    if (e.name == name) return &e;
  return nullptr;
}

std::string_view World::host_version() const {
  // Supabase's host was 0.1.x for the first world and 0.2.x since
  // import-foreign-schema; guests state requirements such as ^0.1.0.
  return version == WitVersion::V1 ? "0.1.5" : "0.2.0";
}

const World &world(WitVersion v) {
  static World *worlds[2] = {nullptr, nullptr};
  World *&w = worlds[v == WitVersion::V2];
  if (w) return *w;
  w = new World();
  w->version = v;
  bool v2 = v == WitVersion::V2;
  TypeArena &a = w->arena_;
  auto P = [&](Kind k) { return a.prim(k); };
  const Type *str = P(Kind::String);
  const Type *u32 = P(Kind::U32);
  const Type *s64 = P(Kind::S64);
  const Type *boolean = P(Kind::Bool);
  const Type *opt_str = a.option(str);
  const Type *fdw_result = a.result(nullptr, str);

  std::vector<std::pair<std::string, const Type *>> cells = {
      {"bool", boolean},     {"i8", P(Kind::S8)},       {"i16", P(Kind::S16)},
      {"f32", P(Kind::F32)}, {"i32", P(Kind::S32)},     {"f64", P(Kind::F64)},
      {"i64", s64},          {"numeric", P(Kind::F64)}, {"string", str},
      {"date", s64},         {"timestamp", s64},        {"timestamptz", s64},
      {"json", str}};
  std::vector<std::pair<std::string, const Type *>> oids = {
      {"bool", nullptr},   {"i8", nullptr},   {"i16", nullptr},       {"f32", nullptr},
      {"i32", nullptr},    {"f64", nullptr},  {"i64", nullptr},       {"numeric", nullptr},
      {"string", nullptr}, {"date", nullptr}, {"timestamp", nullptr}, {"timestamptz", nullptr},
      {"json", nullptr}};
  std::vector<std::pair<std::string, const Type *>> opt_types = {{"server", nullptr},
                                                                 {"table", nullptr}};
  if (v2) {
    cells.push_back({"uuid", str});
    cells.push_back({"other", str});
    oids.push_back({"uuid", nullptr});
    oids.push_back({"other", str});
    opt_types.push_back({"import-schema", nullptr});
    opt_types.push_back({"other", str});
  }
  WorldTypes &t = w->types;
  t.string = str;
  t.cell = a.variant(cells);
  t.type_oid = a.variant(oids);
  t.value = a.variant({{"cell", t.cell}, {"array", a.list(t.cell)}});
  t.param = a.record({{"id", u32}, {"type-oid", u32}});
  t.options_type = a.variant(opt_types);
  const Type *headers = a.list(a.tuple({str, str}));
  t.request = a.record({{"method", a.enumeration({"get", "post", "put", "patch", "delete"})},
                        {"url", str},
                        {"headers", headers},
                        {"body", str}});
  t.response =
      a.record({{"url", str}, {"status-code", P(Kind::U16)}, {"headers", headers}, {"body", str}});
  t.metric = a.enumeration({"create-times", "rows-in", "rows-out", "bytes-in", "bytes-out"});
  if (v2)
    t.import_stmt = a.record({{"server-name", str},
                              {"remote-schema", str},
                              {"local-schema", str},
                              {"list-type", a.enumeration({"all", "limit-to", "except"})},
                              {"table-list", a.list(str)}});

  auto self = [&](Resource r) { return a.borrow(static_cast<uint32_t>(r)); };
  auto own = [&](Resource r) { return a.own(static_cast<uint32_t>(r)); };
  auto add = [&](std::string iface, std::string name, Fn fn, std::vector<const Type *> params,
                 const Type *result) {
    w->imports.push_back({std::move(iface), std::move(name), fn, Resource::Row, {params, result}});
  };
  auto method = [&](Resource r, std::string m, Fn fn, std::vector<const Type *> params,
                    const Type *result) {
    params.insert(params.begin(), self(r));
    add("types", "[method]" + std::string(to_string(r)) + "." + m, fn, params, result);
  };
  auto ctor = [&](Resource r, Fn fn, std::vector<const Type *> params) {
    add("types", "[constructor]" + std::string(to_string(r)), fn, params, own(r));
  };
  const Type *opt_cell = a.option(t.cell);
  ctor(Resource::Row, Fn::RowNew, {});
  method(Resource::Row, "cols", Fn::RowCols, {}, a.list(str));
  method(Resource::Row, "cells", Fn::RowCells, {}, a.list(opt_cell));
  method(Resource::Row, "push", Fn::RowPush, {opt_cell}, nullptr);
  ctor(Resource::Column, Fn::ColumnNew, {u32});
  method(Resource::Column, "name", Fn::ColumnName, {}, str);
  method(Resource::Column, "num", Fn::ColumnNum, {}, u32);
  method(Resource::Column, "type-oid", Fn::ColumnTypeOid, {}, t.type_oid);
  ctor(Resource::Qual, Fn::QualNew, {u32});
  method(Resource::Qual, "field", Fn::QualField, {}, str);
  method(Resource::Qual, "operator", Fn::QualOperator, {}, str);
  method(Resource::Qual, "value", Fn::QualValue, {}, t.value);
  method(Resource::Qual, "use-or", Fn::QualUseOr, {}, boolean);
  method(Resource::Qual, "param", Fn::QualParam, {}, a.option(t.param));
  method(Resource::Qual, "deparse", Fn::QualDeparse, {}, str);
  ctor(Resource::Sort, Fn::SortNew, {u32});
  method(Resource::Sort, "field", Fn::SortField, {}, str);
  method(Resource::Sort, "field-no", Fn::SortFieldNo, {}, u32);
  method(Resource::Sort, "reversed", Fn::SortReversed, {}, boolean);
  method(Resource::Sort, "nulls-first", Fn::SortNullsFirst, {}, boolean);
  method(Resource::Sort, "collate", Fn::SortCollate, {}, opt_str);
  method(Resource::Sort, "deparse", Fn::SortDeparse, {}, str);
  method(Resource::Sort, "deparse-with-collate", Fn::SortDeparseWithCollate, {}, str);
  ctor(Resource::Limit, Fn::LimitNew, {});
  method(Resource::Limit, "count", Fn::LimitCount, {}, s64);
  method(Resource::Limit, "offset", Fn::LimitOffset, {}, s64);
  method(Resource::Limit, "deparse", Fn::LimitDeparse, {}, str);
  ctor(Resource::Options, Fn::OptionsNew, {t.options_type});
  method(Resource::Options, "get", Fn::OptionsGet, {str}, opt_str);
  method(Resource::Options, "require", Fn::OptionsRequire, {str}, a.result(str, str));
  method(Resource::Options, "require-or", Fn::OptionsRequireOr, {str, str}, str);
  ctor(Resource::Context, Fn::ContextNew, {});
  method(Resource::Context, "get-options", Fn::ContextGetOptions, {t.options_type},
         own(Resource::Options));
  method(Resource::Context, "get-quals", Fn::ContextGetQuals, {}, a.list(own(Resource::Qual)));
  method(Resource::Context, "get-columns", Fn::ContextGetColumns, {},
         a.list(own(Resource::Column)));
  method(Resource::Context, "get-sorts", Fn::ContextGetSorts, {}, a.list(own(Resource::Sort)));
  method(Resource::Context, "get-limit", Fn::ContextGetLimit, {}, a.option(own(Resource::Limit)));
  for (uint32_t r = 1; r <= kResources; r++) {
    auto res = static_cast<Resource>(r);
    add("types", "[resource-drop]" + std::string(to_string(res)), Fn::Drop, {a.own(r)}, nullptr);
    w->imports.back().resource = res;
  }

  const Type *http_result = a.result(t.response, str);
  add("http", "get", Fn::HttpGet, {t.request}, http_result);
  add("http", "post", Fn::HttpPost, {t.request}, http_result);
  add("http", "put", Fn::HttpPut, {t.request}, http_result);
  add("http", "patch", Fn::HttpPatch, {t.request}, http_result);
  add("http", "delete", Fn::HttpDelete, {t.request}, http_result);
  add("http", "error-for-status", Fn::HttpErrorForStatus, {t.response}, fdw_result);
  add("jwt", "encode", Fn::JwtEncode, {a.list(a.tuple({str, str})), str, str, u32},
      a.result(str, str));
  add("stats", "inc-stats", Fn::StatsIncStats, {str, t.metric, s64}, nullptr);
  add("stats", "get-metadata", Fn::StatsGetMetadata, {str}, opt_str);
  add("stats", "set-metadata", Fn::StatsSetMetadata, {str, opt_str}, nullptr);
  const Type *time_result = a.result(s64, str);
  add("time", "epoch-secs", Fn::TimeEpochSecs, {}, s64);
  add("time", "parse-from-rfc3339", Fn::TimeParseFromRfc3339, {str}, time_result);
  add("time", "parse-from-str", Fn::TimeParseFromStr, {str, str}, time_result);
  add("time", "epoch-ms-to-rfc3339", Fn::TimeEpochMsToRfc3339, {s64}, a.result(str, str));
  add("time", "sleep", Fn::TimeSleep, {P(Kind::U64)}, nullptr);
  add("utils", "report-info", Fn::UtilsReportInfo, {str}, nullptr);
  add("utils", "report-notice", Fn::UtilsReportNotice, {str}, nullptr);
  add("utils", "report-warning", Fn::UtilsReportWarning, {str}, nullptr);
  add("utils", "report-error", Fn::UtilsReportError, {str}, nullptr);
  add("utils", "cell-to-string", Fn::UtilsCellToString, {opt_cell}, str);
  add("utils", "get-vault-secret", Fn::UtilsGetVaultSecret, {str}, opt_str);
  add("utils", "get-vault-secret-by-name", Fn::UtilsGetVaultSecretByName, {str}, opt_str);
  add("utils", "query-setting", Fn::UtilsQuerySetting, {str}, opt_str);

  const Type *ctx = self(Resource::Context);
  const Type *row = self(Resource::Row);
  auto routine = [&](WorldExport e, std::vector<const Type *> params, const Type *result) {
    w->exports.push_back({std::string(to_string(e)), e, {params, result}});
  };
  routine(WorldExport::HostVersionRequirement, {}, str);
  routine(WorldExport::Init, {ctx}, fdw_result);
  routine(WorldExport::BeginScan, {ctx}, fdw_result);
  routine(WorldExport::IterScan, {ctx, row}, a.result(a.option(u32), str));
  routine(WorldExport::ReScan, {ctx}, fdw_result);
  routine(WorldExport::EndScan, {ctx}, fdw_result);
  routine(WorldExport::BeginModify, {ctx}, fdw_result);
  routine(WorldExport::Insert, {ctx, row}, fdw_result);
  routine(WorldExport::Update, {ctx, t.cell, row}, fdw_result);
  routine(WorldExport::Delete, {ctx, t.cell}, fdw_result);
  routine(WorldExport::EndModify, {ctx}, fdw_result);
  if (v2)
    routine(WorldExport::ImportForeignSchema, {ctx, t.import_stmt}, a.result(a.list(str), str));
  return *w;
}

std::optional<CoreImportModule> parse_core_import_module(std::string_view module) {
  constexpr std::string_view kCm32 = "cm32p2|";
  constexpr std::string_view kPackage = "supabase:wrappers/";
  bool cm32 = module.starts_with(kCm32);
  if (cm32) module.remove_prefix(kCm32.size());
  if (!module.starts_with(kPackage)) return std::nullopt;
  module.remove_prefix(kPackage.size());
  auto at = module.find('@');
  if (at == std::string_view::npos) return std::nullopt;
  std::string_view iface = module.substr(0, at), version = module.substr(at + 1);
  // The newer form shortens a 0.x version to major.minor.
  std::optional<WitVersion> v;
  if (version == "0.1.0" || (cm32 && version == "0.1")) v = WitVersion::V1;
  if (version == "0.2.0" || (cm32 && version == "0.2")) v = WitVersion::V2;
  if (!v) return std::nullopt;
  return CoreImportModule{*v, std::string(iface)};
}

}  // namespace pgwasm::component
