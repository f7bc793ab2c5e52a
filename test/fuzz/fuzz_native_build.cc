// Fuzz target: the native engine's whole build path (src/engine/native),
// where a module becomes C, a shared object and loaded code. Each input
// makes a small valid module: the input itself when it is one and small (the
// test guests seed the corpus), else one generated from its bytes (Plan),
// with names made from the input in every place a name can stand: import
// module and field names, export names, the name section's every
// subsection, custom sections' names and contents. Then:
//
// - the C the build generates for it (native::translate, as the engine
//   instruments it) is byte for byte the C of the same module with neutral
//   names and no custom section: no name of the module, of 4 bytes or more,
//   is in it, and nothing else of them changes it;
// - the native engine builds it, instantiates it with host imports made to
//   fit and calls its exports with a few values, under a small fuel budget;
// - every failure is one of the engine's error classes (CompileError,
//   LinkError, Trap, Interrupted) or what a host function threw. A
//   generated module uses only what the engine runs and imports what fits:
//   it must build and link. An input module may fail to, as wasm2c or the
//   engine refuse it, but never in the C compiler or in the checks of what
//   the build made.
//
// A build takes gcc 0.2 to 0.5 s. The engine's cache (one per process under
// /tmp, or the one run.sh gives a run) is keyed by the module's content,
// and the sources of a module are checked once, so a module met again costs
// milliseconds.
#include <dlfcn.h>
#include <fuzzer/FuzzedDataProvider.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <typeinfo>
#include <unordered_set>
#include <vector>

#include "engine/engine.h"
#include "engine/native/artifact_cache.h"
#include "engine/native/build.h"
#include "fuzz/fuzz_support.h"
#include "toolkit/binary.h"
#include "toolkit/binary_edit.h"
#include "toolkit/errors.h"
#include "toolkit/instrument.h"
#include "toolkit/name_text.h"
#include "toolkit/shape.h"

using namespace pgwasm;
using engine::Value;

namespace {

namespace fs = std::filesystem;
using Bytes = std::vector<uint8_t>;

// An input module larger than these is not built: gcc would take seconds
// (libFuzzer's -timeout in run.sh is 10 s).
constexpr size_t kMaxInputBytes = 256 << 10;
constexpr uint64_t kMaxInputCodeBytes = 4 << 10;
constexpr uint64_t kMaxInputDataBytes = 64 << 10;
// Calls per input, each with its fuel; guest code also stops at a deadline
// far beyond what that fuel takes, for our own hangs.
constexpr size_t kMaxCalls = 8;
constexpr int64_t kMaxFuel = 50'000;
constexpr auto kDeadline = std::chrono::seconds(2);
// A fresh engine (and, when it has grown, an empty cache) after this many
// inputs: instances that share their tables or funcrefs live as long as
// their engine.
constexpr size_t kInputsPerEngine = 1000;
constexpr uint64_t kMaxCacheBytes = uint64_t{512} << 20;

// What a host function throws when the plan says so: it must come out of
// the call (or the instantiation) that reached it, as itself.
struct HostFailure : std::runtime_error {
  HostFailure() : std::runtime_error("a host function failed") {}
};

// ---------------------------------------------------------------------------
// The binary format.

void put_leb(Bytes &out, uint64_t v) {
  do {
    uint8_t b = v & 0x7f;
    v >>= 7;
    out.push_back(v ? b | 0x80 : b);
  } while (v);
}

void put_sleb(Bytes &out, int64_t v) {
  for (;;) {
    uint8_t b = v & 0x7f;
    v >>= 7;  // arithmetic
    bool done = (v == 0 && !(b & 0x40)) || (v == -1 && (b & 0x40));
    out.push_back(done ? b : b | 0x80);
    if (done) return;
  }
}

void put_bytes(Bytes &out, std::string_view s) {
  out.insert(out.end(), s.begin(), s.end());
}
void put_bytes(Bytes &out, const Bytes &b) {
  out.insert(out.end(), b.begin(), b.end());
}

void put_name(Bytes &out, std::string_view s) {
  put_leb(out, s.size());
  put_bytes(out, s);
}

void put_section(Bytes &out, uint8_t id, const Bytes &body) {
  out.push_back(id);
  put_leb(out, body.size());
  put_bytes(out, body);
}

uint8_t type_code(ValType t) {
  switch (t) {
    case ValType::I32: return 0x7f;
    case ValType::I64: return 0x7e;
    case ValType::F32: return 0x7d;
    case ValType::F64: return 0x7c;
    case ValType::V128: return 0x7b;
    case ValType::FuncRef: return 0x70;
    default: return 0x6f;
  }
}

void put_limits(Bytes &out, const Limits &l) {
  out.push_back(l.max ? 0x01 : 0x00);
  put_leb(out, l.min);
  if (l.max) put_leb(out, *l.max);
}

// ---------------------------------------------------------------------------
// Names: pieces of the input and of what breaks C, its preprocessor and
// wasm2c's mangling, sometimes repeated into a long name.

constexpr std::string_view kFragments[] = {
    "*/",
    "/*",
    "//",
    "\\",
    "\\\n",
    "\n",
    "\r\n",
    "?\?/",
    "?\?=",
    "?\?'",
    "\"",
    "'",
    "#",
    "#define u32 int\n",
    "#include \"/etc/passwd\"\n",
    "__attribute__((constructor)) static void f(void) { system(\"id\"); }",
    std::string_view("\0", 1),
    "\xff",
    "\xc0\x80",
    "\xed\xa0\x80",
    "\xe2\x80\xae",
    "\xf0\x9f\x98\x80",
    "%s%n",
    "Z_",
    "Z_m",
    "Z_hZ_i0",
    "w2c_",
    "wasm_rt_",
    "pgw_",
    "memory",
    "e0",
    "i0",
    "h",
    "m",
    "main",
    "name",
    " ",
    "\t",
    "`",
    "$",
    "@",
    "{",
    "}",
    ";",
    "(",
};

std::string make_name(FuzzedDataProvider &in) {
  std::string s;
  size_t pieces = in.ConsumeIntegralInRange<size_t>(0, 4);
  for (size_t i = 0; i < pieces; i++) {
    switch (in.ConsumeIntegralInRange(0, 5)) {
      case 0:
      case 1: s += in.PickValueInArray(kFragments); break;
      case 2: {
        std::string_view piece = in.PickValueInArray(kFragments);
        for (size_t n = in.ConsumeIntegralInRange<size_t>(1, 512); n > 0; n--) s += piece;
        break;
      }
      default: s += in.ConsumeBytesAsString(in.ConsumeIntegralInRange<size_t>(0, 16)); break;
    }
  }
  return s;
}

// The length of the well-formed UTF-8 sequence at s[i], or 0.
size_t utf8_sequence(std::string_view s, size_t i) {
  auto at = [&](size_t k) -> unsigned {
    return i + k < s.size() ? static_cast<unsigned char>(s[i + k]) : 0x100;
  };
  auto continues = [&](size_t k) { return (at(k) & 0xc0) == 0x80; };
  unsigned c = at(0);
  if (c < 0x80) return 1;
  if (c >= 0xc2 && c <= 0xdf) return continues(1) ? 2 : 0;
  if (c >= 0xe0 && c <= 0xef) {
    unsigned lo = c == 0xe0 ? 0xa0 : 0x80, hi = c == 0xed ? 0x9f : 0xbf;
    return at(1) >= lo && at(1) <= hi && continues(2) ? 3 : 0;
  }
  if (c >= 0xf0 && c <= 0xf4) {
    unsigned lo = c == 0xf0 ? 0x90 : 0x80, hi = c == 0xf4 ? 0x8f : 0xbf;
    return at(1) >= lo && at(1) <= hi && continues(2) && continues(3) ? 4 : 0;
  }
  return 0;
}

// `s` as valid UTF-8 (what import and export names must be): each byte of
// an ill-formed sequence becomes the code point of its value.
std::string valid_utf8(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size();) {
    if (size_t n = utf8_sequence(s, i)) {
      out.append(s.substr(i, n));
      i += n;
    } else {
      auto b = static_cast<unsigned char>(s[i++]);
      out += static_cast<char>(0xc0 | b >> 6);
      out += static_cast<char>(0x80 | (b & 0x3f));
    }
  }
  return out;
}

// ---------------------------------------------------------------------------
// A generated module: its structure (Plan), then its names (Names), so that
// the same structure can be written with neutral names.

struct ImportPlan {
  ExternKind kind = ExternKind::Func;
  uint32_t type = 0;  // a function's
  GlobalType global;
  TableType table;
  Limits memory;
  bool throws = false;  // a host function that throws HostFailure
};

struct FuncPlan {
  uint32_t type = 0;
  Bytes body;  // locals and code, without its size
};

