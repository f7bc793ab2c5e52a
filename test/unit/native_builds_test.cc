// The native engine's builds (src/engine/native): each module's shared
// object built once per content into the cache, checked before it is
// loaded, and the bounds every build keeps (slots, cost, the cache's size,
// removal). What the engine interface does on both engines is in
// engine_interface_test.cc.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <thread>

#include "engine/engine.h"
#include "engine/native/artifact_cache.h"
#include "engine/native/build.h"
#include "engine/native/build_bounds.h"
#include "toolkit/binary.h"
#include "toolkit/instrument.h"
#include "toolkit/text.h"
#include "export_index.h"
#include "native_test_support.h"

using namespace pgwasm;
using namespace pgwasm::engine;

namespace {

class NativeBuildCacheTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    cache_ = std::filesystem::temp_directory_path() /
             ("pg_wasm_native_builds_test_" + std::to_string(getpid()));
    std::filesystem::create_directories(cache_);
    engine_ = make_native_engine({.max_memory_pages = 64},
                                 {.cache_dir = cache_.string(), .toolchain = {}})
                  .release();
    // As a host would: guest frames may use the stack down to 1 MB below here.
    int here;
    engine_->set_stack_limit(reinterpret_cast<uintptr_t>(&here) - (1 << 20));
  }
  static void TearDownTestSuite() {
    delete engine_;
    engine_ = nullptr;
    std::filesystem::remove_all(cache_);
  }
  std::unique_ptr<Instance> instantiate(std::string_view wat,
                                        std::vector<std::shared_ptr<Extern>> imports = {},
                                        CompileOptions options = {}) {
    auto module = engine_->compile(toolkit::assemble_wat(wat), options);
    return engine_->instantiate(module, imports);
  }
  static uint32_t index_of(const Instance &inst, std::string_view name) {
    return test::export_index(inst, name);
  }
  static Engine *engine_;
  static std::filesystem::path cache_;
};
Engine *NativeBuildCacheTest::engine_ = nullptr;
std::filesystem::path NativeBuildCacheTest::cache_;

TEST_F(NativeBuildCacheTest, ModulesAreBuiltOncePerContent) {
  auto count = [] {
    size_t n = 0;
    for (const auto &e : std::filesystem::recursive_directory_iterator(cache_))
      n += e.path().extension() == ".so";
    return n;
  };
  // The runtime every module's object links is built with the first
  // module: one built before counting.
  instantiate("(module)");
  constexpr std::string_view wat = "(module (func (export \"f\") (result i32) i32.const 7))";
  size_t before = count();
  instantiate(wat);
  size_t built = count();
  EXPECT_EQ(built, before + 1);
  instantiate(wat);
  EXPECT_EQ(count(), built);
  // A damaged artifact is noticed before it is loaded and built again:
  // garbage, then the real file cut short (written anew, as a torn write
  // would leave them; no instance of it is alive to keep it mapped).
  auto damage = [&](bool truncate) {
    for (const auto &e : std::filesystem::recursive_directory_iterator(cache_)) {
      if (e.path().extension() != ".so") continue;
      std::string bytes;
      if (truncate) {
        std::ifstream in(e.path(), std::ios::binary);
        bytes.assign(std::istreambuf_iterator<char>(in), {});
        bytes.resize(bytes.size() / 2);
      } else {
        bytes =
            "\x7f"
            "ELF garbage";
      }
      std::filesystem::remove(e.path());
      std::ofstream(e.path(), std::ios::binary) << bytes;
    }
  };
  for (bool truncate : {false, true}) {
    damage(truncate);
    auto rebuilt = instantiate(wat);
    Value r;
    rebuilt->call(index_of(*rebuilt, "f"), nullptr, &r);
    EXPECT_EQ(r.as_i32(), 7);
  }
}

