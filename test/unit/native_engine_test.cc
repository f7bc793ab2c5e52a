// The native engine (src/engine/native): modules built with wasm2c and the
// system C compiler, called as the V8 engine's are.
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <stdexcept>
#include <thread>

#include "engine/engine.h"
#include "engine/native/artifact_cache.h"
#include "export_index.h"
#include "toolkit/text.h"

using namespace pgwasm;
using namespace pgwasm::engine;

namespace {

std::atomic<bool> g_stop{false};
bool stop_requested() {
  return g_stop.load();
}

class NativeEngineTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    cache_ = std::filesystem::temp_directory_path() /
             ("pg_wasm_native_test_" + std::to_string(getpid()));
    std::filesystem::create_directories(cache_);
    engine_ = make_native_engine({.interrupt_requested = stop_requested, .max_memory_pages = 64},
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
Engine *NativeEngineTest::engine_ = nullptr;
std::filesystem::path NativeEngineTest::cache_;

constexpr std::string_view kNumbers = R"((module
  (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add)
  (func (export "id64") (param i64) (result i64) local.get 0)
  (func (export "idf32") (param f32) (result f32) local.get 0)
  (func (export "idf64") (param f64) (result f64) local.get 0)
  (func (export "div") (param i32 i32) (result i32) local.get 0 local.get 1 i32.div_s)
  (func (export "trunc") (param f64) (result i32) local.get 0 i32.trunc_f64_s)
  (func (export "unreachable") unreachable)
  (func $rec (export "rec") (param i32) (result i32) local.get 0 i32.const 1 i32.add call $rec)
  (func (export "spin") (loop br 0))
  (memory (export "memory") 1)
  (func (export "oob") (result i32) i32.const 70000 i32.load)
  (func (export "load") (param i32) (result i32) local.get 0 i32.load)
  (func (export "grow") (param i32) (result i32) local.get 0 memory.grow)
  (global $counter (mut i32) (i32.const 0))
  (func (export "count") (result i32) global.get $counter i32.const 1 i32.add global.set $counter global.get $counter)
))";

TEST_F(NativeEngineTest, CallsWithExactBits) {
  auto inst = instantiate(kNumbers);
  Value args[2] = {Value::make_i32(40), Value::make_i32(2)}, r;
  inst->call(index_of(*inst, "add"), args, &r);
  EXPECT_EQ(r.as_i32(), 42);
  Value big = Value::make_i64(INT64_MIN + 7);
  inst->call(index_of(*inst, "id64"), &big, &r);
  EXPECT_EQ(r.as_i64(), INT64_MIN + 7);
  Value nan;
  nan.type = ValType::F32;
  nan.bits.f32 = 0x7fa00001;  // a signalling NaN with a payload
  inst->call(index_of(*inst, "idf32"), &nan, &r);
  EXPECT_EQ(r.bits.f32, 0x7fa00001u);
  Value nan64;
  nan64.type = ValType::F64;
  nan64.bits.f64 = 0xfff0000000000123ull;
  inst->call(index_of(*inst, "idf64"), &nan64, &r);
  EXPECT_EQ(r.bits.f64, 0xfff0000000000123ull);
  // State persists between calls of an instance.
  inst->call(index_of(*inst, "count"), nullptr, &r);
  inst->call(index_of(*inst, "count"), nullptr, &r);
  EXPECT_EQ(r.as_i32(), 2);
}

TEST_F(NativeEngineTest, TrapsAreTheirKinds) {
  auto inst = instantiate(kNumbers);
  auto kind = [&](std::string_view name, std::vector<Value> args) {
    Value r;
    try {
      inst->call(index_of(*inst, name), args.data(), &r);
    } catch (const Trap &t) {
      return t.kind;
    }
    ADD_FAILURE() << name << " did not trap";
    return Trap::Kind::Other;
  };
  EXPECT_EQ(kind("unreachable", {}), Trap::Kind::Unreachable);
  EXPECT_EQ(kind("div", {Value::make_i32(1), Value::make_i32(0)}), Trap::Kind::DivideByZero);
  EXPECT_EQ(kind("div", {Value::make_i32(INT32_MIN), Value::make_i32(-1)}),
            Trap::Kind::IntegerOverflow);
  EXPECT_EQ(kind("trunc", {Value::make_f64(NAN)}), Trap::Kind::InvalidConversion);
  EXPECT_EQ(kind("oob", {}), Trap::Kind::MemoryOutOfBounds);
  EXPECT_EQ(kind("load", {Value::make_i32(-1)}), Trap::Kind::MemoryOutOfBounds);
  EXPECT_EQ(kind("rec", {Value::make_i32(0)}), Trap::Kind::StackExhausted);
  // The instance goes on working after each.
  Value args[2] = {Value::make_i32(1), Value::make_i32(2)}, r;
  inst->call(index_of(*inst, "add"), args, &r);
  EXPECT_EQ(r.as_i32(), 3);
}