struct ElemPlan {
  uint32_t table = 0;
  uint32_t offset = 0;
  std::vector<uint32_t> funcs;
};

struct DataPlan {
  bool passive = false;
  uint32_t offset = 0;
  Bytes bytes;
};

struct ExportPlan {
  ExternKind kind;
  uint32_t index;
};

struct Plan {
  std::vector<FuncType> types;  // type 0 is () -> ()
  std::vector<ImportPlan> imports;
  std::vector<TableType> tables;                      // defined
  std::optional<Limits> memory;                       // defined
  std::vector<std::pair<GlobalType, Bytes>> globals;  // defined, with their initialiser
  std::vector<FuncPlan> funcs;                        // defined
  std::vector<ExportPlan> exports;
  std::optional<uint32_t> start;
  std::vector<ElemPlan> elems;  // active; then one declaring every function
  std::vector<DataPlan> datas;
  // The index spaces, imported first.
  std::vector<uint32_t> func_types;
  std::vector<TableType> all_tables;
  std::vector<GlobalType> all_globals;
  uint32_t imported_globals = 0;
  bool has_memory = false;
  uint32_t memory_pages = 0;  // its minimum
  // Values for the host's globals and the calls' arguments.
  std::vector<uint64_t> values;
  int64_t fuel = 0;
  uint32_t max_pages = 0;
  bool limit_memory = false;
};

using NameMap = std::vector<std::pair<uint32_t, std::string>>;

struct Names {
  std::vector<std::pair<std::string, std::string>> imports;
  std::vector<std::string> exports;
  bool name_section = false;
  std::string module;
  NameMap funcs;
  std::vector<std::pair<uint32_t, NameMap>> locals, labels;
  NameMap types, tables, memories, globals, elems, datas;
  struct Custom {
    int after;  // the standard section (its slot, 0 to 12) it follows
    std::string name;
    std::string content;
  };
  std::vector<Custom> customs;

  // Every name, for the search of the generated sources.
  std::vector<std::string> all() const {
    std::vector<std::string> out = exports;
    for (const auto &[m, f] : imports) out.insert(out.end(), {m, f});
    out.push_back(module);
    for (const NameMap *map : {&funcs, &types, &tables, &memories, &globals, &elems, &datas})
      for (const auto &[i, n] : *map) out.push_back(n);
    for (const auto *maps : {&locals, &labels})
      for (const auto &[f, map] : *maps)
        for (const auto &[i, n] : map) out.push_back(n);
    for (const auto &c : customs) out.insert(out.end(), {c.name, c.content});
    return out;
  }
};

constexpr ValType kNumeric[] = {ValType::I32, ValType::I64, ValType::F32, ValType::F64};

// Mostly numbers, sometimes references.
ValType value_type(FuzzedDataProvider &in) {
  switch (in.ConsumeIntegralInRange(0, 9)) {
    case 8: return ValType::FuncRef;
    case 9: return ValType::ExternRef;
    default: return in.PickValueInArray(kNumeric);
  }
}

Limits limits(FuzzedDataProvider &in, uint32_t most_min, uint32_t most_max) {
  Limits l;
  l.min = in.ConsumeIntegralInRange<uint32_t>(0, most_min);
  if (in.ConsumeBool()) l.max = in.ConsumeIntegralInRange<uint64_t>(l.min, most_max);
  return l;
}

// A memory's: mostly one or two pages, so that data segments fit.
Limits memory_limits(FuzzedDataProvider &in, uint32_t most_max) {
  Limits l;
  l.min = in.ConsumeIntegralInRange(0, 7) == 7 ? 0 : in.ConsumeBool() ? 2 : 1;
  if (in.ConsumeBool()) l.max = in.ConsumeIntegralInRange<uint64_t>(l.min, most_max);
  return l;
}

// One time in eight, what does not fit (instantiation traps).
bool misfit(FuzzedDataProvider &in) {
  return in.ConsumeIntegralInRange(0, 7) == 7;
}

// Function bodies, valid by construction: expressions of a type, and
// statements that leave the stack as they found it. Each function has a
// budget of instructions, so that modules stay small.
class BodyGen {
 public:
  BodyGen(FuzzedDataProvider &in, const Plan &plan) : in_(in), p_(plan) {}

  Bytes function(const FuncType &type) {
    out_.clear();
    locals_ = type.params;
    size_t declared = in_.ConsumeIntegralInRange<size_t>(0, 4);
    put_leb(out_, declared);
    for (size_t i = 0; i < declared; i++) {
      ValType t = value_type(in_);
      locals_.push_back(t);
      put_leb(out_, 1);
      out_.push_back(type_code(t));
    }
    results_ = type.results;
    budget_ = in_.ConsumeIntegralInRange(0, 60);
    statements(kDepth);
    for (ValType t : type.results) expr(t, kDepth);
    out_.push_back(0x0b);
    return std::move(out_);
  }

 private:
  static constexpr int kDepth = 5;

  bool leaf_only(int depth) { return depth <= 0 || budget_ <= 0 || in_.remaining_bytes() == 0; }

  std::optional<uint32_t> local_of(ValType t) {
    std::vector<uint32_t> found;
    for (uint32_t i = 0; i < locals_.size(); i++)
      if (locals_[i] == t) found.push_back(i);
    if (found.empty()) return std::nullopt;
    return found[in_.ConsumeIntegralInRange<size_t>(0, found.size() - 1)];
  }
  std::optional<uint32_t> global_of(ValType t, bool must_be_mutable) {
    std::vector<uint32_t> found;
    for (uint32_t i = 0; i < p_.all_globals.size(); i++)
      if (p_.all_globals[i].type == t && (!must_be_mutable || p_.all_globals[i].is_mutable))
        found.push_back(i);
    if (found.empty()) return std::nullopt;
    return found[in_.ConsumeIntegralInRange<size_t>(0, found.size() - 1)];
  }
  std::optional<uint32_t> table_of(ValType element) {
    std::vector<uint32_t> found;
    for (uint32_t i = 0; i < p_.all_tables.size(); i++)
      if (p_.all_tables[i].element == element) found.push_back(i);
    if (found.empty()) return std::nullopt;
    return found[in_.ConsumeIntegralInRange<size_t>(0, found.size() - 1)];
  }
  // A function, or a type, whose results are `results` (any, when null).
  std::optional<uint32_t> function_returning(const std::vector<ValType> *results) {
    std::vector<uint32_t> found;
    for (uint32_t f = 0; f < p_.func_types.size(); f++)
      if (!results || p_.types[p_.func_types[f]].results == *results) found.push_back(f);
    if (found.empty()) return std::nullopt;
    return found[in_.ConsumeIntegralInRange<size_t>(0, found.size() - 1)];
  }
  std::optional<uint32_t> type_returning(const std::vector<ValType> *results) {
    std::vector<uint32_t> found;
    for (uint32_t t = 0; t < p_.types.size(); t++)
      if (!results || p_.types[t].results == *results) found.push_back(t);
    if (found.empty()) return std::nullopt;
    return found[in_.ConsumeIntegralInRange<size_t>(0, found.size() - 1)];
  }

  void constant(ValType t) {
    switch (t) {
      case ValType::I32:
        out_.push_back(0x41);
        put_sleb(out_, in_.ConsumeIntegral<int32_t>());
        break;
      case ValType::I64:
        out_.push_back(0x42);
        put_sleb(out_, in_.ConsumeIntegral<int64_t>());
        break;
      case ValType::F32: {
        out_.push_back(0x43);
        auto bits = in_.ConsumeIntegral<uint32_t>();
        for (int i = 0; i < 4; i++) out_.push_back(static_cast<uint8_t>(bits >> (8 * i)));
        break;
      }
      case ValType::F64: {
        out_.push_back(0x44);
        auto bits = in_.ConsumeIntegral<uint64_t>();
        for (int i = 0; i < 8; i++) out_.push_back(static_cast<uint8_t>(bits >> (8 * i)));
        break;
      }
      case ValType::FuncRef:
        if (!p_.func_types.empty() && in_.ConsumeBool()) {
          out_.push_back(0xd2);  // ref.func: every function is declared (Plan::elems)
          put_leb(out_, in_.ConsumeIntegralInRange<size_t>(0, p_.func_types.size() - 1));
          break;
        }
        [[fallthrough]];
      default: out_.push_back(0xd0); out_.push_back(type_code(t));
    }
  }

  void leaf(ValType t) {
    if (auto l = local_of(t); l && in_.ConsumeBool()) {
      out_.push_back(0x20);
      put_leb(out_, *l);
    } else {
      constant(t);
    }
  }

