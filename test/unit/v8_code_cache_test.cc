// The V8 engine's entries in a host's shared cache (docs/engines.md,
// "Shared caches"): what compile() prepares and V8's compiled code, kept in
// an ArtifactStore by one compile and used by the next, and never trusted
// when damaged.
#include <gtest/gtest.h>

#include <atomic>
#include <cstring>
#include <map>
#include <regex>
#include <string>
#include <vector>

#include "engine/engine.h"
#include "engine/v8/v8_engine.h"
#include "toolkit/sha256.h"
#include "toolkit/text.h"

using namespace pgwasm;
using namespace pgwasm::engine;

namespace {

std::atomic<bool> g_stop{false};
bool stop_requested() {
  return g_stop.load();
}

// A host's store, in memory: counts what the engine asks of it.
class MemoryStore final : public ArtifactStore {
 public:
  std::optional<std::vector<uint8_t>> load(std::string_view key) override {
    loads++;
    auto it = entries.find(std::string(key));
    if (it == entries.end()) return std::nullopt;
    return it->second;
  }
  void save(std::string_view key, std::span<const uint8_t> bytes) override {
    EXPECT_TRUE(std::regex_match(std::string(key), std::regex("[a-z0-9_.-]{1,40}"))) << key;
    saves++;
    entries[std::string(key)].assign(bytes.begin(), bytes.end());
  }
  // The one key starting with `prefix`.
  std::string key(std::string_view prefix) const {
    std::string found;
    for (const auto &[k, v] : entries)
      if (k.starts_with(prefix)) {
        EXPECT_TRUE(found.empty()) << "two entries " << found << " and " << k;
        found = k;
      }
    EXPECT_FALSE(found.empty()) << "no entry " << prefix;
    return found;
  }
  std::map<std::string, std::vector<uint8_t>> entries;
  int loads = 0, saves = 0;
};

// Imports one pair twice (compiled renamed), has a start function (compiled
// as an export), grows its memory, exports a v128 constant, and loops.
constexpr std::string_view kGuest = R"((module
  (import "env" "log" (func $log32 (param i32)))
  (import "env" "log" (func $log64 (param i64)))
  (memory (export "memory") 1 100)
  (global $started (mut i32) (i32.const 0))
  (global (export "v") v128 (v128.const i32x4 1 2 3 0xffffffff))
  (func $start (global.set $started (i32.const 41)))
  (start $start)
  (func (export "started") (result i32) (global.get $started))
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
  (func (export "sum") (param $n i32) (result i32) (local $s i32)
    (block $done (loop $next
      (br_if $done (i32.eqz (local.get $n)))
      (local.set $s (i32.add (local.get $s) (local.get $n)))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br $next)))
    (local.get $s))
  (func (export "log") (param i32)
    (call $log32 (local.get 0))
    (call $log64 (i64.extend_i32_u (local.get 0))))
  (func (export "spin") (loop (br 0))))
)";

// Another module, whose entries must never serve kGuest.
constexpr std::string_view kOther = R"((module
  (import "env" "log" (func $log32 (param i32)))
  (import "env" "log" (func $log64 (param i64)))
  (memory (export "memory") 1 100)
  (global (export "v") v128 (v128.const i32x4 5 6 7 8))
  (func (export "started") (result i32) (i32.const 7))
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
  (func (export "sum") (param $n i32) (result i32) (i32.mul (local.get $n) (i32.const 3)))
  (func (export "log") (param i32))
  (func (export "spin") (loop (br 0))))
)";

uint32_t index_of(const Instance &inst, std::string_view name) {
  auto i = inst.info().export_index(name);
  EXPECT_TRUE(i.has_value()) << name;
  return i.value_or(0);
}

