// The component model's canonical ABI (CanonicalABI.md), its layout half:
// the value types of a WIT world such as supabase:wrappers and how they lie
// in a guest's core values and linear memory (flattening, sizes,
// alignments). cabi.h moves values across that layout. Knows nothing of
// PostgreSQL.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <utility>
#include <vector>

#include "toolkit/types.h"

namespace pgwasm::component {

// Core types are pgwasm::ValType and pgwasm::FuncType here: the component
// model's own (model.h) share the namespace.

enum class Kind : uint8_t {
  Bool,
  S8,
  U8,
  S16,
  U16,
  S32,
  U32,
  S64,
  U64,
  F32,
  F64,
  Char,
  String,
  List,
  Tuple,
  Record,
  Variant,
  Option,
  Result,
  Enum,   // a variant without payloads: names are its labels
  Flags,  // a bit set: names are its labels, at most kMaxFlags
  Own,
  Borrow,
};

// A value type. Options and results are variants with fixed cases
// (none/some, ok/error); an Enum lies in memory like a variant without
// payloads, and its value is the case index. A Flags value's bits are the
// labels set, label i at bit i.
struct Type {
  Kind kind;
  // List: [element]; Tuple/Record: the fields; Variant: one payload per
  // case, null for none; Option: [value]; Result: [ok, error] (each may be
  // null).
  std::vector<const Type *> items;
  std::vector<std::string> names;  // Record fields, Variant/Enum cases, Flags labels
  uint32_t resource = 0;           // Own, Borrow: the host's resource id
  std::string name;                // the WIT name of a record, variant, enum or flags, if known
};

// The component model's bound on a flags type's labels.
inline constexpr size_t kMaxFlags = 32;

// Owns the types of a world.
class TypeArena {
 public:
  const Type *prim(Kind k);
  const Type *list(const Type *element);
  const Type *tuple(std::vector<const Type *> items);
  const Type *record(std::vector<std::pair<std::string, const Type *>> fields);
  const Type *variant(std::vector<std::pair<std::string, const Type *>> cases);
  const Type *enumeration(std::vector<std::string> cases);
  const Type *flags(std::vector<std::string> labels);
  // The same type under its WIT name (records, variants, enums, flags).
  const Type *named(const Type *t, std::string name);
  const Type *option(const Type *value);
  const Type *result(const Type *ok, const Type *error);
  const Type *own(uint32_t resource);
  const Type *borrow(uint32_t resource);

 private:
  const Type *add(Type t);
  std::deque<Type> types_;
};

// A function type: named parameters (names only for messages) and at most
// one result.
struct Signature {
  std::vector<const Type *> params;
  const Type *result = nullptr;
};

inline constexpr size_t kMaxFlatParams = 16;
inline constexpr size_t kMaxFlatResults = 1;

uint32_t alignment(const Type &t);
uint32_t size_of(const Type &t);
std::vector<pgwasm::ValType> flatten(const Type &t);
std::vector<pgwasm::ValType> flatten_params(const Signature &sig);
std::vector<pgwasm::ValType> flatten_result(const Signature &sig);

// The core function type of a lowered import (the guest calls the host) and
// of a lifted export (the host calls the guest).
pgwasm::FuncType lowered_core_type(const Signature &sig);
pgwasm::FuncType lifted_core_type(const Signature &sig);

// What lifting and lowering share with the layout: a variant's (option's,
// result's) cases, payloads and discriminant, offsets rounded up to an
// alignment, and how many core values a signature flattens to.
uint64_t align_to(uint64_t n, uint32_t a);
Kind discriminant_kind(size_t cases);
size_t case_count(const Type &t);
const Type *case_payload(const Type &t, size_t c);
uint32_t max_case_alignment(const Type &t);
size_t flat_params_count(const Signature &sig);
size_t flat_result_count(const Signature &sig);

}  // namespace pgwasm::component