  void memarg(uint32_t natural_align) {
    put_leb(out_, in_.ConsumeIntegralInRange<uint32_t>(0, natural_align));
    put_leb(out_, in_.ConsumeBool() ? in_.ConsumeIntegralInRange<uint32_t>(0, 64)
                                    : in_.ConsumeIntegral<uint32_t>());
  }

  struct Op {
    uint8_t prefix = 0;  // or 0xfc
    uint8_t code = 0;
    ValType from = ValType::I32;
    uint32_t align = 0;  // loads and stores
  };

  void op(const Op &o) {
    if (o.prefix) {
      out_.push_back(o.prefix);
      put_leb(out_, o.code);
    } else {
      out_.push_back(o.code);
    }
  }

  // Opcodes from `first` to `last` (binary operators of one type).
  void op_in(uint8_t first, uint8_t last) {
    out_.push_back(static_cast<uint8_t>(in_.ConsumeIntegralInRange<int>(first, last)));
  }

  void call_args(const FuncType &type, int depth) {
    for (ValType t : type.params) expr(t, depth - 1);
  }

  void expr(ValType t, int depth) {
    if (leaf_only(depth)) return leaf(t);
    budget_--;
    if (is_ref(t)) return ref_expr(t, depth);
    switch (in_.ConsumeIntegralInRange(0, 15)) {
      case 0: return constant(t);
      case 1: return leaf(t);
      case 2:
        if (auto g = global_of(t, false)) {
          out_.push_back(0x23);
          put_leb(out_, *g);
          return;
        }
        return constant(t);
      case 3:  // a binary operator
        expr(t, depth - 1);
        expr(t, depth - 1);
        switch (t) {
          case ValType::I32: return op_in(0x6a, 0x78);
          case ValType::I64: return op_in(0x7c, 0x8a);
          case ValType::F32: return op_in(0x92, 0x98);
          default: return op_in(0xa0, 0xa6);
        }
      case 4: {  // a unary operator
        static const Op i32[] = {{0, 0x67}, {0, 0x68}, {0, 0x69}, {0, 0x45}, {0, 0xc0}, {0, 0xc1}};
        static const Op i64[] = {{0, 0x79}, {0, 0x7a}, {0, 0x7b}, {0, 0xc2}, {0, 0xc3}, {0, 0xc4}};
        expr(t, depth - 1);
        switch (t) {
          case ValType::I32: return op(in_.PickValueInArray(i32));
          case ValType::I64: return op(in_.PickValueInArray(i64));
          case ValType::F32: return op_in(0x8b, 0x91);
          default: return op_in(0x99, 0x9f);
        }
      }
      case 5: {  // a conversion
        using V = ValType;
        static const Op i32[] = {{0, 0xa7, V::I64}, {0, 0xa8, V::F32}, {0, 0xa9, V::F32},
                                 {0, 0xaa, V::F64}, {0, 0xab, V::F64}, {0, 0xbc, V::F32},
                                 {0, 0x50, V::I64}, {0xfc, 0, V::F32}, {0xfc, 1, V::F32},
                                 {0xfc, 2, V::F64}, {0xfc, 3, V::F64}};
        static const Op i64[] = {{0, 0xac, V::I32}, {0, 0xad, V::I32}, {0, 0xae, V::F32},
                                 {0, 0xaf, V::F32}, {0, 0xb0, V::F64}, {0, 0xb1, V::F64},
                                 {0, 0xbd, V::F64}, {0xfc, 4, V::F32}, {0xfc, 5, V::F32},
                                 {0xfc, 6, V::F64}, {0xfc, 7, V::F64}};
        static const Op f32[] = {{0, 0xb2, V::I32}, {0, 0xb3, V::I32}, {0, 0xb4, V::I64},
                                 {0, 0xb5, V::I64}, {0, 0xb6, V::F64}, {0, 0xbe, V::I32}};
        static const Op f64[] = {{0, 0xb7, V::I32}, {0, 0xb8, V::I32}, {0, 0xb9, V::I64},
                                 {0, 0xba, V::I64}, {0, 0xbb, V::F32}, {0, 0xbf, V::I64}};
        Op o = t == V::I32   ? in_.PickValueInArray(i32)
               : t == V::I64 ? in_.PickValueInArray(i64)
               : t == V::F32 ? in_.PickValueInArray(f32)
                             : in_.PickValueInArray(f64);
        expr(o.from, depth - 1);
        return op(o);
      }
      case 6:  // a comparison
        if (t == ValType::I32) {
          ValType u = in_.PickValueInArray(kNumeric);
          expr(u, depth - 1);
          expr(u, depth - 1);
          switch (u) {
            case ValType::I32: return op_in(0x46, 0x4f);
            case ValType::I64: return op_in(0x51, 0x5a);
            case ValType::F32: return op_in(0x5b, 0x60);
            default: return op_in(0x61, 0x66);
          }
        }
        return constant(t);
      case 7: {  // a load
        if (!p_.has_memory) return constant(t);
        static const Op i32[] = {{0, 0x28, {}, 2},
                                 {0, 0x2c, {}, 0},
                                 {0, 0x2d, {}, 0},
                                 {0, 0x2e, {}, 1},
                                 {0, 0x2f, {}, 1}};
        static const Op i64[] = {{0, 0x29, {}, 3}, {0, 0x30, {}, 0}, {0, 0x31, {}, 0},
                                 {0, 0x32, {}, 1}, {0, 0x33, {}, 1}, {0, 0x34, {}, 2},
                                 {0, 0x35, {}, 2}};
        Op o = t == ValType::I32   ? in_.PickValueInArray(i32)
               : t == ValType::I64 ? in_.PickValueInArray(i64)
               : t == ValType::F32 ? Op{0, 0x2a, {}, 2}
                                   : Op{0, 0x2b, {}, 3};
        expr(ValType::I32, depth - 1);
        op(o);
        return memarg(o.align);
      }
      case 8: {  // a call
        std::vector<ValType> results{t};
        auto f = function_returning(&results);
        if (!f) return constant(t);
        call_args(p_.types[p_.func_types[*f]], depth);
        out_.push_back(0x10);
        return put_leb(out_, *f);
      }
      case 9: {  // an indirect call
        std::vector<ValType> results{t};
        auto type = type_returning(&results);
        auto table = table_of(ValType::FuncRef);
        if (!type || !table) return constant(t);
        call_args(p_.types[*type], depth);
        expr(ValType::I32, depth - 1);
        out_.push_back(0x11);
        put_leb(out_, *type);
        return put_leb(out_, *table);
      }
      case 10: return if_else(t, depth);
      case 11:  // a block, left early or not
        out_.push_back(0x02);
        out_.push_back(type_code(t));
        statements(depth - 1);
        expr(t, depth - 1);
        if (in_.ConsumeBool()) {
          expr(ValType::I32, depth - 1);
          out_.insert(out_.end(), {0x0d, 0x00});  // br_if 0
        }
        out_.push_back(0x0b);
        return;
      case 12:  // a loop, run again or not
        out_.push_back(0x03);
        out_.push_back(type_code(t));
        statements(depth - 1);
        expr(ValType::I32, depth - 1);
        out_.insert(out_.end(), {0x0d, 0x00});
        expr(t, depth - 1);
        out_.push_back(0x0b);
        return;
      case 13:
        expr(t, depth - 1);
        expr(t, depth - 1);
        expr(ValType::I32, depth - 1);
        out_.push_back(0x1b);  // select
        return;
      case 14:
        if (auto l = local_of(t)) {
          expr(t, depth - 1);
          out_.push_back(0x22);  // local.tee
          return put_leb(out_, *l);
        }
        return constant(t);
      default:
        if (t == ValType::I32) return i32_of_state(depth);
        return constant(t);
    }
  }

  // memory.size and .grow, table.size and .grow, ref.is_null.
  void i32_of_state(int depth) {
    switch (in_.ConsumeIntegralInRange(0, 3)) {
      case 0:
        if (!p_.has_memory) break;
        out_.insert(out_.end(), {0x3f, 0x00});
        return;
      case 1:
        if (!p_.has_memory) break;
        expr(ValType::I32, depth - 1);
        out_.insert(out_.end(), {0x40, 0x00});
        return;
      case 2: {
        if (p_.all_tables.empty()) break;
        auto x = in_.ConsumeIntegralInRange<uint32_t>(0, p_.all_tables.size() - 1);
        if (in_.ConsumeBool()) {
          expr(p_.all_tables[x].element, depth - 1);
          expr(ValType::I32, depth - 1);
          out_.insert(out_.end(), {0xfc, 0x0f});  // table.grow
        } else {
          out_.insert(out_.end(), {0xfc, 0x10});  // table.size
        }
        return put_leb(out_, x);
      }
      default: {
        ValType r = in_.ConsumeBool() ? ValType::FuncRef : ValType::ExternRef;
        expr(r, depth - 1);
        out_.push_back(0xd1);  // ref.is_null
        return;
      }
    }
    constant(ValType::I32);
  }

