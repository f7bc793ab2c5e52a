#include <gtest/gtest.h>

#include "toolkit/binary.h"
#include "toolkit/binary_edit.h"
#include "toolkit/global_module.h"
#include "toolkit/name_text.h"
#include "toolkit/text.h"
#include "toolkit/trampoline.h"

using namespace pgwasm;
using namespace pgwasm::toolkit;

TEST(Text, AssemblesAndDescribes) {
  auto wasm = assemble_wat(R"((module
    (import "env" "log" (func (param i32 i32)))
    (memory (export "memory") 1 4)
    (global (export "g") (mut i64) (i64.const 7))
    (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add)))");
  EXPECT_TRUE(looks_like_binary(wasm));
  ModuleInfo info = read_module(wasm);
  ASSERT_EQ(info.imports.size(), 1u);
  EXPECT_EQ(info.imports[0].module, "env");
  EXPECT_EQ(to_string(info.imports[0].type), "function (i32, i32) -> ()");
  ASSERT_EQ(info.exports.size(), 3u);
  EXPECT_EQ(to_string(info.exports[0].type), "memory [1..4 pages]");
  EXPECT_EQ(to_string(info.exports[1].type), "global mut i64");
  EXPECT_EQ(to_string(info.exports[2].type), "function (i32, i32) -> i32");
  EXPECT_NE(info.find_export("add"), nullptr);
  EXPECT_EQ(info.find_export("sub"), nullptr);
}

TEST(Text, SyntaxErrorHasLineAndColumn) {
  try {
    assemble_wat("(module\n  (func (result i32)\n    i32.const 1\n    i32.bogus))");
    FAIL() << "expected TextError";
  } catch (const TextError &e) {
    EXPECT_EQ(e.line, 4);
    EXPECT_EQ(e.column, 5);
    EXPECT_NE(std::string(e.what()).find("i32.bogus"), std::string::npos) << e.what();
  }
}

TEST(Text, TypeErrorIsReported) {
  EXPECT_THROW(assemble_wat("(module (func (result i32) f32.const 1))"), TextError);
}

// A module's names in messages: a zero byte must not cut the C string they
// go into, nor a control byte break the line.
TEST(NameText, EscapesControlBytesQuotesAndBackslashes) {
  using namespace std::string_literals;
  EXPECT_EQ(quoted_name("fd_write"), "\"fd_write\"");
  EXPECT_EQ(quoted_name("a\0b"s), "\"a\\00b\"");
  EXPECT_EQ(quoted_name("\n\t\x1f\x7f"), "\"\\0a\\09\\1f\\7f\"");
  EXPECT_EQ(quoted_name("say \"hi\" \\ bye"), "\"say \\\"hi\\\" \\\\ bye\"");
  EXPECT_EQ(quoted_name("h\xC3\xA9 \xF0\x9F\x98\x80"), "\"h\xC3\xA9 \xF0\x9F\x98\x80\"");
  EXPECT_EQ(quoted_name(""), "\"\"");
  EXPECT_EQ(escaped_controls("import \"m\0\"\"f\": x\\y"s), "import \"m\\00\"\"f\": x\\y");
}

TEST(Binary, MalformedHasOffset) {
  std::vector<uint8_t> bad = {0, 'a', 's', 'm', 1, 0, 0, 0, 0x01, 0x05, 0x01, 0x60};
  try {
    read_module(bad);
    FAIL() << "expected BinaryError";
  } catch (const BinaryError &e) {
    EXPECT_EQ(e.kind, BinaryError::Kind::Malformed);
    EXPECT_GT(e.offset, 8u);
    EXPECT_NE(std::string(e.what()).find("byte offset"), std::string::npos);
  }
}

TEST(Binary, BadMagic) {
  std::vector<uint8_t> bad = {'n', 'o', 'p', 'e', 1, 0, 0, 0};
  EXPECT_THROW(read_module(bad), BinaryError);
}

TEST(Binary, InvalidIsDistinguished) {
  // A function whose body leaves an f32 where an i32 result is declared:
  // decodes fine, fails validation.
  std::vector<uint8_t> wasm = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x05,
                               0x01, 0x60, 0x00, 0x01, 0x7f, 0x03, 0x02, 0x01, 0x00, 0x0a,
                               0x09, 0x01, 0x07, 0x00, 0x43, 0x00, 0x00, 0x80, 0x3f, 0x0b};
  try {
    read_module(wasm);
    FAIL() << "expected BinaryError";
  } catch (const BinaryError &e) {
    EXPECT_EQ(e.kind, BinaryError::Kind::Invalid);
    EXPECT_NE(std::string(e.what()).find("invalid module"), std::string::npos) << e.what();
  }
}

