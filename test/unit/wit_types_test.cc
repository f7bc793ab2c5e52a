// The WIT types of a component's exported functions (component/wit_types.h)
// and their text (component/wit_text.h): every export of the fixture
// sql_types, built from test/components/wit/sql-types.wit by jco's
// wasm-tools, checked against its WIT and against the core functions the
// guest lifts; types reached through instance types, imports, exports and
// outer aliases (wit_scopes, written by hand); the bounds on depth and
// size; resources refused.
#include <gtest/gtest.h>

#include <map>

#include "component/errors.h"
#include "component/package.h"
#include "component/read.h"
#include "component/wit_text.h"
#include "component/wit_types.h"
#include "toolkit/binary.h"
#include "toolkit/text.h"
#include "component_fixtures.h"

using namespace pgwasm;
using namespace pgwasm::component;

namespace {

// A component's functions, by full name, with what they were resolved from.
struct Resolved {
  std::vector<uint8_t> bytes;
  Component component;
  Package package;
  TypeArena arena;
  std::vector<WitFunction> functions;
  std::map<std::string, const WitFunction *> by_name;

  explicit Resolved(std::vector<uint8_t> b)
      : bytes(std::move(b)),
        component(read_component(bytes)),
        package(describe_package(component)) {
    functions = wit_functions(component, package, arena);
    for (const WitFunction &f : functions) by_name[f.full_name()] = &f;
  }
  const WitFunction &operator[](const std::string &name) const {
    auto it = by_name.find(name);
    if (it == by_name.end()) throw std::runtime_error("no function " + name);
    return *it->second;
  }
  // The core type of the function the guest lifts for f.
  std::string core_type(const WitFunction &f) const {
    const CoreModule &m = component.core_modules.at(*package.main_module);
    ModuleInfo info = toolkit::read_module(m.bytes);
    const ExportDesc *e = info.find_export(package.exports[f.export_index].core_name);
    if (!e) return "(no core export)";
    return to_string(std::get<pgwasm::FuncType>(e->type));
  }
};

// Each export of sql-types.wit as WIT writes it.
const std::vector<std::pair<std::string, std::string>> kSqlTypes = {
    {"not", "func(b: bool) -> bool"},
    {"add-s8", "func(a: s8, b: s8) -> s8"},
    {"add-u8", "func(a: u8, b: u8) -> u8"},
    {"add-s16", "func(a: s16, b: s16) -> s16"},
    {"add-u16", "func(a: u16, b: u16) -> u16"},
    {"add-s32", "func(a: s32, b: s32) -> s32"},
    {"add-u32", "func(a: u32, b: u32) -> u32"},
    {"add-s64", "func(a: s64, b: s64) -> s64"},
    {"add-u64", "func(a: u64, b: u64) -> u64"},
    {"echo-s8", "func(x: s8) -> s8"},
    {"echo-u8", "func(x: u8) -> u8"},
    {"echo-s16", "func(x: s16) -> s16"},
    {"echo-u16", "func(x: u16) -> u16"},
    {"echo-s32", "func(x: s32) -> s32"},
    {"echo-u32", "func(x: u32) -> u32"},
    {"echo-s64", "func(x: s64) -> s64"},
    {"echo-u64", "func(x: u64) -> u64"},
    {"echo-f32", "func(x: f32) -> f32"},
    {"echo-f64", "func(x: f64) -> f64"},
    {"half-f32", "func(x: f32) -> f32"},
    {"half-f64", "func(x: f64) -> f64"},
    {"next-char", "func(c: char) -> char"},
    {"bad-char", "func(c: char) -> char"},
    {"slugify", "func(s: string) -> string"},
    {"repeat", "func(s: string, n: u32) -> string"},
    {"length", "func(s: string) -> u32"},
    {"reverse-bytes", "func(b: list<u8>) -> list<u8>"},
    {"maybe-double", "func(x: option<s32>) -> option<s32>"},
    {"checked-div", "func(a: s32, b: s32) -> result<s32, string>"},
    {"parse-port", "func(s: string) -> result<u16, error-code>"},
    {"consume", "func(b: own<blob>)"},
    {"pgwasm:test/text@1.0.0#slugify", "func(s: string) -> string"},
    {"pgwasm:test/text@1.0.0#shout", "func(s: string) -> string"},
    {"pgwasm:test/other@1.0.0#shout", "func(s: string) -> string"},
};

}  // namespace

