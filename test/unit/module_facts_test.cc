// The module-facts codec (toolkit/module_facts.h): every real module's scan
// comes back exactly, and bytes that are not an encoding (cut short, longer,
// flipped, another version, counts beyond limits.h) are a BinaryError.
#include "toolkit/module_facts.h"

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include "toolkit/limits.h"
#include "toolkit/text.h"
#include "module_builder.h"

#ifndef PGWASM_GUESTS_DIR
#error "PGWASM_GUESTS_DIR must name the directory of the built guests"
#endif
#ifndef PGWASM_COMPONENTS_DIR
#error "PGWASM_COMPONENTS_DIR must name the directory of the built components"
#endif

namespace pgwasm::toolkit {

// Field by field, so that a field the codec forgets fails here.
bool operator==(const FunctionShape &a, const FunctionShape &b) {
  return a.body_offset == b.body_offset && a.body_bytes == b.body_bytes && a.locals == b.locals &&
         a.branches == b.branches && a.table_targets == b.table_targets;
}
bool operator==(const ModuleShape &a, const ModuleShape &b) {
  return a.functions == b.functions && a.max_nesting == b.max_nesting && a.defined == b.defined &&
         a.start_function == b.start_function && a.grows_memory == b.grows_memory &&
         a.grows_tables == b.grows_tables && a.uses_simd == b.uses_simd &&
         a.data_bytes == b.data_bytes && a.memory_grow_sites == b.memory_grow_sites &&
         a.types == b.types && a.imported_functions == b.imported_functions &&
         a.globals == b.globals;
}

}  // namespace pgwasm::toolkit

namespace pgwasm {

bool operator==(const ImportDesc &a, const ImportDesc &b) {
  return a.module == b.module && a.name == b.name && a.type == b.type;
}
bool operator==(const ExportDesc &a, const ExportDesc &b) {
  return a.name == b.name && a.type == b.type;
}
bool operator==(const ModuleInfo &a, const ModuleInfo &b) {
  return a.imports == b.imports && a.exports == b.exports && a.tables == b.tables &&
         a.memories == b.memories;
}

}  // namespace pgwasm

namespace {

using namespace pgwasm;
using namespace pgwasm::toolkit;
namespace fs = std::filesystem;
using Bytes = std::vector<uint8_t>;

bool same_scan(const ModuleScan &a, const ModuleScan &b) {
  return a.info == b.info && a.shape == b.shape && a.constant_globals == b.constant_globals;
}

Bytes read_file(const fs::path &path) {
  std::ifstream in(path, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), {});
}

// The core modules at a component's top level (core module sections, id 1).
std::vector<Bytes> core_modules_of(const Bytes &component) {
  std::vector<Bytes> modules;
  size_t pos = 8;
  auto leb = [&] {
    uint64_t v = 0;
    for (int shift = 0; pos < component.size(); shift += 7) {
      uint8_t b = component[pos++];
      v |= uint64_t{b & 0x7fu} << shift;
      if (!(b & 0x80)) break;
    }
    return v;
  };
  while (pos < component.size()) {
    uint8_t id = component[pos++];
    uint64_t size = leb();
    if (size > component.size() - pos) break;
    if (id == 1) modules.emplace_back(component.begin() + pos, component.begin() + pos + size);
    pos += size;
  }
  return modules;
}

struct Named {
  std::string name;
  Bytes wasm;
};

