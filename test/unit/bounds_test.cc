// Fuel and memory bounds (toolkit/instrument.h) through the engine: the
// budget is deterministic, exhaustion is its own trap, an instrumented
// module computes what the original does, and memory.grow stops at the
// call's bound.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "engine/engine.h"
#include "toolkit/text.h"
#include "export_index.h"

using namespace pgwasm;
using namespace pgwasm::engine;

namespace {

constexpr std::string_view kWork = R"((module
  (memory (export "memory") 1)
  ;; sum of 1..n, in a loop
  (func $sum (export "sum") (param i32) (result i64) (local i64)
    (block (loop
      (br_if 1 (i32.eqz (local.get 0)))
      (local.set 1 (i64.add (local.get 1) (i64.extend_i32_u (local.get 0))))
      (local.set 0 (i32.sub (local.get 0) (i32.const 1)))
      (br 0)))
    (local.get 1))
  ;; sum(n) through a call and a return from within a block
  (func (export "via_call") (param i32) (result i64)
    (block (br_if 0 (i32.eqz (local.get 0))) (return (call $sum (local.get 0))))
    (i64.const -1))
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
  (func (export "pages") (result i32) (memory.size))))";

class BoundsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { engine_ = make_v8_engine({}).release(); }
  static void TearDownTestSuite() {
    delete engine_;
    engine_ = nullptr;
  }
  std::unique_ptr<Instance> instantiate(CompileOptions options) {
    auto module = engine_->compile(toolkit::assemble_wat(kWork), options);
    return engine_->instantiate(module, {});
  }
  static uint32_t index_of(const Instance &inst, std::string_view name) {
    return test::export_index(inst, name);
  }
  // sum(n) (or via_call) with `fuel`; nullopt if it ran out.
  std::optional<int64_t> sum(Instance &inst, const char *fn, int32_t n, int64_t fuel) {
    inst.set_bounds({.fuel = fuel});
    Value arg = Value::make_i32(n), result;
    try {
      inst.call(index_of(inst, fn), &arg, &result);
    } catch (const Trap &t) {
      EXPECT_EQ(t.kind, Trap::Kind::FuelExhausted) << t.what();
      return std::nullopt;
    }
    return result.as_i64();
  }
  static Engine *engine_;
};
Engine *BoundsTest::engine_ = nullptr;

TEST_F(BoundsTest, InstrumentedComputesTheSame) {
  auto plain = instantiate({});
  auto metered = instantiate({.fuel = true, .limit_memory = true});
  for (int32_t n : {0, 1, 10, 100000})
    for (const char *fn : {"sum", "via_call"}) {
      Value arg = Value::make_i32(n), a, b;
      plain->call(index_of(*plain, fn), &arg, &a);
      metered->call(index_of(*metered, fn), &arg, &b);
      EXPECT_EQ(a.as_i64(), b.as_i64()) << fn << "(" << n << ")";
    }
}

TEST_F(BoundsTest, FuelIsDeterministicAndExact) {
  auto inst = instantiate({.fuel = true});
  for (const char *fn : {"sum", "via_call"}) {
    // The least fuel sum(1000) needs, found by bisection: one less runs out.
    int64_t lo = 0, hi = 1'000'000;
    ASSERT_TRUE(sum(*inst, fn, 1000, hi).has_value());
    while (lo + 1 < hi) {
      int64_t mid = (lo + hi) / 2;
      (sum(*inst, fn, 1000, mid) ? hi : lo) = mid;
    }
    EXPECT_EQ(sum(*inst, fn, 1000, hi), 500500);
    EXPECT_EQ(sum(*inst, fn, 1000, hi - 1), std::nullopt);
    EXPECT_EQ(sum(*inst, fn, 1000, hi), 500500) << "the same budget, the same outcome";
    // Work grows with the loop: 1000 iterations cost more than 10 times 100.
    int64_t lo100 = 0, hi100 = hi;
    while (lo100 + 1 < hi100) {
      int64_t mid = (lo100 + hi100) / 2;
      (sum(*inst, fn, 100, mid) ? hi100 : lo100) = mid;
    }
    EXPECT_GT(hi, 9 * hi100) << fn;
    EXPECT_GT(hi, 1000 * 5) << "at least a few instructions an iteration";
  }
  // An infinite loop runs out.
  EXPECT_EQ(sum(*inst, "sum", -1, 10'000'000), std::nullopt);
}

TEST_F(BoundsTest, MemoryGrowStopsAtTheCallsBound) {
  auto inst = instantiate({.limit_memory = true});
  Value delta = Value::make_i32(3), got, pages;
  inst->set_bounds({.max_pages = 4});
  inst->call(index_of(*inst, "grow"), &delta, &got);
  EXPECT_EQ(got.as_i32(), 1);  // was 1 page, now 4
  delta = Value::make_i32(1);
  inst->call(index_of(*inst, "grow"), &delta, &got);
  EXPECT_EQ(got.as_i32(), -1);
  inst->set_bounds({.max_pages = 10});
  inst->call(index_of(*inst, "grow"), &delta, &got);
  EXPECT_EQ(got.as_i32(), 4);
  inst->call(index_of(*inst, "pages"), nullptr, &pages);
  EXPECT_EQ(pages.as_i32(), 5);
  // Uninstrumented, the bound does not apply.
  auto plain = instantiate({});
  plain->set_bounds({.max_pages = 1});
  plain->call(index_of(*plain, "grow"), &delta, &got);
  EXPECT_EQ(got.as_i32(), 1);
}

}  // namespace

namespace {

// A module of `n` functions () -> i32, each exported (as "e0", "e1", ...).
std::vector<uint8_t> many_exports(uint32_t n) {
  auto leb = [](std::vector<uint8_t> &out, uint64_t v) {
    do {
      uint8_t b = v & 0x7f;
      v >>= 7;
      out.push_back(v ? b | 0x80 : b);
    } while (v);
  };
  auto section = [&](std::vector<uint8_t> &m, uint8_t id, const std::vector<uint8_t> &body) {
    m.push_back(id);
    leb(m, body.size());
    m.insert(m.end(), body.begin(), body.end());
  };
  std::vector<uint8_t> m = {0, 'a', 's', 'm', 1, 0, 0, 0}, funcs, exports, code;
  leb(funcs, n);
  leb(exports, n);
  leb(code, n);
  for (uint32_t i = 0; i < n; i++) {
    funcs.push_back(0);
    std::string name = "e" + std::to_string(i);
    leb(exports, name.size());
    exports.insert(exports.end(), name.begin(), name.end());
    exports.push_back(0);
    leb(exports, i);
    code.insert(code.end(), {0x04, 0x00, 0x41, 0x07, 0x0b});  // i32.const 7
  }
  section(m, 1, {0x01, 0x60, 0x00, 0x01, 0x7f});
  section(m, 3, funcs);
  section(m, 7, exports);
  section(m, 10, code);
  return m;
}

}  // namespace

// The host builds a call trampoline over every function export: at the
// toolkit's bound on exports it still compiles and instantiates (the
// trampoline's own exports were once what failed, blamed on the module).
TEST_F(BoundsTest, MostExportsStillInstantiate) {
  auto module = engine_->compile(many_exports(50'000), {.limit_memory = true});
  auto inst = engine_->instantiate(module, {});
  Value seven;
  inst->call(index_of(*inst, "e49999"), nullptr, &seven);
  EXPECT_EQ(seven.as_i32(), 7);
}