// Every function of the fixture, in the package's order, typed as its WIT
// says, and flattening to the core type the guest's function has: the
// resolution and the canonical ABI's layout agree with wit-component's.
TEST(WitTypes, EveryExportOfSqlTypes) {
  LOAD(bytes, "sql_types.wasm");
  Resolved r(std::move(bytes));
  ASSERT_EQ(r.functions.size(), kSqlTypes.size());
  for (size_t i = 0; i < kSqlTypes.size(); i++) {
    const WitFunction &f = r.functions[i];
    EXPECT_EQ(f.full_name(), kSqlTypes[i].first);
    EXPECT_EQ(wit_text(f), kSqlTypes[i].second) << f.full_name();
    EXPECT_EQ(f.export_index, i);
    EXPECT_EQ(to_string(lifted_core_type(f.sig)), r.core_type(f)) << f.full_name();
    EXPECT_EQ(f.refusal.has_value(), f.name == "consume") << f.full_name();
  }
  const WitFunction &repeat = r["repeat"];
  EXPECT_EQ(repeat.interface, "");
  EXPECT_EQ(repeat.param_names, (std::vector<std::string>{"s", "n"}));
  ASSERT_EQ(repeat.sig.params.size(), 2u);
  EXPECT_EQ(repeat.sig.params[1]->kind, Kind::U32);
  const WitFunction &shout = r["pgwasm:test/other@1.0.0#shout"];
  EXPECT_EQ(shout.interface, "pgwasm:test/other@1.0.0");
  EXPECT_EQ(shout.name, "shout");
  EXPECT_EQ(to_string(lifted_core_type(shout.sig)), "(i32, i32) -> i32");
  EXPECT_EQ(r["add-u64"].sig.result->kind, Kind::U64);
  EXPECT_EQ(r["not"].sig.params[0]->kind, Kind::Bool);
}

// The world's enum is imported by its name: the type says it.
TEST(WitTypes, NamedEnumOfTheWorld) {
  LOAD(bytes, "sql_types.wasm");
  Resolved r(std::move(bytes));
  const Type *result = r["parse-port"].sig.result;
  ASSERT_EQ(result->kind, Kind::Result);
  EXPECT_EQ(result->items[0]->kind, Kind::U16);
  const Type *code = result->items[1];
  EXPECT_EQ(code->kind, Kind::Enum);
  EXPECT_EQ(code->name, "error-code");
  EXPECT_EQ(code->names, (std::vector<std::string>{"empty", "not-a-number", "out-of-range"}));
  EXPECT_EQ(wit_definition(*code), "enum error-code { empty, not-a-number, out-of-range }");
  EXPECT_EQ(size_of(*result), 4u);
}

// A function with a resource cannot be a SQL function: it says why, naming
// the parameter and its type, and is still listed.
TEST(WitTypes, ResourcesAreRefused) {
  LOAD(bytes, "sql_types.wasm");
  Resolved r(std::move(bytes));
  const WitFunction &consume = r["consume"];
  ASSERT_TRUE(consume.refusal);
  EXPECT_EQ(*consume.refusal,
            "parameter 1 (b) has type own<blob>: resources stay inside the component");
  EXPECT_EQ(consume.sig.params[0]->kind, Kind::Own);
}

// The hostile fixture's functions are ordinary to resolve: what is wrong
// with them shows only when they are called.
TEST(WitTypes, SqlHostileResolves) {
  LOAD(bytes, "sql_hostile.wasm");
  Resolved r(std::move(bytes));
  ASSERT_EQ(r.functions.size(), 17u);
  for (const WitFunction &f : r.functions) {
    EXPECT_EQ(to_string(lifted_core_type(f.sig)), r.core_type(f)) << f.full_name();
    EXPECT_FALSE(f.refusal) << f.full_name();
  }
  EXPECT_EQ(wit_text(r["bad-flags"]), "func() -> perms");
  EXPECT_EQ(wit_definition(*r["bad-flags"].sig.result), "flags perms { read, write, exec }");
  EXPECT_EQ(wit_definition(*r["bad-enum"].sig.result), "enum color { red, green, blue }");
  EXPECT_EQ(wit_text(r["realloc-unaligned"]), "func(x: list<u32>) -> u32");
}