TEST_F(NativeBuildCacheTest, WithoutBuildingItSaysWhereTheBuildWillBe) {
  auto wasm = toolkit::assemble_wat("(module (func (export \"f\") (result i32) i32.const 11))");
  std::string artifact;
  try {
    engine_->compile(wasm, {.build = false});
    FAIL() << "compiled without a build";
  } catch (const NotBuilt &e) {
    EXPECT_EQ(e.state, NotBuilt::State::Missing);
    artifact = e.artifact;
  }
  // Asked again from the artifact's path alone.
  std::string failure;
  EXPECT_EQ(native_build_state(artifact, failure), NotBuilt::State::Missing);
  EXPECT_FALSE(std::filesystem::exists(artifact));
  engine_->compile(wasm);  // builds
  EXPECT_TRUE(std::filesystem::exists(artifact));
  auto module = engine_->compile(wasm, {.build = false});
  EXPECT_TRUE(module->is_native());
  // Removing the module's builds removes that one.
  std::string sha = std::filesystem::path(artifact).parent_path().filename().string();
  module.reset();
  remove_native_builds(cache_.string(), sha);
  EXPECT_FALSE(std::filesystem::exists(artifact));
  EXPECT_THROW(engine_->compile(wasm, {.build = false}), NotBuilt);
  // Never a path outside the cache.
  remove_native_builds(cache_.string(), "..");
  EXPECT_TRUE(std::filesystem::exists(cache_));
}

TEST_F(NativeBuildCacheTest, AFailedBuildIsRecordedUntilOneSucceeds) {
  // SIMD: wasm2c 1.0.32 does not translate it.
  auto wasm = toolkit::assemble_wat(
      "(module (func (export \"f\") (result i32) (i32x4.extract_lane 0 (v128.const i32x4 1 2 3 "
      "4))))");
  EXPECT_THROW(engine_->compile(wasm), CompileError);
  try {
    engine_->compile(wasm, {.build = false});
    FAIL() << "compiled without a build";
  } catch (const NotBuilt &e) {
    EXPECT_EQ(e.state, NotBuilt::State::Failed);
    EXPECT_FALSE(e.failure.empty());
    std::string failure;
    EXPECT_EQ(native_build_state(e.artifact, failure), NotBuilt::State::Failed);
    EXPECT_EQ(failure, e.failure);
  }
}

}  // namespace

namespace {

std::vector<uint8_t> distinct_module(int n) {
  return toolkit::assemble_wat("(module (func (export \"f\") (result i32) i32.const " +
                               std::to_string(n) + "))");
}

// Where the build of a module not built yet will be.
std::string artifact_of(Engine &engine, std::span<const uint8_t> wasm) {
  try {
    engine.compile(wasm, {.build = false});
  } catch (const NotBuilt &e) {
    return e.artifact;
  }
  ADD_FAILURE() << "compiled without a build";
  return {};
}

}  // namespace

TEST(NativeBuildBoundsTest, AnObjectInTheCacheIsInspectedBeforeItIsLoaded) {
  test::ScratchDir cache("pg_wasm_native_bounds");
  auto engine = test::native_engine_with({.cache_dir = cache.path});
  auto wasm = distinct_module(1);
  std::string artifact = artifact_of(*engine, wasm);
  // What the cache could be made to hold: an object with a constructor,
  // sealed as a build would be.
  const std::string marker = cache.path + "/constructor-ran";
  std::string c = cache.path + "/planted.c";
  std::ofstream(c) << "#include <stdio.h>\n__attribute__((constructor)) static void planted(void) "
                      "{ FILE *f = fopen(\"" +
                          marker + "\", \"w\"); if (f) fclose(f); }\n";
  std::filesystem::create_directories(std::filesystem::path(artifact).parent_path());
  ASSERT_EQ(std::system(("cc -shared -fPIC -o " + artifact + " " + c).c_str()), 0);
  native::seal(artifact);
  auto module = engine->compile(wasm);  // refused, then built afresh
  EXPECT_TRUE(module->is_native());
  EXPECT_FALSE(std::filesystem::exists(marker)) << "a planted object was loaded";
  auto instance = engine->instantiate(module, {});
  Value r;
  instance->call(0, nullptr, &r);
  EXPECT_EQ(r.as_i32(), 1);
}

