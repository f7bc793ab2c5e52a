#include "component/cabi.h"

#include <algorithm>
#include <cstring>

#include "toolkit/utf8.h"

namespace pgwasm::component {

namespace {

std::string where(uint32_t ptr) {
  return "at address " + std::to_string(ptr);
}

}  // namespace

std::string_view LiftLowerContext::string_view(uint32_t ptr, uint32_t len) {
  spend(len, "a string");
  auto b = range(ptr, len, 1, "a string");
  std::string_view s(reinterpret_cast<const char *>(b.data()), b.size());
  if (!toolkit::utf8_valid(s)) throw CabiError("the string " + where(ptr) + " is not valid UTF-8");
  return s;
}

std::span<uint8_t> LiftLowerContext::range(uint32_t ptr, uint64_t len, uint32_t align,
                                           const char *what) {
  std::span<uint8_t> mem = memory_.bytes();
  if (align > 1 && ptr % align != 0)
    throw CabiError(std::string(what) + " " + where(ptr) + " is not aligned to " +
                    std::to_string(align) + " bytes");
  if (ptr > mem.size() || len > mem.size() - ptr)
    throw CabiError(std::string(what) + " of " + std::to_string(len) + " bytes " + where(ptr) +
                    " is outside the guest's memory (" + std::to_string(mem.size()) + " bytes)");
  return mem.subspan(ptr, static_cast<size_t>(len));
}

void LiftLowerContext::spend(uint64_t amount, const char *what) {
  if (amount > budget_)
    throw CabiLimitError(std::string(what) + " is larger than the host copies for one call");
  budget_ -= amount;
}

uint32_t LiftLowerContext::allocate(uint32_t align, uint64_t size, const char *what) {
  spend(size, what);
  if (size > UINT32_MAX) throw CabiError(std::string(what) + " does not fit a 32-bit memory");
  // A zero-sized block needs no memory: the guest reads nothing there.
  if (size == 0) return align;
  uint32_t ptr = memory_.realloc(align, static_cast<uint32_t>(size));
  try {
    range(ptr, size, align, "the block");
  } catch (const CabiError &e) {
    throw CabiError(std::string("cabi_realloc(0, 0, ") + std::to_string(align) + ", " +
                    std::to_string(size) + ") for " + what + " returned " + std::to_string(ptr) +
                    ": " + e.what());
  }
  return ptr;
}

namespace {

template <typename T>
T read_le(std::span<const uint8_t> b) {
  T v;
  std::memcpy(&v, b.data(), sizeof v);  // wasm memory is little-endian, as x86-64
  return v;
}
template <typename T>
void write_le(std::span<uint8_t> b, T v) {
  std::memcpy(b.data(), &v, sizeof v);
}

// A flags value with no bit beyond its labels.
uint32_t check_flags(const Type &t, uint64_t bits) {
  size_t n = t.names.size();
  uint64_t known = n >= 64 ? ~uint64_t{0} : (uint64_t{1} << n) - 1;
  if (bits & ~known)
    throw CabiError("flags value " + std::to_string(bits) + " sets bits beyond its " +
                    std::to_string(n) + " labels");
  return static_cast<uint32_t>(bits);
}

uint32_t check_char(uint32_t c) {
  if (c >= 0x110000 || (c >= 0xD800 && c <= 0xDFFF))
    throw CabiError("char " + std::to_string(c) + " is not a Unicode scalar value");
  return c;
}

}  // namespace

namespace {

Value load_string(LiftLowerContext &cx, uint32_t ptr, uint32_t len) {
  return Value::str(cx.string(ptr, len));
}

Value load_list(LiftLowerContext &cx, const Type &elem, uint32_t ptr, uint32_t len) {
  uint64_t size = size_of(elem);
  // Each element costs the host a Value, whatever its size in the guest:
  // without that, a list of bytes would make the host allocate many times
  // the budget (a list of lists of bytes, each inner list the same memory,
  // over and over).
  cx.spend(std::max<uint64_t>(size, sizeof(Value)) * len, "a list");
  cx.range(ptr, size * len, alignment(elem), "a list");
  Value v;
  v.items.reserve(len);
  for (uint32_t i = 0; i < len; i++) v.items.push_back(load(cx, elem, ptr + i * size));
  return v;
}

void check_case(const Type &t, uint64_t c) {
  checked_case(c, case_count(t));
}

uint32_t store_string(LiftLowerContext &cx, const std::string &s) {
  uint32_t ptr = cx.allocate(1, s.size(), "a string");
  if (!s.empty()) std::memcpy(cx.range(ptr, s.size(), 1, "a string").data(), s.data(), s.size());
  return ptr;
}

uint32_t store_list(LiftLowerContext &cx, const Type &elem, const Value &v) {
  uint64_t size = size_of(elem);
  uint32_t ptr = cx.allocate(alignment(elem), size * v.items.size(), "a list");
  for (size_t i = 0; i < v.items.size(); i++)
    store(cx, elem, v.items[i], ptr + static_cast<uint32_t>(i * size));
  return ptr;
}

// Core values as flat parameters, read in order, each converted from the
// type the flattening gave it to the one a variant's case wants.
class FlatReader {
 public:
  explicit FlatReader(std::span<const pgwasm::Value> values) : values_(values) {}
  const pgwasm::Value &next() {
    if (at_ >= values_.size()) throw CabiError("fewer core values than the type flattens to");
    return values_[at_++];
  }
  uint32_t i32() { return next().bits.i32; }
  uint64_t i64() { return next().bits.i64; }
  void skip(size_t n) {
    for (size_t i = 0; i < n; i++) next();
  }