  void ref_expr(ValType t, int depth) {
    switch (in_.ConsumeIntegralInRange(0, 5)) {
      case 0:
        if (auto g = global_of(t, false)) {
          out_.push_back(0x23);
          return put_leb(out_, *g);
        }
        break;
      case 1:
        if (auto x = table_of(t)) {
          expr(ValType::I32, depth - 1);
          out_.push_back(0x25);  // table.get
          return put_leb(out_, *x);
        }
        break;
      case 2:
        expr(t, depth - 1);
        expr(t, depth - 1);
        expr(ValType::I32, depth - 1);
        out_.insert(out_.end(), {0x1c, 0x01, type_code(t)});  // select t
        return;
      case 3: return if_else(t, depth);
      default: break;
    }
    leaf(t);
  }

  void if_else(ValType t, int depth) {
    expr(ValType::I32, depth - 1);
    out_.push_back(0x04);
    out_.push_back(type_code(t));
    expr(t, depth - 1);
    out_.push_back(0x05);
    expr(t, depth - 1);
    out_.push_back(0x0b);
  }

  void statements(int depth) {
    for (size_t n = in_.ConsumeIntegralInRange<size_t>(0, 3); n > 0; n--) statement(depth);
  }

  void drop_all(const std::vector<ValType> &values) {
    for (size_t i = 0; i < values.size(); i++) out_.push_back(0x1a);
  }

  void statement(int depth) {
    if (leaf_only(depth)) return;
    budget_--;
    switch (in_.ConsumeIntegralInRange(0, 14)) {
      case 0:
        if (!locals_.empty()) {
          auto l = in_.ConsumeIntegralInRange<uint32_t>(0, locals_.size() - 1);
          expr(locals_[l], depth - 1);
          out_.push_back(0x21);  // local.set
          put_leb(out_, l);
        }
        return;
      case 1: {
        ValType t = value_type(in_);
        if (auto g = global_of(t, true)) {
          expr(t, depth - 1);
          out_.push_back(0x24);  // global.set
          put_leb(out_, *g);
        }
        return;
      }
      case 2: {  // a store
        if (!p_.has_memory) return;
        using V = ValType;
        static const Op stores[] = {
            {0, 0x36, V::I32, 2}, {0, 0x3a, V::I32, 0}, {0, 0x3b, V::I32, 1},
            {0, 0x37, V::I64, 3}, {0, 0x3c, V::I64, 0}, {0, 0x3d, V::I64, 1},
            {0, 0x3e, V::I64, 2}, {0, 0x38, V::F32, 2}, {0, 0x39, V::F64, 3}};
        Op o = in_.PickValueInArray(stores);
        expr(ValType::I32, depth - 1);
        expr(o.from, depth - 1);
        op(o);
        return memarg(o.align);
      }
      case 3: {
        expr(value_type(in_), depth - 1);
        out_.push_back(0x1a);
        return;
      }
      case 4:
        if (auto f = function_returning(nullptr)) {
          const FuncType &type = p_.types[p_.func_types[*f]];
          call_args(type, depth);
          out_.push_back(0x10);
          put_leb(out_, *f);
          drop_all(type.results);
        }
        return;
      case 5: {
        auto type = type_returning(nullptr);
        auto table = table_of(ValType::FuncRef);
        if (!type || !table) return;
        call_args(p_.types[*type], depth);
        expr(ValType::I32, depth - 1);
        out_.push_back(0x11);
        put_leb(out_, *type);
        put_leb(out_, *table);
        drop_all(p_.types[*type].results);
        return;
      }
      case 6:
        expr(ValType::I32, depth - 1);
        out_.insert(out_.end(), {0x04, 0x40});
        statements(depth - 1);
        if (in_.ConsumeBool()) {
          out_.push_back(0x05);
          statements(depth - 1);
        }
        out_.push_back(0x0b);
        return;
      case 7:  // a loop
        out_.insert(out_.end(), {0x03, 0x40});
        statements(depth - 1);
        expr(ValType::I32, depth - 1);
        out_.insert(out_.end(), {0x0d, 0x00, 0x0b});
        return;
      case 8:  // a block left early
        out_.insert(out_.end(), {0x02, 0x40});
        statements(depth - 1);
        expr(ValType::I32, depth - 1);
        out_.insert(out_.end(), {0x0d, 0x00});
        statements(depth - 1);
        out_.push_back(0x0b);
        return;
      case 9:  // br_table out of one of two blocks
        out_.insert(out_.end(), {0x02, 0x40, 0x02, 0x40});
        expr(ValType::I32, depth - 1);
        out_.insert(out_.end(), {0x0e, 0x02, 0x00, 0x01, 0x01, 0x0b});
        statements(depth - 1);
        out_.push_back(0x0b);
        return;
      case 10:
        for (ValType t : results_) expr(t, depth - 1);
        out_.push_back(0x0f);  // return
        return;
      case 11: return bulk_memory(depth);
      case 12: return table_statement(depth);
      case 13: {  // a block of a function type: its parameters dropped
        auto type = in_.ConsumeIntegralInRange<uint32_t>(0, p_.types.size() - 1);
        const FuncType &ft = p_.types[type];
        for (ValType t : ft.params) expr(t, depth - 1);
        out_.push_back(0x02);
        put_sleb(out_, type);
        drop_all(ft.params);
        statements(depth - 1);
        for (ValType t : ft.results) expr(t, depth - 1);
        out_.push_back(0x0b);
        drop_all(ft.results);
        return;
      }
      default:
        out_.push_back(in_.ConsumeIntegralInRange(0, 3) == 0 ? 0x00 : 0x01);  // unreachable, nop
        return;
    }
  }

  void bulk_memory(int depth) {
    if (!p_.has_memory) return;
    int which = in_.ConsumeIntegralInRange(0, 3);
    if (which >= 2 && p_.datas.empty()) which = 0;
    if (which == 3) {
      out_.insert(out_.end(), {0xfc, 0x09});  // data.drop
      return put_leb(out_, in_.ConsumeIntegralInRange<size_t>(0, p_.datas.size() - 1));
    }
    for (int i = 0; i < 3; i++) expr(ValType::I32, depth - 1);
    switch (which) {
      case 0: out_.insert(out_.end(), {0xfc, 0x0b, 0x00}); return;        // memory.fill
      case 1: out_.insert(out_.end(), {0xfc, 0x0a, 0x00, 0x00}); return;  // memory.copy
      default:
        out_.insert(out_.end(), {0xfc, 0x08});  // memory.init
        put_leb(out_, in_.ConsumeIntegralInRange<size_t>(0, p_.datas.size() - 1));
        out_.push_back(0x00);
    }
  }

  void table_statement(int depth) {
    if (p_.all_tables.empty()) return;
    auto x = in_.ConsumeIntegralInRange<uint32_t>(0, p_.all_tables.size() - 1);
    ValType element = p_.all_tables[x].element;
    switch (in_.ConsumeIntegralInRange(0, 4)) {
      case 0:
        expr(ValType::I32, depth - 1);
        expr(element, depth - 1);
        out_.push_back(0x26);  // table.set
        return put_leb(out_, x);
      case 1:
        expr(ValType::I32, depth - 1);
        expr(element, depth - 1);
        expr(ValType::I32, depth - 1);
        out_.insert(out_.end(), {0xfc, 0x11});  // table.fill
        return put_leb(out_, x);
      case 2: {
        auto y = table_of(element);  // there is one: x
        for (int i = 0; i < 3; i++) expr(ValType::I32, depth - 1);
        out_.insert(out_.end(), {0xfc, 0x0e});  // table.copy x y
        put_leb(out_, x);
        return put_leb(out_, *y);
      }
      default: {
        // Every element segment holds functions: the active ones and the
        // one declaring them all.
        if (element != ValType::FuncRef) return;
        auto e = in_.ConsumeIntegralInRange<uint32_t>(0, p_.elems.size());
        if (in_.ConsumeBool()) {
          out_.insert(out_.end(), {0xfc, 0x0d});  // elem.drop
          return put_leb(out_, e);
        }
        for (int i = 0; i < 3; i++) expr(ValType::I32, depth - 1);
        out_.insert(out_.end(), {0xfc, 0x0c});  // table.init
        put_leb(out_, e);
        return put_leb(out_, x);
      }
    }
  }

  FuzzedDataProvider &in_;
  const Plan &p_;
  Bytes out_;
  std::vector<ValType> locals_, results_;
  int budget_ = 0;
};

