// A component instance's table of resource handles (CanonicalABI.md,
// "Handle tables"): what the guest holds of the host's resources. Index 0 is
// never valid; a handle never given out, dropped already, or of another
// resource is an error; borrows lent for a call end with it, and the guest
// must have dropped them by then. A handle is its slot's index (from 1) and,
// above bit 20, the slot's generation: a slot given out again gets a new
// handle, so that one kept after its drop or its call never names the
// resource that took its place. Resources are ids (Type::resource): the
// host's worlds number theirs apart (world.h, wasi.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "component/cabi.h"
#include "component/wasi.h"

namespace pgwasm::component {

class HandleTable {
 public:
  // The most handles a guest may hold at once: one that never drops what
  // it gets runs into it rather than the host's memory.
  static constexpr size_t kMaxHandles = 100'000;
  static constexpr uint32_t kIndexBits = 20;  // kMaxHandles < 2^20
  static constexpr uint32_t kIndexMask = (1u << kIndexBits) - 1;

  uint32_t add(uint32_t res, uint32_t rep, bool own, uint64_t scope = 0) {
    if (live_ >= kMaxHandles)
      throw CabiError("the guest holds " + std::to_string(live_) +
                      " resource handles, the most it may: it does not drop them");
    uint32_t index, gen = 0;
    if (!free_.empty()) {
      index = free_.back();
      free_.pop_back();
      gen = (slots_[index - 1].gen + 1) & (UINT32_MAX >> kIndexBits);
    } else {
      slots_.push_back({});
      index = static_cast<uint32_t>(slots_.size());  // from 1
    }
    slots_[index - 1] = Slot{res, rep, own, true, scope, gen};
    live_++;
    return index | gen << kIndexBits;
  }

  // The representation of `handle`, which must be a live `res`.
  uint32_t rep(uint32_t handle, uint32_t res) const { return slot(handle, res).rep; }

  // [resource-drop]: an own handle, or a borrow of the call in progress.
  void drop(uint32_t handle, uint32_t res) {
    slot(handle, res);
    remove(handle & kIndexMask);
  }

  // The same, for a world's enum of resource ids (world.h, wasi.h).
  template <typename R>
  requires std::is_enum_v<R> uint32_t add(R res, uint32_t rep, bool own, uint64_t scope = 0) {
    return add(static_cast<uint32_t>(res), rep, own, scope);
  }
  template <typename R>
  requires std::is_enum_v<R> uint32_t rep(uint32_t handle, R res)
  const { return rep(handle, static_cast<uint32_t>(res)); }
  template <typename R>
  requires std::is_enum_v<R>
  void drop(uint32_t handle, R res) { drop(handle, static_cast<uint32_t>(res)); }

  // How many handles the guest holds.
  size_t live() const { return live_; }

  // A call's borrows end with it. Gives the resource of one the guest had
  // not dropped, if any (the canonical ABI traps: a callee drops its
  // borrows before it returns).
  std::optional<uint32_t> end_scope(uint64_t scope) {
    std::optional<uint32_t> kept;
    for (uint32_t i = 1; i <= slots_.size(); i++)
      if (slots_[i - 1].live && !slots_[i - 1].own && slots_[i - 1].scope == scope) {
        kept = slots_[i - 1].res;
        remove(i);
      }
    return kept;
  }

 private:
  struct Slot {
    uint32_t res = 0;
    uint32_t rep = 0;
    bool own = false, live = false;
    uint64_t scope = 0;
    uint32_t gen = 0;
  };

  const Slot &slot(uint32_t handle, uint32_t res) const {
    uint32_t index = handle & kIndexMask;
    if (index == 0 || index > slots_.size() || !slots_[index - 1].live ||
        slots_[index - 1].gen != handle >> kIndexBits)
      throw CabiError("resource handle " + std::to_string(handle) + " (" + resource_name(res) +
                      ") was never given to the guest, or was "
                      "dropped already");
    const Slot &s = slots_[index - 1];
    if (s.res != res)
      throw CabiError("resource handle " + std::to_string(handle) + " (" + resource_name(s.res) +
                      ") is not " + article(resource_name(res)));
    return s;
  }
  static std::string article(const std::string &name) {
    bool vowel = !name.empty() && std::string_view("aeiou").find(name[0]) != std::string_view::npos;
    return (vowel ? "an " : "a ") + name;
  }
  void remove(uint32_t index) {
    slots_[index - 1].live = false;
    free_.push_back(index);
    live_--;
  }

  std::vector<Slot> slots_;
  std::vector<uint32_t> free_;
  size_t live_ = 0;
};

}  // namespace pgwasm::component
