#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstring>
#include <thread>

#include "engine/engine.h"
#include "export_index.h"
#include "toolkit/text.h"

using namespace pgwasm;
using namespace pgwasm::engine;

namespace {

std::atomic<bool> g_stop{false};
bool stop_requested() {
  return g_stop.load();
}

class EngineTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    engine_ = make_v8_engine({.interrupt_requested = stop_requested}).release();
  }
  static void TearDownTestSuite() {
    delete engine_;
    engine_ = nullptr;
  }
  std::unique_ptr<Instance> instantiate(std::string_view wat) {
    auto module = engine_->compile(toolkit::assemble_wat(wat));
    return engine_->instantiate(module, {});
  }
  static uint32_t index_of(const Instance &inst, std::string_view name) {
    return test::export_index(inst, name);
  }
  static Engine *engine_;
};
Engine *EngineTest::engine_ = nullptr;

constexpr std::string_view kNumbers = R"((module
  (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add)
  (func (export "id64") (param i64) (result i64) local.get 0)
  (func (export "idf32") (param f32) (result f32) local.get 0)
  (func (export "idf64") (param f64) (result f64) local.get 0)
  (func (export "swap") (param i32 f64) (result f64 i32) local.get 1 local.get 0)
  (func (export "div") (param i32 i32) (result i32) local.get 0 local.get 1 i32.div_s)
  (func (export "trunc") (param f64) (result i32) local.get 0 i32.trunc_f64_s)
  (func (export "unreachable") unreachable)
  (func $rec (export "rec") (param i32) (result i32) local.get 0 i32.const 1 i32.add call $rec)
  (func (export "spin") (loop br 0))
  (memory (export "memory") 1)
  (func (export "oob") (result i32) i32.const 70000 i32.load)
  (global $counter (mut i32) (i32.const 0))
  (func (export "count") (result i32) global.get $counter i32.const 1 i32.add global.set $counter global.get $counter)
))";

}  // namespace

TEST_F(EngineTest, CallsWithExactValues) {
  auto inst = instantiate(kNumbers);
  Value r;
  Value args[2] = {Value::make_i32(INT32_MAX), Value::make_i32(1)};
  inst->call(index_of(*inst, "add"), args, &r);
  EXPECT_EQ(r.as_i32(), INT32_MIN);

  Value a64 = Value::make_i64(INT64_MIN);
  inst->call(index_of(*inst, "id64"), &a64, &r);
  EXPECT_EQ(r.as_i64(), INT64_MIN);

  // Signalling NaN payloads survive both ways, which JS numbers would not.
  Value f;
  f.type = ValType::F32;
  f.bits.f32 = 0x7fa00001;
  inst->call(index_of(*inst, "idf32"), &f, &r);
  EXPECT_EQ(r.bits.f32, 0x7fa00001u);
  Value d;
  d.type = ValType::F64;
  d.bits.f64 = 0x7ff0000000000123ull;
  inst->call(index_of(*inst, "idf64"), &d, &r);
  EXPECT_EQ(r.bits.f64, 0x7ff0000000000123ull);
  Value negzero = Value::make_f64(-0.0);
  inst->call(index_of(*inst, "idf64"), &negzero, &r);
  EXPECT_TRUE(std::signbit(r.as_f64()));

  Value swap_args[2] = {Value::make_i32(7), Value::make_f64(2.5)};
  Value swap_res[2];
  inst->call(index_of(*inst, "swap"), swap_args, swap_res);
  EXPECT_EQ(swap_res[0].as_f64(), 2.5);
  EXPECT_EQ(swap_res[1].as_i32(), 7);
}

TEST_F(EngineTest, StatePersistsAcrossCalls) {
  auto inst = instantiate(kNumbers);
  Value r;
  for (int i = 1; i <= 3; i++) {
    inst->call(index_of(*inst, "count"), nullptr, &r);
    EXPECT_EQ(r.as_i32(), i);
  }
}

static Trap::Kind trap_kind(Instance &inst, uint32_t index, std::vector<Value> args) {
  Value r[1];
  try {
    inst.call(index, args.data(), r);
  } catch (const Trap &t) {
    return t.kind;
  }
  ADD_FAILURE() << "no trap";
  return Trap::Kind::Other;
}