TEST_F(NativeEngineTest, MemoryIsSharedWithTheHostAndCapped) {
  auto inst = instantiate(kNumbers);
  auto memory = inst->memory();
  ASSERT_EQ(memory.size(), 65536u);
  uint32_t v = 0xdeadbeef;
  std::memcpy(memory.data() + 100, &v, 4);
  Value at = Value::make_i32(100), r;
  inst->call(index_of(*inst, "load"), &at, &r);
  EXPECT_EQ(static_cast<uint32_t>(r.as_i32()), 0xdeadbeefu);
  // The engine's max_memory_pages (64) caps memory.grow.
  Value pages = Value::make_i32(100);
  inst->call(index_of(*inst, "grow"), &pages, &r);
  EXPECT_EQ(r.as_i32(), -1);
  pages = Value::make_i32(3);
  inst->call(index_of(*inst, "grow"), &pages, &r);
  EXPECT_EQ(r.as_i32(), 1);
  EXPECT_EQ(inst->memory().size(), 4u * 65536);
}

TEST_F(NativeEngineTest, HostFunctionsAndTheirExceptions) {
  constexpr std::string_view wat = R"((module
    (import "host" "twice" (func $twice (param i64 f64) (result f64)))
    (import "host" "fail" (func $fail))
    (func (export "call_twice") (param i64 f64) (result f64) local.get 0 local.get 1 call $twice)
    (func (export "call_fail") (result i32) call $fail i32.const 1)))";
  int calls = 0;
  auto twice = engine_->host_function(
      {{ValType::I64, ValType::F64}, {ValType::F64}},
      [&](HostCall &, std::span<const Value> args, std::span<Value> results) {
        calls++;
        results[0] = Value::make_f64(static_cast<double>(args[0].as_i64()) * args[1].as_f64());
      });
  auto fail = engine_->host_function(
      {{}, {}}, [](HostCall &, auto, auto) { throw std::out_of_range("the host says no"); });
  auto inst = instantiate(wat, {twice, fail});
  Value args[2] = {Value::make_i64(3), Value::make_f64(1.5)}, r;
  inst->call(index_of(*inst, "call_twice"), args, &r);
  EXPECT_EQ(r.as_f64(), 4.5);
  EXPECT_EQ(calls, 1);
  // The host's exception comes out of the call as it was thrown.
  EXPECT_THROW(inst->call(index_of(*inst, "call_fail"), nullptr, &r), std::out_of_range);
  inst->call(index_of(*inst, "call_twice"), args, &r);
  EXPECT_EQ(calls, 2);
}

TEST_F(NativeEngineTest, AnInterruptStopsAnEndlessLoop) {
  auto inst = instantiate(kNumbers);
  auto start = std::chrono::steady_clock::now();
  std::thread stopper([] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    g_stop = true;
  });
  EXPECT_THROW(inst->call(index_of(*inst, "spin"), nullptr, nullptr), Interrupted);
  stopper.join();
  g_stop = false;
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  Value args[2] = {Value::make_i32(1), Value::make_i32(1)}, r;
  inst->call(index_of(*inst, "add"), args, &r);
  EXPECT_EQ(r.as_i32(), 2);
}

