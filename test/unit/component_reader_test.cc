// The component reader (src/component) on components of the world
// supabase:wrappers that jco's wasm-tools build at build time
// (test/components), and on malformed components: cut short at every byte,
// or made by hand with one thing wrong.
#include <gtest/gtest.h>

#include <algorithm>

#include "component/package.h"
#include "component/read.h"
#include "toolkit/binary.h"
#include "toolkit/text.h"
#include "component_fixtures.h"

using namespace pgwasm;
using namespace pgwasm::toolkit;
using namespace pgwasm::component;

namespace {

const ExportedFunc *find(const Package &p, std::string_view name) {
  for (const ExportedFunc &f : p.exports)
    if (f.name == name) return &f;
  return nullptr;
}

const ImportedFunc *find_lowered(const Package &p, std::string_view name) {
  for (const ImportedFunc &f : p.lowered)
    if (f.name == name) return &f;
  return nullptr;
}

const std::vector<std::string> kRoutinesV1 = {"host-version-requirement",
                                              "init",
                                              "begin-scan",
                                              "iter-scan",
                                              "re-scan",
                                              "end-scan",
                                              "begin-modify",
                                              "insert",
                                              "update",
                                              "delete",
                                              "end-modify"};

// What both namings of the guest give at the component level.
void expect_v1_shape(const Component &c, const Package &p, const std::string &version) {
  const std::string routines = "supabase:wrappers/routines@" + version;
  EXPECT_EQ(p.imports,
            (std::vector<std::string>{
                "supabase:wrappers/http@" + version, "supabase:wrappers/time@" + version,
                "supabase:wrappers/types@" + version, "supabase:wrappers/utils@" + version}));
  ASSERT_EQ(c.exports.size(), 1u);
  EXPECT_EQ(c.exports[0].name, routines);
  EXPECT_EQ(c.exports[0].sort, Sort::Instance);

  std::vector<std::string> names;
  for (const ExportedFunc &f : p.exports) {
    names.push_back(f.name);
    EXPECT_EQ(f.interface, routines);
    EXPECT_EQ(f.options.memory, "memory") << f.name;
    EXPECT_EQ(f.options.string_encoding, StringEncoding::Utf8);
    ASSERT_NE(f.type, nullptr) << f.name;
  }
  std::vector<std::string> expected = kRoutinesV1;
  if (version == "0.2.0") expected.push_back("import-foreign-schema");
  EXPECT_EQ(names, expected);

  // Parameters as the WIT says; results through memory.
  const ExportedFunc *iter = find(p, "iter-scan");
  ASSERT_TRUE(iter);
  ASSERT_EQ(iter->type->params.size(), 2u);
  EXPECT_EQ(iter->type->params[0].name, "ctx");
  EXPECT_EQ(iter->type->params[1].name, "row");
  EXPECT_TRUE(iter->type->result);
  // A cell parameter may carry a string: the host allocates it in the guest.
  EXPECT_FALSE(find(p, "update")->options.realloc.empty());
  EXPECT_TRUE(find(p, "init")->options.realloc.empty());
  EXPECT_FALSE(find(p, "host-version-requirement")->options.post_return.empty());
  EXPECT_TRUE(find(p, "init")->options.post_return.empty());

  // Imports the guest calls: a string result needs the guest's realloc.
  const ImportedFunc *get = find_lowered(p, "get");
  ASSERT_TRUE(get);
  EXPECT_EQ(get->interface, "supabase:wrappers/http@" + version);
  EXPECT_EQ(get->options.memory, "memory");
  EXPECT_FALSE(get->options.realloc.empty());
  const ImportedFunc *secs = find_lowered(p, "epoch-secs");
  ASSERT_TRUE(secs);
  EXPECT_TRUE(secs->options.memory.empty());
  ASSERT_TRUE(find_lowered(p, "[method]context.get-options"));
  ASSERT_TRUE(find_lowered(p, "[method]options.require-or"));
  ASSERT_TRUE(find_lowered(p, "[method]row.push"));
  ASSERT_TRUE(find_lowered(p, "report-info"));
  // The options it makes, and the borrows it is lent (context, row).
  ASSERT_EQ(p.drops.size(), 3u);
  std::vector<std::string> dropped;
  for (const auto &d : p.drops) {
    EXPECT_EQ(d.interface, "supabase:wrappers/types@" + version);
    dropped.push_back(d.resource);
  }
  std::sort(dropped.begin(), dropped.end());
  EXPECT_EQ(dropped, (std::vector<std::string>{"context", "options", "row"}));

  // The main core module is a valid module importing the interfaces.
  ASSERT_TRUE(p.main_module);
  ModuleInfo info = read_module(c.core_modules[*p.main_module].bytes);
  EXPECT_NE(info.find_export("memory"), nullptr);
  for (const ExportedFunc &f : p.exports)
    EXPECT_NE(info.find_export(f.core_name), nullptr) << f.core_name;
  bool imports_http =
      std::any_of(info.imports.begin(), info.imports.end(), [](const ImportDesc &i) {
        return i.module.find("supabase:wrappers/http@") != std::string::npos && i.name == "get";
      });
  EXPECT_TRUE(imports_http);
}

}  // namespace