TEST(NativeBuildBoundsTest, AModuleTooCostlyToBuildIsRefusedAtOnceAndRecorded) {
  test::ScratchDir cache("pg_wasm_native_bounds");
  auto engine = test::native_engine_with({.cache_dir = cache.path});
  // One function of more if/else than a build compiles, even at -O0.
  std::string body;
  for (uint32_t i = 0; i < native::kMaxFunctionBranches / 2 + 1; i++)
    body +=
        "(if (local.get 0) (then (local.set 0 (i32.add (local.get 0) (i32.const 3)))) "
        "(else (local.set 0 (i32.sub (local.get 0) (i32.const 5)))))";
  auto wasm = toolkit::assemble_wat("(module (func (export \"f\") (param i32) (result i32) " +
                                    body + " local.get 0))");
  auto start = std::chrono::steady_clock::now();
  try {
    engine->compile(wasm);
    FAIL() << "built";
  } catch (const CompileError &e) {
    EXPECT_NE(std::string(e.what()).find("too costly to build natively"), std::string::npos)
        << e.what();
    EXPECT_NE(std::string(e.what()).find("branches"), std::string::npos) << e.what();
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
  try {
    engine->compile(wasm, {.build = false});
    FAIL() << "compiled without a build";
  } catch (const NotBuilt &e) {
    EXPECT_EQ(e.state, NotBuilt::State::Failed);
    EXPECT_NE(e.failure.find("too costly"), std::string::npos);
  }
}

TEST(NativeBuildBoundsTest, BuildsWaitForASlotAndStopWhenAsked) {
  test::ScratchDir cache("pg_wasm_native_bounds");
  std::atomic<bool> stop{false};
  static std::atomic<bool> *g_flag = nullptr;
  g_flag = &stop;
  auto engine = make_native_engine({.interrupt_requested = [] { return g_flag->load(); }},
                                   {.cache_dir = cache.path, .max_builds = 1});
  // The one slot taken, as by a build in another process.
  auto slot = native::take_build_slot(cache.path + "/slots", 1, nullptr);
  std::thread stopper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    stop = true;
  });
  EXPECT_THROW(engine->compile(distinct_module(2)), Interrupted);
  stopper.join();
  stop = false;
  // Free: the build goes ahead.
  { auto freed = std::move(slot); }
  EXPECT_TRUE(engine->compile(distinct_module(2))->is_native());
}

TEST(NativeBuildBoundsTest, NoBuildsAtAllAndAFullCacheAreCompileErrors) {
  test::ScratchDir cache("pg_wasm_native_bounds");
  auto none = test::native_engine_with({.cache_dir = cache.path, .max_builds = 0});
  EXPECT_THROW(none->compile(distinct_module(3)), CompileError);
  auto small = test::native_engine_with({.cache_dir = cache.path, .max_cache_bytes = 1});
  try {
    small->compile(distinct_module(4));
    FAIL() << "built beyond the cache's size";
  } catch (const CompileError &e) {
    EXPECT_NE(std::string(e.what()).find("cache is full"), std::string::npos) << e.what();
  }
}

TEST(NativeBuildBoundsTest, ARemovalDuringABuildTakesEffectWhenTheBuildEnds) {
  test::ScratchDir cache("pg_wasm_native_bounds");
  auto engine = test::native_engine_with({.cache_dir = cache.path});
  auto wasm = distinct_module(5);
  std::string artifact = artifact_of(*engine, wasm);
  std::filesystem::path dir = std::filesystem::path(artifact).parent_path();
  std::string sha = dir.filename().string();
  {
    // A build in flight (it holds the module's directory).
    auto building = native::FileLock::building(native::ArtifactPaths(artifact), nullptr);
    std::ofstream(dir / "in-flight") << "x";
    remove_native_builds(cache.path, sha);
    EXPECT_TRUE(std::filesystem::exists(dir / "in-flight")) << "removed under a build";
  }
  // The next build of it ends by removing what the removal left.
  auto module = engine->compile(wasm);
  EXPECT_TRUE(module->is_native());
  EXPECT_FALSE(std::filesystem::exists(dir));
  // A background build stops when its module's builds are removed during
  // it; marked in use again, they stay.
  auto removed_during_a_build = [&] {
    auto building = native::FileLock::building(native::ArtifactPaths(artifact), nullptr);
    remove_native_builds(cache.path, sha);
  };
  removed_during_a_build();
  EXPECT_THROW(engine->compile(wasm, {.stop_when_removed = true}), Interrupted);
  EXPECT_FALSE(std::filesystem::exists(dir));
  removed_during_a_build();
  keep_native_builds(cache.path, sha);
  EXPECT_TRUE(engine->compile(wasm, {.stop_when_removed = true})->is_native());
  EXPECT_TRUE(std::filesystem::exists(artifact));
}

