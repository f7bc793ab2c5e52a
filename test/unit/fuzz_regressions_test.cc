// Inputs the fuzz targets (test/fuzz) found crashing, each written as text or
// built by a generator: never an opaque binary. Each test is a ctest test of
// its own (fuzz_regressions.<suite>.<name>) in its own process, so that one
// that still crashes fails alone.
#include <dlfcn.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "engine/engine.h"
#include "toolkit/binary.h"
#include "toolkit/instrument.h"
#include "toolkit/text.h"

using namespace pgwasm;
using namespace pgwasm::toolkit;

namespace {

// A binary module of these sections (id, content), for inputs that no text
// can express.
std::vector<uint8_t> binary_module(
    std::initializer_list<std::pair<uint8_t, std::vector<uint8_t>>> sections) {
  std::vector<uint8_t> out = {0x00, 'a', 's', 'm', 0x01, 0x00, 0x00, 0x00};
  for (const auto &[id, content] : sections) {
    out.push_back(id);
    for (size_t n = content.size();; n >>= 7) {  // LEB128 size
      out.push_back((n & 0x7f) | (n >> 7 ? 0x80 : 0));
      if (!(n >> 7)) break;
    }
    out.insert(out.end(), content.begin(), content.end());
  }
  return out;
}

}  // namespace

// fuzz_text: wabt 1.0.32's text parser asserts (abort) on an element
// expression that opens a parenthesis with no instruction after it, such as
// the empty list `()`: ParseElemExprOpt calls ParseExpr without checking
// IsExpr first (wast-parser.cc:3083). Every kind of element segment reaches
// it, and a table's inline one too. A module text must get a TextError.
TEST(FuzzText, ElemExpressionWithoutInstructionIsAnError) {
  EXPECT_THROW(assemble_wat("(module (elem funcref ()))"), TextError);
  EXPECT_THROW(assemble_wat("(module (elem declare funcref (ref.func 0) ()) (func))"), TextError);
  EXPECT_THROW(assemble_wat("(module (table 1 funcref) (elem (i32.const 0) funcref (\"x\")))"),
               TextError);
  EXPECT_THROW(assemble_wat("(module (table funcref (elem ())))"), TextError);
  // As found: a module field at the top level, cut short.
  EXPECT_THROW(assemble_wat("(elem funcref("), TextError);
}

// fuzz_text_engine: a malformed instruction inside an element segment makes
// wabt 1.0.32 recover by skipping tokens, closing parentheses included; it
// then reads the next module field, `(elem`, as one more element and asserts
// as above. Segments are held to the 2.0 grammar before wabt parses them.
TEST(FuzzText, MalformedElementInstructionIsAnError) {
  EXPECT_THROW(assemble_wat("(elem funcref(ref.func $f)(item(ref.null))(ref.func $g))(elem"),
               TextError);
  EXPECT_THROW(assemble_wat("(module (elem funcref (item (ref.null)) (ref.func 0)) (elem funcref))"
                            " (func)"),
               TextError);
  EXPECT_THROW(assemble_wat("(module (table 1 funcref) (elem (offset (i32.const)) func) (func))"),
               TextError);
  EXPECT_THROW(assemble_wat("(module (table 1 funcref) (elem (i32.const 4294967296) func))"),
               TextError);
  EXPECT_THROW(assemble_wat("(module (table funcref (elem (ref.func 0) (table 0))) (func))"),
               TextError);
  // Every well-formed kind of segment still assembles.
  for (const char *wat :
       {"(module (table $t 2 funcref) (func $f)"
        " (elem (table $t) (offset (i32.const 0)) funcref (item ref.func $f) (ref.null func))"
        " (elem (i32.const 1) func $f) (elem $p funcref (item (ref.null func)))"
        " (elem declare func $f) (elem 0 (offset i32.const -0x1) $f))",
        "(module (func $f) (table funcref (elem (ref.func $f) (item ref.null func))))",
        "(module (func $f) (table $t funcref (elem $f $f)))"})
    EXPECT_NO_THROW(assemble_wat(wat)) << wat;
}

