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
#include <thread>

#include "engine/engine.h"
#include "engine/native/artifact_cache.h"
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
  // One function of 2,500 if/else: 5,000 branches, an hour for gcc -O2.
  std::string body;
  for (int i = 0; i < 2500; i++)
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