// Types from an imported instance's type and from an instance nested in
// it, named by the exports that declare them; a world type named by the
// import that bounds it and by an export; an anonymous record; an
// interface's type behind an outer alias from a nested component.
TEST(WitTypes, TypesThroughNestedScopes) {
  LOAD(bytes, "wit_scopes.wasm");
  Resolved r(std::move(bytes));
  ASSERT_EQ(r.functions.size(), 4u);
  const WitFunction &paint = r["paint"];
  EXPECT_EQ(wit_text(paint), "func(p: point, c: color) -> perms");
  EXPECT_EQ(wit_definition(*paint.sig.params[0]), "record point { x: s32, y: s32 }");
  EXPECT_EQ(wit_definition(*paint.sig.params[1]), "enum color { red, green, blue }");
  EXPECT_EQ(wit_definition(*paint.sig.result), "flags perms { read, write, exec }");
  const WitFunction &weigh = r["weigh"];
  EXPECT_EQ(wit_text(weigh), "func(b: bag) -> u32");
  EXPECT_EQ(wit_definition(*weigh.sig.params[0]), "record bag { p: point, c: color, f: perms }");
  const WitFunction &pair = r["pair-up"];
  EXPECT_EQ(wit_text(pair), "func(n: u8, s: string) -> record { a: u8, b: string }");
  EXPECT_EQ(pair.sig.result->name, "");
  const WitFunction &area = r["my:geo/shapes@1.0.0#area"];
  EXPECT_EQ(wit_text(area), "func(s: shape) -> f64");
  EXPECT_EQ(wit_definition(*area.sig.params[0]), "variant shape { circle(f64), none }");
  for (const WitFunction &f : r.functions) {
    EXPECT_EQ(to_string(lifted_core_type(f.sig)), r.core_type(f)) << f.full_name();
    EXPECT_FALSE(f.refusal) << f.full_name();
  }
}

// A package stays valid for its component when the component is moved
// (hosts keep both in one object): the functions resolve the same.
TEST(WitTypes, ComponentMovedAfterDescribe) {
  LOAD(bytes, "wit_scopes.wasm");
  Component first = read_component(bytes);
  Package p = describe_package(first);
  Component moved = std::move(first);
  TypeArena arena;
  std::vector<WitFunction> fs = wit_functions(moved, p, arena);
  ASSERT_EQ(fs.size(), 4u);
  EXPECT_EQ(wit_text(fs[0]), "func(p: point, c: color) -> perms");
  EXPECT_EQ(wit_text(fs[3]), "func(s: shape) -> f64");
}

// WIT's text: keywords escaped, results of every shape, handles.
TEST(WitText, Types) {
  TypeArena a;
  const Type *s = a.prim(Kind::String);
  EXPECT_EQ(wit_text(*a.list(a.option(s))), "list<option<string>>");
  EXPECT_EQ(wit_text(*a.tuple({a.prim(Kind::U8), s})), "tuple<u8, string>");
  EXPECT_EQ(wit_text(*a.result(nullptr, nullptr)), "result");
  EXPECT_EQ(wit_text(*a.result(s, nullptr)), "result<string>");
  EXPECT_EQ(wit_text(*a.result(nullptr, s)), "result<_, string>");
  EXPECT_EQ(wit_text(*a.result(s, s)), "result<string, string>");
  EXPECT_EQ(wit_text(*a.own(0)), "own<resource>");
  EXPECT_EQ(wit_text(*a.named(a.borrow(0), "blob")), "borrow<blob>");
  const Type *v = a.named(a.variant({{"string", s}, {"none", nullptr}}), "cell");
  EXPECT_EQ(wit_text(*v), "cell");
  EXPECT_EQ(wit_definition(*v), "variant cell { %string(string), none }");
  EXPECT_EQ(wit_definition(*a.record({{"type", s}})), "record { %type: string }");
  EXPECT_EQ(wit_definition(*a.named(a.flags({}), "nothing")), "flags nothing {}");
  WitFunction f;
  f.param_names = {"list"};
  f.sig.params = {a.list(a.prim(Kind::Char))};
  EXPECT_EQ(wit_text(f), "func(%list: list<char>)");
}