TEST(Trampoline, SignatureKeepsOnlyReferences) {
  FuncType t{{ValType::I32, ValType::ExternRef, ValType::F64}, {ValType::FuncRef, ValType::V128}};
  FuncType s = trampoline_signature(t);
  EXPECT_EQ(s.params, std::vector<ValType>{ValType::ExternRef});
  EXPECT_EQ(s.results, std::vector<ValType>{ValType::FuncRef});
}

TEST(Trampoline, BuildsForEveryValueType) {
  std::vector<FuncType> targets = {
      {{ValType::I32, ValType::I64, ValType::F32, ValType::F64, ValType::V128}, {}},
      {{}, {ValType::I32, ValType::I64, ValType::F32, ValType::F64, ValType::V128}},
      {{ValType::ExternRef, ValType::I32}, {ValType::FuncRef, ValType::I32, ValType::ExternRef}},
  };
  CallTrampoline t = make_call_trampoline(targets);
  ModuleInfo info = read_module(t.wasm);
  EXPECT_EQ(info.imports.size(), 3u);
  EXPECT_EQ(t.slots, 5u);
  ASSERT_NE(info.find_export("2"), nullptr);
  EXPECT_EQ(to_string(info.find_export("2")->type), "function (externref) -> (funcref, externref)");
}

TEST(Text, MalformedAndInvalidAreDistinguished) {
  try {
    assemble_wat("(module (func i32.bogus))");
    FAIL();
  } catch (const TextError &e) {
    EXPECT_EQ(e.kind, TextError::Kind::Malformed);
  }
  try {
    assemble_wat("(module (func (result i32) f32.const 1))");
    FAIL();
  } catch (const TextError &e) {
    EXPECT_EQ(e.kind, TextError::Kind::Invalid);
  }
}

TEST(Types, ExportIndexByName) {
  ModuleInfo info = read_module(assemble_wat(
      R"((module (func (export "a")) (memory (export "b") 1) (global (export "c") i32 (i32.const 0))))"));
  EXPECT_EQ(info.export_index("a"), 0u);
  EXPECT_EQ(info.export_index("c"), 2u);
  EXPECT_EQ(info.export_index("d"), std::nullopt);
}

TEST(Trampoline, ReadsGlobals) {
  std::vector<FuncType> targets = {{{ValType::I32}, {}}};
  std::vector<GlobalType> globals = {{ValType::V128, true}, {ValType::FuncRef, false}};
  CallTrampoline t = make_call_trampoline(targets, globals);
  ModuleInfo info = read_module(t.wasm);
  ASSERT_EQ(info.imports.size(), 3u);
  EXPECT_EQ(info.imports[1].name, trampoline_global_export(0));
  EXPECT_EQ(to_string(info.imports[1].type), "global mut v128");
  ASSERT_NE(info.find_export("g0"), nullptr);
  EXPECT_EQ(to_string(info.find_export("g0")->type), "function () -> ()");
  EXPECT_EQ(to_string(info.find_export("g1")->type), "function () -> funcref");
}

// The generated module, as a string to search for the encoding of the
// global's initialiser.
static std::string global_module(GlobalType type, std::vector<uint8_t> bits) {
  bits.resize(16);
  auto wasm = make_global_module(type, std::span<const uint8_t, 16>(bits.data(), 16));
  ModuleInfo info = read_module(wasm);
  EXPECT_EQ(info.exports.size(), 1u);
  return std::string(wasm.begin(), wasm.end());
}

static bool contains(const std::string &haystack, const std::vector<uint8_t> &needle) {
  return haystack.find(std::string(needle.begin(), needle.end())) != std::string::npos;
}

TEST(GlobalModule, KeepsExactBits) {
  // f32.const (0x43) with a negative signalling NaN, then end (0x0b).
  EXPECT_TRUE(contains(global_module({ValType::F32, false}, {0x01, 0x00, 0xa0, 0xff}),
                       {0x43, 0x01, 0x00, 0xa0, 0xff, 0x0b}));
  // The smallest f32 and f64 denormals, f64 negative zero, f64 666.6.
  EXPECT_TRUE(contains(global_module({ValType::F32, true}, {0x01, 0x00, 0x00, 0x80}),
                       {0x43, 0x01, 0x00, 0x00, 0x80, 0x0b}));
  EXPECT_TRUE(contains(global_module({ValType::F64, false}, {1, 0, 0, 0, 0, 0, 0, 0}),
                       {0x44, 1, 0, 0, 0, 0, 0, 0, 0, 0x0b}));
  EXPECT_TRUE(contains(global_module({ValType::F64, false}, {0, 0, 0, 0, 0, 0, 0, 0x80}),
                       {0x44, 0, 0, 0, 0, 0, 0, 0, 0x80, 0x0b}));
  EXPECT_TRUE(contains(
      global_module({ValType::F64, false}, {0x9a, 0x99, 0x99, 0x99, 0x99, 0xd4, 0x84, 0x40}),
      {0x44, 0x9a, 0x99, 0x99, 0x99, 0x99, 0xd4, 0x84, 0x40, 0x0b}));
  // i64 -1 is the one-byte LEB 0x7f.
  EXPECT_TRUE(contains(global_module({ValType::I64, false}, std::vector<uint8_t>(8, 0xff)),
                       {0x42, 0x7f, 0x0b}));
  // v128.const (0xfd 0x0c) and its 16 bytes.
  std::vector<uint8_t> v(16), encoded = {0xfd, 0x0c};
  for (int i = 0; i < 16; i++) {
    v[i] = static_cast<uint8_t>(0xf0 + i);
    encoded.push_back(v[i]);
  }
  encoded.push_back(0x0b);
  EXPECT_TRUE(contains(global_module({ValType::V128, false}, v), encoded));
  EXPECT_THROW(global_module({ValType::FuncRef, false}, {}), std::invalid_argument);
}

