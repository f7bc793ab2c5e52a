// The native engine's build never lets a module's text into the C it
// compiles: modules whose names are made to break C (hostile_names.py, in
// every place a name can stand) are translated, and the generated sources
// are searched for what those names hold; then they are built and run, and
// the payload (a constructor that would create a file) never ran.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "engine/engine.h"
#include "engine/native/build.h"
#include "engine/native/source_check.h"
#include "toolkit/binary.h"
#include "toolkit/instrument.h"
#include "native_test_support.h"

#ifndef PGWASM_GUESTS_DIR
#error "PGWASM_GUESTS_DIR must name the directory of the built guests"
#endif

using namespace pgwasm;
using namespace pgwasm::engine;

namespace {

namespace fs = std::filesystem;

constexpr const char *kMarker = "/tmp/pg_wasm_hostile_names_marker";

std::string read_all(const fs::path &path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::vector<uint8_t> bytes_of(const fs::path &path) {
  std::string s = read_all(path);
  return {s.begin(), s.end()};
}

std::vector<fs::path> hostile_modules() {
  std::vector<fs::path> out;
  for (const auto &e : fs::directory_iterator(PGWASM_GUESTS_DIR)) {
    std::string name = e.path().filename().string();
    if (name.starts_with("hostile_names_") && name.ends_with(".wasm")) out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

// What the payloads hold that generated C never does.
const std::vector<std::string> &tell_tales() {
  static const std::vector<std::string> t = {"pgw_hostile", "system", "passwd",      "define u32",
                                             "??",          "touch ", "\xe2\x80\xae"};
  return t;
}

class NativeNamesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::remove(kMarker);
    ASSERT_FALSE(hostile_modules().empty()) << "no hostile_names_*.wasm in " PGWASM_GUESTS_DIR;
  }
};

TEST_F(NativeNamesTest, GeneratedSourcesHoldNoNameOfTheModule) {
  for (const fs::path &path : hostile_modules()) {
    SCOPED_TRACE(path.filename().string());
    std::vector<uint8_t> wasm = bytes_of(path);
    // As the engine translates it: instrumented (its own exports added).
    std::vector<uint8_t> code =
        toolkit::instrument(wasm, {.fuel = true, .interrupt = true, .memory_limit = true});
    ModuleInfo info = toolkit::read_module(code);
    test::ScratchDir dir("pg_wasm_names_test");
    native::translate(code, info, dir.path, NativeToolchain{}, nullptr);
    std::string sources;
    for (const char *file : {"/module.c", "/module.h", "/glue.c"}) {
      std::string text = read_all(dir.path + file);
      ASSERT_FALSE(text.empty()) << file;
      EXPECT_EQ(native::generated_source_refusal(text), std::nullopt) << file;
      sources += text;
    }
    for (const auto &t : tell_tales()) EXPECT_EQ(sources.find(t), std::string::npos) << t;
    // No name of the module's own, of four bytes or more.
    auto absent = [&](const std::string &name) {
      if (name.size() >= 4) {
        EXPECT_EQ(sources.find(name), std::string::npos) << name.substr(0, 64);
      }
    };
    for (const auto &e : info.exports) absent(e.name);
    for (const auto &i : info.imports) {
      absent(i.module);
      absent(i.name);
    }
  }
}

TEST_F(NativeNamesTest, TheyBuildAndRunAndThePayloadNeverRuns) {
  test::ScratchDir cache("pg_wasm_names_test");
  auto engine = make_native_engine({}, {.cache_dir = cache.path, .toolchain = {}});
  int here;
  engine->set_stack_limit(reinterpret_cast<uintptr_t>(&here) - (1 << 20));
  for (const fs::path &path : hostile_modules()) {
    SCOPED_TRACE(path.filename().string());
    std::vector<uint8_t> wasm = bytes_of(path);
    auto module = engine->compile(wasm, {.fuel = false, .limit_memory = true});
    ASSERT_TRUE(module->is_native());
    const ModuleInfo &info = module->info();
    std::vector<std::shared_ptr<Extern>> imports;
    FuncType i32_to_i32{{ValType::I32}, {ValType::I32}};
    for (const auto &imp : info.imports) {
      if (const auto *f = std::get_if<FuncType>(&imp.type)) {
        ASSERT_EQ(*f, i32_to_i32);
        imports.push_back(engine->host_function(
            *f, [](HostCall &, std::span<const Value> args, std::span<Value> results) {
              results[0] = Value::make_i32(args[0].as_i32() * 2);
            }));
      } else if (const auto *t = std::get_if<TableType>(&imp.type)) {
        imports.push_back(engine->host_table(*t));
      } else if (const auto *m = std::get_if<MemoryType>(&imp.type)) {
        imports.push_back(engine->host_memory(*m));
      } else {
        const auto &g = std::get<GlobalType>(imp.type);
        imports.push_back(engine->host_global(
            g, g.type == ValType::I32 ? Value::make_i32(1) : Value::make_i64(2)));
      }
    }
    auto instance = engine->instantiate(module, imports);
    // The first function export: x + 1 (or, with imports, 2x + 1).
    uint32_t first = 0;
    while (!std::holds_alternative<FuncType>(info.exports.at(first).type)) first++;
    Value arg = Value::make_i32(20), result;
    instance->call(first, &arg, &result);
    EXPECT_EQ(result.as_i32(), info.imports.empty() ? 21 : 41);
  }
  EXPECT_FALSE(fs::exists(kMarker)) << "a name of a module was compiled and ran";
}

}  // namespace
