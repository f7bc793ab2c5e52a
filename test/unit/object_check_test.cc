// The inspection of a native build's shared object (object_check.h): the
// objects our build makes pass; objects compiled here from small C files
// with the same flags, but with code run at load, another import, export
// or library, and objects damaged byte by byte, are refused and say why.
#include <elf.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>

#include "engine/engine.h"
#include "engine/native/object_check.h"
#include "toolkit/text.h"

using namespace pgwasm;
using namespace pgwasm::engine;
using native::module_object_rules;
using native::object_refusal;

namespace fs = std::filesystem;

namespace {

using Bytes = std::vector<uint8_t>;

Bytes read_bytes(const fs::path &path) {
  std::ifstream in(path, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), {});
}

std::optional<std::string> refusal(const Bytes &bytes, const native::ObjectRules &rules) {
  return object_refusal(std::span(bytes.data(), bytes.size()), rules);
}

// What every object here is refused for, or "" when it passes.
std::string why(const Bytes &bytes, const native::ObjectRules &rules) {
  return refusal(bytes, rules).value_or("");
}

// Whether a refusal says `what`.
bool says(const std::string &why, const char *what) {
  return why.find(what) != std::string::npos;
}

constexpr char kRuntime[] = "wasm-rt-test.so";

// Compiles C files into shared objects as build.cc does (the module in a
// directory below the runtime's, linked to it through $ORIGIN/..).
class ObjectCheckTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = fs::temp_directory_path() / ("pg_wasm_object_check_" + std::to_string(getpid()));
    fs::create_directories(dir_ / "m");
    write(dir_ / "rt.c",
          "#include <setjmp.h>\n"
          "jmp_buf wasm_rt_jmp_buf;\n"
          "void wasm_rt_trap(int code) { longjmp(wasm_rt_jmp_buf, code + 1); }\n");
    compile("-shared -fPIC -O2 " + (dir_ / "rt.c").string() + " -o " + (dir_ / kRuntime).string());
    // Another library, one no module needs.
    write(dir_ / "other.c", "int other_function(int x) { return x + 1; }\n");
    compile("-shared -fPIC -O2 " + (dir_ / "other.c").string() + " -o " +
            (dir_ / "libother.so").string());
  }
  static void TearDownTestSuite() { fs::remove_all(dir_); }

  static void write(const fs::path &path, const std::string &text) { std::ofstream(path) << text; }
  static void compile(const std::string &args) {
    std::string command = "/usr/bin/cc " + args;
    ASSERT_EQ(std::system(command.c_str()), 0) << command;
  }

  // A module's object: the entry point, memmove, sqrt, a trap landing in
  // _setjmp and a call into the runtime, then `extra` C and `flags`.
  static Bytes build(const std::string &name, const std::string &extra = "",
                     const std::string &flags = "-nostartfiles") {
    fs::path c = dir_ / "m" / (name + ".c"), so = dir_ / "m" / (name + ".so");
    write(c,
          "#include <math.h>\n"
          "#include <setjmp.h>\n"
          "#include <string.h>\n"
          "extern jmp_buf wasm_rt_jmp_buf;\n"
          "void wasm_rt_trap(int);\n"
          "static double run(double x, char *d, const char *s, unsigned n) {\n"
          "  if (setjmp(wasm_rt_jmp_buf)) return -1;\n"
          "  if (n > 100) wasm_rt_trap(1);\n"
          "  memmove(d, s, n);\n"
          "  return sqrt(x);\n"
          "}\n"
          "__attribute__((visibility(\"default\"))) const struct { void *run; }\n"
          "  pgw_native_module_v1 = { (void *)run };\n" +
              extra);
    compile("-shared -fPIC -O2 -w -fvisibility=hidden -fno-strict-aliasing -fsignaling-nans " +
            flags + " " + c.string() + " -o " + so.string() + " -L" + dir_.string() +
            " -l:" + kRuntime + " '-Wl,-rpath,$ORIGIN/..' -lm");
    return read_bytes(so);
  }

  static native::ObjectRules rules() { return module_object_rules(kRuntime); }

  static fs::path dir_;
};
fs::path ObjectCheckTest::dir_;

