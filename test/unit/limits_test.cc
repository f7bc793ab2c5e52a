// The toolkit's bounds (toolkit/limits.h): every reader refuses what is
// beyond them with an error naming the bound, and handles what is within
// them without running out of stack.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "toolkit/binary.h"
#include "toolkit/limits.h"
#include "toolkit/text.h"
#include "toolkit/worker.h"
#include "error_of.h"
#include "module_builder.h"

using namespace pgwasm;
using namespace pgwasm::toolkit;
using namespace pgwasm::test;

TEST(Limits, NestingAtTheLimitIsRead) {
  Bytes wasm = module_with_functions(1, nested_blocks(limits::kNestingDepth));
  EXPECT_EQ(read_module(wasm).exports.size(), 1u);
  EXPECT_EQ(describe_module(wasm).shape.max_nesting, limits::kNestingDepth);
}

TEST(Limits, DeeperNestingIsRefused) {
  // A few hundred thousand nested blocks once overflowed the stack in
  // wabt's IR destructors.
  for (uint32_t depth : {limits::kNestingDepth + 1, 300'000u}) {
    Bytes wasm = module_with_functions(1, nested_blocks(depth));
    EXPECT_NE(error_of([&] { read_module(wasm); }).find("nested more than 10,000 deep"),
              std::string::npos);
    EXPECT_THROW(describe_module(wasm), BinaryError);
  }
}

TEST(Limits, DeepTextIsParsedOrRefused) {
  // Tens of thousands of nested blocks once overflowed the stack in wabt's
  // text parser. The module and func parentheses count too.
  for (bool folded : {true, false}) {
    auto wasm = assemble_wat(nested_text(limits::kNestingDepth - 2, folded));
    EXPECT_EQ(read_module(wasm).exports.size(), 1u);
    for (uint32_t depth : {limits::kNestingDepth, 50'000u})
      EXPECT_NE(error_of([&] {
                  assemble_wat(nested_text(depth, folded));
                }).find("nested more than 10000 deep"),
                std::string::npos);
  }
  // Folded expressions nest in parentheses too.
  std::string deep = "(module (func (result i32) ";
  for (int i = 0; i < 20'000; i++) deep += "(i32.add (i32.const 1) ";
  deep += "(i32.const 0)" + std::string(20'000, ')') + "))";
  EXPECT_NE(error_of([&] { assemble_wat(deep); }).find("nested more than"), std::string::npos);
}

TEST(Limits, CountsAndSizesAreBounded) {
  Bytes tiny = {0x00, 0x20, 0x00, 0x0b};
  EXPECT_EQ(describe_module(module_with_functions(limits::kFunctions, tiny)).shape.functions,
            limits::kFunctions);
  EXPECT_NE(error_of([&] {
              describe_module(module_with_functions(limits::kFunctions + 1, tiny));
            }).find("200,001 functions; at most 200,000"),
            std::string::npos);
  Bytes big(limits::kFunctionBodyBytes + 1, 0x01);  // nops
  big[0] = 0x00;
  big.back() = 0x0b;
  EXPECT_NE(error_of([&] { read_module(module_with_functions(1, big)); }).find("at most 7,654,321"),
            std::string::npos);
  // 65535 declared locals and the parameter, then one more.
  Bytes locals = {0x02, 0xff, 0xff, 0x03, 0x7f, 0x01, 0x7f, 0x20, 0x00, 0x0b};
  EXPECT_NE(error_of([&] {
              read_module(module_with_functions(1, locals));
            }).find("65,536 locals; at most 50,000"),
            std::string::npos);
  std::vector<uint8_t> huge(limits::kModuleBytes + 1);
  EXPECT_NE(error_of([&] { read_module(huge); }).find("at most 67,108,864 are allowed"),
            std::string::npos);
  std::string text(limits::kTextBytes + 1, ' ');
  EXPECT_NE(error_of([&] { assemble_wat(text); }).find("at most"), std::string::npos);
}

TEST(Limits, ShapeCountsBranchesAndLocals) {
  // (i32) -> i32 with 3 declared locals; br_if, br_table with 2 targets,
  // and an if/else.
  Bytes body = {0x01, 0x03, 0x7f,                    // 3 x i32
                0x02, 0x40, 0x20, 0x00, 0x0d, 0x00,  // block; local.get 0; br_if 0
                0x20, 0x00, 0x0e, 0x01, 0x00, 0x00,  // local.get 0; br_table 0 0
                0x0b,                                // end
                0x20, 0x00, 0x04, 0x40, 0x05, 0x0b,  // local.get 0; if; else; end
                0x20, 0x00, 0x0b};
  auto scan = describe_module(module_with_functions(1, body));
  ASSERT_EQ(scan.shape.defined.size(), 1u);
  EXPECT_EQ(scan.shape.defined[0].locals, 4u);
  EXPECT_EQ(scan.shape.defined[0].branches, 5u);
  EXPECT_EQ(scan.shape.max_nesting, 1u);
  EXPECT_EQ(to_string(scan.info.exports.at(0).type), "function (i32) -> i32");
}

TEST(Limits, DescribeMatchesReadModule) {
  auto wasm = assemble_wat(R"((module
    (import "env" "log" (func (param i32 i32)))
    (import "m" "t" (table 2 funcref))
    (import "m" "g" (global i64))
    (memory (export "memory") 1 4)
    (table (export "tab") 3 10 externref)
    (global (export "v") v128 (v128.const i32x4 1 2 3 4))
    (global (export "i") i32 (i32.const 7))
    (global (export "r") (mut i64) (global.get 0))
    (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add)))");
  ModuleInfo full = read_module(wasm);
  ModuleScan scan = describe_module(wasm);
  ASSERT_EQ(scan.info.imports.size(), full.imports.size());
  for (size_t i = 0; i < full.imports.size(); i++)
    EXPECT_EQ(to_string(scan.info.imports[i].type), to_string(full.imports[i].type));
  ASSERT_EQ(scan.info.exports.size(), full.exports.size());
  for (size_t i = 0; i < full.exports.size(); i++) {
    EXPECT_EQ(scan.info.exports[i].name, full.exports[i].name);
    EXPECT_EQ(to_string(scan.info.exports[i].type), to_string(full.exports[i].type));
  }
  ASSERT_EQ(scan.info.tables.size(), 2u);
  EXPECT_EQ(scan.info.tables[1].limits.max, 10u);
  ASSERT_EQ(scan.constant_globals.size(), 6u);
  ASSERT_TRUE(scan.constant_globals[2].has_value());
  EXPECT_EQ((*scan.constant_globals[2])[4], 2);
  ASSERT_TRUE(scan.constant_globals[3].has_value());
  EXPECT_EQ((*scan.constant_globals[3])[0], 7);
  EXPECT_FALSE(scan.constant_globals[4].has_value());  // global.get
}

TEST(Limits, ExportOfNothingIsInvalid) {
  // Exports function 5 of a module with one function.
  Bytes wasm = module_with_functions(1, {0x00, 0x20, 0x00, 0x0b});
  wasm[wasm.size() - 9] = 0x05;  // the export's index (before the code section)
  try {
    describe_module(wasm);
    FAIL();
  } catch (const BinaryError &e) {
    EXPECT_EQ(e.kind, BinaryError::Kind::Invalid) << e.what();
  }
}

// The interrupt check is process-wide; this test sets and clears it.
static std::atomic<bool> g_stop{false};

TEST(Worker, WaitingStopsWhenInterrupted) {
  set_interrupt_check([] { return g_stop.load(); });
  std::atomic<bool> ran{false};
  auto start = std::chrono::steady_clock::now();
  std::thread stopper([] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    g_stop = true;
  });
  EXPECT_THROW(on_worker([&ran] {
                 std::this_thread::sleep_for(std::chrono::milliseconds(500));
                 ran = true;
                 return 1;
               }),
               Interrupted);
  auto waited = std::chrono::steady_clock::now() - start;
  stopper.join();
  EXPECT_LT(waited, std::chrono::milliseconds(400));
  g_stop = false;
  set_interrupt_check(nullptr);
  // Uninterrupted work returns its result, and rethrows its errors.
  EXPECT_EQ(on_worker([] { return 42; }), 42);
  EXPECT_THROW(on_worker([]() -> int { throw std::runtime_error("x"); }), std::runtime_error);
  // Let the abandoned job finish before the test's locals go.
  while (!ran) std::this_thread::sleep_for(std::chrono::milliseconds(10));
}