TEST(ComponentReader, SupabaseWrappersV1) {
  LOAD(bytes, "wrappers_minimal_v1.wasm");
  ASSERT_TRUE(is_component(bytes));
  Component c = read_component(bytes);
  // wit-component's layout: the main module, a shim of indirect calls for
  // imports that need the main module's memory, the fixup that fills it.
  EXPECT_EQ(c.core_modules.size(), 3u);
  EXPECT_EQ(c.components.size(), 1u);
  Package p = describe_package(c);
  expect_v1_shape(c, p, "0.1.0");
  const ExportedFunc *init = find(p, "init");
  EXPECT_EQ(init->core_name, "supabase:wrappers/routines@0.1.0#init");
  EXPECT_EQ(find(p, "host-version-requirement")->options.post_return,
            "cabi_post_supabase:wrappers/routines@0.1.0#host-version-requirement");
  EXPECT_EQ(find(p, "update")->options.realloc, "cabi_realloc");
  EXPECT_EQ(find(p, "update")->type->params.size(), 3u);
}

TEST(ComponentReader, SupabaseWrappersV2) {
  LOAD(bytes, "wrappers_minimal_v2.wasm");
  Component c = read_component(bytes);
  Package p = describe_package(c);
  expect_v1_shape(c, p, "0.2.0");
  const ExportedFunc *ifs = find(p, "import-foreign-schema");
  ASSERT_TRUE(ifs);
  EXPECT_EQ(ifs->core_name, "supabase:wrappers/routines@0.2.0#import-foreign-schema");
  ASSERT_EQ(ifs->type->params.size(), 2u);
  EXPECT_EQ(ifs->type->params[1].name, "stmt");
  EXPECT_FALSE(ifs->options.realloc.empty());  // the statement holds strings
}

TEST(ComponentReader, NewerCoreNames) {
  LOAD(bytes, "wrappers_minimal_cm32p2.wasm");
  Component c = read_component(bytes);
  Package p = describe_package(c);
  expect_v1_shape(c, p, "0.1.0");
  EXPECT_EQ(find(p, "init")->core_name, "cm32p2|supabase:wrappers/routines@0.1|init");
  EXPECT_EQ(find(p, "host-version-requirement")->options.post_return,
            "cm32p2|supabase:wrappers/routines@0.1|host-version-requirement_post");
  EXPECT_EQ(find(p, "update")->options.realloc, "cm32p2_realloc");
}

// Top-level section boundaries: a component cut there is a smaller valid
// one (every reference points backwards).
static std::vector<size_t> section_ends(const std::vector<uint8_t> &b) {
  std::vector<size_t> ends{8};
  size_t pos = 8;
  while (pos < b.size()) {
    pos++;  // id
    uint32_t size = 0;
    for (int shift = 0;; shift += 7) {
      uint8_t x = b[pos++];
      size |= uint32_t(x & 0x7f) << shift;
      if (!(x & 0x80)) break;
    }
    pos += size;
    ends.push_back(pos);
  }
  return ends;
}