namespace {

// `n` if/else on the parameter: each adds 3 to it when it is not zero, else
// takes 5 from it. wasm2c makes each an "if (" in C (c_branches).
std::string if_else_function(const std::string &name, int n) {
  std::string body;
  for (int i = 0; i < n; i++)
    body +=
        "(if (local.get 0) (then (local.set 0 (i32.add (local.get 0) (i32.const 3)))) "
        "(else (local.set 0 (i32.sub (local.get 0) (i32.const 5)))))";
  return "(func $" + name + " (param i32) (result i32) " + body + " local.get 0)";
}

uint32_t if_else_result(uint32_t x, int n) {
  for (int i = 0; i < n; i++) x = x ? x + 3 : x - 5;
  return x;
}

constexpr int kMidIfs = 1'600;   // more branches than SplitPolicy's o1_branches
constexpr int kHugeIfs = 6'500;  // more than its o0_branches

// A module whose functions go into units of each level, calling each other
// across units directly, through a table (whose element segment is in the
// main unit) and through ref.func, and copying a passive data segment (in
// the data unit) with memory.init.
std::vector<uint8_t> split_module() {
  return toolkit::assemble_wat(
      "(module (memory 1) (table 2 funcref) (type $t (func (param i32) (result i32)))"
      " (elem (i32.const 0) $mid $huge) (elem $later func $huge)"
      " (data $d \"\\2a\\00\\00\\00\") " +
      if_else_function("mid", kMidIfs) + if_else_function("huge", kHugeIfs) +
      " (func (export \"direct\") (param i32) (result i32)"
      "   (i32.add (call $mid (local.get 0)) (call $huge (local.get 0))))"
      " (func (export \"indirect\") (param i32 i32) (result i32)"
      "   (call_indirect (type $t) (local.get 0) (local.get 1)))"
      " (func (export \"later\") (param i32) (result i32)"
      "   (table.init $later (i32.const 1) (i32.const 0) (i32.const 1))"
      "   (call_indirect (type $t) (local.get 0) (i32.const 1)))"
      " (func (export \"data\") (result i32)"
      "   (memory.init $d (i32.const 64) (i32.const 0) (i32.const 4)) (i32.load (i32.const 64)))"
      " (func (export \"ref\") (result funcref) (ref.func $mid)))");
}

}  // namespace