 private:
  std::span<const pgwasm::Value> values_;
  size_t at_ = 0;
};

// A variant's payload read from joined flat types: `have` are the types
// the values came as.
class CoerceReader {
 public:
  CoerceReader(FlatReader &r, std::span<const ValType> have) : r_(r), have_(have) {}
  pgwasm::Value next(ValType want) {
    if (at_ >= have_.size()) throw CabiError("a variant payload larger than its flattening");
    ValType have = have_[at_++];
    pgwasm::Value v = r_.next();
    pgwasm::Value out;
    out.type = want;
    if (have == want) return v;
    if (have == ValType::I32 && want == ValType::F32) {
      out.bits.f32 = v.bits.i32;
    } else if (have == ValType::I64 && want == ValType::I32) {
      out.bits.i32 = static_cast<uint32_t>(v.bits.i64);
    } else if (have == ValType::I64 && want == ValType::F32) {
      out.bits.f32 = static_cast<uint32_t>(v.bits.i64);
    } else if (have == ValType::I64 && want == ValType::F64) {
      out.bits.f64 = v.bits.i64;
    } else {
      throw CabiError("a variant payload of an impossible flattening");
    }
    return out;
  }
  size_t used() const { return at_; }

 private:
  FlatReader &r_;
  std::span<const ValType> have_;
  size_t at_ = 0;
};

Value lift_from(LiftLowerContext &cx, const Type &t, FlatReader &r);

// Lifts a payload through coercion: flatten the payload, take its values.
Value lift_payload(LiftLowerContext &cx, const Type &p, CoerceReader &cr) {
  auto want = flatten(p);
  std::vector<pgwasm::Value> vals;
  for (ValType w : want) vals.push_back(cr.next(w));
  FlatReader sub(vals);
  return lift_from(cx, p, sub);
}

Value lift_from(LiftLowerContext &cx, const Type &t, FlatReader &r) {
  switch (t.kind) {
    case Kind::Bool: return Value::u(r.i32() != 0);
    case Kind::S8: return Value::i(static_cast<int8_t>(r.i32()));
    case Kind::U8: return Value::u(static_cast<uint8_t>(r.i32()));
    case Kind::S16: return Value::i(static_cast<int16_t>(r.i32()));
    case Kind::U16: return Value::u(static_cast<uint16_t>(r.i32()));
    case Kind::S32: return Value::i(static_cast<int32_t>(r.i32()));
    case Kind::U32:
    case Kind::Own:
    case Kind::Borrow: return Value::u(r.i32());
    case Kind::S64:
    case Kind::U64: return Value::u(r.i64());
    case Kind::F32: return Value::real(r.next().as_f32());
    case Kind::F64: return Value::real(r.next().as_f64());
    case Kind::Char: return Value::u(check_char(r.i32()));
    case Kind::Flags: return Value::u(t.names.empty() ? 0 : check_flags(t, r.i32()));
    case Kind::String: {
      uint32_t ptr = r.i32(), len = r.i32();
      return load_string(cx, ptr, len);
    }
    case Kind::List: {
      uint32_t ptr = r.i32(), len = r.i32();
      return load_list(cx, *t.items[0], ptr, len);
    }
    case Kind::Tuple:
    case Kind::Record: {
      Value v;
      for (const Type *f : t.items) v.items.push_back(lift_from(cx, *f, r));
      return v;
    }
    case Kind::Enum:
    case Kind::Variant:
    case Kind::Option:
    case Kind::Result: {
      auto flat = flatten(t);
      uint32_t c = r.i32();
      check_case(t, c);
      std::span<const ValType> have(flat.data() + 1, flat.size() - 1);
      CoerceReader cr(r, have);
      Value v = Value::of_case(c);
      if (const Type *p = case_payload(t, c)) v.items.push_back(lift_payload(cx, *p, cr));
      r.skip(have.size() - cr.used());
      return v;
    }
  }
  throw CabiError("a type the host cannot lift");
}

void lower_into(LiftLowerContext &cx, const Type &t, const Value &v,
                std::vector<pgwasm::Value> &out) {
  using pgwasm::Value;
  switch (t.kind) {
    case Kind::Bool:
    case Kind::S8:
    case Kind::U8:
    case Kind::S16:
    case Kind::U16:
    case Kind::S32:
    case Kind::U32:
    case Kind::Own:
    case Kind::Borrow: out.push_back(Value::make_i32(static_cast<int32_t>(v.bits))); return;
    case Kind::Char:
      out.push_back(
          Value::make_i32(static_cast<int32_t>(check_char(static_cast<uint32_t>(v.bits)))));
      return;
    case Kind::Flags:
      if (!t.names.empty())
        out.push_back(Value::make_i32(static_cast<int32_t>(check_flags(t, v.bits))));
      else
        check_flags(t, v.bits);
      return;
    case Kind::S64:
    case Kind::U64: out.push_back(Value::make_i64(static_cast<int64_t>(v.bits))); return;
    case Kind::F32: out.push_back(Value::make_f32(static_cast<float>(v.f))); return;
    case Kind::F64: out.push_back(Value::make_f64(v.f)); return;
    case Kind::String: {
      uint32_t ptr = store_string(cx, v.s);
      out.push_back(Value::make_i32(static_cast<int32_t>(ptr)));
      out.push_back(Value::make_i32(static_cast<int32_t>(v.s.size())));
      return;
    }
    case Kind::List: {
      uint32_t ptr = store_list(cx, *t.items[0], v);
      out.push_back(Value::make_i32(static_cast<int32_t>(ptr)));
      out.push_back(Value::make_i32(static_cast<int32_t>(v.items.size())));
      return;
    }
    case Kind::Tuple:
    case Kind::Record:
      if (v.items.size() != t.items.size()) throw CabiError("a record of the wrong field count");
      for (size_t i = 0; i < t.items.size(); i++) lower_into(cx, *t.items[i], v.items[i], out);
      return;
    case Kind::Enum:
    case Kind::Variant:
    case Kind::Option:
    case Kind::Result: {
      auto flat = flatten(t);
      uint32_t c = v.case_index();
      check_case(t, c);
      out.push_back(Value::make_i32(static_cast<int32_t>(c)));
      size_t i = 1;
      if (const Type *p = case_payload(t, c)) {
        if (!v.payload()) throw CabiError("a variant case without its payload");
        std::vector<pgwasm::Value> pv;
        lower_into(cx, *p, *v.payload(), pv);
        for (auto &x : pv) {
          ValType have = flat[i++];
          pgwasm::Value y;
          y.type = have;
          if (x.type == have) {
            y = x;
          } else if (have == ValType::I32 && x.type == ValType::F32) {
            y.bits.i32 = x.bits.f32;
          } else if (have == ValType::I64 && (x.type == ValType::I32 || x.type == ValType::F32)) {
            y.bits.i64 = x.bits.i32;
          } else if (have == ValType::I64 && x.type == ValType::F64) {
            y.bits.i64 = x.bits.f64;
          }
          out.push_back(y);
        }
      }
      for (; i < flat.size(); i++) {
        pgwasm::Value zero;
        zero.type = flat[i];
        out.push_back(zero);
      }
      return;
    }
  }
}

}  // namespace

uint32_t checked_case(uint64_t c, size_t cases) {
  if (c >= cases)
    throw CabiError("case " + std::to_string(c) + " of a variant of " + std::to_string(cases) +
                    " cases");
  return static_cast<uint32_t>(c);
}

Value lift_flat(LiftLowerContext &cx, const Type &t, std::span<const pgwasm::Value> flat) {
  FlatReader r(flat);
  return lift_from(cx, t, r);
}

std::vector<pgwasm::Value> lower_flat(LiftLowerContext &cx, const Type &t, const Value &v) {
  std::vector<pgwasm::Value> out;
  lower_into(cx, t, v, out);
  return out;
}

Value load(LiftLowerContext &cx, const Type &t, uint32_t ptr) {
  auto b = cx.range(ptr, size_of(t), alignment(t), "a value");
  switch (t.kind) {
    case Kind::Bool: return Value::u(b[0] != 0);
    case Kind::S8: return Value::i(static_cast<int8_t>(b[0]));
    case Kind::U8: return Value::u(b[0]);
    case Kind::S16: return Value::i(read_le<int16_t>(b));
    case Kind::U16: return Value::u(read_le<uint16_t>(b));
    case Kind::S32: return Value::i(read_le<int32_t>(b));
    case Kind::U32:
    case Kind::Own:
    case Kind::Borrow: return Value::u(read_le<uint32_t>(b));
    case Kind::S64:
    case Kind::U64: return Value::u(read_le<uint64_t>(b));
    case Kind::F32: return Value::real(std::bit_cast<float>(read_le<uint32_t>(b)));
    case Kind::F64: return Value::real(std::bit_cast<double>(read_le<uint64_t>(b)));
    case Kind::Char: return Value::u(check_char(read_le<uint32_t>(b)));
    case Kind::Flags:
      switch (b.size()) {
        case 0: return Value::u(0);
        case 1: return Value::u(check_flags(t, b[0]));
        case 2: return Value::u(check_flags(t, read_le<uint16_t>(b)));
        default: return Value::u(check_flags(t, read_le<uint32_t>(b)));
      }
    case Kind::String:
      return load_string(cx, read_le<uint32_t>(b), read_le<uint32_t>(b.subspan(4)));
    case Kind::List:
      return load_list(cx, *t.items[0], read_le<uint32_t>(b), read_le<uint32_t>(b.subspan(4)));
    case Kind::Tuple:
    case Kind::Record: {
      Value v;
      uint64_t off = 0;
      for (const Type *f : t.items) {
        off = align_to(off, alignment(*f));
        v.items.push_back(load(cx, *f, ptr + static_cast<uint32_t>(off)));
        off += size_of(*f);
      }
      return v;
    }
    case Kind::Enum:
    case Kind::Variant:
    case Kind::Option:
    case Kind::Result: {
      Kind discriminant = discriminant_kind(case_count(t));
      uint32_t c = discriminant == Kind::U8    ? b[0]
                   : discriminant == Kind::U16 ? read_le<uint16_t>(b)
                                               : read_le<uint32_t>(b);
      check_case(t, c);
      Value v = Value::of_case(c);
      uint32_t off = static_cast<uint32_t>(
          align_to(size_of(Type{discriminant, {}, {}, 0, {}}), max_case_alignment(t)));
      if (const Type *p = case_payload(t, c)) v.items.push_back(load(cx, *p, ptr + off));
      return v;
    }
  }
  throw CabiError("a type the host cannot load");
}

void store(LiftLowerContext &cx, const Type &t, const Value &v, uint32_t ptr) {
  // Strings and lists allocate first (realloc may grow and move memory), so
  // the value's own bytes are taken after.
  switch (t.kind) {
    case Kind::String: {
      uint32_t p = store_string(cx, v.s);
      auto b = cx.range(ptr, 8, 4, "a value");
      write_le<uint32_t>(b, p);
      write_le<uint32_t>(b.subspan(4), static_cast<uint32_t>(v.s.size()));
      return;
    }
    case Kind::List: {
      uint32_t p = store_list(cx, *t.items[0], v);
      auto b = cx.range(ptr, 8, 4, "a value");
      write_le<uint32_t>(b, p);
      write_le<uint32_t>(b.subspan(4), static_cast<uint32_t>(v.items.size()));
      return;
    }
    case Kind::Tuple:
    case Kind::Record: {
      if (v.items.size() != t.items.size()) throw CabiError("a record of the wrong field count");
      cx.range(ptr, size_of(t), alignment(t), "a value");
      uint64_t off = 0;
      for (size_t i = 0; i < t.items.size(); i++) {
        off = align_to(off, alignment(*t.items[i]));
        store(cx, *t.items[i], v.items[i], ptr + static_cast<uint32_t>(off));
        off += size_of(*t.items[i]);
      }
      return;
    }
    case Kind::Enum:
    case Kind::Variant:
    case Kind::Option:
    case Kind::Result: {
      uint32_t c = v.case_index();
      check_case(t, c);
      Kind discriminant = discriminant_kind(case_count(t));
      uint32_t off = static_cast<uint32_t>(
          align_to(size_of(Type{discriminant, {}, {}, 0, {}}), max_case_alignment(t)));
      if (const Type *p = case_payload(t, c)) {
        if (!v.payload()) throw CabiError("a variant case without its payload");
        store(cx, *p, *v.payload(), ptr + off);
      }
      auto b = cx.range(ptr, size_of(t), alignment(t), "a value");
      if (discriminant == Kind::U8)
        b[0] = static_cast<uint8_t>(c);
      else if (discriminant == Kind::U16)
        write_le<uint16_t>(b, static_cast<uint16_t>(c));
      else
        write_le<uint32_t>(b, c);
      return;
    }
    default: break;
  }
  auto b = cx.range(ptr, size_of(t), alignment(t), "a value");
  switch (t.kind) {
    case Kind::Bool:
    case Kind::S8:
    case Kind::U8: b[0] = static_cast<uint8_t>(v.bits); return;
    case Kind::S16:
    case Kind::U16: write_le<uint16_t>(b, static_cast<uint16_t>(v.bits)); return;
    case Kind::Char: write_le<uint32_t>(b, check_char(static_cast<uint32_t>(v.bits))); return;
    case Kind::Flags: {
      uint32_t bits = check_flags(t, v.bits);
      if (b.size() == 1)
        b[0] = static_cast<uint8_t>(bits);
      else if (b.size() == 2)
        write_le<uint16_t>(b, static_cast<uint16_t>(bits));
      else if (b.size() == 4)
        write_le<uint32_t>(b, bits);
      return;
    }
    case Kind::S32:
    case Kind::U32:
    case Kind::Own:
    case Kind::Borrow: write_le<uint32_t>(b, static_cast<uint32_t>(v.bits)); return;
    case Kind::S64:
    case Kind::U64: write_le<uint64_t>(b, v.bits); return;
    case Kind::F32: write_le<uint32_t>(b, std::bit_cast<uint32_t>(static_cast<float>(v.f))); return;
    case Kind::F64: write_le<uint64_t>(b, std::bit_cast<uint64_t>(v.f)); return;
    default: throw CabiError("a type the host cannot store");
  }
}

std::vector<Value> lift_import_args(LiftLowerContext &cx, const Signature &sig,
                                    std::span<const pgwasm::Value> args) {
  std::vector<Value> out;
  if (flat_params_count(sig) > kMaxFlatParams) {
    TypeArena arena;
    const Type *tuple = arena.tuple(sig.params);
    Value all = load(cx, *tuple, args[0].bits.i32);
    return std::move(all.items);
  }
  FlatReader r(args);
  for (const Type *p : sig.params) out.push_back(lift_from(cx, *p, r));
  return out;
}

void lower_import_result(LiftLowerContext &cx, const Signature &sig, const Value *result,
                         std::span<const pgwasm::Value> args, std::span<pgwasm::Value> results) {
  if (!sig.result) return;
  if (!result) throw CabiError("a function with a result returned none");
  if (flat_result_count(sig) > kMaxFlatResults) {
    uint32_t retptr = args.back().bits.i32;
    // Checked before any allocation, so that a bad pointer costs nothing.
    cx.range(retptr, size_of(*sig.result), alignment(*sig.result), "the return area");
    store(cx, *sig.result, *result, retptr);
    return;
  }
  auto flat = lower_flat(cx, *sig.result, *result);
  for (size_t i = 0; i < flat.size() && i < results.size(); i++) results[i] = flat[i];
}

std::vector<pgwasm::Value> lower_export_args(LiftLowerContext &cx, const Signature &sig,
                                             const std::vector<Value> &args) {
  if (args.size() != sig.params.size()) throw CabiError("the wrong number of arguments");
  if (flat_params_count(sig) > kMaxFlatParams) {
    TypeArena arena;
    const Type *tuple = arena.tuple(sig.params);
    uint32_t ptr = cx.allocate(alignment(*tuple), size_of(*tuple), "the arguments");
    store(cx, *tuple, Value::tuple(args), ptr);
    return {pgwasm::Value::make_i32(static_cast<int32_t>(ptr))};
  }
  std::vector<pgwasm::Value> out;
  for (size_t i = 0; i < args.size(); i++) lower_into(cx, *sig.params[i], args[i], out);
  return out;
}

std::optional<Value> lift_export_result(LiftLowerContext &cx, const Signature &sig,
                                        std::span<const pgwasm::Value> results) {
  if (!sig.result) return std::nullopt;
  if (flat_result_count(sig) > kMaxFlatResults) return load(cx, *sig.result, results[0].bits.i32);
  return lift_flat(cx, *sig.result, results);
}

}  // namespace pgwasm::component
