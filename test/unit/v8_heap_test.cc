// V8's own heap: what V8 would abort the process for is a trap here.
#include <gtest/gtest.h>

#include "engine/engine.h"
#include "toolkit/text.h"

using namespace pgwasm;
using namespace pgwasm::engine;

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