TEST(NativeSplitBuildTest, FunctionsInUnitsOfTheirLevelBuildAndRun) {
  auto wasm = split_module();
  // As the engine translates it: the costly functions in units of their own
  // at -O1 and -O0, the rest at the toolchain's level; data apart.
  std::vector<uint8_t> code = toolkit::instrument(wasm, {.interrupt = true});
  ModuleInfo info = toolkit::read_module(code);
  test::ScratchDir dir("pg_wasm_split");
  auto units = native::translate(code, info, dir.path, NativeToolchain{}, nullptr);
  std::map<int, int> units_at;  // of function bodies, by level
  bool main = false, data = false;
  for (const auto &unit : units) {
    std::string source;
    std::ifstream in(dir.path + "/" + unit.name);
    source.assign(std::istreambuf_iterator<char>(in), {});
    EXPECT_EQ(source.rfind("#include \"module_shared.h\"", 0), 0u) << unit.name;
    main |= unit.name == "module_main.c";
    data |= unit.name == "module_data.c";
    if (unit.bytes == 0) continue;
    units_at[unit.optimization]++;
    uint32_t branches = native::c_branches(source);
    if (unit.optimization == 0) {
      EXPECT_GE(branches, uint32_t{kHugeIfs}) << unit.name;
    } else if (unit.optimization == 1) {
      EXPECT_GE(branches, uint32_t{kMidIfs}) << unit.name;
      EXPECT_LT(branches, uint32_t{kHugeIfs}) << unit.name;
    } else {
      EXPECT_LT(branches, uint32_t{kMidIfs}) << unit.name;
    }
  }
  EXPECT_TRUE(main);
  EXPECT_TRUE(data);
  EXPECT_EQ(units_at, (std::map<int, int>{{0, 1}, {1, 1}, {2, 1}}));

  // Built by the engine, it runs as one.
  test::ScratchDir cache("pg_wasm_split");
  auto engine = test::native_engine_with({.cache_dir = cache.path});
  auto module = engine->compile(wasm);
  ASSERT_TRUE(module->is_native());
  auto instance = engine->instantiate(module, {});
  auto call = [&](std::string_view name, std::vector<Value> args) {
    Value r;
    instance->call(test::export_index(*instance, name), args.data(), &r);
    return static_cast<uint32_t>(r.as_i32());
  };
  for (uint32_t x : {0u, 1u, 7u}) {
    EXPECT_EQ(call("direct", {Value::make_i32(static_cast<int32_t>(x))}),
              if_else_result(x, kMidIfs) + if_else_result(x, kHugeIfs));
    EXPECT_EQ(call("indirect", {Value::make_i32(static_cast<int32_t>(x)), Value::make_i32(0)}),
              if_else_result(x, kMidIfs));
    EXPECT_EQ(call("indirect", {Value::make_i32(static_cast<int32_t>(x)), Value::make_i32(1)}),
              if_else_result(x, kHugeIfs));
    EXPECT_EQ(call("later", {Value::make_i32(static_cast<int32_t>(x))}),
              if_else_result(x, kHugeIfs));
  }
  EXPECT_EQ(call("data", {}), 42u);
  // A trap in a function of another unit than the entry's unwinds as ever.
  EXPECT_THROW(call("indirect", {Value::make_i32(1), Value::make_i32(2)}), Trap);
}

TEST(NativeSplitBuildTest, AStoppedBuildKillsEveryCompiler) {
  auto wasm = split_module();
  std::vector<uint8_t> code = toolkit::instrument(wasm, {.interrupt = true});
  ModuleInfo info = toolkit::read_module(code);
  test::ScratchDir cache("pg_wasm_split");
  std::string work = cache.path + "/work";
  std::filesystem::create_directories(work);
  // Stopped once the compilers of the units are running.
  auto compiling = [&] {
    for (const auto &e : std::filesystem::recursive_directory_iterator(work))
      if (e.path().extension() == ".log" && e.path().stem().extension() == ".o") return true;
    return false;
  };
  // Every process whose command line names the build's directory.
  auto builders = [&] {
    int n = 0;
    for (const auto &e : std::filesystem::directory_iterator("/proc")) {
      std::ifstream in(e.path() / "cmdline");
      std::string cmdline((std::istreambuf_iterator<char>(in)), {});
      n += cmdline.find(work) != std::string::npos;
    }
    return n;
  };
  // (A compiler started has its log; once it runs its command line names
  // the directory.)
  int seen = 0;
  auto stop = [&] {
    if (!compiling()) return false;
    seen = builders();
    return seen > 0;
  };
  EXPECT_THROW(native::build_shared_object(code, info, work, cache.path + "/m/m.so",
                                           cache.path + "/rt.so", NativeToolchain{}, stop),
               Interrupted);
  EXPECT_GE(seen, 1);
  // Killed: gone once the kernel has torn them down.
  for (int i = 0; i < 500 && builders() > 0; i++)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_EQ(builders(), 0);
  EXPECT_TRUE(std::filesystem::is_empty(work)) << "the build left its directory";
  EXPECT_FALSE(std::filesystem::exists(cache.path + "/m/m.so"));
}
