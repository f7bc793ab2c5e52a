// The component model's canonical ABI (CanonicalABI.md), its value half:
// lifting values out of a guest's core values and linear memory and lowering
// them in, strings and lists allocated through the guest's realloc, in the
// layout of cabi_layout.h. Every pointer and length the guest gives is
// checked against its memory and alignment before anything is read; whatever
// is wrong is a CabiError saying what and where. Knows nothing of
// PostgreSQL.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "component/cabi_layout.h"
#include "toolkit/value.h"

namespace pgwasm::component {

// Core values are pgwasm::Value here: the component model's own is below.

class CabiError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A value larger than the budget the host gave the call: the host's limit,
// which a well-behaved guest (or a large SQL argument) can reach too.
class CabiLimitError : public CabiError {
 public:
  using CabiError::CabiError;
};

// A value of a Type: `bits` holds bools, integers (signed ones
// sign-extended), chars, handles and a variant's case; `f` floats; `s`
// strings; `items` list elements, fields, and a variant's payload (0 or 1).
struct Value {
  uint64_t bits = 0;
  double f = 0;
  std::string s;
  std::vector<Value> items;

  static Value u(uint64_t v) { return Value{v, 0, {}, {}}; }
  static Value i(int64_t v) { return Value{static_cast<uint64_t>(v), 0, {}, {}}; }
  static Value real(double v) { return Value{0, v, {}, {}}; }
  static Value str(std::string v) { return Value{0, 0, std::move(v), {}}; }
  static Value of_case(uint32_t c) { return Value{c, 0, {}, {}}; }
  static Value of_case(uint32_t c, Value payload) {
    Value v{c, 0, {}, {}};
    v.items.push_back(std::move(payload));
    return v;
  }
  static Value none() { return of_case(0); }
  static Value some(Value v) { return of_case(1, std::move(v)); }
  static Value ok() { return of_case(0); }
  static Value ok(Value v) { return of_case(0, std::move(v)); }
  static Value error(Value v) { return of_case(1, std::move(v)); }
  static Value tuple(std::vector<Value> items) { return Value{0, 0, {}, std::move(items)}; }
  int64_t as_i64() const { return static_cast<int64_t>(bits); }
  uint32_t case_index() const { return static_cast<uint32_t>(bits); }
  const Value *payload() const { return items.empty() ? nullptr : &items[0]; }
};

// What the ABI needs of the guest instance.
class GuestMemory {
 public:
  virtual ~GuestMemory() = default;
  // The linear memory now (it moves when the guest grows it).
  virtual std::span<uint8_t> bytes() = 0;
  // cabi_realloc(0, 0, align, size): the pointer the guest returns,
  // unchecked. Throws CabiError when the guest has no realloc.
  virtual uint32_t realloc(uint32_t align, uint32_t size) = 0;
};

// One lift or lower: the guest, and a budget on what it may make the host
// copy or walk (bytes of strings and lists, elements), so that a hostile
// length cannot make the host work for long before an error.
class LiftLowerContext {
 public:
  explicit LiftLowerContext(GuestMemory &memory, uint64_t budget = uint64_t{256} << 20)
      : memory_(memory), budget_(budget) {}

  // [ptr, ptr + len) inside memory and ptr aligned, or a CabiError naming
  // `what`.
  std::span<uint8_t> range(uint32_t ptr, uint64_t len, uint32_t align, const char *what);
  // Takes `amount` from the budget.
  void spend(uint64_t amount, const char *what);
  // A block from the guest's realloc, checked like range().
  uint32_t allocate(uint32_t align, uint64_t size, const char *what);
  // A string argument: its bytes charged to the budget, inside memory and
  // UTF-8, or a CabiError. The view is into the guest's memory: valid until
  // the guest runs again.
  std::string_view string_view(uint32_t ptr, uint32_t len);
  std::string string(uint32_t ptr, uint32_t len) { return std::string(string_view(ptr, len)); }

 private:
  GuestMemory &memory_;
  uint64_t budget_;
};

// A variant's case c of `cases`, or a CabiError: the check every lift makes,
// shared with fast paths that read a variant's discriminant themselves.
uint32_t checked_case(uint64_t c, size_t cases);

Value lift_flat(LiftLowerContext &cx, const Type &t, std::span<const pgwasm::Value> flat);
std::vector<pgwasm::Value> lower_flat(LiftLowerContext &cx, const Type &t, const Value &v);
Value load(LiftLowerContext &cx, const Type &t, uint32_t ptr);
void store(LiftLowerContext &cx, const Type &t, const Value &v, uint32_t ptr);

// A lowered import called by the guest with `args` (its core values):
// the parameters lifted (from memory when they do not fit flat).
std::vector<Value> lift_import_args(LiftLowerContext &cx, const Signature &sig,
                                    std::span<const pgwasm::Value> args);
// The import's result lowered: into `results`, or stored at the return
// pointer the guest passed last in `args`.
void lower_import_result(LiftLowerContext &cx, const Signature &sig, const Value *result,
                         std::span<const pgwasm::Value> args, std::span<pgwasm::Value> results);

// A lifted export called by the host: the arguments lowered (into a block
// from realloc when they do not fit flat).
std::vector<pgwasm::Value> lower_export_args(LiftLowerContext &cx, const Signature &sig,
                                             const std::vector<Value> &args);
// The export's result lifted from its core results (from memory when it
// does not fit flat).
std::optional<Value> lift_export_result(LiftLowerContext &cx, const Signature &sig,
                                        std::span<const pgwasm::Value> results);

}  // namespace pgwasm::component