class V8CodeCacheTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    engine_ = make_v8_engine({.interrupt_requested = stop_requested}).release();
  }
  static void TearDownTestSuite() {
    delete engine_;
    engine_ = nullptr;
  }
  void TearDown() override { g_stop = false; }

  v8impl::V8Engine &v8() { return *dynamic_cast<v8impl::V8Engine *>(engine_); }
  v8impl::V8Engine::Counters counters() { return v8().counters(); }

  std::shared_ptr<const Module> compile(std::string_view wat, MemoryStore &store,
                                        CompileOptions options = {}) {
    options.store = &store;
    return engine_->compile(toolkit::assemble_wat(wat), options);
  }

  // What the guest's calls give, as one line (the host's log included).
  std::string run(const std::shared_ptr<const Module> &module, const CallBounds &bounds = {}) {
    std::string log;
    auto log32 = engine_->host_function(
        {{ValType::I32}, {}}, [&](HostCall &, std::span<const Value> args, std::span<Value>) {
          log += "i32:" + std::to_string(args[0].as_i32()) + " ";
        });
    auto log64 = engine_->host_function(
        {{ValType::I64}, {}}, [&](HostCall &, std::span<const Value> args, std::span<Value>) {
          log += "i64:" + std::to_string(args[0].as_i64()) + " ";
        });
    std::shared_ptr<Extern> imports[] = {log32, log64};
    auto inst = engine_->instantiate(module, imports, bounds);
    std::string out;
    Value r, n = Value::make_i32(1000);
    inst->call(index_of(*inst, "started"), nullptr, &r);
    out += "started=" + std::to_string(r.as_i32());
    inst->call(index_of(*inst, "sum"), &n, &r);
    out += " sum=" + std::to_string(r.as_i32());
    Value pages = Value::make_i32(3);
    inst->call(index_of(*inst, "grow"), &pages, &r);
    out += " grow=" + std::to_string(r.as_i32());
    Value v = inst->get_global(index_of(*inst, "v"));
    uint32_t lanes[4];
    std::memcpy(lanes, v.bits.v128, 16);
    out += " v=" + std::to_string(lanes[0]) + "," + std::to_string(lanes[3]);
    Value seven = Value::make_i32(7);
    inst->call(index_of(*inst, "log"), &seven, nullptr);
    return out + " log=" + log;
  }

  // Runs everything once, so that V8 compiles the functions, and keeps the
  // code; then frees the module, so that V8's own cache of the process does
  // not answer the next compile.
  void fill(std::string_view wat, MemoryStore &store, CompileOptions options = {}) {
    auto module = compile(wat, store, options);
    run(module);
    engine_->save_compiled(*module, store);
    module.reset();
    engine_->collect_garbage();
  }

  static Engine *engine_;
};

Engine *V8CodeCacheTest::engine_ = nullptr;

constexpr const char *kExpected = "started=41 sum=500500 grow=1 v=1,4294967295 log=i32:7 i64:7 ";

TEST_F(V8CodeCacheTest, ASecondCompileTakesBothEntries) {
  MemoryStore store;
  auto before = counters();
  auto first = compile(kGuest, store);
  EXPECT_EQ(counters().prepares, before.prepares + 1);
  EXPECT_EQ(counters().compiles, before.compiles + 1);
  // Nothing is compiled until a call: no code to keep before.
  EXPECT_EQ(v8().compiled_code_size(*first), 0u);
  EXPECT_EQ(run(first), kExpected);
  EXPECT_GT(v8().compiled_code_size(*first), 0u);
  engine_->save_compiled(*first, store);
  EXPECT_EQ(counters().code_saves, before.code_saves + 1);
  std::string code_key = store.key("v8code-");
  std::string prep_key = store.key("v8prep-");
  size_t saved = store.entries[code_key].size();
  // Nothing new compiled: nothing saved again.
  engine_->save_compiled(*first, store);
  EXPECT_EQ(counters().code_saves, before.code_saves + 1);
  first.reset();
  engine_->collect_garbage();

  int loads = store.loads;
  auto second = compile(kGuest, store);
  EXPECT_EQ(store.loads, loads + 2);
  EXPECT_EQ(counters().prepares, before.prepares + 1);
  EXPECT_EQ(counters().prep_hits, before.prep_hits + 1);
  EXPECT_EQ(counters().compiles, before.compiles + 1);
  EXPECT_EQ(counters().code_hits, before.code_hits + 1);
  // The functions come compiled, before any call.
  EXPECT_GT(v8().compiled_code_size(*second), 0u);
  EXPECT_EQ(run(second), kExpected);
  EXPECT_EQ(store.entries[code_key].size(), saved);
  EXPECT_EQ(store.entries.size(), 2u);
}

