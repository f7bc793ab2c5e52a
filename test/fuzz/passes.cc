#include "fuzz/passes.h"

#include <string>

#include "fuzz/fuzz_support.h"
#include "toolkit/binary.h"
#include "toolkit/binary_edit.h"
#include "toolkit/instrument.h"

namespace pgwasm::fuzz {

void check_same_exports(const ModuleInfo &before, const ModuleInfo &after) {
  if (after.exports.size() != before.exports.size()) fail("the pass changed the export count");
  for (size_t i = 0; i < before.exports.size(); i++)
    if (after.exports[i].name != before.exports[i].name ||
        after.exports[i].type != before.exports[i].type)
      fail("the pass changed export " + std::to_string(i), before.exports[i].name);
  if (after.tables != before.tables) fail("the pass changed the tables");
}

// rename_imports, with the keys the engine gives duplicate imports, and a long
// module name for every other import so that name lengths change their
// encoding's size.
static std::vector<std::pair<std::string, std::string>> new_import_names(const ModuleInfo &info) {
  std::vector<std::pair<std::string, std::string>> names;
  for (size_t i = 0; i < info.imports.size(); i++) {
    const auto &imp = info.imports[i];
    names.emplace_back(i % 2 ? imp.module + std::string(130, 'm') : imp.module,
                       imp.name + "\x01" + std::to_string(i));
  }
  return names;
}

static void check_renamed(const ModuleInfo &before, const ModuleInfo &after) {
  auto names = new_import_names(before);
  if (after.imports.size() != names.size()) fail("rename_imports changed the import count");
  for (size_t i = 0; i < names.size(); i++) {
    if (after.imports[i].module != names[i].first || after.imports[i].name != names[i].second)
      fail("rename_imports did not give import " + std::to_string(i) + " its new name");
    if (after.imports[i].type != before.imports[i].type)
      fail("rename_imports changed the type of import " + std::to_string(i));
  }
  check_same_exports(before, after);
}

// The exports are the same, followed by exports of the pass's own, whose
// names start with a zero byte (pg_wasm loads no module whose do).
static void check_exports_kept(const ModuleInfo &before, const ModuleInfo &after) {
  if (after.exports.size() < before.exports.size()) fail("the pass dropped exports");
  for (size_t i = 0; i < before.exports.size(); i++)
    if (after.exports[i].name != before.exports[i].name ||
        after.exports[i].type != before.exports[i].type)
      fail("the pass changed export " + std::to_string(i), before.exports[i].name);
  for (size_t i = before.exports.size(); i < after.exports.size(); i++)
    if (after.exports[i].name.empty() || after.exports[i].name[0] != '\0')
      fail("the pass added an export a module could have", after.exports[i].name);
  if (after.imports.size() != before.imports.size()) fail("the pass changed the imports");
}

const std::vector<Pass> &passes() {
  static const std::vector<Pass> all = {
      {.name = "rename_imports",
       .apply =
           [](std::span<const uint8_t> wasm, const ModuleInfo &info) {
             return toolkit::rename_imports(wasm, new_import_names(info));
           },
       .check = check_renamed,
       // Engine::compile renames duplicate imports itself.
       .feeds_engine = false},
      // The engine makes the next three rewrites itself when asked
      // (CompileOptions, run_in_engine); here their outputs are checked.
      {.name = "bound_memory_grow",
       .apply =
           [](std::span<const uint8_t> wasm, const ModuleInfo &) {
             auto scan = toolkit::describe_module(wasm);
             if (!scan.shape.grows_memory) return std::vector<uint8_t>(wasm.begin(), wasm.end());
             return toolkit::bound_memory_grow(wasm, scan.shape, toolkit::kMaxPagesExport);
           },
       .check = check_exports_kept,
       .feeds_engine = false},
      {.name = "instrument",
       .apply =
           [](std::span<const uint8_t> wasm, const ModuleInfo &) {
             return toolkit::instrument(wasm, {.fuel = true, .memory_limit = true});
           },
       .check = check_exports_kept,
       .feeds_engine = false},
      {.name = "export_start_function",
       .apply =
           [](std::span<const uint8_t> wasm, const ModuleInfo &) {
             auto scan = toolkit::describe_module(wasm);
             if (!scan.shape.start_function) return std::vector<uint8_t>(wasm.begin(), wasm.end());
             return toolkit::export_start_function(wasm, std::string_view("\0start", 6));
           },
       .check = check_exports_kept,
       .feeds_engine = false},
  };
  return all;
}

}  // namespace pgwasm::fuzz