TEST_F(EngineTest, TrapsAreClassified) {
  auto inst = instantiate(kNumbers);
  EXPECT_EQ(trap_kind(*inst, index_of(*inst, "div"), {Value::make_i32(1), Value::make_i32(0)}),
            Trap::Kind::DivideByZero);
  EXPECT_EQ(
      trap_kind(*inst, index_of(*inst, "div"), {Value::make_i32(INT32_MIN), Value::make_i32(-1)}),
      Trap::Kind::IntegerOverflow);
  EXPECT_EQ(trap_kind(*inst, index_of(*inst, "trunc"), {Value::make_f64(1e300)}),
            Trap::Kind::InvalidConversion);
  EXPECT_EQ(trap_kind(*inst, index_of(*inst, "unreachable"), {}), Trap::Kind::Unreachable);
  EXPECT_EQ(trap_kind(*inst, index_of(*inst, "oob"), {}), Trap::Kind::MemoryOutOfBounds);
  EXPECT_EQ(trap_kind(*inst, index_of(*inst, "rec"), {Value::make_i32(0)}),
            Trap::Kind::StackExhausted);
  // And the instance still works afterwards.
  Value args[2] = {Value::make_i32(2), Value::make_i32(3)};
  Value r;
  inst->call(index_of(*inst, "add"), args, &r);
  EXPECT_EQ(r.as_i32(), 5);
}

TEST_F(EngineTest, TrapNamesTheGuestFrame) {
  auto inst = instantiate(kNumbers);
  try {
    inst->call(index_of(*inst, "unreachable"), nullptr, nullptr);
    FAIL();
  } catch (const Trap &t) {
    ASSERT_FALSE(t.frames.empty());
    EXPECT_NE(t.frames[0].find("unreachable"), std::string::npos) << t.frames[0];
  }
}

TEST_F(EngineTest, WatchdogInterruptsAnInfiniteLoop) {
  auto inst = instantiate(kNumbers);
  std::thread stopper([] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    g_stop = true;
  });
  EXPECT_THROW(inst->call(index_of(*inst, "spin"), nullptr, nullptr), Interrupted);
  stopper.join();
  g_stop = false;
  // The engine is usable again, and a late request does not leak into it.
  Value args[2] = {Value::make_i32(2), Value::make_i32(3)};
  Value r;
  inst->call(index_of(*inst, "add"), args, &r);
  EXPECT_EQ(r.as_i32(), 5);
}

TEST_F(EngineTest, HostFunctionsAndTheirErrors) {
  auto module = engine_->compile(toolkit::assemble_wat(R"((module
    (import "host" "twice" (func $twice (param i64) (result i64)))
    (import "host" "fail" (func $fail))
    (memory (export "memory") 1)
    (data (i32.const 8) "hello")
    (func (export "call_twice") (param i64) (result i64) local.get 0 call $twice)
    (func (export "call_fail") call $fail))
  )"));
  std::string seen;
  auto twice = engine_->host_function(
      {{ValType::I64}, {ValType::I64}},
      [&](HostCall &call, std::span<const Value> args, std::span<Value> res) {
        auto mem = call.memory();
        seen.assign(reinterpret_cast<const char *>(mem.data() + 8), 5);
        res[0] = Value::make_i64(args[0].as_i64() * 2);
      });
  auto fail =
      engine_->host_function({{}, {}}, [](HostCall &, std::span<const Value>, std::span<Value>) {
        throw std::logic_error("host says no");
      });
  std::shared_ptr<Extern> imports[] = {twice, fail};
  auto inst = engine_->instantiate(module, imports);
  Value a = Value::make_i64(int64_t(1) << 40), r;
  inst->call(index_of(*inst, "call_twice"), &a, &r);
  EXPECT_EQ(r.as_i64(), int64_t(1) << 41);
  EXPECT_EQ(seen, "hello");
  try {
    inst->call(index_of(*inst, "call_fail"), nullptr, nullptr);
    FAIL();
  } catch (const std::logic_error &e) {
    EXPECT_STREQ(e.what(), "host says no");
  }
}

TEST_F(EngineTest, CompileErrorsAndLinkErrors) {
  std::vector<uint8_t> junk = {1, 2, 3};
  EXPECT_THROW(engine_->compile(junk), CompileError);
  auto module = engine_->compile(toolkit::assemble_wat(R"((module (import "a" "b" (func))))"));
  EXPECT_THROW(engine_->instantiate(module, {}), LinkError);
}