TEST(ComponentReader, TruncatedAtEveryByte) {
  LOAD(bytes, "wrappers_minimal_v1.wasm");
  std::vector<size_t> ends = section_ends(bytes);
  for (size_t n = 0; n < bytes.size(); n++) {
    std::span<const uint8_t> prefix(bytes.data(), n);
    bool boundary = std::find(ends.begin(), ends.end(), n) != ends.end();
    try {
      read_component(prefix);
      EXPECT_TRUE(boundary) << "a component cut at " << n << " was read";
    } catch (const ComponentError &e) {
      EXPECT_FALSE(boundary) << "cut at section boundary " << n << ": " << e.what();
      EXPECT_LE(e.offset, n) << e.what();
    }
  }
}

// Every byte replaced in turn: read and described, or refused with a
// ComponentError, nothing else (no other exception, no crash under ASan).
TEST(ComponentReader, CorruptedAtEveryByte) {
  LOAD(bytes, "wrappers_minimal_v2.wasm");
  size_t read = 0;
  for (uint8_t value : {0x00, 0x80, 0xff}) {
    for (size_t i = 8; i < bytes.size(); i++) {
      std::vector<uint8_t> bad = bytes;
      if (bad[i] == value) continue;
      bad[i] = value;
      try {
        Component c = read_component(bad);
        describe_package(c);
        read++;
      } catch (const ComponentError &e) {
        EXPECT_LE(e.offset, bad.size()) << e.what();
      }
    }
  }
  // Most bytes are code and data of the core module: changed, still valid.
  EXPECT_GT(read, 0u);
}

// ---- components made by hand

namespace {

Bytes preamble() {
  return Bytes().u8({0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00});
}

// A component importing func "g" and exporting "f", lifted from a core
// module's export with `opts` (canonical options, count included), and
// lowering "g" with `lower_opts`.
std::vector<uint8_t> lifting(std::initializer_list<uint8_t> opts,
                             std::initializer_list<uint8_t> lower_opts = {0x00}) {
  std::vector<uint8_t> core = assemble_wat(R"((module
    (memory (export "memory") 1)
    (func (export "f"))
    (func (export "realloc") (param i32 i32 i32 i32) (result i32) i32.const 0)))");
  Bytes c = preamble();
  c.section(7, Bytes().u32(1).u8({0x40, 0x00, 0x01, 0x00}));            // type 0: func()
  c.section(10, Bytes().u32(1).u8({0x00}).name("g").u8({0x01, 0x00}));  // func 0: import g
  c.section(1, Bytes().raw(core));
  c.section(2, Bytes().u32(1).u8({0x00, 0x00, 0x00}));  // core instance 0 of module 0
  c.section(6, Bytes()
                   .u32(3)
                   .u8({0x00, 0x00, 0x01, 0x00})
                   .name("f")  // core func 0
                   .u8({0x00, 0x02, 0x01, 0x00})
                   .name("memory")  // core memory 0
                   .u8({0x00, 0x00, 0x01, 0x00})
                   .name("realloc"));                                   // core func 1
  Bytes canon = Bytes().u32(2).u8({0x00, 0x00, 0x00}).u8(opts).u32(0);  // func 1: lift
  canon.u8({0x01, 0x00, 0x00}).u8(lower_opts);                          // core func 2: lower g
  c.section(8, canon);
  c.section(11, Bytes().u32(1).u8({0x00}).name("f").u8({0x01}).u32(1).u8({0x00}));
  return c.b;
}

ComponentError error_of(std::span<const uint8_t> bytes) {
  try {
    read_component(bytes);
  } catch (const ComponentError &e) {
    return e;
  }
  ADD_FAILURE() << "expected a ComponentError";
  return ComponentError(ComponentError::Kind::Malformed, 0, "none");
}

