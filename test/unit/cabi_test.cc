// The canonical ABI of src/component (cabi.h, handles.h, world.h)
// without PostgreSQL or an engine: a linear memory in a vector, a realloc
// that can be made to return garbage. Lifting and lowering round trips of
// every type the world supabase:wrappers uses, the layouts the guests of
// test/components/guests/cabi.h rely on, each bounds, alignment, UTF-8 and
// discriminant check, the budget, bad realloc results and bad handles.
#include <gtest/gtest.h>

#include <cstring>
#include <limits>

#include "component/cabi.h"
#include "component/handles.h"
#include "component/world.h"
#include "toolkit/json_text.h"
#include "toolkit/utf8.h"

namespace pgwasm::component {
namespace {

using EV = pgwasm::Value;

// A guest's memory: 64 KiB, a bump allocator from 1024, or a realloc that
// returns what a test sets.
class FakeMemory : public GuestMemory {
 public:
  std::vector<uint8_t> mem = std::vector<uint8_t>(65536);
  uint32_t top = 1024;
  int reallocs = 0;
  bool has_realloc = true;
  std::optional<uint32_t> garbage;  // returned instead of a block

  std::span<uint8_t> bytes() override { return mem; }
  uint32_t realloc(uint32_t align, uint32_t size) override {
    if (!has_realloc) throw CabiError("no realloc");
    reallocs++;
    if (garbage) return *garbage;
    top = (top + align - 1) / align * align;
    uint32_t p = top;
    top += size;
    return p;
  }
  uint32_t put(std::string_view s, uint32_t at) {
    std::memcpy(mem.data() + at, s.data(), s.size());
    return at;
  }
  void u32_at(uint32_t at, uint32_t v) { std::memcpy(mem.data() + at, &v, 4); }
  void u8_at(uint32_t at, uint8_t v) { mem[at] = v; }
};

void expect_same(const Value &a, const Value &b, const std::string &where = "value") {
  EXPECT_EQ(a.bits, b.bits) << where;
  EXPECT_EQ(a.f, b.f) << where;
  EXPECT_EQ(a.s, b.s) << where;
  ASSERT_EQ(a.items.size(), b.items.size()) << where;
  for (size_t i = 0; i < a.items.size(); i++)
    expect_same(a.items[i], b.items[i], where + "[" + std::to_string(i) + "]");
}

// What a throw says.
template <typename F>
std::string error_of(F &&f) {
  try {
    f();
  } catch (const CabiError &e) {
    return e.what();
  }
  return "(no error)";
}

Value list(std::vector<Value> items) {
  Value v;
  v.items = std::move(items);
  return v;
}

class Cabi : public ::testing::Test {
 protected:
  FakeMemory m;
  TypeArena a;