// A module with one of everything ModuleScan describes.
const char *kEverything = R"((module
  (type (func (param i32 i64 f32 f64) (result v128)))
  (import "env" "f" (func $f (param i32) (result i32)))
  (import "env" "g" (global $g i64))
  (import "env" "t" (table 2 10 externref))
  (import "env" "m" (memory 1 4))
  (import "ünï" "cödé" (func (param f64 externref) (result funcref)))
  (table $t2 3 funcref)
  (global $c32 i32 (i32.const -7))
  (global $c64 i64 (i64.const 0x123456789abcdef0))
  (global $cf32 f32 (f32.const 1.5))
  (global $cf64 f64 (f64.const -2.25))
  (global $cv v128 (v128.const i32x4 1 2 3 4))
  (global $notconst i64 (global.get $g))
  (global $mut (mut i32) (i32.const 3))
  (func $start)
  (start $start)
  (func $grow (export "grow") (param i32) (result i32) (local i64 i64 v128)
    (block (block (loop
      (br_if 0 (local.get 0))
      (br_table 0 1 2 (local.get 0)))))
    (if (local.get 0) (then (drop (memory.grow (i32.const 1)))) (else nop))
    (drop (table.grow $t2 (ref.null func) (i32.const 1)))
    (memory.grow (local.get 0)))
  (func $simd (export "simd") (param i32 i64 f32 f64) (result v128) (v128.const i64x2 0 0))
  (export "c32" (global $c32))
  (export "c64" (global $c64))
  (export "cf32" (global $cf32))
  (export "cf64" (global $cf64))
  (export "cv" (global $cv))
  (export "notconst" (global $notconst))
  (export "mut" (global $mut))
  (export "g" (global $g))
  (export "t" (table 0))
  (export "t2" (table $t2))
  (export "m" (memory 0))
  (export "f" (func $f))
  (data (i32.const 0) "hello")
  (data "passive data"))
)";

// Modules built here, then every guest and component core module the build
// made.
const std::vector<Named> &modules() {
  static const std::vector<Named> all = [] {
    std::vector<Named> m;
    m.push_back({"everything", assemble_wat(kEverything)});
    m.push_back({"empty", assemble_wat("(module)")});
    m.push_back({"functions", test::module_with_functions(3000, test::nested_blocks(20))});
    for (const auto &e : fs::directory_iterator(PGWASM_GUESTS_DIR))
      if (e.path().extension() == ".wasm")
        m.push_back({e.path().filename().string(), read_file(e.path())});
    for (const auto &e : fs::directory_iterator(PGWASM_COMPONENTS_DIR)) {
      if (e.path().extension() != ".wasm") continue;
      Bytes bytes = read_file(e.path());
      if (e.path().stem().extension() == ".core") {
        m.push_back({e.path().filename().string(), std::move(bytes)});
        continue;
      }
      int i = 0;
      for (Bytes &core : core_modules_of(bytes))
        m.push_back({e.path().filename().string() + "#" + std::to_string(i++), std::move(core)});
    }
    return m;
  }();
  return all;
}

struct Encoded {
  std::string name;
  ModuleScan scan;
  Bytes bytes;
};

// The encodings of every module that scans.
const std::vector<Encoded> &encodings() {
  static const std::vector<Encoded> all = [] {
    std::vector<Encoded> e;
    for (const Named &m : modules()) {
      try {
        ModuleScan scan = scan_module(m.wasm);
        Bytes bytes = encode_module_facts(scan);
        e.push_back({m.name, std::move(scan), std::move(bytes)});
      } catch (const BinaryError &) {
        // A guest made to be refused (hostile.wasm...): it has no scan.
      }
    }
    return e;
  }();
  return all;
}

TEST(ModuleFacts, RealModulesComeBackExactly) {
  // The guests, the components' core modules and the three built here.
  ASSERT_GE(encodings().size(), 60u);
  size_t big = 0;
  for (const Encoded &e : encodings()) {
    SCOPED_TRACE(e.name);
    ModuleScan back = decode_module_facts(e.bytes);
    EXPECT_TRUE(same_scan(back, e.scan));
    EXPECT_EQ(encode_module_facts(back), e.bytes);
    big += e.scan.shape.defined.size() > 10'000;
  }
  EXPECT_GE(big, 1u) << "no component core module of more than 10,000 functions in "
                     << PGWASM_COMPONENTS_DIR;
}