TEST_F(NativeEngineTest, FuelRunsOut) {
  auto inst = instantiate(kNumbers, {}, {.fuel = true});
  inst->set_bounds({.fuel = 10'000});
  try {
    inst->call(index_of(*inst, "spin"), nullptr, nullptr);
    ADD_FAILURE() << "no trap";
  } catch (const Trap &t) {
    EXPECT_EQ(t.kind, Trap::Kind::FuelExhausted);
  }
  inst->set_bounds({});
  Value args[2] = {Value::make_i32(2), Value::make_i32(2)}, r;
  inst->call(index_of(*inst, "add"), args, &r);
  EXPECT_EQ(r.as_i32(), 4);
}

TEST_F(NativeEngineTest, SeveralResultsBothWays) {
  constexpr std::string_view wat = R"((module
    (import "host" "two" (func $two (result i32 f64)))
    (func (export "swap") (param i32 f64) (result f64 i32) local.get 1 local.get 0)
    (func (export "from_host") (result f64 i32) (local i32 f64)
      call $two local.set 1 local.set 0 local.get 1 local.get 0)))";
  auto two = engine_->host_function({{}, {ValType::I32, ValType::F64}},
                                    [](HostCall &, auto, std::span<Value> results) {
                                      results[0] = Value::make_i32(-5);
                                      results[1] = Value::make_f64(2.25);
                                    });
  auto inst = instantiate(wat, {two});
  Value args[2] = {Value::make_i32(7), Value::make_f64(-0.5)}, r[2];
  inst->call(index_of(*inst, "swap"), args, r);
  EXPECT_EQ(r[0].as_f64(), -0.5);
  EXPECT_EQ(r[1].as_i32(), 7);
  inst->call(index_of(*inst, "from_host"), nullptr, r);
  EXPECT_EQ(r[0].as_f64(), 2.25);
  EXPECT_EQ(r[1].as_i32(), -5);
}

TEST_F(NativeEngineTest, ATrapInTheStartFunctionIsATrap) {
  EXPECT_THROW(instantiate("(module (func $s unreachable) (start $s))"), Trap);
}

TEST_F(NativeEngineTest, ModulesAreBuiltOncePerContent) {
  auto count = [] {
    size_t n = 0;
    for (const auto &e : std::filesystem::recursive_directory_iterator(cache_))
      n += e.path().extension() == ".so";
    return n;
  };
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

TEST_F(NativeEngineTest, WithoutBuildingItSaysWhereTheBuildWillBe) {
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

TEST_F(NativeEngineTest, AFailedBuildIsRecordedUntilOneSucceeds) {
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

TEST_F(NativeEngineTest, WhatItCannotRunYetIsACompileError) {
  // wasm2c 1.0.32 has no SIMD.
  EXPECT_THROW(engine_->compile(toolkit::assemble_wat(
                   "(module (func (export \"f\") (result i32) v128.const i32x4 1 2 3 4 "
                   "i32x4.extract_lane 0))")),
               CompileError);
}

TEST_F(NativeEngineTest, HostGlobalsMemoriesAndTablesAreImported) {
  auto g = engine_->host_global({ValType::I32, true}, Value::make_i32(41));
  auto c = engine_->host_global({ValType::F64, false}, Value::make_f64(2.5));
  auto mem = engine_->host_memory({{1, 2}, false});
  auto table = engine_->host_table({ValType::FuncRef, {2, 10}});
  auto inst = instantiate(R"((module
    (import "env" "g" (global $g (mut i32)))
    (import "env" "c" (global $c f64))
    (import "env" "mem" (memory 1 2))
    (import "env" "table" (table 2 10 funcref))
    (func $seven (result i32) i32.const 7)
    (elem (i32.const 1) $seven)
    (func (export "bump") (result i32) global.get $g i32.const 1 i32.add global.set $g global.get $g)
    (func (export "c") (result f64) global.get $c)
    (func (export "store") (param i32 i32) local.get 0 local.get 1 i32.store)
    (func (export "grow") (param i32) (result i32) local.get 0 memory.grow)
    (export "g" (global $g))
    (export "memory" (memory 0))))",
                          {g, c, mem, table});
  Value r;
  inst->call(index_of(*inst, "bump"), nullptr, &r);
  EXPECT_EQ(r.as_i32(), 42);
  EXPECT_EQ(inst->get_global(index_of(*inst, "g")).as_i32(), 42);
  inst->call(index_of(*inst, "c"), nullptr, &r);
  EXPECT_EQ(r.as_f64(), 2.5);
  Value args[2] = {Value::make_i32(16), Value::make_i32(0x01020304)};
  inst->call(index_of(*inst, "store"), args, nullptr);
  ASSERT_EQ(inst->memory().size(), 65536u);
  EXPECT_EQ(inst->memory()[16], 4);
  // The host memory's maximum holds: 2 pages.
  Value one = Value::make_i32(1);
  inst->call(index_of(*inst, "grow"), &one, &r);
  EXPECT_EQ(r.as_i32(), 1);
  inst->call(index_of(*inst, "grow"), &one, &r);
  EXPECT_EQ(r.as_i32(), -1);

  // Another instance sees the same memory and table (with the first one's
  // function in it), and the limits are checked.
  auto other = instantiate(R"((module
    (import "env" "mem" (memory 2))
    (import "env" "table" (table 2 funcref))
    (func (export "load") (param i32) (result i32) local.get 0 i32.load)
    (func (export "call") (param i32) (result i32) local.get 0 call_indirect (result i32))))",
                           {mem, table});
  Value at = Value::make_i32(16);
  other->call(index_of(*other, "load"), &at, &r);
  EXPECT_EQ(r.as_i32(), 0x01020304);
  other->call(index_of(*other, "call"), &one, &r);
  EXPECT_EQ(r.as_i32(), 7);
  Value zero = Value::make_i32(0);
  EXPECT_THROW(other->call(index_of(*other, "call"), &zero, &r), Trap);
  EXPECT_THROW(instantiate("(module (import \"env\" \"mem\" (memory 3)))", {mem}), LinkError);
  EXPECT_THROW(instantiate("(module (import \"env\" \"g\" (global i32)))", {g}), LinkError);
  EXPECT_THROW(instantiate("(module (import \"env\" \"t\" (table 1 externref)))", {table}),
               LinkError);
  EXPECT_THROW(engine_->host_memory({{65, {}}, false}), LinkError);  // the cap is 64 pages
}