// The ELF structures of a good object, to damage one field at a time.
struct Layout {
  explicit Layout(Bytes &bytes) : bytes(bytes) { std::memcpy(&eh, bytes.data(), sizeof eh); }
  Elf64_Phdr *phdr(uint32_t type) {
    for (int i = 0; i < eh.e_phnum; i++) {
      auto *p = reinterpret_cast<Elf64_Phdr *>(bytes.data() + eh.e_phoff) + i;
      if (p->p_type == type) return p;
    }
    return nullptr;
  }
  Elf64_Phdr *writable_load() {
    for (int i = 0; i < eh.e_phnum; i++) {
      auto *p = reinterpret_cast<Elf64_Phdr *>(bytes.data() + eh.e_phoff) + i;
      if (p->p_type == PT_LOAD && (p->p_flags & PF_W)) return p;
    }
    return nullptr;
  }
  Elf64_Dyn *dynamic(int64_t tag) {
    Elf64_Phdr *d = phdr(PT_DYNAMIC);
    if (!d) return nullptr;
    auto *dyn = reinterpret_cast<Elf64_Dyn *>(bytes.data() + d->p_offset);
    for (size_t i = 0; i < d->p_filesz / sizeof(Elf64_Dyn); i++)
      if (dyn[i].d_tag == tag) return &dyn[i];
    return nullptr;
  }
  Elf64_Ehdr *header() { return reinterpret_cast<Elf64_Ehdr *>(bytes.data()); }
  // The file bytes at an address of the object, through its PT_LOADs.
  uint8_t *at(uint64_t vaddr) {
    for (int i = 0; i < eh.e_phnum; i++) {
      auto *p = reinterpret_cast<Elf64_Phdr *>(bytes.data() + eh.e_phoff) + i;
      if (p->p_type == PT_LOAD && vaddr >= p->p_vaddr && vaddr - p->p_vaddr < p->p_filesz)
        return bytes.data() + p->p_offset + (vaddr - p->p_vaddr);
    }
    return nullptr;
  }
  Bytes &bytes;
  Elf64_Ehdr eh;
};

TEST_F(ObjectCheckTest, AnObjectLikeOursPasses) {
  Bytes good = build("good");
  EXPECT_EQ(why(good, rules()), "");
  // Bytes after the ELF file's own (the seal's trailer) are not read.
  Bytes sealed = good;
  sealed.insert(sealed.end(), 40, 0xa5);
  EXPECT_EQ(why(sealed, rules()), "");
}

TEST_F(ObjectCheckTest, TheStartFilesAreRefused) {
  // Without -nostartfiles gcc links crtbeginS.o and crti.o: init and fini
  // code, and weak imports (__cxa_finalize, __gmon_start__...).
  EXPECT_PRED2(says, why(build("startfiles", "", ""), rules()), "DT_INIT ");
}

TEST_F(ObjectCheckTest, CodeRunAtLoadIsRefused) {
  EXPECT_PRED2(says,
               why(build("ctor",
                         "static volatile int hit;\n"
                         "__attribute__((constructor)) static void f(void) { hit = 1; }\n"),
                   rules()),
               "DT_INIT_ARRAY");
  EXPECT_PRED2(says,
               why(build("dtor",
                         "static volatile int hit;\n"
                         "__attribute__((destructor)) static void f(void) { hit = 1; }\n"),
                   rules()),
               "DT_FINI_ARRAY");
  EXPECT_PRED2(says,
               why(build("init_array",
                         "static void f(void) {}\n"
                         "__attribute__((section(\".init_array\"), used))\n"
                         "static void (*const entry)(void) = f;\n"),
                   rules()),
               "DT_INIT_ARRAY");
  // ld makes a function named _init the object's DT_INIT.
  EXPECT_PRED2(says, why(build("underscore_init", "void _init(void) {}\n"), rules()), "DT_INIT ");
}