void expect_error(std::span<const uint8_t> bytes, ComponentError::Kind kind,
                  std::string_view text) {
  ComponentError e = error_of(bytes);
  EXPECT_EQ(e.kind, kind) << e.what();
  EXPECT_NE(std::string(e.what()).find(text), std::string::npos) << e.what();
  EXPECT_NE(std::string(e.what()).find("byte offset"), std::string::npos) << e.what();
}

}  // namespace

TEST(ComponentReader, HandMadeLift) {
  std::vector<uint8_t> bytes = lifting({3, 0x03, 0x00, 0x04, 0x01, 0x00});
  Component c = read_component(bytes);
  ASSERT_EQ(c.canons.size(), 2u);
  EXPECT_EQ(c.canons[0].options.memory, 0u);
  EXPECT_EQ(c.canons[0].options.realloc, 1u);
  Package p = describe_package(c);
  ASSERT_EQ(p.exports.size(), 1u);
  EXPECT_EQ(p.exports[0].name, "f");
  EXPECT_EQ(p.exports[0].core_name, "f");
  EXPECT_EQ(p.exports[0].options.memory, "memory");
  EXPECT_EQ(p.exports[0].options.realloc, "realloc");
  ASSERT_EQ(p.lowered.size(), 1u);
  EXPECT_EQ(p.lowered[0].interface, "");
  EXPECT_EQ(p.lowered[0].name, "g");
  EXPECT_EQ(p.main_module, 0u);
}

TEST(ComponentReader, BadCanonicalOptions) {
  using K = ComponentError::Kind;
  expect_error(lifting({2, 0x03, 0x00, 0x03, 0x00}), K::Invalid,
               "duplicate canonical option memory");
  expect_error(lifting({2, 0x00, 0x01}), K::Invalid, "duplicate canonical option string-encoding");
  expect_error(lifting({1, 0x03, 0x05}), K::Invalid, "core memory index below 1");
  expect_error(lifting({1, 0x04, 0x09}), K::Invalid, "core func index below 2");
  expect_error(lifting({1, 0x09}), K::Malformed, "canonical option");
  expect_error(lifting({1, 0x06}), K::Unsupported, "async");
  expect_error(lifting({0}, {1, 0x05, 0x00}), K::Invalid, "post-return is an option of lift only");
  expect_error(lifting({200}), K::Malformed, "cannot fit");
}

TEST(ComponentReader, WrongSectionIds) {
  std::vector<uint8_t> bytes = lifting({0});
  for (uint8_t id : {13, 0x40, 0xff}) {
    std::vector<uint8_t> bad = bytes;
    bad[8] = id;
    ComponentError e = error_of(bad);
    EXPECT_EQ(e.offset, 8u) << e.what();
    EXPECT_NE(std::string(e.what()).find("expected a section id"), std::string::npos) << e.what();
  }
  std::vector<uint8_t> start = bytes;
  start[8] = 9;
  expect_error(start, ComponentError::Kind::Unsupported, "start");
}

TEST(ComponentReader, CountsTooLarge) {
  for (uint8_t id : {2, 5, 6, 7, 8, 10, 11}) {
    Bytes c = preamble();
    c.section(id, Bytes().u32(0xffffffffu));
    expect_error(c.b, ComponentError::Kind::Malformed, "cannot fit");
  }
  Bytes c = preamble();
  c.b.push_back(7);
  c.u32(1000);  // a section larger than the bytes
  expect_error(c.b, ComponentError::Kind::Malformed, "cannot fit");
  Bytes big = preamble();
  big.section(10, Bytes().u32(1).u8({0x00}).u32(0x7fffffff));  // a name longer than the bytes
  expect_error(big.b, ComponentError::Kind::Malformed, "cannot fit");
}