// A module's names reach messages whole and escaped (a zero byte once cut
// the message at it).
TEST_F(NativeEngineTest, LinkErrorsShowNamesEscaped) {
  auto g = engine_->host_global({ValType::I32, true}, Value::make_i32(1));
  try {
    instantiate(R"((module (import "env\00" "g\00\1f" (global i64))))", {g});
    FAIL();
  } catch (const LinkError &e) {
    EXPECT_STREQ(e.what(),
                 "import 0 (\"env\\00\".\"g\\00\\1f\"): a global of another type or mutability");
  }
}

TEST_F(NativeEngineTest, ExportsLinkInstances) {
  auto a = instantiate(R"((module
    (memory (export "mem") 1)
    (global (export "counter") (mut i64) (i64.const 5))
    (table (export "table") 1 funcref)
    (func $double (export "double") (param i32) (result i32) local.get 0 i32.const 2 i32.mul)
    (func (export "boom") unreachable)
    (elem (i32.const 0) $double)
    (func (export "peek") (param i32) (result i32) local.get 0 i32.load8_u)))");
  std::vector<std::shared_ptr<Extern>> exports;
  for (uint32_t i = 0; i < a->info().exports.size(); i++) exports.push_back(a->get_export(i));
  auto ext = [&](std::string_view name) { return exports[index_of(*a, name)]; };
  EXPECT_EQ(a->get_global(index_of(*a, "counter")).as_i64(), 5);
  auto b = instantiate(R"((module
    (import "a" "double" (func $double (param i32) (result i32)))
    (import "a" "boom" (func $boom))
    (import "a" "mem" (memory 1))
    (import "a" "counter" (global $counter (mut i64)))
    (import "a" "table" (table 1 funcref))
    (func (export "quad") (param i32) (result i32) local.get 0 call $double call $double)
    (func (export "boom") call $boom)
    (func (export "poke") (param i32 i32) local.get 0 local.get 1 i32.store8)
    (func (export "tick") global.get $counter i64.const 1 i64.add global.set $counter)
    (func (export "indirect") (param i32) (result i32) local.get 0 i32.const 0 call_indirect (param i32) (result i32))))",
                       {ext("double"), ext("boom"), ext("mem"), ext("counter"), ext("table")});
  Value r, three = Value::make_i32(3);
  b->call(index_of(*b, "quad"), &three, &r);
  EXPECT_EQ(r.as_i32(), 12);
  b->call(index_of(*b, "indirect"), &three, &r);
  EXPECT_EQ(r.as_i32(), 6);
  // A trap in the other instance's code unwinds to this call, and both
  // instances stay usable.
  EXPECT_THROW(b->call(index_of(*b, "boom"), nullptr, nullptr), Trap);
  Value poke[2] = {Value::make_i32(9), Value::make_i32(77)};
  b->call(index_of(*b, "poke"), poke, nullptr);
  Value nine = Value::make_i32(9);
  a->call(index_of(*a, "peek"), &nine, &r);
  EXPECT_EQ(r.as_i32(), 77);
  b->call(index_of(*b, "tick"), nullptr, nullptr);
  EXPECT_EQ(a->get_global(index_of(*a, "counter")).as_i64(), 6);
  // The exporting instance's handle can go: what was linked stays.
  a.reset();
  exports.clear();
  b->call(index_of(*b, "quad"), &three, &r);
  EXPECT_EQ(r.as_i32(), 12);
}