TEST(ModuleFacts, EverythingIsKept) {
  const Encoded &e = encodings().front();
  ASSERT_EQ(e.name, "everything");
  const ModuleScan &s = e.scan;
  // What the module above holds, so that the round trip covers each field.
  EXPECT_EQ(s.info.imports.size(), 5u);
  EXPECT_EQ(s.info.tables.size(), 2u);
  EXPECT_EQ(s.info.memories.size(), 1u);
  EXPECT_TRUE(s.shape.start_function.has_value());
  EXPECT_TRUE(s.shape.grows_memory);
  EXPECT_TRUE(s.shape.grows_tables);
  EXPECT_TRUE(s.shape.uses_simd);
  EXPECT_EQ(s.shape.memory_grow_sites.size(), 2u);
  EXPECT_EQ(s.shape.data_bytes, 17u);
  EXPECT_EQ(s.shape.imported_functions, 2u);
  EXPECT_EQ(s.shape.globals, 8u);
  size_t constants = 0;
  for (const auto &c : s.constant_globals) constants += c.has_value();
  // The constant ones, mutable or not; not the one made of global.get.
  EXPECT_EQ(constants, 6u);
  ModuleScan back = decode_module_facts(e.bytes);
  ASSERT_TRUE(same_scan(back, s));
  const auto *f = std::get_if<FuncType>(&back.info.imports[4].type);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->params, (std::vector<ValType>{ValType::F64, ValType::ExternRef}));
  EXPECT_EQ(back.info.imports[4].module, "ünï");
  EXPECT_EQ(back.info.tables[0].element, ValType::ExternRef);
  EXPECT_EQ(back.info.tables[0].limits.max, std::optional<uint64_t>(10));
  EXPECT_EQ(back.info.memories[0].limits.max, std::optional<uint64_t>(4));
}

void expect_refused(const Bytes &bytes, const std::string &what = "") {
  try {
    decode_module_facts(bytes);
    ADD_FAILURE() << "decoded " << bytes.size() << " bytes that are no encoding";
  } catch (const BinaryError &e) {
    EXPECT_EQ(e.kind, BinaryError::Kind::Malformed);
    EXPECT_LE(e.offset, bytes.size());
    EXPECT_NE(e.message.find("module facts: "), std::string::npos) << e.message;
    if (!what.empty()) {
      EXPECT_NE(e.message.find(what), std::string::npos) << e.message;
    }
  }
}

TEST(ModuleFacts, EveryTruncationIsRefused) {
  for (const Encoded &e : encodings()) {
    SCOPED_TRACE(e.name);
    // Every cut of the smaller encodings (each costs its length), cuts
    // spread over the larger ones.
    size_t n = e.bytes.size();
    size_t step = n <= 4096 ? 1 : n / 1024;
    for (size_t cut = 0; cut < n; cut += step)
      expect_refused(Bytes(e.bytes.begin(), e.bytes.begin() + cut));
    expect_refused(Bytes(e.bytes.begin(), e.bytes.end() - 1));
  }
}

TEST(ModuleFacts, BytesLeftOverAreRefused) {
  for (const Encoded &e : encodings()) {
    Bytes longer = e.bytes;
    longer.push_back(0);
    expect_refused(longer, "1 bytes left over");
  }
}

TEST(ModuleFacts, AnotherFormatIsRefused) {
  Bytes bytes = encodings().front().bytes;
  for (uint32_t format : {0u, kModuleFactsFormat + 1, 0xffffffffu}) {
    std::memcpy(bytes.data(), &format, 4);
    expect_refused(bytes, "format " + std::to_string(format) + ", not ");
  }
  expect_refused({}, "cut short");
}

// The layout's first words: the format, then the import count.
Bytes header(uint32_t imports) {
  Bytes b;
  for (uint32_t v : {kModuleFactsFormat, imports})
    for (int i = 0; i < 4; i++) b.push_back(static_cast<uint8_t>(v >> (8 * i)));
  return b;
}

TEST(ModuleFacts, CountsAreCheckedBeforeUse) {
  // Beyond limits.h, whatever follows.
  Bytes over = header(limits::kImports + 1);
  over.resize(over.size() + (size_t{1} << 20));
  expect_refused(over, "the import count is 50001; at most 50000");
  expect_refused(header(0xffffffff), "the import count is 4294967295; at most");
  // Within limits.h, beyond the bytes left: refused at the count, before
  // the first import is read.
  expect_refused(header(limits::kImports), "more than the 0 bytes left can hold");
  // The same for the defined functions. An empty scan's layout: the
  // format, four counts of info, two words of shape, then that count.
  Bytes empty = encode_module_facts(ModuleScan{});
  ASSERT_TRUE(same_scan(decode_module_facts(empty), ModuleScan{}));
  constexpr size_t at = 4 + 4 * 4 + 2 * 4;
  uint32_t count = 0;
  std::memcpy(&count, empty.data() + at, 4);
  ASSERT_EQ(count, 0u);
  count = limits::kFunctions;
  std::memcpy(empty.data() + at, &count, 4);
  expect_refused(empty, "the defined function count is 200000, more than the");
  count = limits::kFunctions + 1;
  std::memcpy(empty.data() + at, &count, 4);
  expect_refused(empty, "the defined function count is 200001; at most 200000");
}