TEST_F(V8CodeCacheTest, FuelAndMemoryLimitOnAHit) {
  for (CompileOptions options : {CompileOptions{.fuel = true}, CompileOptions{.limit_memory = true},
                                 CompileOptions{.fuel = true, .limit_memory = true}}) {
    SCOPED_TRACE(std::to_string(options.fuel) + std::to_string(options.limit_memory));
    MemoryStore store;
    fill(kGuest, store, options);
    auto before = counters();
    auto module = compile(kGuest, store, options);
    EXPECT_EQ(counters().prep_hits, before.prep_hits + 1);
    EXPECT_EQ(counters().code_hits, before.code_hits + 1);
    EXPECT_EQ(counters().prepares, before.prepares);
    EXPECT_EQ(run(module), kExpected);
    if (options.limit_memory) {
      // memory.grow beyond the bound fails, as the bound says.
      EXPECT_EQ(run(module, {.max_pages = 2}),
                "started=41 sum=500500 grow=-1 v=1,4294967295 log=i32:7 i64:7 ");
    }
    if (options.fuel) {
      auto imports = std::vector<std::shared_ptr<Extern>>{
          engine_->host_function({{ValType::I32}, {}}, [](auto &, auto, auto) {}),
          engine_->host_function({{ValType::I64}, {}}, [](auto &, auto, auto) {})};
      auto inst = engine_->instantiate(module, imports);
      inst->set_bounds({.fuel = 1'000});
      Value n = Value::make_i32(1'000'000), r;
      try {
        inst->call(index_of(*inst, "sum"), &n, &r);
        ADD_FAILURE() << "the fuel did not run out";
      } catch (const Trap &t) {
        EXPECT_EQ(t.kind, Trap::Kind::FuelExhausted);
      }
    }
  }
}

TEST_F(V8CodeCacheTest, OptionsAreKeysOfTheirOwn) {
  MemoryStore store;
  fill(kGuest, store);
  auto before = counters();
  auto module = compile(kGuest, store, {.fuel = true});
  EXPECT_EQ(counters().prepares, before.prepares + 1);
  EXPECT_EQ(counters().prep_hits, before.prep_hits);
  EXPECT_EQ(counters().code_hits, before.code_hits);
  EXPECT_EQ(run(module), kExpected);
  // Two prepared entries, one code entry per option set once saved.
  engine_->save_compiled(*module, store);
  int prep = 0, code = 0;
  for (const auto &[k, v] : store.entries) (k.starts_with("v8prep-") ? prep : code)++;
  EXPECT_EQ(prep, 2);
  EXPECT_EQ(code, 2);
}

TEST_F(V8CodeCacheTest, DamagedCodeIsCompiledAgainAndSavedAgain) {
  MemoryStore other;
  fill(kOther, other);
  MemoryStore good;
  fill(kGuest, good);
  std::string key = good.key("v8code-");
  const std::vector<uint8_t> intact = good.entries[key];
  ASSERT_GT(intact.size(), 100u);
  std::vector<std::pair<std::string, std::vector<uint8_t>>> damaged;
  for (size_t at :
       {size_t{0}, size_t{5}, size_t{40}, size_t{70}, intact.size() / 2, intact.size() - 1}) {
    auto bytes = intact;
    bytes[at] ^= 0x20;
    damaged.emplace_back("byte " + std::to_string(at) + " flipped", bytes);
  }
  for (size_t size : {size_t{0}, size_t{4}, size_t{68}, intact.size() / 2, intact.size() - 1})
    damaged.emplace_back("cut to " + std::to_string(size),
                         std::vector<uint8_t>(intact.begin(), intact.begin() + size));
  damaged.emplace_back("another module's", other.entries[other.key("v8code-")]);
  {
    auto bytes = intact;
    bytes.push_back(0);
    damaged.emplace_back("a byte added", bytes);
  }
  for (const auto &[what, bytes] : damaged) {
    SCOPED_TRACE(what);
    MemoryStore store = good;
    store.entries[key] = bytes;
    auto before = counters();
    auto module = compile(kGuest, store);
    EXPECT_EQ(counters().prep_hits, before.prep_hits + 1);
    EXPECT_EQ(counters().code_hits, before.code_hits);
    EXPECT_EQ(counters().compiles, before.compiles + 1);
    EXPECT_EQ(run(module), kExpected);
    engine_->save_compiled(*module, store);
    EXPECT_EQ(counters().code_saves, before.code_saves + 1);
    module.reset();
    engine_->collect_garbage();
    // What was saved again is taken by the next compile.
    auto again = compile(kGuest, store);
    EXPECT_EQ(counters().code_hits, before.code_hits + 1);
    EXPECT_EQ(run(again), kExpected);
    again.reset();
    engine_->collect_garbage();
  }
}

TEST_F(V8CodeCacheTest, CodeV8RefusesIsCompiledAgain) {
  MemoryStore store;
  fill(kGuest, store);
  std::string key = store.key("v8code-");
  // V8's own header (its version's hash, at bytes 4 to 8 of its part),
  // changed with our digests made to match: V8 refuses it.
  std::vector<uint8_t> entry = store.entries[key];
  constexpr size_t kOurs = 4 + 32 + 32;
  entry[kOurs + 5] ^= 1;
  std::span<const uint8_t> v8_part(entry.data() + kOurs, entry.size() - kOurs);
  std::string digest = toolkit::Sha256().update(v8_part).digest();
  std::memcpy(entry.data() + 4 + 32, digest.data(), 32);
  store.entries[key] = entry;
  auto before = counters();
  auto module = compile(kGuest, store);
  EXPECT_EQ(counters().code_hits, before.code_hits);
  EXPECT_EQ(counters().compiles, before.compiles + 1);
  EXPECT_EQ(run(module), kExpected);
}

TEST_F(V8CodeCacheTest, DamagedPreparedEntryIsPreparedAgain) {
  MemoryStore other;
  fill(kOther, other);
  MemoryStore good;
  fill(kGuest, good, {.fuel = true});
  std::string key = good.key("v8prep-");
  const std::vector<uint8_t> intact = good.entries[key];
  std::vector<std::pair<std::string, std::vector<uint8_t>>> damaged;
  for (size_t at = 0; at < intact.size(); at += std::max<size_t>(1, intact.size() / 40)) {
    auto bytes = intact;
    bytes[at] ^= 0x01;
    damaged.emplace_back("byte " + std::to_string(at) + " flipped", bytes);
  }
  for (size_t size : {size_t{0}, size_t{3}, size_t{72}, intact.size() / 2, intact.size() - 1})
    damaged.emplace_back("cut to " + std::to_string(size),
                         std::vector<uint8_t>(intact.begin(), intact.begin() + size));
  {
    MemoryStore fueled;
    fill(kOther, fueled, {.fuel = true});
    damaged.emplace_back("another module's", fueled.entries[fueled.key("v8prep-")]);
  }
  for (const auto &[what, bytes] : damaged) {
    SCOPED_TRACE(what);
    MemoryStore store = good;
    store.entries[key] = bytes;
    auto before = counters();
    auto module = compile(kGuest, store, {.fuel = true});
    EXPECT_EQ(counters().prepares, before.prepares + 1);
    EXPECT_EQ(counters().prep_hits, before.prep_hits);
    // Saved again, as it was.
    EXPECT_EQ(store.entries[key], intact);
    EXPECT_EQ(run(module), kExpected);
  }
}

TEST_F(V8CodeCacheTest, InterruptsStopCodeFromTheStore) {
  MemoryStore store;
  {
    auto module = compile(kGuest, store);
    auto imports = std::vector<std::shared_ptr<Extern>>{
        engine_->host_function({{ValType::I32}, {}}, [](auto &, auto, auto) {}),
        engine_->host_function({{ValType::I64}, {}}, [](auto &, auto, auto) {})};
    auto inst = engine_->instantiate(module, imports);
    g_stop = true;
    EXPECT_THROW(inst->call(index_of(*inst, "spin"), nullptr, nullptr), Interrupted);
    g_stop = false;
    engine_->save_compiled(*module, store);
    inst.reset();
    module.reset();
    engine_->collect_garbage();
  }
  auto before = counters();
  auto module = compile(kGuest, store);
  EXPECT_EQ(counters().code_hits, before.code_hits + 1);
  auto imports = std::vector<std::shared_ptr<Extern>>{
      engine_->host_function({{ValType::I32}, {}}, [](auto &, auto, auto) {}),
      engine_->host_function({{ValType::I64}, {}}, [](auto &, auto, auto) {})};
  auto inst = engine_->instantiate(module, imports);
  g_stop = true;
  EXPECT_THROW(inst->call(index_of(*inst, "spin"), nullptr, nullptr), Interrupted);
  g_stop = false;
  Value n = Value::make_i32(10), r;
  inst->call(index_of(*inst, "sum"), &n, &r);
  EXPECT_EQ(r.as_i32(), 55);
}

// A module with a function beyond TurboFan's bounds (more than 1,000
// branches): its functions are compiled at their first call with Liftoff,
// whose code V8 10.2 never serializes, so none is kept; other modules'
// functions are still compiled with TurboFan, whose code is.
std::string huge_module(int k) {
  std::string wat = R"((module
    (func $huge (export "huge") (param i32) (result i32) (block)";
  for (int i = 0; i < 1'100; i++) wat += " (br_if 0 (i32.eq (local.get 0) (i32.const 1000000)))";
  wat += ") (i32.add (local.get 0) (i32.const " + std::to_string(k) + R"()))
    (func (export "small") (param i32) (result i32) (call $huge (local.get 0)))))";
  return wat;
}

TEST_F(V8CodeCacheTest, HugeModulesRunWithLiftoffOnly) {
  MemoryStore store;
  auto huge = compile(huge_module(1), store);
  auto small = compile(R"((module
    (func (export "f") (param i32) (result i32) (i32.mul (local.get 0) (i32.const 12345)))))",
                       store);
  auto huge_inst = engine_->instantiate(huge, {});
  Value n = Value::make_i32(41), r;
  huge_inst->call(index_of(*huge_inst, "small"), &n, &r);
  EXPECT_EQ(r.as_i32(), 42);
  EXPECT_EQ(v8().compiled_code_size(*huge), 0u);
  // Called next, the other module still gets TurboFan.
  auto small_inst = engine_->instantiate(small, {});
  EXPECT_EQ(v8().compiled_code_size(*small), 0u);
  small_inst->call(index_of(*small_inst, "f"), &n, &r);
  EXPECT_EQ(r.as_i32(), 41 * 12345);
  EXPECT_GT(v8().compiled_code_size(*small), 0u);
  // Its code is not kept either.
  engine_->save_compiled(*huge, store);
  int code = 0;
  for (const auto &[k, v] : store.entries) code += k.starts_with("v8code-");
  EXPECT_EQ(code, 0);

  // Called from another instance's functions, the huge module's functions
  // are still compiled with Liftoff.
  auto fresh = compile(huge_module(2), store);
  auto fresh_inst = engine_->instantiate(fresh, {});
  auto caller = compile(R"((module
    (import "m" "huge" (func $huge (param i32) (result i32)))
    (func (export "call") (param i32) (result i32) (call $huge (local.get 0)))))",
                        store);
  std::shared_ptr<Extern> imports[] = {fresh_inst->get_export(index_of(*fresh_inst, "huge"))};
  auto caller_inst = engine_->instantiate(caller, imports);
  caller_inst->call(index_of(*caller_inst, "call"), &n, &r);
  EXPECT_EQ(r.as_i32(), 43);
  EXPECT_EQ(v8().compiled_code_size(*fresh), 0u);

  // Right after such a guest ran, code is kept and taken as ever: V8's
  // header holds a digest of the flags.
  MemoryStore other;
  fill(kGuest, other);
  huge_inst->call(index_of(*huge_inst, "small"), &n, &r);
  auto before = counters();
  auto taken = compile(kGuest, other);
  EXPECT_EQ(counters().code_hits, before.code_hits + 1);
  huge_inst->call(index_of(*huge_inst, "small"), &n, &r);
  small_inst->call(index_of(*small_inst, "f"), &n, &r);
  huge_inst->call(index_of(*huge_inst, "small"), &n, &r);
  MemoryStore third;
  auto small_again = compile(R"((module
    (func (export "f") (param i32) (result i32) (i32.mul (local.get 0) (i32.const 12345)))))",
                             third);
  engine_->save_compiled(*small_again, third);
  small_inst.reset();
  small.reset();
  small_again.reset();
  engine_->collect_garbage();
  huge_inst->call(index_of(*huge_inst, "small"), &n, &r);
  before = counters();
  auto small_taken = compile(R"((module
    (func (export "f") (param i32) (result i32) (i32.mul (local.get 0) (i32.const 12345)))))",
                             third);
  EXPECT_EQ(counters().code_hits, before.code_hits + 1);
  EXPECT_EQ(run(taken), kExpected);
}

}  // namespace
