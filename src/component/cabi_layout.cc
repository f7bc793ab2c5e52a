#include "component/cabi_layout.h"

#include <algorithm>

namespace pgwasm::component {

namespace {

ValType join(ValType a, ValType b) {
  if (a == b) return a;
  if ((a == ValType::I32 && b == ValType::F32) || (a == ValType::F32 && b == ValType::I32))
    return ValType::I32;
  return ValType::I64;
}

// A flags value's bytes: the labels rounded up to 8, 16 or 32 bits; none
// for no labels.
uint32_t flags_size(size_t labels) {
  return labels == 0 ? 0 : labels <= 8 ? 1 : labels <= 16 ? 2 : 4;
}

}  // namespace

uint64_t align_to(uint64_t n, uint32_t a) {
  return (n + a - 1) / a * a;
}

// The discriminant of a variant of n cases.
Kind discriminant_kind(size_t cases) {
  return cases <= 256 ? Kind::U8 : cases <= 65536 ? Kind::U16 : Kind::U32;
}

// Options and results as the variants they are.
size_t case_count(const Type &t) {
  if (t.kind == Kind::Enum) return t.names.size();
  return t.kind == Kind::Variant ? t.items.size() : 2;
}
const Type *case_payload(const Type &t, size_t c) {
  if (t.kind == Kind::Enum) return nullptr;
  if (t.kind == Kind::Option) return c == 0 ? nullptr : t.items[0];
  return t.items[c];
}
uint32_t max_case_alignment(const Type &t) {
  uint32_t a = 1;
  for (size_t c = 0; c < case_count(t); c++)
    if (const Type *p = case_payload(t, c)) a = std::max(a, alignment(*p));
  return a;
}

// ---- types ----

const Type *TypeArena::add(Type t) {
  types_.push_back(std::move(t));
  return &types_.back();
}
const Type *TypeArena::prim(Kind k) {
  return add(Type{k, {}, {}, 0, {}});
}
const Type *TypeArena::list(const Type *element) {
  return add(Type{Kind::List, {element}, {}, 0, {}});
}
const Type *TypeArena::tuple(std::vector<const Type *> items) {
  return add(Type{Kind::Tuple, std::move(items), {}, 0, {}});
}
const Type *TypeArena::record(std::vector<std::pair<std::string, const Type *>> fields) {
  Type t{Kind::Record, {}, {}, 0, {}};
  for (auto &[n, f] : fields) {
    t.names.push_back(n);
    t.items.push_back(f);
  }
  return add(std::move(t));
}
const Type *TypeArena::variant(std::vector<std::pair<std::string, const Type *>> cases) {
  Type t{Kind::Variant, {}, {}, 0, {}};
  for (auto &[n, p] : cases) {
    t.names.push_back(n);
    t.items.push_back(p);
  }
  return add(std::move(t));
}
const Type *TypeArena::enumeration(std::vector<std::string> cases) {
  // No payloads: items holds a null per case, as a variant's would.
  Type t{Kind::Enum, {}, std::move(cases), 0, {}};
  t.items.assign(t.names.size(), nullptr);
  return add(std::move(t));
}
const Type *TypeArena::flags(std::vector<std::string> labels) {
  return add(Type{Kind::Flags, {}, std::move(labels), 0, {}});
}
const Type *TypeArena::named(const Type *t, std::string name) {
  Type copy = *t;
  copy.name = std::move(name);
  return add(std::move(copy));
}
const Type *TypeArena::option(const Type *value) {
  return add(Type{Kind::Option, {value}, {"none", "some"}, 0, {}});
}
const Type *TypeArena::result(const Type *ok, const Type *error) {
  return add(Type{Kind::Result, {ok, error}, {"ok", "error"}, 0, {}});
}
const Type *TypeArena::own(uint32_t resource) {
  return add(Type{Kind::Own, {}, {}, resource, {}});
}
const Type *TypeArena::borrow(uint32_t resource) {
  return add(Type{Kind::Borrow, {}, {}, resource, {}});
}

uint32_t alignment(const Type &t) {
  switch (t.kind) {
    case Kind::Bool:
    case Kind::S8:
    case Kind::U8: return 1;
    case Kind::S16:
    case Kind::U16: return 2;
    case Kind::S32:
    case Kind::U32:
    case Kind::F32:
    case Kind::Char:
    case Kind::String:
    case Kind::List:
    case Kind::Own:
    case Kind::Borrow: return 4;
    case Kind::S64:
    case Kind::U64:
    case Kind::F64: return 8;
    case Kind::Tuple:
    case Kind::Record: {
      uint32_t a = 1;
      for (const Type *f : t.items) a = std::max(a, alignment(*f));
      return a;
    }
    case Kind::Flags: return std::max<uint32_t>(flags_size(t.names.size()), 1);
    case Kind::Enum:
    case Kind::Variant:
    case Kind::Option:
    case Kind::Result:
      return std::max(alignment(Type{discriminant_kind(case_count(t)), {}, {}, 0, {}}),
                      max_case_alignment(t));
  }
  return 1;
}

uint32_t size_of(const Type &t) {
  switch (t.kind) {
    case Kind::Bool:
    case Kind::S8:
    case Kind::U8: return 1;
    case Kind::S16:
    case Kind::U16: return 2;
    case Kind::S32:
    case Kind::U32:
    case Kind::F32:
    case Kind::Char:
    case Kind::Own:
    case Kind::Borrow: return 4;
    case Kind::S64:
    case Kind::U64:
    case Kind::F64:
    case Kind::String:
    case Kind::List: return 8;
    case Kind::Tuple:
    case Kind::Record: {
      uint64_t s = 0;
      for (const Type *f : t.items) s = align_to(s, alignment(*f)) + size_of(*f);
      return static_cast<uint32_t>(align_to(s, alignment(t)));
    }
    case Kind::Flags: return flags_size(t.names.size());
    case Kind::Enum:
    case Kind::Variant:
    case Kind::Option:
    case Kind::Result: {
      uint64_t s = size_of(Type{discriminant_kind(case_count(t)), {}, {}, 0, {}});
      s = align_to(s, max_case_alignment(t));
      uint32_t cs = 0;
      for (size_t c = 0; c < case_count(t); c++)
        if (const Type *p = case_payload(t, c)) cs = std::max(cs, size_of(*p));
      return static_cast<uint32_t>(align_to(s + cs, alignment(t)));
    }
  }
  return 0;
}

std::vector<ValType> flatten(const Type &t) {
  switch (t.kind) {
    case Kind::S64:
    case Kind::U64: return {ValType::I64};
    case Kind::F32: return {ValType::F32};
    case Kind::F64: return {ValType::F64};
    case Kind::String:
    case Kind::List: return {ValType::I32, ValType::I32};
    case Kind::Tuple:
    case Kind::Record: {
      std::vector<ValType> out;
      for (const Type *f : t.items) {
        auto ff = flatten(*f);
        out.insert(out.end(), ff.begin(), ff.end());
      }
      return out;
    }
    case Kind::Flags:
      return t.names.empty() ? std::vector<ValType>{} : std::vector<ValType>{ValType::I32};
    case Kind::Enum:
    case Kind::Variant:
    case Kind::Option:
    case Kind::Result: {
      std::vector<ValType> joined;
      for (size_t c = 0; c < case_count(t); c++) {
        const Type *p = case_payload(t, c);
        if (!p) continue;
        auto ff = flatten(*p);
        for (size_t i = 0; i < ff.size(); i++) {
          if (i < joined.size())
            joined[i] = join(joined[i], ff[i]);
          else
            joined.push_back(ff[i]);
        }
      }
      joined.insert(joined.begin(), ValType::I32);
      return joined;
    }
    default: return {ValType::I32};
  }
}

namespace {

// flatten(t).size(), without making the list.
size_t flat_count(const Type &t) {
  switch (t.kind) {
    case Kind::String:
    case Kind::List: return 2;
    case Kind::Tuple:
    case Kind::Record: {
      size_t n = 0;
      for (const Type *f : t.items) n += flat_count(*f);
      return n;
    }
    case Kind::Flags: return t.names.empty() ? 0 : 1;
    case Kind::Enum:
    case Kind::Variant:
    case Kind::Option:
    case Kind::Result: {
      size_t n = 0;
      for (size_t c = 0; c < case_count(t); c++)
        if (const Type *p = case_payload(t, c)) n = std::max(n, flat_count(*p));
      return 1 + n;
    }
    default: return 1;
  }
}

}  // namespace

size_t flat_params_count(const Signature &sig) {
  size_t n = 0;
  for (const Type *p : sig.params) n += flat_count(*p);
  return n;
}

size_t flat_result_count(const Signature &sig) {
  return sig.result ? flat_count(*sig.result) : 0;
}

std::vector<ValType> flatten_params(const Signature &sig) {
  std::vector<ValType> out;
  for (const Type *p : sig.params) {
    auto ff = flatten(*p);
    out.insert(out.end(), ff.begin(), ff.end());
  }
  return out;
}

std::vector<ValType> flatten_result(const Signature &sig) {
  return sig.result ? flatten(*sig.result) : std::vector<ValType>{};
}

FuncType lowered_core_type(const Signature &sig) {
  FuncType f;
  f.params = flatten_params(sig);
  if (f.params.size() > kMaxFlatParams) f.params = {ValType::I32};
  f.results = flatten_result(sig);
  if (f.results.size() > kMaxFlatResults) {
    f.params.push_back(ValType::I32);  // where the host stores the result
    f.results.clear();
  }
  return f;
}

FuncType lifted_core_type(const Signature &sig) {
  FuncType f;
  f.params = flatten_params(sig);
  if (f.params.size() > kMaxFlatParams) f.params = {ValType::I32};
  f.results = flatten_result(sig);
  if (f.results.size() > kMaxFlatResults) f.results = {ValType::I32};  // where the guest put it
  return f;
}

}  // namespace pgwasm::component