TEST_F(ObjectCheckTest, IndirectFunctionsAreRefused) {
  const std::string ifunc =
      "static int impl(void) { return 1; }\n"
      "static void *resolve(void) { return (void *)impl; }\n";
  // Exported: the symbol is an STT_GNU_IFUNC.
  EXPECT_PRED2(says,
               why(build("ifunc_exported",
                         ifunc + "__attribute__((visibility(\"default\"), ifunc(\"resolve\")))\n"
                                 "int pgw_pick(void);\n"),
                   rules()),
               "STT_GNU_IFUNC");
  // Hidden and called: no symbol, but an IRELATIVE relocation.
  std::string irelative =
      why(build("ifunc_hidden", ifunc + "int pick(void) __attribute__((ifunc(\"resolve\")));\n"
                                        "int (*volatile picked)(void) = pick;\n"),
          rules());
  EXPECT_PRED2(says, irelative, "IRELATIVE");
}

TEST_F(ObjectCheckTest, ImportsExportsAndLibrariesOutsideTheRulesAreRefused) {
  EXPECT_PRED2(
      says,
      why(build("system",
                "#include <stdlib.h>\n"
                "__attribute__((used)) static int shell(void) { return system(\"id\"); }\n"),
          rules()),
      "imports a symbol not allowed: system");
  EXPECT_PRED2(says,
               why(build("export",
                         "__attribute__((visibility(\"default\"))) int more(void) {\n"
                         "  return 1; }\n"),
                   rules()),
               "exports a symbol not allowed: more");
  EXPECT_PRED2(says,
               why(build("protected",
                         "__attribute__((visibility(\"protected\"))) int more(void) {\n"
                         "  return 1; }\n"),
                   rules()),
               "exports a symbol not allowed: more");
  EXPECT_PRED2(says,
               why(build("needs_other",
                         "int other_function(int);\n"
                         "__attribute__((used)) static int call(void) {\n"
                         "  return other_function(1); }\n",
                         "-nostartfiles -Wl,--no-as-needed -lother"),
                   rules()),
               "needs a library not allowed: libother.so");
  EXPECT_PRED2(says, why(build("runpath", "", "-nostartfiles -Wl,-rpath,/tmp"), rules()),
               "run path is not allowed: /tmp:$ORIGIN/..");
  // The rules decide: the same good object under rules that lack libm, or
  // name another runtime.
  Bytes good = build("good");
  auto no_libm = rules();
  std::erase(no_libm.allowed_needed, "libm.so.6");
  EXPECT_PRED2(says, why(good, no_libm), "needs a library not allowed: libm.so.6");
  EXPECT_PRED2(says, why(good, module_object_rules("wasm-rt-other.so")),
               "needs a library not allowed: wasm-rt-test.so");
  auto no_sqrt = rules();
  std::erase(no_sqrt.allowed_imports, "sqrt");
  EXPECT_PRED2(says, why(good, no_sqrt), "imports a symbol not allowed: sqrt");
}