// A global's initialiser: a constant, a reference, or an imported global.
Bytes global_init(FuzzedDataProvider &in, const Plan &p, ValType t, size_t functions) {
  Bytes out;
  std::vector<uint32_t> imported;
  for (uint32_t g = 0; g < p.imported_globals; g++)
    if (p.all_globals[g].type == t && !p.all_globals[g].is_mutable) imported.push_back(g);
  if (!imported.empty() && in.ConsumeIntegralInRange(0, 3) == 0) {
    out.push_back(0x23);
    put_leb(out, imported[in.ConsumeIntegralInRange<size_t>(0, imported.size() - 1)]);
  } else if (t == ValType::FuncRef && functions && in.ConsumeBool()) {
    out.push_back(0xd2);
    put_leb(out, in.ConsumeIntegralInRange<size_t>(0, functions - 1));
  } else if (is_ref(t)) {
    out.insert(out.end(), {0xd0, type_code(t)});
  } else {
    switch (t) {
      case ValType::I32:
        out.push_back(0x41);
        put_sleb(out, in.ConsumeIntegral<int32_t>());
        break;
      case ValType::I64:
        out.push_back(0x42);
        put_sleb(out, in.ConsumeIntegral<int64_t>());
        break;
      case ValType::F32:
        out.push_back(0x43);
        for (int i = 0; i < 4; i++) out.push_back(in.ConsumeIntegral<uint8_t>());
        break;
      default:
        out.push_back(0x44);
        for (int i = 0; i < 8; i++) out.push_back(in.ConsumeIntegral<uint8_t>());
    }
  }
  out.push_back(0x0b);
  return out;
}

Plan make_plan(FuzzedDataProvider &in) {
  Plan p;
  p.types.emplace_back();
  for (size_t n = in.ConsumeIntegralInRange<size_t>(0, 5); n > 0; n--) {
    FuncType t;
    for (size_t k = in.ConsumeIntegralInRange<size_t>(0, 4); k > 0; k--)
      t.params.push_back(value_type(in));
    for (size_t k = in.ConsumeIntegralInRange<size_t>(0, 2); k > 0; k--)
      t.results.push_back(value_type(in));
    p.types.push_back(std::move(t));
  }
  auto any_type = [&] { return in.ConsumeIntegralInRange<uint32_t>(0, p.types.size() - 1); };

  for (size_t n = in.ConsumeIntegralInRange<size_t>(0, 4); n > 0; n--) {
    ImportPlan imp;
    switch (in.ConsumeIntegralInRange(0, 3)) {
      case 1:
        imp.kind = ExternKind::Global;
        imp.global = {value_type(in), in.ConsumeBool()};
        p.all_globals.push_back(imp.global);
        p.imported_globals++;
        break;
      case 2:
        imp.kind = ExternKind::Table;
        imp.table = {in.ConsumeBool() ? ValType::FuncRef : ValType::ExternRef, limits(in, 4, 16)};
        p.all_tables.push_back(imp.table);
        break;
      case 3:
        if (!p.has_memory) {
          imp.kind = ExternKind::Memory;
          imp.memory = memory_limits(in, 4);
          p.memory_pages = imp.memory.min;
          p.has_memory = true;
          break;
        }
        [[fallthrough]];
      default:
        imp.kind = ExternKind::Func;
        imp.type = any_type();
        imp.throws = in.ConsumeIntegralInRange(0, 7) == 0;
        p.func_types.push_back(imp.type);
    }
    p.imports.push_back(imp);
  }
  size_t imported_funcs = p.func_types.size();
  size_t defined = in.ConsumeIntegralInRange<size_t>(1, 5);
  size_t functions = imported_funcs + defined;

  for (size_t n = in.ConsumeIntegralInRange<size_t>(0, 2); n > 0; n--) {
    TableType t{in.ConsumeBool() ? ValType::FuncRef : ValType::ExternRef, limits(in, 8, 32)};
    p.tables.push_back(t);
    p.all_tables.push_back(t);
  }
  if (!p.has_memory && in.ConsumeBool()) {
    // A maximum beyond the engine's, sometimes (it is capped).
    p.memory = memory_limits(in, in.ConsumeBool() ? 4 : 65536);
    p.memory_pages = p.memory->min;
    p.has_memory = true;
  }
  for (size_t n = in.ConsumeIntegralInRange<size_t>(0, 3); n > 0; n--) {
    GlobalType g{value_type(in), in.ConsumeBool()};
    p.globals.emplace_back(g, global_init(in, p, g.type, functions));
    p.all_globals.push_back(g);
  }
  for (size_t f = 0; f < defined; f++) {
    p.funcs.push_back({any_type(), {}});
    p.func_types.push_back(p.funcs.back().type);
  }

  // Exports: the first defined function always, the rest of everything
  // sometimes, some twice.
  auto maybe_export = [&](ExternKind kind, uint32_t index, int one_in) {
    if (in.ConsumeIntegralInRange(0, one_in - 1) == 0) p.exports.push_back({kind, index});
    if (in.ConsumeIntegralInRange(0, 7) == 0) p.exports.push_back({kind, index});
  };
  p.exports.push_back({ExternKind::Func, static_cast<uint32_t>(imported_funcs)});
  for (uint32_t f = 0; f < functions; f++) maybe_export(ExternKind::Func, f, 2);
  for (uint32_t t = 0; t < p.all_tables.size(); t++) maybe_export(ExternKind::Table, t, 3);
  if (p.has_memory) maybe_export(ExternKind::Memory, 0, 2);
  for (uint32_t g = 0; g < p.all_globals.size(); g++) maybe_export(ExternKind::Global, g, 3);

  if (in.ConsumeIntegralInRange(0, 4) == 0) {
    std::vector<uint32_t> nullary;
    for (uint32_t f = 0; f < functions; f++)
      if (p.types[p.func_types[f]] == FuncType{}) nullary.push_back(f);
    if (!nullary.empty())
      p.start = nullary[in.ConsumeIntegralInRange<size_t>(0, nullary.size() - 1)];
  }
  for (uint32_t t = 0; t < p.all_tables.size(); t++) {
    if (p.all_tables[t].element != ValType::FuncRef || !in.ConsumeBool()) continue;
    ElemPlan e;
    e.table = t;
    for (size_t n = in.ConsumeIntegralInRange<size_t>(0, 4); n > 0; n--)
      e.funcs.push_back(in.ConsumeIntegralInRange<uint32_t>(0, functions - 1));
    auto size = static_cast<uint32_t>(p.all_tables[t].limits.min);
    auto room = static_cast<uint32_t>(size > e.funcs.size() ? size - e.funcs.size() : 0);
    e.offset = misfit(in) ? in.ConsumeIntegralInRange<uint32_t>(room + 1, size + 4)
                          : in.ConsumeIntegralInRange<uint32_t>(0, room);
    p.elems.push_back(std::move(e));
  }
  if (p.has_memory) {
    for (size_t n = in.ConsumeIntegralInRange<size_t>(0, 2); n > 0; n--) {
      DataPlan d;
      d.passive = in.ConsumeIntegralInRange(0, 3) == 0;
      d.bytes = in.ConsumeBytes<uint8_t>(in.ConsumeIntegralInRange<size_t>(0, 32));
      uint32_t end = p.memory_pages * 65536;
      d.offset = misfit(in)
                     ? in.ConsumeIntegralInRange<uint32_t>(end > 16 ? end - 16 : 0, end + 65536)
                     : in.ConsumeIntegralInRange<uint32_t>(0, end ? 1024 : 0);
      p.datas.push_back(std::move(d));
    }
  }
  p.limit_memory = in.ConsumeBool();
  p.fuel = in.ConsumeIntegralInRange<int64_t>(0, kMaxFuel);
  p.max_pages = in.ConsumeIntegralInRange<uint32_t>(0, 8);
  for (int i = 0; i < 8; i++) p.values.push_back(in.ConsumeIntegral<uint64_t>());

  BodyGen gen(in, p);
  for (auto &f : p.funcs) f.body = gen.function(p.types[f.type]);
  return p;
}