// ---- components made by hand: bounds ----

namespace {

// A component whose type section holds `types` (each a deftype, index i
// for the i-th) and then `func(p: <param>)`, lifting core "f" (i32) with
// that type and exporting it as "f".
std::vector<uint8_t> exporting(const std::vector<Bytes> &types, uint32_t param) {
  std::vector<uint8_t> core = toolkit::assemble_wat(R"((module
    (memory (export "memory") 1)
    (func (export "f") (param i32 i32))))");
  Bytes c = Bytes().u8({0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00});
  Bytes section = Bytes().u32(static_cast<uint32_t>(types.size() + 1));
  for (const Bytes &t : types) section.raw(t.b);
  section.u8({0x40}).u32(1).name("p").index(param).u8({0x01, 0x00});  // func(p: param)
  c.section(7, section);
  c.section(1, Bytes().raw(core));
  c.section(2, Bytes().u32(1).u8({0x00, 0x00, 0x00}));
  c.section(6, Bytes()
                   .u32(2)
                   .u8({0x00, 0x00, 0x01, 0x00})
                   .name("f")
                   .u8({0x00, 0x02, 0x01, 0x00})
                   .name("memory"));
  uint32_t func_type = static_cast<uint32_t>(types.size());
  c.section(8, Bytes().u32(1).u8({0x00, 0x00, 0x00}).u8({1, 0x03, 0x00}).u32(func_type));
  c.section(11, Bytes().u32(1).u8({0x00}).name("f").u8({0x01}).u32(0).u8({0x00}));
  return c.b;
}

std::string resolve_error(const std::vector<uint8_t> &bytes) {
  Component c = read_component(bytes);
  Package p = describe_package(c);
  TypeArena arena;
  try {
    wit_functions(c, p, arena);
  } catch (const ComponentError &e) {
    return e.message;
  }
  return "(no error)";
}

}  // namespace

// list<list<...<u8>>> nested 70 deep is refused; 60 deep resolves.
TEST(WitTypes, DepthIsBounded) {
  auto nested = [](uint32_t depth) {
    std::vector<Bytes> types;
    types.push_back(Bytes().u8({0x70, 0x7d}));  // list<u8>
    for (uint32_t i = 1; i < depth; i++) types.push_back(Bytes().u8({0x70}).index(i - 1));
    return exporting(types, depth - 1);
  };
  EXPECT_EQ(resolve_error(nested(70)), "a type nested more than 64 deep");
  std::vector<uint8_t> ok = nested(60);
  Component c = read_component(ok);
  Package p = describe_package(c);
  TypeArena arena;
  auto fs = wit_functions(c, p, arena);
  ASSERT_EQ(fs.size(), 1u);
  EXPECT_EQ(to_string(lifted_core_type(fs[0].sig)), "(i32, i32) -> ()");
}

// A record of 60 fields of a record of 60 fields of a record of 60 u8s is
// 216,000 values: more types than the resolver makes.
TEST(WitTypes, SizeIsBounded) {
  std::vector<Bytes> types;
  for (uint32_t level = 0; level < 3; level++) {
    Bytes r = Bytes().u8({0x72}).u32(60);
    for (uint32_t i = 0; i < 60; i++) {
      r.name("f" + std::to_string(i));
      if (level == 0)
        r.u8({0x7d});
      else
        r.index(level - 1);
    }
    types.push_back(r);
  }
  EXPECT_EQ(resolve_error(exporting(types, 2)),
            "the types of its functions have more than 100000 parts");
}
