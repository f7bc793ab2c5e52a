// What the host keeps for one instance of a component's core code: the
// handles of the host's resources the guest holds and the state of WASI 0.2
// behind them (docs/wasi.md, "WASI 0.2"). It belongs to the instance
// (ModuleInstance) and dies with it; host functions reach it through the
// call in progress (GuestCall::instance).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>

#include "component/handles.h"
#include "pg/host/outgoing_http.h"

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

  // wasi:http objects by representation (each kind in its own map, reps
  // from one counter). Output and input streams of bodies have their
  // body's rep; the standard streams' reps are below kFirstObject.
  static constexpr uint32_t kFirstObject = 16;
  struct Fields {
    HttpHeaders entries;
    bool immutable = false;
    uint64_t bytes = 0;
  };
  struct Request {
    uint32_t method = 0;  // case of method; `method_other` for other(string)
    std::string method_other;
    std::optional<uint32_t> scheme;
    std::string scheme_other;
    std::optional<std::string> authority, path_with_query;
    HttpHeaders headers;
    std::optional<uint32_t> body;  // its outgoing body, once given
    bool is_response = false;      // an outgoing-response (status, headers, body)
    uint16_t status = 200;
  };
  struct OutgoingBody {
    std::string bytes;
    bool stream_given = false;
    bool finished = false;
  };
  struct Options {
    std::array<std::optional<uint64_t>, 3> timeouts;
  };
  struct Future {
    OutgoingHttpRequest request;
    std::optional<uint32_t> body;  // read when the request is sent, at the first get
    std::optional<OutgoingHttpResult> result;
    bool taken = false;
  };
  struct IncomingBody {
    std::string bytes;
    size_t offset = 0;
    bool stream_given = false;
  };
  struct Response {
    uint16_t status = 0;
    HttpHeaders headers;
    std::optional<uint32_t> body;  // its incoming body, until consumed
  };
  std::unordered_map<uint32_t, Fields> fields;
  std::unordered_map<uint32_t, Request> requests;
  std::unordered_map<uint32_t, OutgoingBody> outgoing_bodies;
  std::unordered_map<uint32_t, Options> options;
  std::unordered_map<uint32_t, Future> futures;
  std::unordered_map<uint32_t, IncomingBody> incoming_bodies;
  std::unordered_map<uint32_t, Response> responses;
  uint32_t new_object() { return next_object_++; }

 private:
  uint32_t next_object_ = kFirstObject;
  std::unordered_map<uint32_t, uint64_t> deadlines_;
  uint32_t next_pollable_ = 1;
};

// The host state of the instance `call` runs in, made at its first need;
// an ERROR when the call has no instance (cannot happen from SQL).
ComponentHost &component_host(GuestCall &call);

}  // namespace pgwasm::pg::host