// A module's names reach messages whole and escaped (a zero byte once cut
// the message at it).
TEST_F(EngineTest, LinkErrorsShowNamesEscaped) {
  auto f = engine_->host_function({{ValType::I32}, {}},
                                  [](HostCall &, std::span<const Value>, std::span<Value>) {});
  auto module =
      engine_->compile(toolkit::assemble_wat(R"((module (import "h\00" "f\00g\0a" (func))))"));
  std::shared_ptr<Extern> imports[] = {f};
  try {
    engine_->instantiate(module, imports);
    FAIL();
  } catch (const LinkError &e) {
    EXPECT_STREQ(e.what(),
                 "import \"h\\00\".\"f\\00g\\0a\": incompatible import type: expected () -> (), "
                 "got (i32) -> ()");
  }
}

TEST_F(EngineTest, StartFunctionTrapIsReported) {
  auto module =
      engine_->compile(toolkit::assemble_wat("(module (func $s unreachable) (start $s))"));
  EXPECT_THROW(engine_->instantiate(module, {}), Trap);
}

TEST_F(EngineTest, GlobalExportsAreReadExactly) {
  auto inst = instantiate(R"((module
    (global (export "i32") i32 (i32.const -7))
    (global (export "i64") i64 (i64.const 0x8000000000000001))
    (global (export "f32") f32 (f32.const nan:0x200001))
    (global (export "f64") (mut f64) (f64.const -nan:0x4000000000123))
    (global (export "v128") v128 (v128.const i32x4 1 2 3 0xffffffff))
    (global (export "null") externref (ref.null extern))
    (global (export "func") funcref (ref.func $f))
    (func $f (export "set") (param f64) local.get 0 global.set 3))
  )");
  EXPECT_EQ(inst->get_global(index_of(*inst, "i32")).as_i32(), -7);
  EXPECT_EQ(inst->get_global(index_of(*inst, "i64")).bits.i64, 0x8000000000000001ull);
  EXPECT_EQ(inst->get_global(index_of(*inst, "f32")).bits.f32, 0x7fa00001u);
  Value f64 = inst->get_global(index_of(*inst, "f64"));
  EXPECT_EQ(f64.type, ValType::F64);
  EXPECT_EQ(f64.bits.f64, 0xfff4000000000123ull);
  Value v = inst->get_global(index_of(*inst, "v128"));
  const uint8_t expected[16] = {1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 0xff, 0xff, 0xff, 0xff};
  EXPECT_EQ(std::memcmp(v.bits.v128, expected, 16), 0);
  EXPECT_EQ(inst->get_global(index_of(*inst, "null")).ref.kind, Ref::Kind::Null);
  EXPECT_EQ(inst->get_global(index_of(*inst, "func")).ref.kind, Ref::Kind::Func);
  // A mutable global is read as it is now.
  Value d;
  d.type = ValType::F64;
  d.bits.f64 = 0x7ff0000000000001ull;
  inst->call(index_of(*inst, "set"), &d, nullptr);
  EXPECT_EQ(inst->get_global(index_of(*inst, "f64")).bits.f64, 0x7ff0000000000001ull);
  EXPECT_THROW(inst->get_global(index_of(*inst, "set")), std::invalid_argument);
}

TEST_F(EngineTest, HostGlobalsKeepExactBits) {
  Value nan32;
  nan32.type = ValType::F32;
  nan32.bits.f32 = 0xffa00001;  // negative signalling NaN
  Value v128;
  v128.type = ValType::V128;
  for (int i = 0; i < 16; i++) v128.bits.v128[i] = static_cast<uint8_t>(i * 17);
  auto g32 = engine_->host_global({ValType::F32, false}, nan32);
  auto gv = engine_->host_global({ValType::V128, true}, v128);
  auto gref = engine_->host_global({ValType::ExternRef, false},
                                   Value::make_ref(ValType::ExternRef, {Ref::Kind::Host, 42}));
  EXPECT_EQ(to_string(g32->type()), "global f32");
  auto module = engine_->compile(toolkit::assemble_wat(R"((module
    (import "h" "f32" (global $f f32))
    (import "h" "v128" (global $v (mut v128)))
    (import "h" "ref" (global $r externref))
    (func (export "f32bits") (result i32) global.get $f i32.reinterpret_f32)
    (func (export "lane15") (result i32) global.get $v i8x16.extract_lane_u 15)
    (func (export "ref") (result externref) global.get $r)
    (global (export "v") (mut v128) (v128.const i64x2 0 0))
    (func (export "copy") global.get $v global.set 3))
  )"));
  std::shared_ptr<Extern> imports[] = {g32, gv, gref};
  auto inst = engine_->instantiate(module, imports);
  Value r;
  inst->call(index_of(*inst, "f32bits"), nullptr, &r);
  EXPECT_EQ(r.bits.i32, 0xffa00001u);
  inst->call(index_of(*inst, "lane15"), nullptr, &r);
  EXPECT_EQ(r.as_i32(), 255);
  inst->call(index_of(*inst, "ref"), nullptr, &r);
  EXPECT_EQ(r.ref, (Ref{Ref::Kind::Host, 42}));
  inst->call(index_of(*inst, "copy"), nullptr, nullptr);
  Value copied = inst->get_global(index_of(*inst, "v"));
  EXPECT_EQ(std::memcmp(copied.bits.v128, v128.bits.v128, 16), 0);
  EXPECT_THROW(engine_->host_global({ValType::I32, false}, Value::make_i64(1)),
               std::invalid_argument);
}

