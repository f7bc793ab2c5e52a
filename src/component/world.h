// The world supabase:wrappers (WIT 0.1.0 and 0.2.0, test/components/wit)
// as the host knows it: its types, the functions a package imports (by
// interface and name) and the routines it exports, with their canonical
// signatures. Written by hand from the WIT: the host checks a package's
// core imports and exports against these, rather than trusting its types.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "component/cabi.h"

namespace pgwasm::component {

enum class WitVersion : uint8_t { V1, V2 };  // 0.1.0, 0.2.0
std::string_view to_string(WitVersion v);    // "0.1.0"

// The host's resources, by id (Type::resource).
enum class Resource : uint32_t { Row = 1, Column, Qual, Sort, Limit, Options, Context };
inline constexpr uint32_t kResources = 7;
std::string_view to_string(Resource r);  // "row"

// What a host function of the world is; the dispatch in host_world.cc
// switches on it.
enum class Fn : uint16_t {
  RowNew,
  RowCols,
  RowCells,
  RowPush,
  ColumnNew,
  ColumnName,
  ColumnNum,
  ColumnTypeOid,
  QualNew,
  QualField,
  QualOperator,
  QualValue,
  QualUseOr,
  QualParam,
  QualDeparse,
  SortNew,
  SortField,
  SortFieldNo,
  SortReversed,
  SortNullsFirst,
  SortCollate,
  SortDeparse,
  SortDeparseWithCollate,
  LimitNew,
  LimitCount,
  LimitOffset,
  LimitDeparse,
  OptionsNew,
  OptionsGet,
  OptionsRequire,
  OptionsRequireOr,
  ContextNew,
  ContextGetOptions,
  ContextGetQuals,
  ContextGetColumns,
  ContextGetSorts,
  ContextGetLimit,
  Drop,  // [resource-drop]<resource>, with `resource`
  HttpGet,
  HttpPost,
  HttpPut,
  HttpPatch,
  HttpDelete,
  HttpErrorForStatus,
  JwtEncode,
  StatsIncStats,
  StatsGetMetadata,
  StatsSetMetadata,
  TimeEpochSecs,
  TimeParseFromRfc3339,
  TimeParseFromStr,
  TimeEpochMsToRfc3339,
  TimeSleep,
  UtilsReportInfo,
  UtilsReportNotice,
  UtilsReportWarning,
  UtilsReportError,
  UtilsCellToString,
  UtilsGetVaultSecret,
  UtilsGetVaultSecretByName,
  UtilsQuerySetting,
};

struct ImportFn {
  std::string interface;  // "types", "http", ...
  std::string name;       // "[method]context.get-options", "[resource-drop]row", "get"
  Fn fn;
  Resource resource = Resource::Row;  // for Drop
  Signature sig;
};

// The routines the world exports (routines.def, beside fdw::Routine).
enum class WorldExport : uint8_t {
#define PGWASM_WORLD_ROUTINE(name, core_export, wit_name, input, result) name,
#include "component/routines.def"
};
inline constexpr size_t kExports = 0
#define PGWASM_WORLD_ROUTINE(name, core_export, wit_name, input, result) +1
#include "component/routines.def"
    ;
// "begin-scan", ...
std::string_view to_string(WorldExport e);

struct ExportFn {
  std::string name;  // "init"
  WorldExport which;
  Signature sig;
};

// The types a host function needs by name.
struct WorldTypes {
  const Type *cell, *type_oid, *value, *param, *options_type, *import_stmt, *string, *request,
      *response, *metric;
};

class World {
 public:
  WitVersion version;
  WorldTypes types{};
  std::vector<ImportFn> imports;
  std::vector<ExportFn> exports;  // absent ones (import-foreign-schema in 0.1.0) are not listed

  const ExportFn *find_export(std::string_view name) const;

  // The host's version for the world's host-version-requirement check.
  std::string_view host_version() const;

 private:
  friend const World &world(WitVersion v);
  TypeArena arena_;
};

// Built once per backend, never freed.
const World &world(WitVersion v);

// A core import's module name, in either form current tools emit:
// "supabase:wrappers/http@0.1.0" or "cm32p2|supabase:wrappers/http@0.1".
// Gives the version and interface, or nothing.
struct CoreImportModule {
  WitVersion version;
  std::string interface;
};
std::optional<CoreImportModule> parse_core_import_module(std::string_view module);

}  // namespace pgwasm::component