TEST_F(NativeEngineTest, ReferencesCrossTheBoundary) {
  auto inst = instantiate(R"((module
    (table $t 2 externref)
    (global $f (export "f") funcref (ref.func $id))
    (func $id (export "id") (param externref) (result externref) local.get 0)
    (func (export "fid") (param funcref) (result funcref) local.get 0)
    (func (export "is_null") (param funcref) (result i32) local.get 0 ref.is_null)))");
  Value r, in = Value::make_ref(ValType::ExternRef, {Ref::Kind::Host, 42});
  inst->call(index_of(*inst, "id"), &in, &r);
  EXPECT_EQ(r.ref, (Ref{Ref::Kind::Host, 42}));
  Value null = Value::make_ref(ValType::ExternRef, {});
  inst->call(index_of(*inst, "id"), &null, &r);
  EXPECT_EQ(r.ref.kind, Ref::Kind::Null);
  Value f = inst->get_global(index_of(*inst, "f"));
  ASSERT_EQ(f.ref.kind, Ref::Kind::Func);
  inst->call(index_of(*inst, "fid"), &f, &r);
  EXPECT_EQ(r.ref, f.ref);
  inst->call(index_of(*inst, "is_null"), &f, &r);
  EXPECT_EQ(r.as_i32(), 0);
  Value null_func = Value::make_ref(ValType::FuncRef, {});
  inst->call(index_of(*inst, "is_null"), &null_func, &r);
  EXPECT_EQ(r.as_i32(), 1);
}

TEST_F(NativeEngineTest, AHostFunctionInATableIsCalledThroughIt) {
  auto print =
      engine_->host_function({{ValType::I32}, {ValType::I32}},
                             [](HostCall &, std::span<const Value> args, std::span<Value> results) {
                               results[0] = Value::make_i32(args[0].as_i32() + 100);
                             });
  // wasm2c 1.0.32 makes such an entry with another instance pointer than a
  // direct call's (c_glue.cc).
  auto inst = instantiate(R"((module
    (import "env" "f" (func $f (param i32) (result i32)))
    (table 1 funcref) (elem (i32.const 0) $f)
    (func (export "call") (param i32) (result i32) local.get 0 i32.const 0 call_indirect (param i32) (result i32))))",
                          {print});
  Value r, one = Value::make_i32(1);
  inst->call(index_of(*inst, "call"), &one, &r);
  EXPECT_EQ(r.as_i32(), 101);
}

TEST_F(NativeEngineTest, AnInterruptStopsALoopInAnotherInstancesCode) {
  auto a = instantiate("(module (func (export \"spin\") (loop br 0)))");
  auto b = instantiate("(module (import \"a\" \"spin\" (func $s)) (func (export \"f\") call $s))",
                       {a->get_export(index_of(*a, "spin"))});
  g_stop = false;
  std::thread stopper([] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    g_stop = true;
  });
  EXPECT_THROW(b->call(index_of(*b, "f"), nullptr, nullptr), Interrupted);
  stopper.join();
  g_stop = false;
}

}  // namespace