TEST_F(EngineTest, HostMemoryAndTableAreShared) {
  auto memory = engine_->host_memory({{1, 2}, false});
  auto table = engine_->host_table({ValType::FuncRef, {2, std::nullopt}});
  auto externs = engine_->host_table({ValType::ExternRef, {1, 1}});
  EXPECT_EQ(to_string(memory->type()), "memory [1..2 pages]");
  auto writer = engine_->compile(toolkit::assemble_wat(R"((module
    (import "h" "mem" (memory 1))
    (import "h" "tab" (table 1 funcref))
    (func $seven (result i32) i32.const 7)
    (elem (i32.const 1) $seven)
    (func (export "store") (param i32 i32) local.get 0 local.get 1 i32.store)
    (func (export "grow") (result i32) i32.const 1 memory.grow))
  )"));
  auto reader = engine_->compile(toolkit::assemble_wat(R"((module
    (import "h" "mem" (memory 1 2))
    (import "h" "tab" (table 2 funcref))
    (import "h" "ext" (table 1 externref))
    (type $t (func (result i32)))
    (func (export "load") (param i32) (result i32) local.get 0 i32.load)
    (func (export "call") (param i32) (result i32) local.get 0 call_indirect (type $t))
    (func (export "ext_is_null") (result i32) i32.const 0 table.get 1 ref.is_null))
  )"));
  std::shared_ptr<Extern> wimports[] = {memory, table};
  std::shared_ptr<Extern> rimports[] = {memory, table, externs};
  auto w = engine_->instantiate(writer, wimports);
  auto r = engine_->instantiate(reader, rimports);
  Value args[2] = {Value::make_i32(100), Value::make_i32(12345)};
  w->call(index_of(*w, "store"), args, nullptr);
  Value res;
  r->call(index_of(*r, "load"), args, &res);
  EXPECT_EQ(res.as_i32(), 12345);
  Value one = Value::make_i32(1), zero = Value::make_i32(0);
  r->call(index_of(*r, "call"), &one, &res);
  EXPECT_EQ(res.as_i32(), 7);
  EXPECT_EQ(trap_kind(*r, index_of(*r, "call"), {zero}), Trap::Kind::IndirectCallMismatch);
  r->call(index_of(*r, "ext_is_null"), nullptr, &res);
  EXPECT_EQ(res.as_i32(), 1);
  // Growing to the maximum works once, then fails with -1.
  w->call(index_of(*w, "grow"), nullptr, &res);
  EXPECT_EQ(res.as_i32(), 1);
  w->call(index_of(*w, "grow"), nullptr, &res);
  EXPECT_EQ(res.as_i32(), -1);
  // Limits the engine cannot meet are a LinkError.
  EXPECT_THROW(engine_->host_memory({{70000, std::nullopt}, false}), LinkError);
}