TEST_F(ObjectCheckTest, SegmentsAndHeadersOutsideTheRulesAreRefused) {
  const Bytes good = build("good");
  auto damaged = [&](auto &&edit) {
    Bytes b = good;
    Layout l(b);
    edit(l);
    return why(b, rules());
  };
  EXPECT_PRED2(says, damaged([](Layout &l) {
                 l.header()->e_machine = l.eh.e_machine == EM_X86_64 ? EM_AARCH64 : EM_X86_64;
               }),
               "not for this machine");
  EXPECT_PRED2(says, damaged([](Layout &l) { l.header()->e_type = ET_EXEC; }),
               "not a shared object");
  EXPECT_PRED2(says, damaged([](Layout &l) { l.bytes[EI_CLASS] = ELFCLASS32; }), "64-bit");
  EXPECT_PRED2(says, damaged([](Layout &l) { l.bytes[EI_DATA] = ELFDATA2MSB; }), "little-endian");
  EXPECT_PRED2(says, damaged([](Layout &l) { l.bytes[1] = 'X'; }), "not an ELF file");
  EXPECT_PRED2(says, damaged([](Layout &l) { l.writable_load()->p_flags |= PF_X; }),
               "both writable and executable");
  EXPECT_PRED2(says, damaged([](Layout &l) { l.phdr(PT_GNU_STACK)->p_flags |= PF_X; }),
               "executable stack");
  EXPECT_PRED2(says, damaged([](Layout &l) { l.phdr(PT_GNU_STACK)->p_type = PT_NULL; }),
               "no PT_GNU_STACK");
  EXPECT_PRED2(says, damaged([](Layout &l) { l.phdr(PT_NOTE)->p_type = PT_INTERP; }), "PT_INTERP");
  EXPECT_PRED2(says, damaged([](Layout &l) {
                 l.header()->e_shoff = 0;
                 l.header()->e_shnum = 0;
               }),
               "no section headers");
}

TEST_F(ObjectCheckTest, DynamicTagsOutsideTheAllowlistAreRefused) {
  const Bytes good = build("good");
  // Each replaces the harmless DT_PLTGOT entry.
  auto with = [&](int64_t tag, uint64_t value) {
    Bytes b = good;
    Layout l(b);
    Elf64_Dyn *d = l.dynamic(DT_PLTGOT);
    if (!d) return std::string("(no DT_PLTGOT in the good object)");
    d->d_tag = tag;
    d->d_un.d_val = value;
    return why(b, rules());
  };
  EXPECT_PRED2(says, with(DT_INIT, 0x1000), "DT_INIT ");
  EXPECT_PRED2(says, with(DT_FINI, 0x1000), "DT_FINI ");
  EXPECT_PRED2(says, with(DT_PREINIT_ARRAY, 0x1000), "DT_PREINIT_ARRAY");
  EXPECT_PRED2(says, with(DT_INIT_ARRAYSZ, 8), "DT_INIT_ARRAYSZ");
  EXPECT_PRED2(says, with(DT_AUDIT, 1), "DT_AUDIT");
  EXPECT_PRED2(says, with(DT_DEPAUDIT, 1), "DT_DEPAUDIT");
  EXPECT_PRED2(says, with(DT_AUXILIARY, 1), "DT_AUXILIARY");
  EXPECT_PRED2(says, with(DT_FILTER, 1), "DT_FILTER");
  EXPECT_PRED2(says, with(DT_TEXTREL, 0), "DT_TEXTREL");
  EXPECT_PRED2(says, with(DT_FLAGS, DF_TEXTREL), "DF_TEXTREL");
  EXPECT_PRED2(says, with(DT_FLAGS, DF_SYMBOLIC), "unexpected DT_FLAGS");
  EXPECT_PRED2(says, with(DT_FLAGS_1, DF_1_INITFIRST), "unexpected DT_FLAGS_1");
  EXPECT_PRED2(says, with(DT_SONAME, 1), "tag not allowed: DT_SONAME");
  EXPECT_PRED2(says, with(0x6abcdef0, 1), "tag not allowed: 0x6abcdef0");
  // Empty arrays and flags that run nothing are allowed.
  EXPECT_EQ(with(DT_INIT_ARRAYSZ, 0), "");
  EXPECT_EQ(with(DT_FLAGS, DF_BIND_NOW), "");
  EXPECT_EQ(with(DT_FLAGS_1, DF_1_NOW), "");
}