namespace {

// A cache of its own, for tests that configure the engine's bounds.
struct ScratchCache {
  ScratchCache() {
    char name[] = "/tmp/pg_wasm_native_bounds_XXXXXX";
    path = mkdtemp(name);
  }
  ~ScratchCache() { std::filesystem::remove_all(path); }
  std::string path;
};

std::unique_ptr<Engine> engine_with(const NativeConfig &config) {
  auto e = make_native_engine({}, config);
  int here;
  e->set_stack_limit(reinterpret_cast<uintptr_t>(&here) - (1 << 20));
  return e;
}

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
  ScratchCache cache;
  auto engine = engine_with({.cache_dir = cache.path});
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
  ScratchCache cache;
  auto engine = engine_with({.cache_dir = cache.path});
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
  ScratchCache cache;
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
  ScratchCache cache;
  auto none = engine_with({.cache_dir = cache.path, .max_builds = 0});
  EXPECT_THROW(none->compile(distinct_module(3)), CompileError);
  auto small = engine_with({.cache_dir = cache.path, .max_cache_bytes = 1});
  try {
    small->compile(distinct_module(4));
    FAIL() << "built beyond the cache's size";
  } catch (const CompileError &e) {
    EXPECT_NE(std::string(e.what()).find("cache is full"), std::string::npos) << e.what();
  }
}

TEST(NativeBuildBoundsTest, ARemovalDuringABuildTakesEffectWhenTheBuildEnds) {
  ScratchCache cache;
  auto engine = engine_with({.cache_dir = cache.path});
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

// This process's address space in use, in bytes (VmSize).
uint64_t address_space_used() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("VmSize:", 0) == 0) return std::stoull(line.substr(7)) * 1024;
  return 0;
}

bool traps_out_of_memory(const std::function<void()> &f) {
  try {
    f();
  } catch (const Trap &t) {
    return t.kind == Trap::Kind::OutOfMemory;
  }
  return false;
}

}  // namespace

// What the system will not give is an OutOfMemory trap, never a crash, and
// the engine goes on. In a child process whose address space is limited to
// what it uses and 64 MB more (as a server under ulimit -v, or with
// vm.overcommit_memory = 2 near the commit limit, would refuse): a host
// memory of 2 GB, a host table of ten million funcrefs (240 MB), instances
// whose memory or table is as large, and memory.grow by 2 GB.
TEST(NativeAllocationTest, WhatTheSystemRefusesIsAnOutOfMemoryTrap) {
  ScratchCache cache;
  auto engine = engine_with({.cache_dir = cache.path});
  // Built before the limit: the compiler is not what is tested.
  auto big_memory = engine->compile(toolkit::assemble_wat("(module (memory 32768))"));
  auto big_table = engine->compile(toolkit::assemble_wat("(module (table 10000000 funcref))"));
  auto small = engine->compile(toolkit::assemble_wat(R"((module (memory 1)
    (func (export "grow") (param i32) (result i32) local.get 0 memory.grow)
    (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add)))"));
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    // Only the exit status reaches the parent: 0, or the check that failed
    // (100 more if it threw something else).
    int check = 0;
    try {
      rlimit limit;
      limit.rlim_cur = limit.rlim_max = address_space_used() + (uint64_t{64} << 20);
      if (++check, setrlimit(RLIMIT_AS, &limit) != 0) _exit(check);
      if (++check, !traps_out_of_memory([&] { engine->host_memory({{32768, {}}, false}); }))
        _exit(check);
      if (++check, !traps_out_of_memory([&] {
            engine->host_table({ValType::FuncRef, {10'000'000, {}}});
          }))
        _exit(check);
      if (++check, !traps_out_of_memory([&] { engine->instantiate(big_memory, {}); })) _exit(check);
      if (++check, !traps_out_of_memory([&] { engine->instantiate(big_table, {}); })) _exit(check);
      // memory.grow gets -1 (the spec allows it to fail), and the instance,
      // the engine and small host objects go on working.
      auto inst = engine->instantiate(small, {});
      Value r, pages = Value::make_i32(32768);
      inst->call(test::export_index(*inst, "grow"), &pages, &r);
      if (++check, r.as_i32() != -1) _exit(check);
      Value args[2] = {Value::make_i32(2), Value::make_i32(3)};
      inst->call(test::export_index(*inst, "add"), args, &r);
      if (++check, r.as_i32() != 5) _exit(check);
      ++check;
      engine->host_memory({{1, {}}, false});
      engine->host_table({ValType::FuncRef, {10, {}}});
    } catch (...) {
      _exit(100 + check);
    }
    _exit(0);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status)) << "the child was killed by signal " << WTERMSIG(status);
  EXPECT_EQ(WEXITSTATUS(status), 0) << "check " << WEXITSTATUS(status) << " failed in the child";
}