// A scan whose encoding decodes to what scan_module would never produce.
TEST(ModuleFacts, ImplausibleScansAreRefused) {
  const ModuleScan base = encodings().front().scan;
  ASSERT_GE(base.shape.defined.size(), 2u);
  auto refused = [](ModuleScan s, const std::string &what) {
    expect_refused(encode_module_facts(s), what);
  };
  ModuleScan s = base;
  std::swap(s.shape.defined[0], s.shape.defined[1]);
  refused(s, "starts before the one before ends");
  s = base;
  s.shape.defined.back().body_offset = UINT32_MAX - 1;
  refused(s, "ends beyond the largest module");
  s = base;
  s.shape.defined[0].table_targets = s.shape.defined[0].branches + 1;
  refused(s, "more br_table targets");
  s = base;
  std::swap(s.shape.memory_grow_sites[0], s.shape.memory_grow_sites[1]);
  refused(s, "not in order");
  s = base;
  s.shape.memory_grow_sites.back() =
      s.shape.defined.back().body_offset + s.shape.defined.back().body_bytes;
  refused(s, "is in no function body");
  s = base;
  s.shape.memory_grow_sites.front() = s.shape.defined.front().body_offset - 1;
  refused(s, "is in no function body");
  s = base;
  s.shape.grows_memory = false;
  refused(s, "grows-memory flag");
  s = base;
  s.shape.start_function = s.shape.functions;
  refused(s, "the start function");
  s = base;
  s.shape.imported_functions++;
  refused(s, "the imported function count");
  s = base;
  s.shape.globals = 0;
  refused(s, "fewer globals");
  s = base;
  s.shape.max_nesting = limits::kNestingDepth + 1;
  refused(s, "the nesting depth");
  s = base;
  s.shape.defined[0].body_bytes = limits::kFunctionBodyBytes + 1;
  refused(s, "a function's body size");
  s = base;
  s.shape.data_bytes = limits::kModuleBytes + 1;
  refused(s, "the data segments' size");
  s = base;
  s.info.tables[0].limits.min++;
  refused(s, "the tables do not start with the imported ones");
  s = base;
  s.info.memories.erase(s.info.memories.begin());
  refused(s, "the memories do not start with the imported ones");
  s = base;
  s.constant_globals.back() = ValueBits{};
  refused(s, "has a constant but is no global");
  s = base;
  s.info.imports[0].name = "\xff";
  refused(s, "an import's name is not UTF-8");
  s = base;
  s.info.tables[1].element = ValType::I32;
  refused(s, "a table of i32");
}

// Bytes of an encoding changed at random: each is refused with a
// BinaryError, or decodes to a scan whose encoding is those very bytes (one
// scan, one encoding). Out-of-bounds reads are the fuzz target's to catch
// (test/fuzz/fuzz_module_facts.cc, under ASan).
TEST(ModuleFacts, ChangedBytesAreRefusedOrExact) {
  std::mt19937 random(18);
  size_t decoded = 0, refused = 0;
  for (const Encoded &e : encodings()) {
    if (e.bytes.size() > 65536) continue;  // the big ones: by truncation only
    SCOPED_TRACE(e.name);
    for (int round = 0; round < 300; round++) {
      Bytes bytes = e.bytes;
      int changes = 1 + static_cast<int>(random() % 4);
      for (int i = 0; i < changes; i++) {
        size_t at = random() % bytes.size();
        // Half the time a small change (counts, flags, kinds), else any byte.
        bytes[at] = random() % 2 ? static_cast<uint8_t>(bytes[at] + 1 + random() % 3)
                                 : static_cast<uint8_t>(random());
      }
      try {
        ModuleScan scan = decode_module_facts(bytes);
        EXPECT_EQ(encode_module_facts(scan), bytes);
        decoded++;
      } catch (const BinaryError &) {
        refused++;
      }
    }
  }
  // Both outcomes happen: the changes reach past the first check.
  EXPECT_GT(decoded, 100u);
  EXPECT_GT(refused, 100u);
}

}  // namespace