// Names for every import and export, and sometimes a name section and
// custom sections, from the input.
Names make_names(FuzzedDataProvider &in, const Plan &p) {
  Names n;
  for (size_t i = 0; i < p.imports.size(); i++)
    n.imports.emplace_back(valid_utf8(make_name(in)), valid_utf8(make_name(in)));
  std::unordered_set<std::string> taken;
  for (size_t e = 0; e < p.exports.size(); e++) {
    std::string name = valid_utf8(make_name(in));
    // A leading zero byte is the host's (toolkit/instrument.h): pg_wasm
    // refuses such a module before any engine sees it.
    if (!name.empty() && name[0] == '\0') name[0] = '0';
    while (!taken.insert(name).second) name += "#" + std::to_string(e);
    n.exports.push_back(std::move(name));
  }
  n.name_section = in.ConsumeBool();
  if (n.name_section) {
    auto name_map = [&](size_t count) {
      NameMap map;
      for (uint32_t i = 0; i < count; i++)
        if (in.ConsumeBool()) map.emplace_back(i, make_name(in));
      return map;
    };
    n.module = make_name(in);
    n.funcs = name_map(p.func_types.size());
    size_t imported_funcs = p.func_types.size() - p.funcs.size();
    for (uint32_t f = 0; f < p.funcs.size(); f++) {
      if (!in.ConsumeBool()) continue;
      // Parameters and up to four locals: the indices may name fewer.
      size_t locals = p.types[p.funcs[f].type].params.size() + 4;
      n.locals.emplace_back(imported_funcs + f, name_map(locals));
      if (in.ConsumeBool()) n.labels.emplace_back(imported_funcs + f, name_map(3));
    }
    n.types = name_map(p.types.size());
    n.tables = name_map(p.all_tables.size());
    n.memories = name_map(p.has_memory ? 1 : 0);
    n.globals = name_map(p.all_globals.size());
    n.elems = name_map(p.elems.size() + (p.func_types.empty() ? 0 : 1));
    n.datas = name_map(p.datas.size());
  }
  for (size_t c = in.ConsumeIntegralInRange<size_t>(0, 3); c > 0; c--)
    n.customs.push_back(
        {in.ConsumeIntegralInRange(0, 12), valid_utf8(make_name(in)), make_name(in)});
  return n;
}

// The same structure with neutral names and no custom section. An export
// named "memory" keeps its name: the host reaches that memory by it.
Names neutral_names(const Plan &p, const Names &names) {
  Names n;
  for (size_t i = 0; i < p.imports.size(); i++)
    n.imports.emplace_back("n", "f" + std::to_string(i));
  for (size_t e = 0; e < p.exports.size(); e++)
    n.exports.push_back(names.exports[e] == "memory" ? "memory" : "x" + std::to_string(e));
  return n;
}

Bytes name_section(const Names &n) {
  Bytes body;
  put_name(body, "name");
  auto sub = [&](uint8_t id, const Bytes &content) {
    body.push_back(id);
    put_leb(body, content.size());
    put_bytes(body, content);
  };
  auto map_bytes = [](const NameMap &map) {
    Bytes b;
    put_leb(b, map.size());
    for (const auto &[i, name] : map) {
      put_leb(b, i);
      put_name(b, name);
    }
    return b;
  };
  auto indirect = [&](const std::vector<std::pair<uint32_t, NameMap>> &maps) {
    Bytes b;
    put_leb(b, maps.size());
    for (const auto &[f, map] : maps) {
      put_leb(b, f);
      put_bytes(b, map_bytes(map));
    }
    return b;
  };
  Bytes module;
  put_name(module, n.module);
  sub(0, module);
  sub(1, map_bytes(n.funcs));
  sub(2, indirect(n.locals));
  sub(3, indirect(n.labels));
  sub(4, map_bytes(n.types));
  sub(5, map_bytes(n.tables));
  sub(6, map_bytes(n.memories));
  sub(7, map_bytes(n.globals));
  sub(8, map_bytes(n.elems));
  sub(9, map_bytes(n.datas));
  return body;
}

Bytes encode(const Plan &p, const Names &n) {
  Bytes m = {0x00, 'a', 's', 'm', 0x01, 0x00, 0x00, 0x00};
  auto customs_after = [&](int slot) {
    for (const auto &c : n.customs) {
      if (c.after != slot) continue;
      Bytes body;
      put_name(body, c.name);
      put_bytes(body, c.content);
      put_section(m, 0, body);
    }
  };
  auto section = [&](int slot, uint8_t id, const Bytes &body) {
    put_section(m, id, body);
    customs_after(slot);
  };
  customs_after(0);

  Bytes types;
  put_leb(types, p.types.size());
  for (const auto &t : p.types) {
    types.push_back(0x60);
    put_leb(types, t.params.size());
    for (ValType v : t.params) types.push_back(type_code(v));
    put_leb(types, t.results.size());
    for (ValType v : t.results) types.push_back(type_code(v));
  }
  section(1, 1, types);

  Bytes imports;
  put_leb(imports, p.imports.size());
  for (size_t i = 0; i < p.imports.size(); i++) {
    const auto &imp = p.imports[i];
    put_name(imports, n.imports[i].first);
    put_name(imports, n.imports[i].second);
    switch (imp.kind) {
      case ExternKind::Func:
        imports.push_back(0x00);
        put_leb(imports, imp.type);
        break;
      case ExternKind::Table:
        imports.push_back(0x01);
        imports.push_back(type_code(imp.table.element));
        put_limits(imports, imp.table.limits);
        break;
      case ExternKind::Memory:
        imports.push_back(0x02);
        put_limits(imports, imp.memory);
        break;
      case ExternKind::Global:
        imports.push_back(0x03);
        imports.push_back(type_code(imp.global.type));
        imports.push_back(imp.global.is_mutable ? 0x01 : 0x00);
        break;
    }
  }
  section(2, 2, imports);

  Bytes funcs;
  put_leb(funcs, p.funcs.size());
  for (const auto &f : p.funcs) put_leb(funcs, f.type);
  section(3, 3, funcs);

  Bytes tables;
  put_leb(tables, p.tables.size());
  for (const auto &t : p.tables) {
    tables.push_back(type_code(t.element));
    put_limits(tables, t.limits);
  }
  section(4, 4, tables);

  Bytes memory;
  put_leb(memory, p.memory ? 1 : 0);
  if (p.memory) put_limits(memory, *p.memory);
  section(5, 5, memory);

  Bytes globals;
  put_leb(globals, p.globals.size());
  for (const auto &[g, init] : p.globals) {
    globals.push_back(type_code(g.type));
    globals.push_back(g.is_mutable ? 0x01 : 0x00);
    put_bytes(globals, init);
  }
  section(6, 6, globals);

  Bytes exports;
  put_leb(exports, p.exports.size());
  for (size_t e = 0; e < p.exports.size(); e++) {
    put_name(exports, n.exports[e]);
    exports.push_back(static_cast<uint8_t>(p.exports[e].kind));
    put_leb(exports, p.exports[e].index);
  }
  section(7, 7, exports);

  if (p.start) {
    Bytes start;
    put_leb(start, *p.start);
    section(8, 8, start);
  } else {
    customs_after(8);
  }

  Bytes elems;
  bool declare = !p.func_types.empty();
  put_leb(elems, p.elems.size() + (declare ? 1 : 0));
  for (const auto &e : p.elems) {
    elems.push_back(0x02);  // active, with a table index
    put_leb(elems, e.table);
    elems.push_back(0x41);
    put_sleb(elems, static_cast<int32_t>(e.offset));
    elems.push_back(0x0b);
    elems.push_back(0x00);  // of functions
    put_leb(elems, e.funcs.size());
    for (uint32_t f : e.funcs) put_leb(elems, f);
  }
  if (declare) {
    elems.insert(elems.end(), {0x03, 0x00});  // declarative, of functions
    put_leb(elems, p.func_types.size());
    for (uint32_t f = 0; f < p.func_types.size(); f++) put_leb(elems, f);
  }
  section(9, 9, elems);

  Bytes count;
  put_leb(count, p.datas.size());
  section(10, 12, count);

  Bytes code;
  put_leb(code, p.funcs.size());
  for (const auto &f : p.funcs) {
    put_leb(code, f.body.size());
    put_bytes(code, f.body);
  }
  section(11, 10, code);

  Bytes data;
  put_leb(data, p.datas.size());
  for (const auto &d : p.datas) {
    if (d.passive) {
      data.push_back(0x01);
    } else {
      data.insert(data.end(), {0x00, 0x41});
      put_sleb(data, static_cast<int32_t>(d.offset));
      data.push_back(0x0b);
    }
    put_leb(data, d.bytes.size());
    put_bytes(data, d.bytes);
  }
  put_section(m, 11, data);
  if (n.name_section) put_section(m, 0, name_section(n));
  customs_after(12);
  return m;
}

// ---------------------------------------------------------------------------
// What one input is run as.

struct Subject {
  Bytes wasm;
  Bytes neutral;  // the same with neutral names and no custom section
  std::vector<std::string> names;
  bool generated = false;
  engine::CompileOptions options;
  engine::CallBounds bounds;
  std::vector<bool> throws;      // by import
  std::vector<uint64_t> values;  // for the host's globals and the calls
};