TEST(ComponentReader, NotAComponent) {
  std::vector<uint8_t> module = assemble_wat("(module)");
  EXPECT_FALSE(is_component(module));
  expect_error(module, ComponentError::Kind::Malformed, "version and layer");
  expect_error(std::vector<uint8_t>{'n', 'o', 'p', 'e', 0x0d, 0, 1, 0},
               ComponentError::Kind::Malformed, "magic");
}

TEST(ComponentReader, IndicesChecked) {
  // An export of a func that does not exist.
  Bytes c = preamble();
  c.section(11, Bytes().u32(1).u8({0x00}).name("f").u8({0x01}).u32(3).u8({0x00}));
  expect_error(c.b, ComponentError::Kind::Invalid, "func index below 0");
  // An alias of a core export the module does not have.
  std::vector<uint8_t> core = assemble_wat("(module (func (export \"f\")))");
  Bytes a = preamble();
  a.section(1, Bytes().raw(core));
  a.section(2, Bytes().u32(1).u8({0x00, 0x00, 0x00}));
  a.section(6, Bytes().u32(1).u8({0x00, 0x02, 0x01, 0x00}).name("memory"));
  expect_error(a.b, ComponentError::Kind::Invalid, "has no export \"memory\"");
  Bytes s = preamble();  // right name, wrong sort
  s.section(1, Bytes().raw(core));
  s.section(2, Bytes().u32(1).u8({0x00, 0x00, 0x00}));
  s.section(6, Bytes().u32(1).u8({0x00, 0x02, 0x01, 0x00}).name("f"));
  expect_error(s.b, ComponentError::Kind::Invalid, "is a core func, not a core memory");
  // A module instantiated without the imports it needs.
  std::vector<uint8_t> importing = assemble_wat("(module (import \"env\" \"h\" (func)))");
  Bytes m = preamble();
  m.section(1, Bytes().raw(importing));
  m.section(2, Bytes().u32(1).u8({0x00, 0x00, 0x00}));
  expect_error(m.b, ComponentError::Kind::Invalid, "imports from \"env\"");
  // own of something that is not a resource.
  Bytes o = preamble();
  o.section(7, Bytes().u32(2).u8({0x73}).u8({0x69, 0x00}));
  expect_error(o.b, ComponentError::Kind::Invalid, "not a resource");
  // A bad core module inside.
  Bytes bad = preamble();
  bad.section(1, Bytes().u8({0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x05, 0x01}));
  ComponentError e = error_of(bad.b);
  EXPECT_NE(std::string(e.what()).find("core module 0"), std::string::npos) << e.what();
  EXPECT_GE(e.offset, 10u);
}

TEST(ComponentReader, NestingBounded) {
  // Instance types nested 40 deep.
  Bytes inner = Bytes().u8({0x42, 0x00});
  for (int i = 0; i < 40; i++) inner = Bytes().u8({0x42}).u32(1).u8({0x01}).raw(inner.b);
  Bytes c = preamble();
  c.section(7, Bytes().u32(1).raw(inner.b));
  expect_error(c.b, ComponentError::Kind::Malformed, "nested more than");
}

TEST(ComponentReader, BadNames) {
  Bytes c = preamble();
  c.section(7, Bytes().u32(1).u8({0x40, 0x00, 0x01, 0x00}));
  c.section(10, Bytes().u32(1).u8({0x00}).name("Not_Kebab").u8({0x01, 0x00}));
  expect_error(c.b, ComponentError::Kind::Invalid, "not a valid name");
  Bytes d = preamble();
  d.section(7, Bytes().u32(1).u8({0x40, 0x00, 0x01, 0x00}));
  d.section(
      10,
      Bytes().u32(2).u8({0x00}).name("g").u8({0x01, 0x00}).u8({0x00}).name("g").u8({0x01, 0x00}));
  expect_error(d.b, ComponentError::Kind::Invalid, "duplicate import");
  Bytes u = preamble();
  u.section(10, Bytes().u32(1).u8({0x00}).u32(2).u8({0xc3, 0x28}).u8({0x01, 0x00}));
  expect_error(u.b, ComponentError::Kind::Malformed, "UTF-8");
}
