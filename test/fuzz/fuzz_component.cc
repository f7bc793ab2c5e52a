// Fuzz target: bytes as a WebAssembly component. read_component either
// returns a component or throws ComponentError (any other exception escapes
// and aborts, so libFuzzer keeps the input); what it returns must hold views
// of the input only, and describe_package over it either gives a package
// whose main module and core instances exist or throws ComponentError. No V8, so
// LeakSanitizer is on.
//
// Then the WIT-typed calls: wit_functions over the package either resolves
// every exported function or throws ComponentError, and for each function
// resolved, core results made up from the input (random values of the core
// types the signature lifts from, against a 64 KiB memory of random bytes)
// are lifted, and random values of its parameter types lowered: each gives
// a value or a CabiError, nothing else. The "random" bytes come from a hash
// of the input, so a crash reproduces from the input alone.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <span>

#include "component/cabi.h"
#include "component/errors.h"
#include "component/package.h"
#include "component/read.h"
#include "component/wit_text.h"
#include "component/wit_types.h"
#include "fuzz/fuzz_support.h"

using namespace pgwasm;

namespace {

// Every core module's bytes, at any depth, lie inside the input at the
// offset the reader gives (nested components' offsets count from the
// outermost component's first byte or their own: only the view is checked).
void check_views(const component::Component &c, std::span<const uint8_t> input) {
  for (const auto &m : c.core_modules) {
    if (m.bytes.data() < input.data() ||
        m.bytes.data() + m.bytes.size() > input.data() + input.size())
      fuzz::fail("read_component gave a core module outside the input");
  }
  for (const auto &nested : c.components) check_views(nested, input);
}

// splitmix64, seeded by the input's FNV-1a hash.
class Random {
 public:
  explicit Random(std::span<const uint8_t> input) {
    uint64_t h = 0xcbf29ce484222325u;
    for (uint8_t b : input) h = (h ^ b) * 0x100000001b3u;
    state_ = h;
  }
  uint64_t next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
  }
  uint32_t below(uint32_t n) { return static_cast<uint32_t>(next() % n); }

  // A 32-bit word as a guest might leave it: mostly a small count, an
  // address inside 64 KiB, or a discriminant; sometimes anything.
  uint32_t word() {
    switch (below(4)) {
      case 0: return below(8);
      case 1: return below(65536);
      case 2: return below(65536) & ~7u;
      default: return static_cast<uint32_t>(next());
    }
  }

 private:
  uint64_t state_;
};

// A guest's memory: 64 KiB of random words, and a realloc that usually
// gives a block inside it, sometimes one outside or misaligned.
class FakeMemory : public component::GuestMemory {
 public:
  explicit FakeMemory(Random &r) : r_(r), mem_(65536) {
    for (size_t i = 0; i < mem_.size(); i += 4) {
      uint32_t w = r.word();
      std::memcpy(mem_.data() + i, &w, 4);
    }
  }
  std::span<uint8_t> bytes() override { return mem_; }
  uint32_t realloc(uint32_t align, uint32_t size) override {
    if (r_.below(16) == 0) return r_.word();
    top_ = (top_ + align - 1) / align * align;
    uint32_t p = top_;
    top_ += size;
    return p;
  }

 private:
  Random &r_;
  std::vector<uint8_t> mem_;
  uint32_t top_ = 1024;
};

