// What the host keeps for one instance of a component's core code: the
// handles of the host's resources the guest holds and the state of WASI 0.2
// behind them (docs/wasi.md, "WASI 0.2"). It belongs to the instance
// (ModuleInstance) and dies with it; host functions reach it through the
// call in progress (GuestCall::instance).
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>

#include "component/handles.h"

namespace pgwasm::pg {
struct ModuleInstance;
}

namespace pgwasm::pg::host {

struct GuestCall;

class ComponentHost {
 public:
  // The most bytes the host keeps for the guest at once (bodies, buffers):
  // beside its handles, the guest cannot make the host hold more.
  static constexpr uint64_t kMaxHostBytes = uint64_t{64} << 20;

  component::HandleTable handles;

  // Pollables by representation: the monotonic deadline each waits for, 0
  // for one that is always ready (a standard stream's).
  uint32_t new_pollable(uint64_t deadline);
  uint64_t deadline(uint32_t rep) const;
  void drop_pollable(uint32_t rep) { deadlines_.erase(rep); }

  // Host bytes held for the guest (counted against kMaxHostBytes).
  uint64_t host_bytes = 0;

 private:
  std::unordered_map<uint32_t, uint64_t> deadlines_;
  uint32_t next_pollable_ = 1;
};

// The host state of the instance `call` runs in, made at its first need;
// an ERROR when the call has no instance (cannot happen from SQL).
ComponentHost &component_host(GuestCall &call);

}  // namespace pgwasm::pg::host