// What the loader would read or write out of place: a relocation of
// read-only memory or of a symbol past the table, a name past the strings.
TEST_F(ObjectCheckTest, ReferencesOutOfPlaceAreRefused) {
  const Bytes good = build("good");
  auto damaged = [&](auto &&edit) {
    Bytes b = good;
    Layout l(b);
    if (!edit(l)) return std::string("(the good object lacks what the edit changes)");
    return why(b, rules());
  };
  auto first_rela = [](Layout &l) -> Elf64_Rela * {
    Elf64_Dyn *d = l.dynamic(DT_RELA);
    return d ? reinterpret_cast<Elf64_Rela *>(l.at(d->d_un.d_ptr)) : nullptr;
  };
  EXPECT_PRED2(says, damaged([&](Layout &l) {
                 Elf64_Rela *r = first_rela(l);
                 if (r) r->r_offset = 0;  // the ELF header, mapped read-only
                 return r != nullptr;
               }),
               "relocates memory that is not writable");
  EXPECT_PRED2(says, damaged([&](Layout &l) {
                 Elf64_Rela *r = first_rela(l);
                 if (r) r->r_info = ELF64_R_INFO(0xffff, ELF64_R_TYPE(r->r_info));
                 return r != nullptr;
               }),
               "names a symbol outside the symbol table");
  EXPECT_PRED2(says, damaged([&](Layout &l) {
                 Elf64_Dyn *needed = l.dynamic(DT_NEEDED);
                 if (needed) needed->d_un.d_val = 1 << 20;
                 return needed != nullptr;
               }),
               "DT_NEEDED name is not in the dynamic string table");
  EXPECT_PRED2(says, damaged([&](Layout &l) {
                 Elf64_Dyn *hash = l.dynamic(DT_GNU_HASH);
                 uint8_t *table = hash ? l.at(hash->d_un.d_ptr) : nullptr;
                 if (table) std::memset(table + 4, 0xff, 4);  // symoffset
                 return table != nullptr;
               }),
               "DT_GNU_HASH starts past the symbol table");
  EXPECT_PRED2(says, damaged([&](Layout &l) {
                 Elf64_Dyn *d = l.dynamic(DT_NULL);
                 if (d) d->d_tag = DT_BIND_NOW;  // and nothing after it
                 Elf64_Phdr *p = l.phdr(PT_DYNAMIC);
                 if (p)
                   p->p_filesz = p->p_memsz =
                       (d - reinterpret_cast<Elf64_Dyn *>(l.bytes.data() + p->p_offset) + 1) *
                       sizeof(Elf64_Dyn);
                 return d && p;
               }),
               "does not end (no DT_NULL)");
}

TEST_F(ObjectCheckTest, TruncatedObjectsAreRefused) {
  const Bytes good = build("good");
  for (size_t size : {size_t{0}, size_t{3}, size_t{16}, size_t{63}, size_t{64}, size_t{200},
                      good.size() / 4, good.size() / 2, good.size() - 64, good.size() - 1}) {
    Bytes cut(good.begin(), good.begin() + static_cast<ptrdiff_t>(size));
    EXPECT_NE(why(cut, rules()), "") << "cut at " << size;
  }
}

// Random damage never makes the checker read out of bounds or crash (the
// fuzz target fuzz_object_check does more, under ASan): bytes flipped
// anywhere, and fields of the headers set to values at the bounds.
TEST_F(ObjectCheckTest, DamagedObjectsNeverCrashTheChecker) {
  const Bytes good = build("good");
  const auto r = rules();
  std::mt19937_64 random(20240611);
  const Elf64_Ehdr *eh = reinterpret_cast<const Elf64_Ehdr *>(good.data());
  // Where the headers are: the ELF header, the program headers, the
  // dynamic segment and the section headers.
  std::vector<std::pair<uint64_t, uint64_t>> hot = {
      {0, sizeof(Elf64_Ehdr)},
      {eh->e_phoff, eh->e_phnum * sizeof(Elf64_Phdr)},
      {eh->e_shoff, eh->e_shnum * sizeof(Elf64_Shdr)}};
  {
    Bytes copy = good;
    Layout l(copy);
    if (Elf64_Phdr *d = l.phdr(PT_DYNAMIC)) hot.emplace_back(d->p_offset, d->p_filesz);
  }
  const uint64_t edges[] = {0,
                            1,
                            7,
                            8,
                            0xffffffff,
                            good.size() - 1,
                            good.size(),
                            good.size() + 1,
                            UINT64_MAX / 2,
                            UINT64_MAX - 7,
                            UINT64_MAX};
  int refused = 0;
  for (int round = 0; round < 20000; round++) {
    Bytes b = good;
    int edits = 1 + static_cast<int>(random() % 6);
    for (int e = 0; e < edits; e++) {
      if (random() % 2) {
        b[random() % b.size()] ^= static_cast<uint8_t>(1u << (random() % 8));
      } else {
        auto [start, size] = hot[random() % hot.size()];
        uint64_t at = (start + random() % size) & ~uint64_t{7};
        uint64_t v = edges[random() % std::size(edges)];
        size_t width = (random() % 2) ? 8 : 4;
        if (at + width <= b.size()) std::memcpy(b.data() + at, &v, width);
      }
    }
    if (random() % 8 == 0) b.resize(random() % b.size());
    refused += refusal(b, r).has_value();
  }
  // Most damage to the headers is found; the count only shows the loop ran.
  EXPECT_GT(refused, 0);
}