// fuzz_text: an annotation whose quoted name runs into a newline at the end
// of the text, `(@"` then a newline, makes wabt 1.0.32 build a token string
// of negative length (Token::to_string, from WastParser::Peek under
// ParseModule): std::length_error instead of a TextError. A host reports it
// as an internal error, without the text's line and column.
TEST(FuzzText, UnterminatedAnnotationNameIsAnError) {
  EXPECT_THROW(assemble_wat("(@\"\n"), TextError);
  EXPECT_THROW(assemble_wat("(@\"name\n"), TextError);
}

// fuzz_binary: wabt 1.0.32's binary reader asserts (abort) when a constant
// expression is cut off by the end of its section inside a block or loop
// (intrusive-list.h:402, intrusive_list::back() on an empty list, called from
// BinaryReaderIR::OnEndExpr): the block's label stays on the reader's stack,
// and the `end` of the next section's offset expression pops it.
// read_module must report the module as malformed.
TEST(FuzzBinary, ConstantExpressionCutOffInsideABlockIsMalformed) {
  const std::vector<uint8_t> global_block = {0x01, 0x7f, 0x00, 0x02, 0x40};  // i32 = block ...
  const std::vector<uint8_t> global_loop = {0x01, 0x7f, 0x00, 0x03, 0x40};   // i32 = loop ...
  // Active segments at offset (i32.const 0), with nothing in them.
  const std::vector<uint8_t> elem = {0x01, 0x00, 0x41, 0x00, 0x0b, 0x00};
  const std::vector<uint8_t> data = {0x01, 0x00, 0x41, 0x00, 0x0b, 0x00};
  EXPECT_THROW(read_module(binary_module({{6, global_block}, {9, elem}})), BinaryError);
  EXPECT_THROW(read_module(binary_module({{6, global_loop}, {9, elem}})), BinaryError);
  EXPECT_THROW(read_module(binary_module({{5, {0x01, 0x00, 0x01}}, {6, global_block}, {11, data}})),
               BinaryError);
}

// fuzz_binary: the engine keeps every function reference that crosses into
// the host (a call's funcref result, a host function's funcref argument) for
// its whole life, in V8Engine::func_refs_ (js_values.cc, from_js), and so
// keeps alive the function's instance with its memory, tables and code; each
// new reference is also compared with every one kept before. Instance after
// instance returning a function reference then fills the engine's heap,
// although the host has dropped them all.
TEST(FuzzBinary, FunctionReferencesDoNotKeepInstancesAlive) {
  using namespace pgwasm::engine;
  auto engine = make_v8_engine({.max_heap_bytes = size_t{64} << 20});
  // Each instance's table takes 8 MB of the engine's heap.
  auto module = engine->compile(assemble_wat(R"((module
    (table 1000000 funcref)
    (func $f (export "f") (result funcref) ref.func $f)))"));
  for (int i = 0; i < 50; i++) {
    auto instance = engine->instantiate(module, {});
    Value result;
    instance->call(0, nullptr, &result);
    ASSERT_EQ(result.ref.kind, Ref::Kind::Func);
  }
}

// fuzz_text: inside an element segment, a parenthesis opening a keyword that
// is not an instruction (`(ref`, `(func`) reaches the same wabt assertion as
// `()` does (ParseElemExprOpt): refused before the parser.
TEST(FuzzText, ElemExpressionOfAKeywordIsAnError) {
  EXPECT_THROW(assemble_wat("(module (table 2 funcref) (elem funcref (ref.func 0) (ref (func))))"),
               TextError);
  EXPECT_THROW(assemble_wat("(module (elem funcref (func)) (func))"), TextError);
  // What element segments may hold still assembles.
  EXPECT_NO_THROW(assemble_wat(R"((module (table $t 2 funcref) (func $f)
    (elem (table $t) (offset (i32.const 0)) funcref (item ref.func $f) (ref.null func))
    (elem declare func $f)))"));
}

