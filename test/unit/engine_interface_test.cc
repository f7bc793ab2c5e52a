// The engine interface (src/engine/engine.h), every test run on both
// engines: V8 and the native engine (wasm2c and the system C compiler).
// Where the engines genuinely differ, a test says what each does.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <thread>

#include "engine/engine.h"
#include "toolkit/text.h"
#include "export_index.h"

using namespace pgwasm;
using namespace pgwasm::engine;

namespace {

std::atomic<bool> g_stop{false};
bool stop_requested() {
  return g_stop.load();
}

// The engines under test: how to make one for the suite.
struct OnV8 {
  static constexpr bool kNative = false;
  static std::unique_ptr<Engine> make(const std::filesystem::path &) {
    return make_v8_engine({.interrupt_requested = stop_requested});
  }
};
struct OnNative {
  static constexpr bool kNative = true;
  // The most pages a memory may have here (the engine's max_memory_pages).
  static std::unique_ptr<Engine> make(const std::filesystem::path &cache) {
    auto engine =
        make_native_engine({.interrupt_requested = stop_requested, .max_memory_pages = 64},
                           {.cache_dir = cache.string(), .toolchain = {}});
    // As a host would: guest frames may use the stack down to 1 MB below here.
    int here;
    engine->set_stack_limit(reinterpret_cast<uintptr_t>(&here) - (1 << 20));
    return engine;
  }
};

// The native engine's memories are capped at 64 pages in this suite; V8's
// keep the engine's own limit.
constexpr uint32_t kNativeMaxPages = 64;

template <typename OnEngine>
class EngineInterfaceTest : public ::testing::Test {
 protected:
  static constexpr bool kNative = OnEngine::kNative;
  static void SetUpTestSuite() {
    cache_ = std::filesystem::temp_directory_path() /
             ("pg_wasm_engine_test_" + std::to_string(getpid()));
    if (kNative) std::filesystem::create_directories(cache_);
    engine_ = OnEngine::make(cache_).release();
  }
  static void TearDownTestSuite() {
    delete engine_;
    engine_ = nullptr;
    if (kNative) std::filesystem::remove_all(cache_);
  }
  std::unique_ptr<Instance> instantiate(std::string_view wat,
                                        std::vector<std::shared_ptr<Extern>> imports = {},
                                        CompileOptions options = {}) {
    auto module = engine_->compile(toolkit::assemble_wat(wat), options);
    return engine_->instantiate(module, imports);
  }
  static Engine *engine_;
  static std::filesystem::path cache_;
};
template <typename OnEngine>
Engine *EngineInterfaceTest<OnEngine>::engine_ = nullptr;
template <typename OnEngine>
std::filesystem::path EngineInterfaceTest<OnEngine>::cache_;

struct EngineName {
  template <typename OnEngine>
  static std::string GetName(int) {
    return OnEngine::kNative ? "Native" : "V8";
  }
};
using Engines = ::testing::Types<OnV8, OnNative>;
TYPED_TEST_SUITE(EngineInterfaceTest, Engines, EngineName);

uint32_t index_of(const Instance &inst, std::string_view name) {
  return test::export_index(inst, name);
}

Trap::Kind trap_kind(Instance &inst, uint32_t index, std::vector<Value> args) {
  Value r[1];
  try {
    inst.call(index, args.data(), r);
  } catch (const Trap &t) {
    return t.kind;
  }
  ADD_FAILURE() << "no trap";
  return Trap::Kind::Other;
}

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
  (func (export "load") (param i32) (result i32) local.get 0 i32.load)
  (func (export "grow") (param i32) (result i32) local.get 0 memory.grow)
  (global $counter (mut i32) (i32.const 0))
  (func (export "count") (result i32) global.get $counter i32.const 1 i32.add global.set $counter global.get $counter)
))";

}  // namespace