// The objects the native engine builds, from modules that use what wasm2c
// calls outside the runtime (float rounding and square roots, memory.copy
// and memory.fill, data segments, traps), plain and with fuel, all pass the
// rules for the runtime it built beside them.
TEST(ObjectCheckNativeBuilds, TheEngineBuildsPass) {
  fs::path cache =
      fs::temp_directory_path() / ("pg_wasm_object_check_builds_" + std::to_string(getpid()));
  fs::create_directories(cache);
  {
    auto engine = make_native_engine({.max_memory_pages = 16},
                                     {.cache_dir = cache.string(), .toolchain = {}});
    constexpr std::string_view wat = R"((module
      (import "host" "f" (func $f (param f64) (result f64)))
      (memory (export "memory") 1)
      (data (i32.const 16) "hello")
      (table 2 funcref)
      (elem (i32.const 0) $floor32 $sqrt64)
      (func $floor32 (export "floor32") (param f32) (result f32)
        local.get 0 f32.floor local.get 0 f32.ceil f32.add
        local.get 0 f32.trunc f32.add local.get 0 f32.nearest f32.add
        local.get 0 f32.sqrt f32.add local.get 0 f32.abs f32.add
        local.get 0 f32.const 1 f32.min f32.add local.get 0 f32.const 1 f32.max f32.add)
      (func $sqrt64 (export "sqrt64") (param f64) (result f64)
        local.get 0 f64.floor local.get 0 f64.ceil f64.add
        local.get 0 f64.trunc f64.add local.get 0 f64.nearest f64.add
        local.get 0 f64.sqrt f64.add local.get 0 f64.abs f64.add
        local.get 0 f64.const 1 f64.min f64.add local.get 0 f64.const 1 f64.max f64.add
        call $f)
      (func (export "copy") (param i32 i32 i32)
        local.get 0 local.get 1 local.get 2 memory.copy
        local.get 0 i32.const 7 local.get 2 memory.fill)
      (func (export "trap") (param i32) (result i32)
        local.get 0 i32.const 0 i32.div_s)))";
    auto wasm = toolkit::assemble_wat(wat);
    engine->compile(wasm, {});
    engine->compile(wasm, {.fuel = true});
  }
  std::string runtime;
  std::vector<fs::path> modules;
  for (const auto &entry : fs::recursive_directory_iterator(cache)) {
    if (entry.path().extension() != ".so") continue;
    if (entry.path().parent_path() == cache)
      runtime = entry.path().filename().string();
    else
      modules.push_back(entry.path());
  }
  ASSERT_FALSE(runtime.empty());
  ASSERT_EQ(modules.size(), 2u);
  for (const auto &m : modules)
    EXPECT_EQ(why(read_bytes(m), module_object_rules(runtime)), "") << m;
  fs::remove_all(cache);
}

}  // namespace