TEST_F(EngineTest, ExportsLinkIntoOtherInstances) {
  auto a = instantiate(R"((module
    (func (export "f") (param i64) (result i64 i64) local.get 0 local.get 0 i64.const 1 i64.add)
    (global (export "g") (mut i32) (i32.const 5))
    (memory (export "m") 1)
    (table (export "t") 1 funcref))
  )");
  auto module = engine_->compile(toolkit::assemble_wat(R"((module
    (import "a" "f" (func $f (param i64) (result i64 i64)))
    (import "a" "g" (global $g (mut i32)))
    (import "a" "m" (memory 1))
    (import "a" "t" (table 1 funcref))
    (func (export "sum") (param i64) (result i64) local.get 0 call $f i64.add)
    (func (export "bump") global.get $g i32.const 1 i32.add global.set $g))
  )"));
  std::vector<std::shared_ptr<Extern>> imports;
  for (auto name : {"f", "g", "m", "t"}) imports.push_back(a->get_export(index_of(*a, name)));
  auto b = engine_->instantiate(module, imports);
  Value arg = Value::make_i64(20), r;
  b->call(index_of(*b, "sum"), &arg, &r);
  EXPECT_EQ(r.as_i64(), 41);
  b->call(index_of(*b, "bump"), nullptr, nullptr);
  EXPECT_EQ(a->get_global(index_of(*a, "g")).as_i32(), 6);
  // A wrong type is the engine's LinkError.
  auto wrong = engine_->compile(toolkit::assemble_wat(R"((module (import "a" "g" (global i32))))"));
  std::shared_ptr<Extern> g[] = {a->get_export(index_of(*a, "g"))};
  EXPECT_THROW(engine_->instantiate(wrong, g), LinkError);
}

TEST_F(EngineTest, ValidateAsksTheEngineAlone) {
  std::vector<uint8_t> junk = {0, 'a', 's', 'm', 1, 0, 0, 0, 0xff};
  auto error = engine_->validate(junk);
  ASSERT_TRUE(error.has_value());
  EXPECT_NE(error->find("CompileError"), std::string::npos) << *error;
  EXPECT_FALSE(engine_->validate(toolkit::assemble_wat("(module (func))")).has_value());
}

// V8 10.2 aborts the process on an immutable v128 global import: refused.
TEST_F(EngineTest, ImmutableV128GlobalImportIsRefused) {
  Value v;
  v.type = ValType::V128;
  auto g = engine_->host_global({ValType::V128, false}, v);
  auto module =
      engine_->compile(toolkit::assemble_wat(R"((module (import "h" "g" (global v128))))"));
  std::shared_ptr<Extern> imports[] = {g};
  EXPECT_THROW(engine_->instantiate(module, imports), LinkError);
}

TEST_F(EngineTest, HostFunctionTypeIsChecked) {
  auto f = engine_->host_function({{ValType::I32}, {}},
                                  [](HostCall &, std::span<const Value>, std::span<Value>) {});
  auto module = engine_->compile(toolkit::assemble_wat(R"((module (import "h" "f" (func))))"));
  std::shared_ptr<Extern> imports[] = {f};
  EXPECT_THROW(engine_->instantiate(module, imports), LinkError);
}

// Tables live on the engine's heap: a guest filling it gets a HeapExhausted
// trap, where V8 on its own would abort the whole process, and the engine
// recovers its heap for the next calls.
TEST(EngineHeap, ExhaustionIsATrapNotAnAbort) {
  auto engine = make_v8_engine({.max_heap_bytes = size_t{64} << 20});
  auto module = engine->compile(toolkit::assemble_wat(R"((module
    (table $t 0 externref)
    (func (export "grow") (param i32) (result i32)
      (table.grow $t (ref.null extern) (local.get 0)))
    (func (export "ok") (result i32) i32.const 7)))"));
  // V8 checks its limit when it collects garbage, so keep allocating:
  // 20 steps of 1M entries (8 MB each) would need 160 MB.
  for (int round = 0; round < 3; round++) {
    auto inst = engine->instantiate(module, {});
    uint32_t grow = *inst->info().export_index("grow");
    Value n = Value::make_i32(1'000'000), r;
    bool trapped = false;
    for (int step = 0; step < 20 && !trapped; step++) {
      try {
        inst->call(grow, &n, &r);
        ASSERT_EQ(r.as_i32(), step * 1'000'000);
      } catch (const Trap &t) {
        EXPECT_EQ(t.kind, Trap::Kind::HeapExhausted) << t.what();
        trapped = true;
      }
    }
    EXPECT_TRUE(trapped) << "160 MB of table fit in a 64 MB heap";
  }
  auto inst = engine->instantiate(module, {});
  Value small = Value::make_i32(1000), r;
  inst->call(*inst->info().export_index("grow"), &small, &r);
  EXPECT_EQ(r.as_i32(), 0);
  inst->call(*inst->info().export_index("ok"), nullptr, &r);
  EXPECT_EQ(r.as_i32(), 7);
}