  // store then load, lower_flat then lift_flat: the value comes back.
  void round_trip(const Type &t, const Value &v, const std::string &what) {
    LiftLowerContext cx(m);
    uint32_t ptr = cx.allocate(alignment(t), size_of(t), "a test value");
    store(cx, t, v, ptr);
    expect_same(load(cx, t, ptr), v, what + " through memory");
    auto flat = lower_flat(cx, t, v);
    ASSERT_EQ(flat.size(), flatten(t).size()) << what;
    for (size_t i = 0; i < flat.size(); i++) EXPECT_EQ(flat[i].type, flatten(t)[i]) << what;
    expect_same(lift_flat(cx, t, flat), v, what + " flat");
  }
};

// ---- round trips ----

TEST_F(Cabi, PrimitivesRoundTrip) {
  round_trip(*a.prim(Kind::Bool), Value::u(1), "bool true");
  round_trip(*a.prim(Kind::Bool), Value::u(0), "bool false");
  round_trip(*a.prim(Kind::S8), Value::i(-128), "s8");
  round_trip(*a.prim(Kind::U8), Value::u(255), "u8");
  round_trip(*a.prim(Kind::S16), Value::i(-32768), "s16");
  round_trip(*a.prim(Kind::U16), Value::u(65535), "u16");
  round_trip(*a.prim(Kind::S32), Value::i(std::numeric_limits<int32_t>::min()), "s32");
  round_trip(*a.prim(Kind::U32), Value::u(UINT32_MAX), "u32");
  round_trip(*a.prim(Kind::S64), Value::i(std::numeric_limits<int64_t>::min()), "s64");
  round_trip(*a.prim(Kind::U64), Value::u(UINT64_MAX), "u64");
  round_trip(*a.prim(Kind::F32), Value::real(-1.5), "f32");
  round_trip(*a.prim(Kind::F64), Value::real(3.141592653589793), "f64");
  round_trip(*a.prim(Kind::Char), Value::u(0x1F600), "char");
  round_trip(*a.prim(Kind::String), Value::str("h\xC3\xA9llo \xF0\x9F\x98\x80"), "string");
  round_trip(*a.prim(Kind::String), Value::str(""), "empty string");
  round_trip(*a.own(3), Value::u(7), "own");
  round_trip(*a.borrow(3), Value::u(9), "borrow");
}

TEST_F(Cabi, CompoundsRoundTrip) {
  const Type *str = a.prim(Kind::String);
  const Type *pair = a.tuple({str, str});
  round_trip(*a.list(pair),
             list({Value::tuple({Value::str("a"), Value::str("b")}),
                   Value::tuple({Value::str("content-type"), Value::str("json")})}),
             "list<tuple<string, string>>");
  round_trip(*a.list(str), list({}), "empty list");
  const Type *rec = a.record({{"id", a.prim(Kind::U32)}, {"t", a.prim(Kind::S64)}, {"s", str}});
  round_trip(*rec, Value::tuple({Value::u(5), Value::i(-6), Value::str("x")}), "record");
  const Type *e = a.enumeration({"all", "limit-to", "except"});
  round_trip(*e, Value::of_case(2), "enum");
  round_trip(*a.option(str), Value::none(), "option none");
  round_trip(*a.option(str), Value::some(Value::str("yes")), "option some");
  round_trip(*a.result(nullptr, str), Value::ok(), "result<_, string> ok");
  round_trip(*a.result(nullptr, str), Value::error(Value::str("no")), "result error");
  round_trip(*a.result(a.option(a.prim(Kind::U32)), str), Value::ok(Value::some(Value::u(0))),
             "result<option<u32>, string>");
  round_trip(*a.list(a.own(4)), list({Value::u(1), Value::u(2), Value::u(3)}), "list<own>");
}

// Every case of the world's cell, in both versions, and the other types
// its functions pass.
TEST_F(Cabi, WorldTypesRoundTrip) {
  for (WitVersion v : {WitVersion::V1, WitVersion::V2}) {
    const World &w = world(v);
    const std::string ver(to_string(v));
    std::vector<Value> cells = {Value::of_case(0, Value::u(1)),
                                Value::of_case(1, Value::i(-3)),
                                Value::of_case(2, Value::i(-300)),
                                Value::of_case(3, Value::real(0.5)),
                                Value::of_case(4, Value::i(-70000)),
                                Value::of_case(5, Value::real(-2.25)),
                                Value::of_case(6, Value::i(1LL << 40)),
                                Value::of_case(7, Value::real(12.5)),
                                Value::of_case(8, Value::str("text")),
                                Value::of_case(9, Value::i(-86400)),
                                Value::of_case(10, Value::i(1)),
                                Value::of_case(11, Value::i(-1)),
                                Value::of_case(12, Value::str("{\"a\": [1]}"))};
    if (v == WitVersion::V2) {
      cells.push_back(Value::of_case(13, Value::str("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11")));
      cells.push_back(Value::of_case(14, Value::str("'a' 'b'")));
    }
    ASSERT_EQ(cells.size(), w.types.cell->items.size());
    for (size_t c = 0; c < cells.size(); c++) {
      round_trip(*w.types.cell, cells[c], ver + " cell " + w.types.cell->names[c]);
      round_trip(*a.option(w.types.cell), Value::some(cells[c]), ver + " option<cell>");
    }
    round_trip(*w.types.value, Value::of_case(1, list({cells[4], cells[8]})), ver + " value");
    for (uint32_t c = 0; c < w.types.type_oid->items.size(); c++)
      round_trip(*w.types.type_oid,
                 w.types.type_oid->items[c] ? Value::of_case(c, Value::str("tsvector"))
                                            : Value::of_case(c),
                 ver + " type-oid");
    round_trip(*w.types.param, Value::tuple({Value::u(2), Value::u(25)}), ver + " param");
    for (uint32_t c = 0; c < w.types.options_type->items.size(); c++)
      round_trip(
          *w.types.options_type,
          w.types.options_type->items[c] ? Value::of_case(c, Value::str("x")) : Value::of_case(c),
          ver + " options-type");
    Value headers = list({Value::tuple({Value::str("accept"), Value::str("*/*")})});
    round_trip(
        *w.types.request,
        Value::tuple({Value::of_case(3), Value::str("http://h/"), headers, Value::str("{}")}),
        ver + " request");
    Value resp =
        Value::tuple({Value::str("http://h/"), Value::u(404), headers, Value::str("nope")});
    round_trip(*w.types.response, resp, ver + " response");
    round_trip(*a.result(w.types.response, w.types.string), Value::ok(resp), ver + " http-result");
    round_trip(*w.types.metric, Value::of_case(4), ver + " metric");
    if (w.types.import_stmt)
      round_trip(*w.types.import_stmt,
                 Value::tuple({Value::str("srv"), Value::str("remote"), Value::str("local"),
                               Value::of_case(1), list({Value::str("events")})}),
                 ver + " import-foreign-schema-stmt");
  }
}

// A variant's payloads share flat slots: an f32 goes through an i64 slot
// as its bits, and comes back as the f32 it was.
TEST_F(Cabi, VariantFlatteningJoinsPayloads) {
  const World &w = world(WitVersion::V2);
  EXPECT_EQ(flatten(*w.types.cell),
            (std::vector<ValType>{ValType::I32, ValType::I64, ValType::I32}));
  LiftLowerContext cx(m);
  auto flat = lower_flat(cx, *w.types.cell, Value::of_case(3, Value::real(-0.75)));
  ASSERT_EQ(flat.size(), 3u);
  EXPECT_EQ(flat[0].bits.i32, 3u);
  EXPECT_EQ(flat[1].bits.i64, std::bit_cast<uint32_t>(-0.75f));
  EXPECT_EQ(flat[2].bits.i32, 0u);
  // An s32 payload is its 32 bits zero-extended, as the ABI's join says.
  flat = lower_flat(cx, *w.types.cell, Value::of_case(4, Value::i(-1)));
  EXPECT_EQ(flat[1].bits.i64, 0xFFFFFFFFull);
  expect_same(lift_flat(cx, *w.types.cell, flat), Value::of_case(4, Value::i(-1)));
}

// The layouts test/components/guests/cabi.h writes out by hand.
TEST_F(Cabi, LayoutsMatchTheGuests) {
  for (WitVersion v : {WitVersion::V1, WitVersion::V2}) {
    const World &w = world(v);
    EXPECT_EQ(size_of(*w.types.cell), 16u);
    EXPECT_EQ(alignment(*w.types.cell), 8u);
    EXPECT_EQ(size_of(*a.option(w.types.cell)), 24u);
    EXPECT_EQ(size_of(*w.types.value), 24u);
    EXPECT_EQ(size_of(*w.types.request), 28u);
    EXPECT_EQ(size_of(*w.types.response), 28u);
    EXPECT_EQ(size_of(*a.result(w.types.response, w.types.string)), 32u);
    EXPECT_EQ(size_of(*a.result(a.prim(Kind::S64), w.types.string)), 16u);
    EXPECT_EQ(size_of(*a.option(w.types.param)), 12u);
  }
  EXPECT_EQ(size_of(*world(WitVersion::V2).types.type_oid), 12u);
  EXPECT_EQ(size_of(*world(WitVersion::V1).types.type_oid), 1u);
  EXPECT_EQ(size_of(*world(WitVersion::V2).types.import_stmt), 36u);
}

// Every host function's core type is what the guests declare.
TEST_F(Cabi, CoreTypesOfTheImports) {
  auto core = [](WitVersion v, std::string_view iface, std::string_view name) {
    for (const auto &f : world(v).imports)
      if (f.interface == iface && f.name == name) return to_string(lowered_core_type(f.sig));
    return std::string("(missing)");
  };
  using V = WitVersion;
  EXPECT_EQ(core(V::V1, "types", "[method]row.push"), "(i32, i32, i32, i64, i32) -> ()");
  EXPECT_EQ(core(V::V1, "types", "[method]column.type-oid"), "(i32) -> i32");
  EXPECT_EQ(core(V::V2, "types", "[method]column.type-oid"), "(i32, i32) -> ()");
  EXPECT_EQ(core(V::V1, "types", "[method]context.get-options"), "(i32, i32) -> i32");
  EXPECT_EQ(core(V::V2, "types", "[method]context.get-options"), "(i32, i32, i32, i32) -> i32");
  EXPECT_EQ(core(V::V2, "types", "[constructor]options"), "(i32, i32, i32) -> i32");
  EXPECT_EQ(core(V::V1, "types", "[resource-drop]context"), "(i32) -> ()");
  EXPECT_EQ(core(V::V1, "http", "get"), "(i32, i32, i32, i32, i32, i32, i32, i32) -> ()");
  EXPECT_EQ(core(V::V1, "http", "error-for-status"),
            "(i32, i32, i32, i32, i32, i32, i32, i32) -> ()");
  EXPECT_EQ(core(V::V1, "jwt", "encode"), "(i32, i32, i32, i32, i32, i32, i32, i32) -> ()");
  EXPECT_EQ(core(V::V1, "stats", "inc-stats"), "(i32, i32, i32, i64) -> ()");
  EXPECT_EQ(core(V::V1, "stats", "set-metadata"), "(i32, i32, i32, i32, i32) -> ()");
  EXPECT_EQ(core(V::V1, "time", "epoch-secs"), "() -> i64");
  EXPECT_EQ(core(V::V1, "time", "sleep"), "(i64) -> ()");
  EXPECT_EQ(core(V::V1, "time", "epoch-ms-to-rfc3339"), "(i64, i32) -> ()");
  EXPECT_EQ(core(V::V1, "utils", "cell-to-string"), "(i32, i32, i64, i32, i32) -> ()");
  EXPECT_EQ(core(V::V2, "utils", "query-setting"), "(i32, i32, i32) -> ()");
  // Every function is there, in both versions: 7 constructors, 30 methods,
  // 7 drops, 6 http, 1 jwt, 3 stats, 5 time, 8 utils.
  EXPECT_EQ(world(V::V1).imports.size(), 67u);
  EXPECT_EQ(world(V::V2).imports.size(), 67u);
  EXPECT_EQ(world(V::V1).exports.size(), 11u);
  EXPECT_EQ(world(V::V2).exports.size(), 12u);
}

TEST_F(Cabi, CoreImportModuleNames) {
  auto m1 = parse_core_import_module("supabase:wrappers/http@0.1.0");
  ASSERT_TRUE(m1);
  EXPECT_EQ(m1->version, WitVersion::V1);
  EXPECT_EQ(m1->interface, "http");
  auto m2 = parse_core_import_module("cm32p2|supabase:wrappers/types@0.2");
  ASSERT_TRUE(m2);
  EXPECT_EQ(m2->version, WitVersion::V2);
  EXPECT_EQ(m2->interface, "types");
  EXPECT_FALSE(parse_core_import_module("supabase:wrappers/http@0.1"));  // short only with cm32p2
  EXPECT_FALSE(parse_core_import_module("supabase:wrappers/http@0.3.0"));
  EXPECT_FALSE(parse_core_import_module("supabase:wrappers/http"));
  EXPECT_FALSE(parse_core_import_module("wasi:http/types@0.2.0"));
}

// ---- imports and exports ----

// row.push(some(string "abc")) as the guest calls it: flat, the string in
// memory.
TEST_F(Cabi, ImportArgumentsLifted) {
  const World &w = world(WitVersion::V1);
  const ImportFn *push = nullptr;
  for (const auto &f : w.imports)
    if (f.name == "[method]row.push") push = &f;
  ASSERT_TRUE(push);
  m.put("abc", 100);
  EV args[] = {EV::make_i32(1), EV::make_i32(1), EV::make_i32(8), EV::make_i64(100),
               EV::make_i32(3)};
  LiftLowerContext cx(m);
  auto p = lift_import_args(cx, push->sig, args);
  ASSERT_EQ(p.size(), 2u);
  EXPECT_EQ(p[0].bits, 1u);
  expect_same(p[1], Value::some(Value::of_case(8, Value::str("abc"))));
  // The string's pointer rides in the i64 slot: its high bits are ignored.
  args[3] = EV::make_i64(int64_t{1} << 40 | 100);
  expect_same(lift_import_args(cx, push->sig, args)[1],
              Value::some(Value::of_case(8, Value::str("abc"))));
}

// A result stored at the guest's return area; one misaligned or outside
// memory is refused before the host allocates anything.
TEST_F(Cabi, ImportResultStoredAtTheReturnArea) {
  const World &w = world(WitVersion::V1);
  const Type *http_result = a.result(w.types.response, w.types.string);
  Signature sig{{w.types.request}, http_result};
  Value resp = Value::ok(
      Value::tuple({Value::str("http://h/x"), Value::u(200), list({}), Value::str("body")}));
  EV args[] = {EV::make_i32(0), EV::make_i32(0), EV::make_i32(0), EV::make_i32(0),
               EV::make_i32(0), EV::make_i32(0), EV::make_i32(0), EV::make_i32(512)};
  {
    LiftLowerContext cx(m);
    lower_import_result(cx, sig, &resp, args, {});
    expect_same(load(cx, *http_result, 512), resp);
  }
  int before = m.reallocs;
  args[7] = EV::make_i32(514);
  LiftLowerContext cx(m);
  EXPECT_EQ(error_of([&] { lower_import_result(cx, sig, &resp, args, {}); }),
            "the return area at address 514 is not aligned to 4 bytes");
  args[7] = EV::make_i32(65536 - 8);
  EXPECT_EQ(error_of([&] { lower_import_result(cx, sig, &resp, args, {}); }),
            "the return area of 32 bytes at address 65528 is outside the guest's memory (65536 "
            "bytes)");
  EXPECT_EQ(m.reallocs, before);
  // A function with a result that gives none is the host's bug, caught.
  EXPECT_EQ(error_of([&] { lower_import_result(cx, sig, nullptr, args, {}); }),
            "a function with a result returned none");
}

// An export's result read from the return area it gives.
TEST_F(Cabi, ExportResultLifted) {
  const World &w = world(WitVersion::V1);
  const ExportFn *iter = w.find_export("iter-scan");
  ASSERT_TRUE(iter);
  m.u8_at(200, 0);  // ok
  m.u8_at(204, 1);  // some
  m.u32_at(208, 0);
  LiftLowerContext cx(m);
  EV ret[] = {EV::make_i32(200)};
  expect_same(*lift_export_result(cx, iter->sig, ret), Value::ok(Value::some(Value::u(0))));
  m.u8_at(200, 1);  // error("fail")
  m.u32_at(204, m.put("fail", 300));
  m.u32_at(208, 4);
  expect_same(*lift_export_result(cx, iter->sig, ret), Value::error(Value::str("fail")));
  ret[0] = EV::make_i32(202);
  EXPECT_EQ(error_of([&] { lift_export_result(cx, iter->sig, ret); }),
            "a value at address 202 is not aligned to 4 bytes");
  ret[0] = EV::make_i32(200);
  m.u8_at(200, 2);
  EXPECT_EQ(error_of([&] { lift_export_result(cx, iter->sig, ret); }),
            "case 2 of a variant of 2 cases");
  // host-version-requirement: a string returned through memory.
  const ExportFn *hvr = w.find_export("host-version-requirement");
  m.u32_at(400, m.put("^0.1.0", 420));
  m.u32_at(404, 6);
  ret[0] = EV::make_i32(400);
  expect_same(*lift_export_result(cx, hvr->sig, ret), Value::str("^0.1.0"));
  m.u32_at(400, 65534);
  EXPECT_EQ(error_of([&] { lift_export_result(cx, hvr->sig, ret); }),
            "a string of 6 bytes at address 65534 is outside the guest's memory (65536 bytes)");
}

// update(ctx, rowid: cell, row) flat: 5 core values; the stmt of
// import-foreign-schema as its strings allocated in the guest.
TEST_F(Cabi, ExportArgumentsLowered) {
  const World &w = world(WitVersion::V2);
  LiftLowerContext cx(m);
  auto flat = lower_export_args(cx, w.find_export("update")->sig,
                                {Value::u(1), Value::of_case(8, Value::str("u1")), Value::u(2)});
  ASSERT_EQ(flat.size(), 5u);
  EXPECT_EQ(to_string(lifted_core_type(w.find_export("update")->sig)),
            "(i32, i32, i64, i32, i32) -> i32");
  EXPECT_EQ(flat[1].bits.i32, 8u);
  EXPECT_EQ(std::string(reinterpret_cast<char *>(m.mem.data() + flat[2].bits.i64), 2), "u1");
  EXPECT_EQ(flat[3].bits.i32, 2u);
  Value stmt = Value::tuple(
      {Value::str("s"), Value::str("r"), Value::str("l"), Value::of_case(0), list({})});
  flat = lower_export_args(cx, w.find_export("import-foreign-schema")->sig, {Value::u(1), stmt});
  EXPECT_EQ(flat.size(), 10u);
  EXPECT_EQ(error_of([&] { lower_export_args(cx, w.find_export("init")->sig, {}); }),
            "the wrong number of arguments");
}

// More than 16 flat parameters go through memory, both ways.
TEST_F(Cabi, ManyParametersGoThroughMemory) {
  const Type *str = a.prim(Kind::String);
  Signature sig{std::vector<const Type *>(9, str), nullptr};
  EXPECT_EQ(to_string(lowered_core_type(sig)), "(i32) -> ()");
  EXPECT_EQ(to_string(lifted_core_type(sig)), "(i32) -> ()");
  std::vector<Value> args;
  for (int i = 0; i < 9; i++) args.push_back(Value::str("arg" + std::to_string(i)));
  LiftLowerContext cx(m);
  auto flat = lower_export_args(cx, sig, args);
  ASSERT_EQ(flat.size(), 1u);
  auto back = lift_import_args(cx, sig, flat);
  ASSERT_EQ(back.size(), 9u);
  for (int i = 0; i < 9; i++) expect_same(back[i], args[i]);
  // Two results' worth: the export returns where it put them.
  Signature two{{}, a.tuple({a.prim(Kind::U32), a.prim(Kind::U32)})};
  EXPECT_EQ(to_string(lifted_core_type(two)), "() -> i32");
  EXPECT_EQ(to_string(lowered_core_type(two)), "(i32) -> ()");
}

// ---- bounds, alignment, contents ----

TEST_F(Cabi, RangesAreChecked) {
  LiftLowerContext cx(m);
  EXPECT_NO_THROW(cx.range(65536 - 4, 4, 4, "x"));
  EXPECT_NO_THROW(cx.range(65536, 0, 1, "x"));
  EXPECT_EQ(error_of([&] { cx.range(65536 - 3, 4, 1, "a string"); }),
            "a string of 4 bytes at address 65533 is outside the guest's memory (65536 bytes)");
  EXPECT_EQ(error_of([&] { cx.range(65537, 0, 1, "a string"); }),
            "a string of 0 bytes at address 65537 is outside the guest's memory (65536 bytes)");
  // ptr + len wraps 32 bits: still outside.
  EXPECT_EQ(error_of([&] { cx.range(0xFFFFFFF0u, 0x20, 1, "a list"); }),
            "a list of 32 bytes at address 4294967280 is outside the guest's memory (65536 bytes)");
  EXPECT_EQ(error_of([&] { cx.range(6, 8, 8, "a value"); }),
            "a value at address 6 is not aligned to 8 bytes");
}

TEST_F(Cabi, StringsMustBeInsideMemoryAndUtf8) {
  const Type *str = a.prim(Kind::String);
  LiftLowerContext cx(m);
  EV flat[] = {EV::make_i32(65530), EV::make_i32(10)};
  EXPECT_EQ(error_of([&] { lift_flat(cx, *str, flat); }),
            "a string of 10 bytes at address 65530 is outside the guest's memory (65536 bytes)");
  flat[0] = EV::make_i32(-1);  // 0xFFFFFFFF: wraps
  flat[1] = EV::make_i32(2);
  EXPECT_NE(error_of([&] { lift_flat(cx, *str, flat); }).find("outside the guest's memory"),
            std::string::npos);
  for (std::string bad :
       {"\xFF", "\xC0\x80", "\xE0\x80\x80", "\xED\xA0\x80", "\xF4\x90\x80\x80", "ab\xC3", "\x80"}) {
    m.put(bad, 3000);
    EV f[] = {EV::make_i32(3000), EV::make_i32(static_cast<int32_t>(bad.size()))};
    EXPECT_EQ(error_of([&] { lift_flat(cx, *str, f); }),
              "the string at address 3000 is not valid UTF-8");
  }
  EXPECT_TRUE(toolkit::utf8_valid("\xF4\x8F\xBF\xBF"));
  EXPECT_TRUE(toolkit::utf8_valid("\xEF\xBF\xBD"));
}

TEST(Utf8Text, CodePointsRoundTripAndOnlyOneCharacterIsOne) {
  for (uint32_t cp : {0x41u, 0x7Fu, 0x80u, 0xE9u, 0x7FFu, 0x800u, 0x20ACu, 0xFFFDu, 0x10000u,
                      0x1F600u, 0x10FFFFu}) {
    std::string s;
    toolkit::append_utf8(s, cp);
    EXPECT_TRUE(toolkit::utf8_valid(s)) << cp;
    EXPECT_EQ(toolkit::single_code_point(s), cp);
  }
  for (std::string_view not_one : {"", "ab", "\xC3", "\xC3\xA9x", "\xED\xA0\x80", "\xFF"})
    EXPECT_EQ(toolkit::single_code_point(not_one), std::nullopt) << not_one;
}

TEST(JsonText, StringsAreQuotedAndEscaped) {
  std::string out;
  // Eleven bytes: the last is the literal's zero byte, which JSON escapes too.
  toolkit::append_json_string(out, std::string_view("a\"b\\c\n\x01\x1f\xC3\xA9", 11));
  EXPECT_EQ(out, "\"a\\\"b\\\\c\\u000a\\u0001\\u001f\xC3\xA9\\u0000\"");
}

TEST_F(Cabi, CharsDiscriminantsAndListsAreChecked) {
  LiftLowerContext cx(m);
  EV c[] = {EV::make_i32(0xD800)};
  EXPECT_EQ(error_of([&] { lift_flat(cx, *a.prim(Kind::Char), c); }),
            "char 55296 is not a Unicode scalar value");
  c[0] = EV::make_i32(0x110000);
  EXPECT_EQ(error_of([&] { lift_flat(cx, *a.prim(Kind::Char), c); }),
            "char 1114112 is not a Unicode scalar value");
  const World &w = world(WitVersion::V1);
  EV cell[] = {EV::make_i32(13), EV::make_i64(0), EV::make_i32(0)};
  EXPECT_EQ(error_of([&] { lift_flat(cx, *w.types.cell, cell); }),
            "case 13 of a variant of 13 cases");
  m.u8_at(1000, 200);
  EXPECT_EQ(error_of([&] { load(cx, *w.types.cell, 1000); }), "case 200 of a variant of 13 cases");
  EXPECT_EQ(error_of([&] { load(cx, *w.types.cell, 1004); }),
            "a value at address 1004 is not aligned to 8 bytes");
  // A list's elements must be aligned and inside memory.
  const Type *cells = a.list(w.types.cell);
  EV l[] = {EV::make_i32(1004), EV::make_i32(1)};
  EXPECT_EQ(error_of([&] { lift_flat(cx, *cells, l); }),
            "a list at address 1004 is not aligned to 8 bytes");
  l[0] = EV::make_i32(65536 - 16);
  l[1] = EV::make_i32(2);
  EXPECT_EQ(error_of([&] { lift_flat(cx, *cells, l); }),
            "a list of 32 bytes at address 65520 is outside the guest's memory (65536 bytes)");
  // An element inside a list that points outside memory.
  const Type *strs = a.list(a.prim(Kind::String));
  m.u32_at(2000, 65000);
  m.u32_at(2004, 1000);
  l[0] = EV::make_i32(2000);
  l[1] = EV::make_i32(1);
  EXPECT_EQ(error_of([&] { lift_flat(cx, *strs, l); }),
            "a string of 1000 bytes at address 65000 is outside the guest's memory (65536 bytes)");
  // Fewer core values than the type needs (a host bug) is caught too.
  EV one[] = {EV::make_i32(0)};
  EXPECT_EQ(error_of([&] { lift_flat(cx, *strs, one); }),
            "fewer core values than the type flattens to");
}

// ---- enums and flags ----

// An enum lies like a variant without payloads: its discriminant's size,
// one flat i32; its value is the case index. Flags take 1, 2 or 4 bytes by
// their label count and flatten to one i32 (nothing for no labels).
TEST_F(Cabi, EnumAndFlagsLayouts) {
  std::vector<std::string> labels;
  auto enumeration = [&](size_t n) {
    labels.clear();
    for (size_t i = 0; i < n; i++) labels.push_back("c" + std::to_string(i));
    return a.enumeration(labels);
  };
  auto flags = [&](size_t n) {
    labels.clear();
    for (size_t i = 0; i < n; i++) labels.push_back("f" + std::to_string(i));
    return a.flags(labels);
  };
  const Type *e3 = enumeration(3);
  EXPECT_EQ(e3->kind, Kind::Enum);
  EXPECT_EQ(case_count(*e3), 3u);
  EXPECT_EQ(case_payload(*e3, 2), nullptr);
  EXPECT_EQ(size_of(*e3), 1u);
  EXPECT_EQ(alignment(*e3), 1u);
  EXPECT_EQ(flatten(*e3), std::vector<ValType>{ValType::I32});
  EXPECT_EQ(size_of(*enumeration(256)), 1u);
  EXPECT_EQ(size_of(*enumeration(257)), 2u);
  EXPECT_EQ(alignment(*enumeration(257)), 2u);
  struct {
    size_t labels;
    uint32_t size;
  } flag_sizes[] = {{1, 1}, {8, 1}, {9, 2}, {16, 2}, {17, 4}, {32, 4}};
  for (auto [n, size] : flag_sizes) {
    const Type *f = flags(n);
    EXPECT_EQ(f->kind, Kind::Flags);
    EXPECT_EQ(size_of(*f), size) << n << " labels";
    EXPECT_EQ(alignment(*f), size) << n << " labels";
    EXPECT_EQ(flatten(*f), std::vector<ValType>{ValType::I32}) << n << " labels";
  }
  const Type *none = flags(0);
  EXPECT_EQ(size_of(*none), 0u);
  EXPECT_EQ(alignment(*none), 1u);
  EXPECT_TRUE(flatten(*none).empty());
  // In a record, flags sit at their own alignment.
  const Type *rec = a.record({{"a", a.prim(Kind::U8)}, {"f", flags(9)}, {"e", e3}});
  EXPECT_EQ(size_of(*rec), 6u);
  Signature sig{{flags(0), flags(32), e3}, flags(12)};
  EXPECT_EQ(to_string(lifted_core_type(sig)), "(i32, i32) -> i32");
}

TEST_F(Cabi, EnumAndFlagsRoundTrip) {
  round_trip(*a.enumeration({"red", "green", "blue"}), Value::of_case(2), "enum");
  round_trip(*a.flags({"read", "write", "exec"}), Value::u(0b101), "flags<3>");
  round_trip(*a.flags({"read", "write", "exec"}), Value::u(0), "no flags set");
  std::vector<std::string> many;
  for (int i = 0; i < 32; i++) many.push_back("f" + std::to_string(i));
  round_trip(*a.flags(many), Value::u(0x80000001u), "flags<32>");
  many.resize(12);
  round_trip(*a.flags(many), Value::u(0x0801), "flags<12>");
  round_trip(*a.flags({}), Value::u(0), "flags<0>");
  round_trip(*a.option(a.flags({"a", "b"})), Value::some(Value::u(3)), "option<flags>");
  round_trip(*a.result(a.enumeration({"x", "y"}), a.flags({"p"})), Value::error(Value::u(1)),
             "result<enum, flags>");
  round_trip(*a.list(a.enumeration({"x", "y"})), list({Value::of_case(1), Value::of_case(0)}),
             "list<enum>");
}

// From the guest, a flags value with a bit beyond its labels and an enum
// case out of range are CabiErrors, flat and in memory; the host's own
// values are checked the same way before they are lowered.
TEST_F(Cabi, EnumAndFlagsAreChecked) {
  const Type *f3 = a.flags({"read", "write", "exec"});
  const Type *e3 = a.enumeration({"red", "green", "blue"});
  LiftLowerContext cx(m);
  EV eight[] = {EV::make_i32(8)};
  EXPECT_EQ(error_of([&] { lift_flat(cx, *f3, eight); }),
            "flags value 8 sets bits beyond its 3 labels");
  EV three[] = {EV::make_i32(3)};
  EXPECT_EQ(error_of([&] { lift_flat(cx, *e3, three); }), "case 3 of a variant of 3 cases");
  m.u8_at(200, 0x10);
  EXPECT_EQ(error_of([&] { load(cx, *f3, 200); }), "flags value 16 sets bits beyond its 3 labels");
  EXPECT_EQ(error_of([&] { load(cx, *e3, 200); }), "case 16 of a variant of 3 cases");
  std::vector<std::string> many;
  for (int i = 0; i < 20; i++) many.push_back("f" + std::to_string(i));
  m.u32_at(204, 1u << 20);
  EXPECT_EQ(error_of([&] { load(cx, *a.flags(many), 204); }),
            "flags value 1048576 sets bits beyond its 20 labels");
  m.u32_at(204, 1u << 19);
  EXPECT_EQ(load(cx, *a.flags(many), 204).bits, 1u << 19);
  EXPECT_EQ(error_of([&] { lower_flat(cx, *f3, Value::u(8)); }),
            "flags value 8 sets bits beyond its 3 labels");
  EXPECT_EQ(error_of([&] { store(cx, *f3, Value::u(8), 300); }),
            "flags value 8 sets bits beyond its 3 labels");
  EXPECT_EQ(error_of([&] { store(cx, *e3, Value::of_case(3), 300); }),
            "case 3 of a variant of 3 cases");
  EXPECT_EQ(error_of([&] { lower_flat(cx, *a.flags({}), Value::u(1)); }),
            "flags value 1 sets bits beyond its 0 labels");
}

// A named type is the same type under its WIT name.
TEST_F(Cabi, NamedTypes) {
  const Type *e = a.enumeration({"red", "green"});
  const Type *color = a.named(e, "color");
  EXPECT_EQ(color->name, "color");
  EXPECT_EQ(color->kind, Kind::Enum);
  EXPECT_EQ(color->names, e->names);
  EXPECT_TRUE(e->name.empty());
  EXPECT_EQ(size_of(*color), size_of(*e));
}

// ---- the budget ----

TEST_F(Cabi, TheBudgetBoundsWhatAGuestMakesTheHostCopy) {
  m.put(std::string(100, 'x'), 3000);
  EV s[] = {EV::make_i32(3000), EV::make_i32(100)};
  {
    LiftLowerContext small(m, 64);
    EXPECT_EQ(error_of([&] { lift_flat(small, *a.prim(Kind::String), s); }),
              "a string is larger than the host copies for one call");
  }
  LiftLowerContext cx(m, 1000);
  EXPECT_NO_THROW(lift_flat(cx, *a.prim(Kind::String), s));
  // The budget is spent across the values of one call.
  for (int i = 0; i < 9; i++) lift_flat(cx, *a.prim(Kind::String), s);
  EXPECT_EQ(error_of([&] { lift_flat(cx, *a.prim(Kind::String), s); }),
            "a string is larger than the host copies for one call");
  // A list of empty tuples takes no memory but costs the host a value per
  // element: 2^32 - 1 of them are refused before any is made.
  LiftLowerContext big(m);
  EV l[] = {EV::make_i32(0), EV::make_i32(-1)};
  EXPECT_EQ(error_of([&] { lift_flat(big, *a.list(a.tuple({})), l); }),
            "a list is larger than the host copies for one call");
  // A huge list length is the budget's error, not an allocation.
  EV l2[] = {EV::make_i32(8), EV::make_i32(0x10000000)};
  EXPECT_EQ(error_of([&] { lift_flat(big, *a.list(world(WitVersion::V1).types.cell), l2); }),
            "a list is larger than the host copies for one call");
  // Each element is charged what the host makes of it (a Value), not just
  // its bytes in the guest: 100 bytes as a list<u8> cost 100 Values.
  EV bytes100[] = {EV::make_i32(3000), EV::make_i32(100)};
  LiftLowerContext enough(m, 100 * sizeof(Value));
  EXPECT_EQ(lift_flat(enough, *a.list(a.prim(Kind::U8)), bytes100).items.size(), 100u);
  LiftLowerContext short_of(m, 100 * sizeof(Value) - 1);
  EXPECT_EQ(error_of([&] { lift_flat(short_of, *a.list(a.prim(Kind::U8)), bytes100); }),
            "a list is larger than the host copies for one call");
  // What the host allocates in the guest is budgeted too.
  LiftLowerContext tiny(m, 10);
  EXPECT_EQ(
      error_of([&] { lower_flat(tiny, *a.prim(Kind::String), Value::str(std::string(11, 'y'))); }),
      "a string is larger than the host copies for one call");
  // The budget's errors are a limit (the SQL call reports 54000), a bad
  // pointer a broken ABI.
  EXPECT_THROW(lower_flat(tiny, *a.prim(Kind::String), Value::str(std::string(11, 'y'))),
               CabiLimitError);
  EV outside[] = {EV::make_i32(-8), EV::make_i32(4)};
  try {
    lift_flat(big, *a.prim(Kind::String), outside);
    ADD_FAILURE() << "a string outside memory was lifted";
  } catch (const CabiLimitError &) {
    ADD_FAILURE() << "a string outside memory is no limit";
  } catch (const CabiError &) {
  }
}

// ---- realloc ----

TEST_F(Cabi, ReallocResultsAreChecked) {
  const Type *str = a.prim(Kind::String);
  LiftLowerContext cx(m);
  m.garbage = 65536;
  EXPECT_EQ(error_of([&] { lower_flat(cx, *str, Value::str("hello")); }),
            "cabi_realloc(0, 0, 1, 5) for a string returned 65536: the block of 5 bytes at "
            "address 65536 is outside the guest's memory (65536 bytes)");
  m.garbage = 0xFFFFFFFE;
  EXPECT_NE(
      error_of([&] { lower_flat(cx, *str, Value::str("hello")); }).find("returned 4294967294: "),
      std::string::npos);
  m.garbage = 1026;
  EXPECT_EQ(error_of([&] {
              lower_flat(cx, *a.list(world(WitVersion::V1).types.cell),
                         list({Value::of_case(0, Value::u(1))}));
            }),
            "cabi_realloc(0, 0, 8, 16) for a list returned 1026: the block at address 1026 is "
            "not aligned to 8 bytes");
  // Nothing to allocate, no call: an empty string needs no block.
  int before = m.reallocs;
  EXPECT_NO_THROW(lower_flat(cx, *str, Value::str("")));
  EXPECT_EQ(m.reallocs, before);
  m.garbage.reset();
  m.has_realloc = false;
  EXPECT_EQ(error_of([&] { lower_flat(cx, *str, Value::str("x")); }), "no realloc");
}

// ---- handles ----

TEST(Handles, GivenOutUsedAndDropped) {
  HandleTable t;
  uint32_t a = t.add(Resource::Options, 5, true);
  uint32_t b = t.add(Resource::Qual, 7, true);
  EXPECT_EQ(a, 1u);
  EXPECT_EQ(b, 2u);
  EXPECT_EQ(t.rep(a, Resource::Options), 5u);
  EXPECT_EQ(t.rep(b, Resource::Qual), 7u);
  EXPECT_EQ(error_of([&] { t.rep(0, Resource::Options); }),
            "resource handle 0 (options) was never given to the guest, or was dropped already");
  EXPECT_EQ(error_of([&] { t.rep(3, Resource::Row); }),
            "resource handle 3 (row) was never given to the guest, or was dropped already");
  EXPECT_EQ(error_of([&] { t.rep(a, Resource::Qual); }),
            "resource handle 1 (options) is not a qual");
  t.drop(a, Resource::Options);
  EXPECT_EQ(error_of([&] { t.rep(a, Resource::Options); }),
            "resource handle 1 (options) was never given to the guest, or was dropped already");
  EXPECT_EQ(error_of([&] { t.drop(a, Resource::Options); }),
            "resource handle 1 (options) was never given to the guest, or was dropped already");
  EXPECT_EQ(error_of([&] { t.drop(b, Resource::Sort); }), "resource handle 2 (qual) is not a sort");
  // A freed slot is given out again, under a new handle: the old one
  // stays invalid.
  uint32_t c = t.add(Resource::Limit, 0, true);
  EXPECT_EQ(c, 1u | 1u << 20);
  EXPECT_EQ(error_of([&] { t.rep(a, Resource::Limit); }),
            "resource handle 1 (limit) was never given to the guest, or was dropped already");
  EXPECT_EQ(t.rep(c, Resource::Limit), 0u);
}

// A call's borrows: usable and droppable during the call, gone after it;
// owned handles outlive it.
TEST(Handles, BorrowsEndWithTheirCall) {
  HandleTable t;
  uint32_t ctx = t.add(Resource::Context, 0, false, 1);
  uint32_t row = t.add(Resource::Row, 0, false, 1);
  uint32_t opts = t.add(Resource::Options, 1, true);
  EXPECT_NO_THROW(t.drop(row, Resource::Row));  // a guest may drop a borrow
  EXPECT_EQ(t.rep(ctx, Resource::Context), 0u);
  // The context was not dropped: end_scope says so (the host's error).
  EXPECT_EQ(t.end_scope(1), std::optional<uint32_t>(static_cast<uint32_t>(Resource::Context)));
  EXPECT_EQ(error_of([&] { t.rep(ctx, Resource::Context); }),
            "resource handle 1 (context) was never given to the guest, or was dropped already");
  EXPECT_EQ(t.rep(opts, Resource::Options), 1u);
  // Another call's scope leaves this one's borrows alone.
  uint32_t ctx2 = t.add(Resource::Context, 0, false, 2);
  EXPECT_EQ(t.end_scope(3), std::nullopt);
  EXPECT_EQ(t.rep(ctx2, Resource::Context), 0u);
  // A row handle kept from a call is not the next call's row, though the
  // slot is the same.
  uint32_t row2 = t.add(Resource::Row, 0, false, 2);
  t.drop(ctx2, Resource::Context);
  t.drop(row2, Resource::Row);
  EXPECT_EQ(t.end_scope(2), std::nullopt);
  uint32_t row3 = t.add(Resource::Row, 0, false, 4);
  EXPECT_EQ(row3 & HandleTable::kIndexMask, row2 & HandleTable::kIndexMask);
  EXPECT_NE(row3, row2);
  EXPECT_NE(error_of([&] { t.rep(row2, Resource::Row); }).find("was never given"),
            std::string::npos);
}

TEST(Handles, AGuestThatNeverDropsRunsIntoTheLimit) {
  HandleTable t;
  for (size_t i = 0; i < HandleTable::kMaxHandles; i++) t.add(Resource::Column, 0, true);
  EXPECT_EQ(error_of([&] { t.add(Resource::Column, 0, true); }),
            "the guest holds 100000 resource handles, the most it may: it does not drop them");
  t.drop(17, Resource::Column);
  EXPECT_EQ(t.add(Resource::Column, 0, true), 17u | 1u << 20);
}

}  // namespace
}  // namespace pgwasm::component