TYPED_TEST(EngineInterfaceTest, CallsWithExactValues) {
  auto inst = this->instantiate(kNumbers);
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

TYPED_TEST(EngineInterfaceTest, StatePersistsAcrossCalls) {
  auto inst = this->instantiate(kNumbers);
  Value r;
  for (int i = 1; i <= 3; i++) {
    inst->call(index_of(*inst, "count"), nullptr, &r);
    EXPECT_EQ(r.as_i32(), i);
  }
}

TYPED_TEST(EngineInterfaceTest, TrapsAreClassified) {
  auto inst = this->instantiate(kNumbers);
  EXPECT_EQ(trap_kind(*inst, index_of(*inst, "div"), {Value::make_i32(1), Value::make_i32(0)}),
            Trap::Kind::DivideByZero);
  EXPECT_EQ(
      trap_kind(*inst, index_of(*inst, "div"), {Value::make_i32(INT32_MIN), Value::make_i32(-1)}),
      Trap::Kind::IntegerOverflow);
  // A float out of an integer's range: V8 calls it an invalid conversion,
  // wasm2c an integer overflow (both keep InvalidConversion for NaN).
  EXPECT_EQ(trap_kind(*inst, index_of(*inst, "trunc"), {Value::make_f64(1e300)}),
            this->kNative ? Trap::Kind::IntegerOverflow : Trap::Kind::InvalidConversion);
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

TYPED_TEST(EngineInterfaceTest, TrapNamesTheGuestFrame) {
  auto inst = this->instantiate(kNumbers);
  try {
    inst->call(index_of(*inst, "unreachable"), nullptr, nullptr);
    FAIL();
  } catch (const Trap &t) {
    // wasm2c's code keeps no stack trace: native traps name no frames.
    if (this->kNative) {
      EXPECT_TRUE(t.frames.empty());
      return;
    }
    ASSERT_FALSE(t.frames.empty());
    EXPECT_NE(t.frames[0].find("unreachable"), std::string::npos) << t.frames[0];
  }
}

TYPED_TEST(EngineInterfaceTest, WatchdogInterruptsAnInfiniteLoop) {
  auto inst = this->instantiate(kNumbers);
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

TYPED_TEST(EngineInterfaceTest, HostFunctionsAndTheirErrors) {
  auto module = this->engine_->compile(toolkit::assemble_wat(R"((module
    (import "host" "twice" (func $twice (param i64) (result i64)))
    (import "host" "fail" (func $fail))
    (memory (export "memory") 1)
    (data (i32.const 8) "hello")
    (func (export "call_twice") (param i64) (result i64) local.get 0 call $twice)
    (func (export "call_fail") call $fail))
  )"));
  std::string seen;
  auto twice = this->engine_->host_function(
      {{ValType::I64}, {ValType::I64}},
      [&](HostCall &call, std::span<const Value> args, std::span<Value> res) {
        auto mem = call.memory();
        seen.assign(reinterpret_cast<const char *>(mem.data() + 8), 5);
        res[0] = Value::make_i64(args[0].as_i64() * 2);
      });
  auto fail = this->engine_->host_function(
      {{}, {}}, [](HostCall &, std::span<const Value>, std::span<Value>) {
        throw std::logic_error("host says no");
      });
  std::shared_ptr<Extern> imports[] = {twice, fail};
  auto inst = this->engine_->instantiate(module, imports);
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

TYPED_TEST(EngineInterfaceTest, CompileErrorsAndLinkErrors) {
  std::vector<uint8_t> junk = {1, 2, 3};
  EXPECT_THROW(this->engine_->compile(junk), CompileError);
  auto module =
      this->engine_->compile(toolkit::assemble_wat(R"((module (import "a" "b" (func))))"));
  EXPECT_THROW(this->engine_->instantiate(module, {}), LinkError);
}

// A module's names reach messages whole and escaped (a zero byte once cut
// the message at it).
TYPED_TEST(EngineInterfaceTest, LinkErrorsShowNamesEscaped) {
  auto f = this->engine_->host_function(
      {{ValType::I32}, {}}, [](HostCall &, std::span<const Value>, std::span<Value>) {});
  auto module = this->engine_->compile(
      toolkit::assemble_wat(R"((module (import "h\00" "f\00g\0a" (func))))"));
  std::shared_ptr<Extern> imports[] = {f};
  try {
    this->engine_->instantiate(module, imports);
    FAIL();
  } catch (const LinkError &e) {
    // Each engine words it its own way; both show the names whole.
    if (this->kNative)
      EXPECT_STREQ(e.what(), "import 0 (\"h\\00\".\"f\\00g\\0a\") has another type");
    else
      EXPECT_STREQ(e.what(),
                   "import \"h\\00\".\"f\\00g\\0a\": incompatible import type: expected () -> (), "
                   "got (i32) -> ()");
  }
  auto g = this->engine_->host_global({ValType::I32, true}, Value::make_i32(1));
  try {
    this->instantiate(R"((module (import "env\00" "g\00\1f" (global i64))))", {g});
    FAIL();
  } catch (const LinkError &e) {
    // The native engine names the import itself; V8 checks a global's type
    // itself, and its message shows the zero byte as a space.
    if (this->kNative)
      EXPECT_STREQ(e.what(),
                   "import 0 (\"env\\00\".\"g\\00\\1f\"): a global of another type or mutability");
    else
      EXPECT_STREQ(e.what(),
                   "Import #0 module=\"env \" function=\"g \\1f\" error: imported global does not "
                   "match the expected mutability");
  }
}

TYPED_TEST(EngineInterfaceTest, StartFunctionTrapIsReported) {
  auto module =
      this->engine_->compile(toolkit::assemble_wat("(module (func $s unreachable) (start $s))"));
  EXPECT_THROW(this->engine_->instantiate(module, {}), Trap);
}

TYPED_TEST(EngineInterfaceTest, GlobalExportsAreReadExactly) {
  auto inst = this->instantiate(R"((module
    (global (export "i32") i32 (i32.const -7))
    (global (export "i64") i64 (i64.const 0x8000000000000001))
    (global (export "f32") f32 (f32.const nan:0x200001))
    (global (export "f64") (mut f64) (f64.const -nan:0x4000000000123))
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
  EXPECT_EQ(inst->get_global(index_of(*inst, "null")).ref.kind, Ref::Kind::Null);
  EXPECT_EQ(inst->get_global(index_of(*inst, "func")).ref.kind, Ref::Kind::Func);
  // A mutable global is read as it is now.
  Value d;
  d.type = ValType::F64;
  d.bits.f64 = 0x7ff0000000000001ull;
  inst->call(index_of(*inst, "set"), &d, nullptr);
  EXPECT_EQ(inst->get_global(index_of(*inst, "f64")).bits.f64, 0x7ff0000000000001ull);
  // A function is not a global.
  if (this->kNative)
    EXPECT_THROW(inst->get_global(index_of(*inst, "set")), EngineError);
  else
    EXPECT_THROW(inst->get_global(index_of(*inst, "set")), std::invalid_argument);
  // A v128 global: V8 reads its bytes; wasm2c 1.0.32 has no SIMD, so the
  // native engine refuses the module.
  constexpr std::string_view v128_global =
      R"((module (global (export "v128") v128 (v128.const i32x4 1 2 3 0xffffffff))))";
  if (this->kNative) {
    EXPECT_THROW(this->instantiate(v128_global), CompileError);
  } else {
    auto with_v128 = this->instantiate(v128_global);
    Value v = with_v128->get_global(index_of(*with_v128, "v128"));
    const uint8_t expected[16] = {1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 0xff, 0xff, 0xff, 0xff};
    EXPECT_EQ(std::memcmp(v.bits.v128, expected, 16), 0);
  }
}

TYPED_TEST(EngineInterfaceTest, HostGlobalsKeepExactBits) {
  Value nan32;
  nan32.type = ValType::F32;
  nan32.bits.f32 = 0xffa00001;  // negative signalling NaN
  auto g32 = this->engine_->host_global({ValType::F32, false}, nan32);
  auto gref = this->engine_->host_global(
      {ValType::ExternRef, false}, Value::make_ref(ValType::ExternRef, {Ref::Kind::Host, 42}));
  EXPECT_EQ(to_string(g32->type()), "global f32");
  auto module = this->engine_->compile(toolkit::assemble_wat(R"((module
    (import "h" "f32" (global $f f32))
    (import "h" "ref" (global $r externref))
    (func (export "f32bits") (result i32) global.get $f i32.reinterpret_f32)
    (func (export "ref") (result externref) global.get $r))
  )"));
  std::shared_ptr<Extern> imports[] = {g32, gref};
  auto inst = this->engine_->instantiate(module, imports);
  Value r;
  inst->call(index_of(*inst, "f32bits"), nullptr, &r);
  EXPECT_EQ(r.bits.i32, 0xffa00001u);
  inst->call(index_of(*inst, "ref"), nullptr, &r);
  EXPECT_EQ(r.ref, (Ref{Ref::Kind::Host, 42}));
  // A value of another type than the global's: V8 refuses it; the native
  // engine does not check it.
  if (this->kNative)
    EXPECT_NO_THROW(this->engine_->host_global({ValType::I32, false}, Value::make_i64(1)));
  else
    EXPECT_THROW(this->engine_->host_global({ValType::I32, false}, Value::make_i64(1)),
                 std::invalid_argument);

  // A v128 global: V8 keeps its bytes; the native engine has none (wasm2c
  // 1.0.32 has no SIMD).
  Value v128;
  v128.type = ValType::V128;
  for (int i = 0; i < 16; i++) v128.bits.v128[i] = static_cast<uint8_t>(i * 17);
  if (this->kNative) {
    EXPECT_THROW(this->engine_->host_global({ValType::V128, true}, v128), LinkError);
    return;
  }
  auto gv = this->engine_->host_global({ValType::V128, true}, v128);
  auto with_v128 = this->engine_->compile(toolkit::assemble_wat(R"((module
    (import "h" "v128" (global $v (mut v128)))
    (func (export "lane15") (result i32) global.get $v i8x16.extract_lane_u 15)
    (global (export "v") (mut v128) (v128.const i64x2 0 0))
    (func (export "copy") global.get $v global.set 1))
  )"));
  std::shared_ptr<Extern> v128_imports[] = {gv};
  auto v = this->engine_->instantiate(with_v128, v128_imports);
  v->call(index_of(*v, "lane15"), nullptr, &r);
  EXPECT_EQ(r.as_i32(), 255);
  v->call(index_of(*v, "copy"), nullptr, nullptr);
  Value copied = v->get_global(index_of(*v, "v"));
  EXPECT_EQ(std::memcmp(copied.bits.v128, v128.bits.v128, 16), 0);
}

TYPED_TEST(EngineInterfaceTest, HostMemoryAndTableAreShared) {
  auto memory = this->engine_->host_memory({{1, 2}, false});
  auto table = this->engine_->host_table({ValType::FuncRef, {2, std::nullopt}});
  auto externs = this->engine_->host_table({ValType::ExternRef, {1, 1}});
  EXPECT_EQ(to_string(memory->type()), "memory [1..2 pages]");
  auto writer = this->engine_->compile(toolkit::assemble_wat(R"((module
    (import "h" "mem" (memory 1))
    (import "h" "tab" (table 1 funcref))
    (func $seven (result i32) i32.const 7)
    (elem (i32.const 1) $seven)
    (func (export "store") (param i32 i32) local.get 0 local.get 1 i32.store)
    (func (export "grow") (result i32) i32.const 1 memory.grow))
  )"));
  auto reader = this->engine_->compile(toolkit::assemble_wat(R"((module
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
  auto w = this->engine_->instantiate(writer, wimports);
  auto r = this->engine_->instantiate(reader, rimports);
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
  EXPECT_THROW(this->engine_->host_memory({{70000, std::nullopt}, false}), LinkError);
}

TYPED_TEST(EngineInterfaceTest, ExportsLinkIntoOtherInstances) {
  auto a = this->instantiate(R"((module
    (func (export "f") (param i64) (result i64 i64) local.get 0 local.get 0 i64.const 1 i64.add)
    (global (export "g") (mut i32) (i32.const 5))
    (memory (export "m") 1)
    (table (export "t") 1 funcref))
  )");
  auto module = this->engine_->compile(toolkit::assemble_wat(R"((module
    (import "a" "f" (func $f (param i64) (result i64 i64)))
    (import "a" "g" (global $g (mut i32)))
    (import "a" "m" (memory 1))
    (import "a" "t" (table 1 funcref))
    (func (export "sum") (param i64) (result i64) local.get 0 call $f i64.add)
    (func (export "bump") global.get $g i32.const 1 i32.add global.set $g))
  )"));
  std::vector<std::shared_ptr<Extern>> imports;
  for (auto name : {"f", "g", "m", "t"}) imports.push_back(a->get_export(index_of(*a, name)));
  auto b = this->engine_->instantiate(module, imports);
  Value arg = Value::make_i64(20), r;
  b->call(index_of(*b, "sum"), &arg, &r);
  EXPECT_EQ(r.as_i64(), 41);
  b->call(index_of(*b, "bump"), nullptr, nullptr);
  EXPECT_EQ(a->get_global(index_of(*a, "g")).as_i32(), 6);
  // A wrong type is the engine's LinkError.
  auto wrong =
      this->engine_->compile(toolkit::assemble_wat(R"((module (import "a" "g" (global i32))))"));
  std::shared_ptr<Extern> g[] = {a->get_export(index_of(*a, "g"))};
  EXPECT_THROW(this->engine_->instantiate(wrong, g), LinkError);
}

TYPED_TEST(EngineInterfaceTest, ValidateAsksTheEngineAlone) {
  std::vector<uint8_t> junk = {0, 'a', 's', 'm', 1, 0, 0, 0, 0xff};
  auto error = this->engine_->validate(junk);
  ASSERT_TRUE(error.has_value());
  // Each engine says why in its own words: V8 names its CompileError.
  if (!this->kNative) {
    EXPECT_NE(error->find("CompileError"), std::string::npos) << *error;
  }
  EXPECT_FALSE(this->engine_->validate(toolkit::assemble_wat("(module (func))")).has_value());
}

// V8 10.2 aborts the process on an immutable v128 global import: refused.
TYPED_TEST(EngineInterfaceTest, ImmutableV128GlobalImportIsRefused) {
  Value v;
  v.type = ValType::V128;
  if (this->kNative) {
    // The native engine has no v128 globals at all.
    EXPECT_THROW(this->engine_->host_global({ValType::V128, false}, v), LinkError);
    return;
  }
  auto g = this->engine_->host_global({ValType::V128, false}, v);
  auto module =
      this->engine_->compile(toolkit::assemble_wat(R"((module (import "h" "g" (global v128))))"));
  std::shared_ptr<Extern> imports[] = {g};
  EXPECT_THROW(this->engine_->instantiate(module, imports), LinkError);
}

TYPED_TEST(EngineInterfaceTest, HostFunctionTypeIsChecked) {
  auto f = this->engine_->host_function(
      {{ValType::I32}, {}}, [](HostCall &, std::span<const Value>, std::span<Value>) {});
  auto module =
      this->engine_->compile(toolkit::assemble_wat(R"((module (import "h" "f" (func))))"));
  std::shared_ptr<Extern> imports[] = {f};
  EXPECT_THROW(this->engine_->instantiate(module, imports), LinkError);
}

TYPED_TEST(EngineInterfaceTest, CallsWithExactBits) {
  auto inst = this->instantiate(kNumbers);
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

TYPED_TEST(EngineInterfaceTest, TrapsAreTheirKinds) {
  auto inst = this->instantiate(kNumbers);
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

TYPED_TEST(EngineInterfaceTest, MemoryIsSharedWithTheHostAndCapped) {
  auto inst = this->instantiate(kNumbers);
  auto memory = inst->memory();
  ASSERT_EQ(memory.size(), 65536u);
  uint32_t v = 0xdeadbeef;
  std::memcpy(memory.data() + 100, &v, 4);
  Value at = Value::make_i32(100), r;
  inst->call(index_of(*inst, "load"), &at, &r);
  EXPECT_EQ(static_cast<uint32_t>(r.as_i32()), 0xdeadbeefu);
  // The native engine's max_memory_pages (64 here) caps memory.grow; V8
  // keeps its own limit, far beyond.
  Value pages = Value::make_i32(100);
  inst->call(index_of(*inst, "grow"), &pages, &r);
  EXPECT_EQ(r.as_i32(), this->kNative ? -1 : 1);
  pages = Value::make_i32(3);
  inst->call(index_of(*inst, "grow"), &pages, &r);
  EXPECT_EQ(r.as_i32(), this->kNative ? 1 : 101);
  EXPECT_EQ(inst->memory().size(), (this->kNative ? 4u : 104u) * 65536);
}

TYPED_TEST(EngineInterfaceTest, HostFunctionsAndTheirExceptions) {
  constexpr std::string_view wat = R"((module
    (import "host" "twice" (func $twice (param i64 f64) (result f64)))
    (import "host" "fail" (func $fail))
    (func (export "call_twice") (param i64 f64) (result f64) local.get 0 local.get 1 call $twice)
    (func (export "call_fail") (result i32) call $fail i32.const 1)))";
  int calls = 0;
  auto twice = this->engine_->host_function(
      {{ValType::I64, ValType::F64}, {ValType::F64}},
      [&](HostCall &, std::span<const Value> args, std::span<Value> results) {
        calls++;
        results[0] = Value::make_f64(static_cast<double>(args[0].as_i64()) * args[1].as_f64());
      });
  auto fail = this->engine_->host_function(
      {{}, {}}, [](HostCall &, auto, auto) { throw std::out_of_range("the host says no"); });
  auto inst = this->instantiate(wat, {twice, fail});
  Value args[2] = {Value::make_i64(3), Value::make_f64(1.5)}, r;
  inst->call(index_of(*inst, "call_twice"), args, &r);
  EXPECT_EQ(r.as_f64(), 4.5);
  EXPECT_EQ(calls, 1);
  // The host's exception comes out of the call as it was thrown.
  EXPECT_THROW(inst->call(index_of(*inst, "call_fail"), nullptr, &r), std::out_of_range);
  inst->call(index_of(*inst, "call_twice"), args, &r);
  EXPECT_EQ(calls, 2);
}

TYPED_TEST(EngineInterfaceTest, AnInterruptStopsAnEndlessLoop) {
  auto inst = this->instantiate(kNumbers);
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

TYPED_TEST(EngineInterfaceTest, FuelRunsOut) {
  auto inst = this->instantiate(kNumbers, {}, {.fuel = true});
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

TYPED_TEST(EngineInterfaceTest, SeveralResultsBothWays) {
  constexpr std::string_view wat = R"((module
    (import "host" "two" (func $two (result i32 f64)))
    (func (export "swap") (param i32 f64) (result f64 i32) local.get 1 local.get 0)
    (func (export "from_host") (result f64 i32) (local i32 f64)
      call $two local.set 1 local.set 0 local.get 1 local.get 0)))";
  auto two = this->engine_->host_function({{}, {ValType::I32, ValType::F64}},
                                          [](HostCall &, auto, std::span<Value> results) {
                                            results[0] = Value::make_i32(-5);
                                            results[1] = Value::make_f64(2.25);
                                          });
  auto inst = this->instantiate(wat, {two});
  Value args[2] = {Value::make_i32(7), Value::make_f64(-0.5)}, r[2];
  inst->call(index_of(*inst, "swap"), args, r);
  EXPECT_EQ(r[0].as_f64(), -0.5);
  EXPECT_EQ(r[1].as_i32(), 7);
  inst->call(index_of(*inst, "from_host"), nullptr, r);
  EXPECT_EQ(r[0].as_f64(), 2.25);
  EXPECT_EQ(r[1].as_i32(), -5);
}

TYPED_TEST(EngineInterfaceTest, WhatItCannotRunYetIsACompileError) {
  // wasm2c 1.0.32 has no SIMD: the native engine cannot run it yet; V8 can.
  auto simd = toolkit::assemble_wat(
      "(module (func (export \"f\") (result i32) v128.const i32x4 1 2 3 4 "
      "i32x4.extract_lane 0))");
  if (this->kNative) {
    EXPECT_THROW(this->engine_->compile(simd), CompileError);
  } else {
    auto module = this->engine_->compile(simd);
    auto inst = this->engine_->instantiate(module, {});
    Value r;
    inst->call(index_of(*inst, "f"), nullptr, &r);
    EXPECT_EQ(r.as_i32(), 1);
  }
}

TYPED_TEST(EngineInterfaceTest, HostGlobalsMemoriesAndTablesAreImported) {
  auto g = this->engine_->host_global({ValType::I32, true}, Value::make_i32(41));
  auto c = this->engine_->host_global({ValType::F64, false}, Value::make_f64(2.5));
  auto mem = this->engine_->host_memory({{1, 2}, false});
  auto table = this->engine_->host_table({ValType::FuncRef, {2, 10}});
  auto inst = this->instantiate(R"((module
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
  auto other = this->instantiate(R"((module
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
  EXPECT_THROW(this->instantiate("(module (import \"env\" \"mem\" (memory 3)))", {mem}), LinkError);
  EXPECT_THROW(this->instantiate("(module (import \"env\" \"g\" (global i32)))", {g}), LinkError);
  EXPECT_THROW(this->instantiate("(module (import \"env\" \"t\" (table 1 externref)))", {table}),
               LinkError);
  // The native engine's cap here is 64 pages; V8's own limit is far higher.
  if (this->kNative)
    EXPECT_THROW(this->engine_->host_memory({{kNativeMaxPages + 1, {}}, false}), LinkError);
  else
    EXPECT_NO_THROW(this->engine_->host_memory({{kNativeMaxPages + 1, {}}, false}));
}

TYPED_TEST(EngineInterfaceTest, ExportsLinkInstances) {
  auto a = this->instantiate(R"((module
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
  auto b =
      this->instantiate(R"((module
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

TYPED_TEST(EngineInterfaceTest, ReferencesCrossTheBoundary) {
  auto inst = this->instantiate(R"((module
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

TYPED_TEST(EngineInterfaceTest, AHostFunctionInATableIsCalledThroughIt) {
  auto print = this->engine_->host_function(
      {{ValType::I32}, {ValType::I32}},
      [](HostCall &, std::span<const Value> args, std::span<Value> results) {
        results[0] = Value::make_i32(args[0].as_i32() + 100);
      });
  // wasm2c 1.0.32 makes such an entry with another instance pointer than a
  // direct call's (c_glue.cc).
  auto inst = this->instantiate(R"((module
    (import "env" "f" (func $f (param i32) (result i32)))
    (table 1 funcref) (elem (i32.const 0) $f)
    (func (export "call") (param i32) (result i32) local.get 0 i32.const 0 call_indirect (param i32) (result i32))))",
                                {print});
  Value r, one = Value::make_i32(1);
  inst->call(index_of(*inst, "call"), &one, &r);
  EXPECT_EQ(r.as_i32(), 101);
}

TYPED_TEST(EngineInterfaceTest, AnInterruptStopsALoopInAnotherInstancesCode) {
  auto a = this->instantiate("(module (func (export \"spin\") (loop br 0)))");
  auto b =
      this->instantiate("(module (import \"a\" \"spin\" (func $s)) (func (export \"f\") call $s))",
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
