#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <thread>

#include "engine/engine.h"
#include "toolkit/text.h"

using namespace pgwasm;
using namespace pgwasm::engine;

namespace {

std::atomic<bool> g_stop{false};
bool stop_requested() { return g_stop.load(); }

class EngineTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { engine_ = make_v8_engine({.interrupt_requested = stop_requested}).release(); }
  static void TearDownTestSuite() {
    delete engine_;
    engine_ = nullptr;
  }
  std::unique_ptr<Instance> instantiate(std::string_view wat) {
    auto module = engine_->compile(toolkit::assemble_wat(wat));
    return engine_->instantiate(module, {});
  }
  static uint32_t index_of(const Instance &inst, std::string_view name) {
    const auto &ex = inst.info().exports;
    for (uint32_t i = 0; i < ex.size(); i++)
      if (ex[i].name == name) return i;
    throw std::runtime_error("no export");
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
  EXPECT_EQ(trap_kind(*inst, index_of(*inst, "div"), {Value::make_i32(INT32_MIN), Value::make_i32(-1)}),
            Trap::Kind::IntegerOverflow);
  EXPECT_EQ(trap_kind(*inst, index_of(*inst, "trunc"), {Value::make_f64(1e300)}),
            Trap::Kind::InvalidConversion);
  EXPECT_EQ(trap_kind(*inst, index_of(*inst, "unreachable"), {}), Trap::Kind::Unreachable);
  EXPECT_EQ(trap_kind(*inst, index_of(*inst, "oob"), {}), Trap::Kind::MemoryOutOfBounds);
  EXPECT_EQ(trap_kind(*inst, index_of(*inst, "rec"), {Value::make_i32(0)}), Trap::Kind::StackExhausted);
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
  auto twice = engine_->host_function({{ValType::I64}, {ValType::I64}},
                                      [&](HostCall &call, std::span<const Value> args, std::span<Value> res) {
                                        auto mem = call.memory();
                                        seen.assign(reinterpret_cast<const char *>(mem.data() + 8), 5);
                                        res[0] = Value::make_i64(args[0].as_i64() * 2);
                                      });
  auto fail = engine_->host_function({{}, {}}, [](HostCall &, std::span<const Value>, std::span<Value>) {
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

TEST_F(EngineTest, StartFunctionTrapIsReported) {
  auto module = engine_->compile(toolkit::assemble_wat("(module (func $s unreachable) (start $s))"));
  EXPECT_THROW(engine_->instantiate(module, {}), Trap);
}