Subject generated_subject(std::span<const uint8_t> data) {
  FuzzedDataProvider in(data.data(), data.size());
  Plan plan = make_plan(in);
  Names names = make_names(in, plan);
  Subject s;
  s.generated = true;
  s.wasm = encode(plan, names);
  s.neutral = encode(plan, neutral_names(plan, names));
  s.names = names.all();
  s.options = {.fuel = true, .limit_memory = plan.limit_memory};
  s.bounds = {.fuel = plan.fuel, .max_pages = plan.max_pages};
  for (const auto &imp : plan.imports) s.throws.push_back(imp.throws);
  s.values = plan.values;
  return s;
}

// The input itself, when it is a module small enough to build.
std::optional<Subject> input_subject(std::span<const uint8_t> data) {
  static constexpr uint8_t kMagic[] = {0x00, 'a', 's', 'm'};
  if (data.size() < 8 || data.size() > kMaxInputBytes ||
      !std::equal(kMagic, kMagic + 4, data.begin()))
    return std::nullopt;
  toolkit::ModuleScan scan;
  try {
    toolkit::read_module(data);
    scan = toolkit::scan_module(data);
  } catch (const toolkit::BinaryError &) {
    return std::nullopt;
  }
  uint64_t code = 0;
  for (const auto &f : scan.shape.defined) code += f.body_bytes;
  if (code > kMaxInputCodeBytes || scan.shape.data_bytes > kMaxInputDataBytes) return std::nullopt;
  const ModuleInfo &info = scan.info;
  for (const auto &e : info.exports)
    if (!e.name.empty() && e.name[0] == '\0') return std::nullopt;  // as make_names says

  Subject s;
  s.wasm.assign(data.begin(), data.end());
  toolkit::ModuleNames neutral;
  for (size_t i = 0; i < info.imports.size(); i++) {
    neutral.imports.emplace_back("n", "f" + std::to_string(i));
    s.names.insert(s.names.end(), {info.imports[i].module, info.imports[i].name});
  }
  for (size_t e = 0; e < info.exports.size(); e++) {
    const std::string &name = info.exports[e].name;
    neutral.exports.push_back(name == "memory" ? name : "x" + std::to_string(e));
    s.names.push_back(name);
  }
  s.neutral = toolkit::replace_names(data, neutral);
  s.options = {.fuel = true, .limit_memory = data.size() % 2 == 1};
  s.bounds = {.fuel = 20'000, .max_pages = 4};
  s.throws.assign(info.imports.size(), false);
  s.values = {1, ~uint64_t{0}, 0x3ff8000000000000, 0x7fc00001, 42};
  return s;
}

// ---------------------------------------------------------------------------
// The process's native engine and its cache: the directory
// $PGWASM_FUZZ_NATIVE_CACHE names (run.sh gives the processes of a run one
// to share), else one of the process's own under /tmp, removed at exit.

std::string g_cache_dir;

void remove_cache() {
  std::error_code ec;
  fs::remove_all(g_cache_dir, ec);
}

// Whether the cache is the process's own (else another may be using it).
bool make_cache_dir() {
  if (const char *shared = std::getenv("PGWASM_FUZZ_NATIVE_CACHE"); shared && *shared) {
    g_cache_dir = shared;
    fs::create_directories(g_cache_dir + "/checked");
    return false;
  }
  const std::string prefix = "pg_wasm_fuzz_native.";
  // Those of processes that are gone (a crash leaves its own).
  std::error_code ec;
  for (const auto &e : fs::directory_iterator("/tmp", ec)) {
    std::string name = e.path().filename().string();
    if (!name.starts_with(prefix)) continue;
    pid_t pid = static_cast<pid_t>(std::atol(name.c_str() + prefix.size()));
    if (pid > 0 && kill(pid, 0) != 0 && errno == ESRCH) fs::remove_all(e.path(), ec);
  }
  g_cache_dir = "/tmp/" + prefix + std::to_string(getpid());
  fs::remove_all(g_cache_dir, ec);
  fs::create_directories(g_cache_dir + "/checked");
  std::atexit(remove_cache);
  return true;
}

class NativeHost {
 public:
  static NativeHost &get() {
    // Never destroyed: pinned instances' code would run at exit.
    static NativeHost *host = new NativeHost();
    return *host;
  }

  engine::Engine &engine() { return *engine_; }

  void recycle_if_needed() {
    if (++inputs_ < kInputsPerEngine) return;
    engine_.reset();
    if (own_cache_ && engine::native::bytes_under(g_cache_dir) > kMaxCacheBytes) {
      // The modules' builds and checks; the runtime stays (hold_runtime).
      std::error_code ec;
      for (const auto &e : fs::directory_iterator(g_cache_dir)) {
        std::string name = e.path().filename().string();
        if (!name.starts_with("wasm-rt-") && !name.starts_with("toolchain-"))
          fs::remove_all(e.path(), ec);
      }
      fs::create_directories(g_cache_dir + "/checked");
      checked_.clear();
    }
    engine_ = make();
    inputs_ = 0;
  }

  // Once a module was built: wasm2c's runtime stays loaded for the whole
  // run, as the engine keeps it for its life (a host has one for its
  // backend's): the fresh engines of recycle_if_needed would otherwise
  // unload it, and what instances registered in it would show as leaked.
  void hold_runtime() {
    if (runtime_) return;
    for (const auto &e : fs::directory_iterator(g_cache_dir)) {
      std::string name = e.path().filename().string();
      if (name.starts_with("wasm-rt-") && name.ends_with(".so"))
        runtime_ = dlopen(e.path().c_str(), RTLD_NOW | RTLD_LOCAL);
    }
  }

  // The sources of each module (by content and options) are checked once
  // in a cache's life, whichever process does it.
  void check_sources_once(const Subject &s, void (*check)(const Subject &)) {
    std::string key = engine::native::sha256_hex(s.wasm, s.options.limit_memory ? "m" : "-");
    if (!checked_.insert(key).second) return;
    std::string marker = g_cache_dir + "/checked/" + key;
    if (fs::exists(marker)) return;
    check(s);
    std::ofstream{marker};
  }

 private:
  NativeHost() : own_cache_(make_cache_dir()), engine_(make()) {}

  static std::unique_ptr<engine::Engine> make() {
    engine::EngineConfig config;
    config.interrupt_requested = fuzz::past_deadline;
    config.max_memory_pages = 64;
    config.max_table_entries = 10'000;
    return engine::make_native_engine(config, {.cache_dir = g_cache_dir, .toolchain = {}});
  }

  bool own_cache_;
  std::unique_ptr<engine::Engine> engine_;
  size_t inputs_ = 0;
  std::unordered_set<std::string> checked_;
  void *runtime_ = nullptr;
};

// ---------------------------------------------------------------------------
// The checks.

struct Sources {
  std::string module_c, module_h, glue_c;
  bool operator==(const Sources &) const = default;
};

std::string read_all(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

bool is_tripwire(std::string_view message) {
  // The checks of what the build made, and the compiler refusing the C it
  // was given: never for a module that got that far.
  return message.find("refused its own generated") != std::string_view::npos ||
         message.find("refused the object it made") != std::string_view::npos ||
         message.starts_with("cc ");
}

// The C the build generates for `wasm`, instrumented as the engine does it;
// nothing when the toolkit or wasm2c refuse it (only an input's, that the
// engine will refuse too).
std::optional<Sources> translate(const Subject &s, std::span<const uint8_t> wasm,
                                 std::string_view what) {
  Bytes code;
  ModuleInfo info;
  try {
    code = toolkit::instrument(
        wasm, {.fuel = s.options.fuel, .interrupt = true, .memory_limit = s.options.limit_memory});
    info = toolkit::read_module(code);
  } catch (const toolkit::BinaryError &e) {
    if (s.generated) fuzz::fail("the toolkit refuses to instrument " + std::string(what), e.what());
    return std::nullopt;
  }
  std::string dir = g_cache_dir + "/sources-XXXXXX";
  if (!mkdtemp(dir.data())) fuzz::fail("cannot make a directory for the sources", dir);
  struct Remove {
    std::string dir;
    ~Remove() {
      std::error_code ec;
      fs::remove_all(dir, ec);
    }
  } remove{dir};
  try {
    engine::native::translate(code, info, dir, engine::NativeToolchain{}, nullptr);
  } catch (const engine::CompileError &e) {
    if (s.generated || is_tripwire(e.what()))
      fuzz::fail("the native build cannot translate " + std::string(what), e.what());
    return std::nullopt;
  }
  return Sources{read_all(dir + "/module.c"), read_all(dir + "/module.h"),
                 read_all(dir + "/glue.c")};
}

void check_sources(const Subject &s) {
  auto sources = translate(s, s.wasm, "the module");
  auto neutral = translate(s, s.neutral, "the module with neutral names");
  if (!sources || !neutral) {
    if (sources.has_value() != neutral.has_value())
      fuzz::fail("the native build translates the module only with one of two sets of names");
    return;
  }
  if (*sources == *neutral) return;
  std::string all = sources->module_c + sources->module_h + sources->glue_c;
  std::string all_neutral = neutral->module_c + neutral->module_h + neutral->glue_c;
  for (const auto &name : s.names)
    if (name.size() >= 4 && all.find(name) != std::string::npos &&
        all_neutral.find(name) == std::string::npos)
      fuzz::fail("a name of the module is in the C the native build generates",
                 toolkit::quoted_name(name.substr(0, 200)));
  size_t at = std::mismatch(all.begin(), all.end(), all_neutral.begin(), all_neutral.end()).first -
              all.begin();
  size_t from = at < 200 ? 0 : at - 200;
  fuzz::fail("the C the native build generates depends on the module's names",
             "from byte " + std::to_string(at) + ":\n" + all.substr(from, 400) +
                 "\n---- with neutral names:\n" + all_neutral.substr(from, 400));
}

// Where each engine call is: what it may throw differs.
enum class Step { Compile, Instantiate, Call };

// Called in a catch block: the exception must be one the step may throw,
// with a message.
void check_failure(const Subject &s, Step step, std::string_view what) {
  auto unexpected = [&](std::string_view kind, std::string_view message) {
    fuzz::fail(std::string(what) + " threw " + std::string(kind), message);
  };
  try {
    throw;
  } catch (const engine::Interrupted &) {
    return;  // stopped at the deadline
  } catch (const HostFailure &e) {
    if (step == Step::Compile) unexpected("what a host function threw", e.what());
    return;
  } catch (const engine::Trap &e) {
    if (step == Step::Compile) unexpected("a Trap", e.what());
    if (!*e.what()) unexpected("a Trap without a message", "");
  } catch (const engine::LinkError &e) {
    // A generated module's imports are made to fit.
    if (step != Step::Instantiate || s.generated) unexpected("a LinkError", e.what());
    if (!*e.what()) unexpected("a LinkError without a message", "");
  } catch (const engine::CompileError &e) {
    if (step != Step::Compile) unexpected("a CompileError", e.what());
    // A generated module uses only what the native engine runs.
    if (s.generated || is_tripwire(e.what())) unexpected("a CompileError", e.what());
    if (!*e.what()) unexpected("a CompileError without a message", "");
  } catch (const std::exception &e) {
    unexpected(typeid(e).name(), e.what());
  } catch (...) {
    unexpected("something that is not a std::exception", "");
  }
}

Value value_of(ValType t, uint64_t bits) {
  switch (t) {
    case ValType::I32:
    case ValType::F32: {
      Value v = fuzz::zero_value(t);
      v.bits.i32 = static_cast<uint32_t>(bits);
      return v;
    }
    case ValType::I64:
    case ValType::F64: {
      Value v = fuzz::zero_value(t);
      v.bits.i64 = bits;
      return v;
    }
    case ValType::ExternRef:
      // A host value now and then.
      if (bits & 1) return Value::make_ref(t, {engine::Ref::Kind::Host, bits >> 1});
      return fuzz::zero_value(t);
    default: return fuzz::zero_value(t);
  }
}

// Imports for the module: host functions that give back an argument of the
// type of each result (else zero), touch the caller's memory, and throw when
// the plan says so; globals, memories and tables as the module asks.
std::vector<std::shared_ptr<engine::Extern>> host_imports(engine::Engine &engine, const Subject &s,
                                                          const ModuleInfo &info) {
  std::vector<std::shared_ptr<engine::Extern>> out;
  for (size_t i = 0; i < info.imports.size(); i++) {
    const ExternType &type = info.imports[i].type;
    if (const auto *f = std::get_if<FuncType>(&type)) {
      bool throws = s.throws[i];
      out.push_back(engine.host_function(
          *f,
          [throws](engine::HostCall &call, std::span<const Value> args, std::span<Value> results) {
            auto memory = call.memory();
            if (!memory.empty()) (void)*static_cast<volatile uint8_t *>(&memory.back());
            if (throws) throw HostFailure();
            for (size_t r = 0; r < results.size(); r++)
              for (size_t a = 0; a < args.size(); a++)
                if (args[(r + a) % args.size()].type == results[r].type) {
                  results[r] = args[(r + a) % args.size()];
                  break;
                }
          }));
    } else if (const auto *g = std::get_if<GlobalType>(&type)) {
      out.push_back(engine.host_global(*g, value_of(g->type, s.values[i % s.values.size()])));
    } else if (const auto *m = std::get_if<MemoryType>(&type)) {
      out.push_back(engine.host_memory(*m));
    } else {
      out.push_back(engine.host_table(std::get<TableType>(type)));
    }
  }
  return out;
}

// The native engine passes no v128 (wasm2c runs no module that has one).
bool has_v128(const FuncType &f) {
  auto is_v128 = [](ValType t) { return t == ValType::V128; };
  return std::any_of(f.params.begin(), f.params.end(), is_v128) ||
         std::any_of(f.results.begin(), f.results.end(), is_v128);
}

void call_exports(engine::Instance &instance, const Subject &s) {
  const auto &exports = instance.info().exports;
  size_t calls = 0;
  for (uint32_t i = 0; i < exports.size(); i++) {
    const auto *f = std::get_if<FuncType>(&exports[i].type);
    if (!f) continue;
    if (has_v128(*f)) continue;
    for (int round = 0; round < 2 && calls < kMaxCalls; round++, calls++) {
      std::vector<Value> args, results(f->results.size());
      for (size_t a = 0; a < f->params.size(); a++)
        args.push_back(round == 0 ? fuzz::zero_value(f->params[a])
                                  : value_of(f->params[a], s.values[(i + a) % s.values.size()]));
      try {
        fuzz::Deadline deadline(kDeadline);
        instance.call(i, args.data(), results.data());
      } catch (...) {
        check_failure(s, Step::Call, "a call of export " + std::to_string(i));
        continue;
      }
      for (size_t k = 0; k < results.size(); k++)
        if (results[k].type != f->results[k])
          fuzz::fail("a call returned a result of another type");
    }
  }
  // Every export as another instance would import it, and the globals' values.
  for (uint32_t i = 0; i < exports.size(); i++) {
    const ExternType &type = exports[i].type;
    if (const auto *f = std::get_if<FuncType>(&type); f && has_v128(*f)) continue;
    const auto *g = std::get_if<GlobalType>(&type);
    if (g && g->type == ValType::V128) continue;
    if (!(instance.get_export(i)->type() == type)) fuzz::fail("an export has another type");
    if (g && instance.get_global(i).type != g->type)
      fuzz::fail("get_global returned a value of another type");
  }
  auto memory = instance.memory();
  if (!memory.empty()) (void)*static_cast<volatile uint8_t *>(&memory.back());
}

void run(const Subject &s) {
  NativeHost &host = NativeHost::get();
  host.check_sources_once(s, check_sources);
  engine::Engine &engine = host.engine();
  // Guest frames may take the machine stack down to a megabyte below here.
  engine.set_stack_limit(reinterpret_cast<uintptr_t>(__builtin_frame_address(0)) - (1 << 20));
  std::shared_ptr<const engine::Module> module;
  try {
    module = engine.compile(s.wasm, s.options);
  } catch (...) {
    check_failure(s, Step::Compile, "compiling the module");
    return;
  }
  if (!module->is_native()) fuzz::fail("the native engine compiled a module that is not native");
  host.hold_runtime();
  std::unique_ptr<engine::Instance> instance;
  try {
    auto imports = host_imports(engine, s, module->info());
    fuzz::Deadline deadline(kDeadline);
    instance = engine.instantiate(module, imports, s.bounds);
  } catch (...) {
    check_failure(s, Step::Instantiate, "instantiating the module");
    return;
  }
  call_exports(*instance, s);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  NativeHost::get().recycle_if_needed();
  std::optional<Subject> subject = input_subject({data, size});
  if (!subject) {
    subject = generated_subject({data, size});
    try {
      toolkit::read_module(subject->wasm);
      toolkit::read_module(subject->neutral);
    } catch (const toolkit::BinaryError &e) {
      fuzz::fail("the target generated a module that read_module refuses", e.what());
    }
  }
  // The module an input stands for, to read (wasm2wat) when it crashed.
  if (const char *dump = std::getenv("PGWASM_FUZZ_NATIVE_DUMP")) {
    std::ofstream(dump, std::ios::binary)
        .write(reinterpret_cast<const char *>(subject->wasm.data()),
               static_cast<std::streamsize>(subject->wasm.size()));
  }
  run(*subject);
  return 0;
}
