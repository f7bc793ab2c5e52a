// Fuzz target: bytes as a module in the text format. What assemble_wat
// accepts it must turn into a binary that the toolkit reads back as a valid
// module, and that rename_imports, given the same names, leaves byte for
// byte as it was (assemble_wat writes canonical LEB128s, as rename_imports
// does).
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz/fuzz_support.h"
#include "toolkit/binary.h"
#include "toolkit/binary_edit.h"
#include "toolkit/text.h"

using namespace pgwasm;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string_view wat(reinterpret_cast<const char *>(data), size);
  std::vector<uint8_t> wasm;
  try {
    wasm = toolkit::assemble_wat(wat);
  } catch (const toolkit::TextError &) {
    return 0;
  }
  if (!toolkit::looks_like_binary(wasm)) fuzz::fail("assemble_wat made no binary module");
  ModuleInfo info;
  try {
    info = toolkit::read_module(wasm);
  } catch (const toolkit::BinaryError &e) {
    fuzz::fail("assemble_wat made a module that read_module rejects", e.what());
  }
  (void)toolkit::describe_module(wasm).constant_globals;
  std::vector<std::pair<std::string, std::string>> same;
  for (const auto &imp : info.imports) same.emplace_back(imp.module, imp.name);
  if (toolkit::rename_imports(wasm, same) != wasm)
    fuzz::fail("rename_imports with unchanged names changed the module");
  return 0;
}