// fuzz_text_engine: `(module)` through the instrumentation with memory
// bounds: the pass added a memory.grow bound to a module without a memory,
// whose memory.size and memory.grow then had no memory to refer to.
TEST(FuzzPasses, MemoryBoundOfAModuleWithoutMemory) {
  auto wasm = assemble_wat("(module (func (export \"f\")))");
  EXPECT_NO_THROW(read_module(instrument(wasm, {.fuel = true, .memory_limit = true})));
  EXPECT_NO_THROW(read_module(instrument(wasm, {.fuel = false, .memory_limit = true})));
}

// fuzz_text: wabt 1.0.32 takes an element segment of a value type that is
// no reference type, (elem f32), and writes a binary that read_module
// refuses.
TEST(FuzzText, ElementSegmentOfANumericTypeIsAnError) {
  EXPECT_THROW(assemble_wat("(module (elem $e3 f32))"), TextError);
  EXPECT_THROW(assemble_wat("(module (table 1 funcref) (elem (i32.const 0) i64))"), TextError);
  EXPECT_NO_THROW(read_module(assemble_wat("(module (elem $e funcref))")));
  EXPECT_NO_THROW(read_module(assemble_wat("(module (elem $e externref (ref.null extern)))")));
}

// fuzz_text_engine: wabt 1.0.32 parses a 64-bit memory, `(memory i64 0)`,
// with memory64 off, and writes it: assemble_wat made a module that is not
// WebAssembly 2.0, which read_module then refused.
TEST(FuzzText, Memory64IsAnError) {
  EXPECT_THROW(assemble_wat("(module (memory i64 0))"), TextError);
  EXPECT_THROW(assemble_wat("(module (import \"m\" \"mem\" (memory i64 1)))"), TextError);
  EXPECT_NO_THROW(read_module(assemble_wat("(module (memory i32 1))")));
}

// fuzz_native_build, under LeakSanitizer: the native engine's modules link
// wasm2c's runtime, which was unloaded with the last module's object. It
// then lost the function types instances had registered in it (allocated,
// never freed), and every load after registered and leaked them again. The
// runtime stays loaded while its engine lives, and goes with it.
TEST(FuzzNativeBuild, TheRuntimeStaysLoadedWhileItsEngineLives) {
  using namespace pgwasm::engine;
  namespace fs = std::filesystem;
  char dir[] = "/tmp/pg_wasm_fuzz_regression_XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  NativeConfig config;
  config.cache_dir = dir;
  auto engine = make_native_engine({}, config);
  int here;
  engine->set_stack_limit(reinterpret_cast<uintptr_t>(&here) - (1 << 20));
  for (int n = 1; n <= 2; n++) {
    auto module = engine->compile(assemble_wat(
        "(module (func (export \"f\") (result i32) i32.const " + std::to_string(n) + "))"));
    auto instance = engine->instantiate(module, {});
    Value r;
    instance->call(0, nullptr, &r);
    EXPECT_EQ(r.as_i32(), n);
  }
  // Both modules, their instances and their objects are gone.
  std::string runtime;
  for (const auto &e : fs::directory_iterator(dir)) {
    std::string name = e.path().filename().string();
    if (name.starts_with("wasm-rt-") && name.ends_with(".so")) runtime = e.path().string();
  }
  ASSERT_FALSE(runtime.empty()) << "no runtime in " << dir;
  void *loaded = dlopen(runtime.c_str(), RTLD_NOW | RTLD_NOLOAD);
  EXPECT_NE(loaded, nullptr) << "the runtime was unloaded with the last module's object";
  if (loaded) dlclose(loaded);
  engine.reset();
  loaded = dlopen(runtime.c_str(), RTLD_NOW | RTLD_NOLOAD);
  EXPECT_EQ(loaded, nullptr) << "the runtime outlived its engine";
  if (loaded) dlclose(loaded);
  fs::remove_all(dir);
}