// A random value of type t: cases, flags and chars sometimes out of range,
// lists of at most 3 elements, and none once `lists` values have gone into
// lists (nested lists would grow as 3^depth).
component::Value random_value(Random &r, const component::Type &t, size_t &lists) {
  using component::Kind;
  using component::Value;
  switch (t.kind) {
    case Kind::F32:
    case Kind::F64: return Value::real(static_cast<double>(static_cast<int64_t>(r.next())) / 7);
    case Kind::String: return Value::str(std::string(r.below(5), 'a'));
    case Kind::Char: return Value::u(r.below(8) ? 'a' + r.below(26) : r.word());
    case Kind::Flags:
      return Value::u(r.below(8) ? r.below(1u << std::min<size_t>(t.names.size(), 16)) : r.word());
    case Kind::List: {
      Value v;
      for (uint32_t i = lists ? r.below(4) : 0; i > 0 && lists; i--, lists--)
        v.items.push_back(random_value(r, *t.items[0], lists));
      return v;
    }
    case Kind::Tuple:
    case Kind::Record: {
      Value v;
      for (const component::Type *f : t.items) v.items.push_back(random_value(r, *f, lists));
      return v;
    }
    case Kind::Enum:
    case Kind::Variant:
    case Kind::Option:
    case Kind::Result: {
      size_t cases = component::case_count(t);
      uint32_t c = r.below(16) ? r.below(static_cast<uint32_t>(cases)) : r.word();
      Value v = Value::of_case(c);
      if (c < cases)
        if (const component::Type *p = component::case_payload(t, c))
          v.items.push_back(random_value(r, *p, lists));
      return v;
    }
    default: return Value::u(r.next());
  }
}

pgwasm::Value random_core(Random &r, ValType t) {
  switch (t) {
    case ValType::I64: return pgwasm::Value::make_i64(static_cast<int64_t>(r.next()));
    case ValType::F32: return pgwasm::Value::make_f32(static_cast<float>(r.word()));
    case ValType::F64: return pgwasm::Value::make_f64(static_cast<double>(r.next()));
    default: return pgwasm::Value::make_i32(static_cast<int32_t>(r.word()));
  }
}

// Lifting made-up results and lowering made-up arguments of each function
// resolved: a value or a CabiError.
void call_typed(const component::Component &c, const component::Package &p,
                std::span<const uint8_t> input) {
  component::TypeArena arena;
  std::vector<component::WitFunction> fs;
  try {
    fs = component::wit_functions(c, p, arena);
  } catch (const component::ComponentError &e) {
    if (e.offset > input.size())
      fuzz::fail("wit_functions: ComponentError past the end of the input", e.what());
    return;
  }
  if (fs.size() != p.exports.size()) fuzz::fail("wit_functions lost or made up functions");
  Random r(input);
  for (const component::WitFunction &f : fs) {
    if (component::wit_text(f).empty()) fuzz::fail("wit_text gave nothing for a function");
    for (int round = 0; round < 4; round++) {
      FakeMemory memory(r);
      FuncType core = component::lifted_core_type(f.sig);
      std::vector<pgwasm::Value> results;
      for (ValType t : core.results) results.push_back(random_core(r, t));
      try {
        component::LiftLowerContext cx(memory);
        component::lift_export_result(cx, f.sig, results);
      } catch (const component::CabiError &) {
      }
      std::vector<component::Value> args;
      size_t lists = 256;
      for (const component::Type *t : f.sig.params) args.push_back(random_value(r, *t, lists));
      try {
        component::LiftLowerContext cx(memory);
        std::vector<pgwasm::Value> flat = component::lower_export_args(cx, f.sig, args);
        if (flat.size() != core.params.size())
          fuzz::fail("lower_export_args gave a different count than the lifted core type");
        for (size_t i = 0; i < flat.size(); i++)
          if (flat[i].type != core.params[i])
            fuzz::fail("lower_export_args gave a core value of another type");
      } catch (const component::CabiError &) {
      }
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::span<const uint8_t> bytes(data, size);
  component::Component c;
  try {
    c = component::read_component(bytes);
  } catch (const component::ComponentError &e) {
    if (e.offset > size) fuzz::fail("ComponentError past the end of the input", e.what());
    return 0;
  }
  if (!component::is_component(bytes))
    fuzz::fail("read_component accepted bytes without a component's preamble");
  check_views(c, bytes);
  component::Package p;
  try {
    p = component::describe_package(c);
  } catch (const component::ComponentError &e) {
    if (e.offset > size)
      fuzz::fail("describe_package: ComponentError past the end of the input", e.what());
    return 0;
  }
  if (p.main_module && *p.main_module >= c.core_modules.size())
    fuzz::fail("describe_package named a main module that does not exist");
  for (const auto &f : p.exports) {
    if (f.core_instance >= c.size(component::Sort::CoreInstance))
      fuzz::fail("describe_package gave an export lifted from no core instance");
  }
  call_typed(c, p, bytes);
  return 0;
}