TEST(BinaryEdit, RenamesImportsAndKeepsTheRest) {
  auto wasm = assemble_wat(R"((module
    (import "env" "log" (func (param i32 i32)))
    (import "env" "log" (func (param i32 i32 i32)))
    (import "m" "mem" (memory 1 2))
    (import "m" "tab" (table 1 funcref))
    (import "m" "g" (global (mut i64)))
    (func (export "f") (result i32) i32.const 42)))");
  std::vector<std::pair<std::string, std::string>> names = {{"env", "log#0"},
                                                            {"env", "log#1"},
                                                            {"a-much-longer-module-name", "mem"},
                                                            {"m", "t"},
                                                            {"m", "g"}};
  auto edited = rename_imports(wasm, names);
  ModuleInfo before = read_module(wasm), after = read_module(edited);
  ASSERT_EQ(after.imports.size(), names.size());
  for (size_t i = 0; i < names.size(); i++) {
    EXPECT_EQ(after.imports[i].module, names[i].first);
    EXPECT_EQ(after.imports[i].name, names[i].second);
    EXPECT_EQ(after.imports[i].type, before.imports[i].type);
  }
  EXPECT_EQ(to_string(after.exports[0].type), "function () -> i32");
  // Unchanged names give back the same bytes.
  std::vector<std::pair<std::string, std::string>> same;
  for (const auto &imp : before.imports) same.emplace_back(imp.module, imp.name);
  EXPECT_EQ(rename_imports(wasm, same), wasm);
}

TEST(BinaryEdit, ExportsTheStartFunction) {
  for (const char *exports : {"", R"((export "f" (func $f)))"}) {
    auto wasm = assemble_wat(std::string(R"((module
      (func $f) (func $s (export "s2"))
      )") + exports + R"( (start $s)))");
    ASSERT_EQ(describe_module(wasm).shape.start_function, 1u);
    auto edited = export_start_function(wasm, std::string_view("\0start", 6));
    ModuleScan scan = describe_module(edited);
    EXPECT_FALSE(scan.shape.start_function.has_value());
    ASSERT_GE(scan.info.exports.size(), 2u);
    EXPECT_EQ(scan.info.exports.back().name, std::string("\0start", 6));
    EXPECT_EQ(read_module(edited).exports.size(), scan.info.exports.size());
  }
}

TEST(BinaryEdit, BoundsMemoryGrowAddingWhatIsMissing) {
  // Without globals or exports, and with them.
  for (const char *wat : {R"((module (memory 1)
                              (func (param i32) (result i32) local.get 0 memory.grow drop
                                local.get 0 memory.grow)))",
                          R"((module (import "a" "b" (func))
                              (memory (export "m") 1) (global (mut i32) (i32.const 3))
                              (func (export "g") (param i32) (result i32)
                                local.get 0 memory.grow)))"}) {
    auto wasm = assemble_wat(wat);
    ModuleScan before = describe_module(wasm);
    ASSERT_TRUE(before.shape.grows_memory);
    auto edited = bound_memory_grow(wasm, before.shape, std::string_view("\0max", 4));
    ModuleInfo info = read_module(edited);  // valid
    ASSERT_FALSE(info.exports.empty());
    EXPECT_EQ(info.exports.back().name, std::string("\0max", 4));
    EXPECT_EQ(to_string(info.exports.back().type), "global mut i32");
    ModuleScan after = describe_module(edited);
    EXPECT_EQ(after.shape.defined.size(), before.shape.defined.size() + 1);
    // The only memory.grow left is the bound's own.
    EXPECT_EQ(after.shape.memory_grow_sites.size(), 1u);
  }
}
