// One instance of an FDW guest, and calling its routines (docs/fdw.md, "The
// guest ABI"): inputs copied into the guest, results read in place, every
// failure an FDW error naming the server, the table, the code and the
// routine.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fdw/http_policy.h"
#include "pg/backend.h"

namespace pgwasm::fdw {

enum class Routine : uint8_t {
  HostVersionRequirement,
  Validate,
  Init,
  Plan,
  BeginScan,
  IterScan,
  ReScan,
  EndScan,
  BeginModify,
  Insert,
  Update,
  Delete,
  EndModify,
  ImportForeignSchema,
};
inline constexpr size_t kRoutines = 14;

// "fdw_begin_scan", ...
std::string_view routine_export(Routine r);

// What the guest's work is for: named in every error, and what the host's
// imports need.
struct GuestContext {
  std::string server;
  Oid server_oid = InvalidOid;
  std::string table;  // empty when there is none (a server's validation)
  std::string code;   // options.h describe_code
  // Values of the user mapping, never shown: scrubbed from the guest's
  // messages.
  std::vector<std::string> secrets;
  std::optional<HttpPolicy> http;  // none: the guest may not make requests
  ServerStats *stats = nullptr;
};

// Receives the rows pg_wasm_fdw.json_rows makes during fdw_iter_scan.
class RowSink {
 public:
  virtual ~RowSink() = default;
  // `json` is the document; `path` where its array of objects is.
  virtual uint32_t json_rows(std::string_view json, std::string_view path) = 0;
};

class FdwGuest {
 public:
  // Instantiates the module for the role running the statement, checks the
  // exports the ABI defines, and calls fdw_init with `init_input` (a
  // MessagePack map) when the guest exports it.
  FdwGuest(pg::LoadedModule &module, GuestContext context, std::string_view init_input);
  FdwGuest(const FdwGuest &) = delete;
  FdwGuest &operator=(const FdwGuest &) = delete;

  bool exports(Routine r) const { return exports_[static_cast<size_t>(r)].has_value(); }

  // Calls a routine; one that takes (ptr, len) gets `input` copied into the
  // guest. Returns the bytes an i64 result points to (empty for 0, and for
  // routines without a result), valid until the guest runs again. A routine
  // the guest does not export is an error naming it.
  std::string_view call(Routine r, std::string_view input = {});

  // After a failure the instance is gone: nothing more may be called.
  bool alive() const { return instance_.instance != nullptr; }

  const GuestContext &context() const { return context_; }

  // State of the host's imports for this guest.
  std::string pending;  // what pg_wasm_fdw.take hands over next
  RowSink *row_sink = nullptr;

  // The error for a failure of guest work, with the DETAIL naming where.
  [[noreturn]] void fail(int sqlstate, const std::string &message,
                         const std::string &detail = {}) const;

 private:
  uint32_t copy_in(std::string_view input, Routine r);
  std::string_view result_bytes(uint64_t packed, Routine r);
  void invoke(uint32_t export_index, std::string_view name, const engine::Value *args,
              engine::Value *results, Routine r);
  std::string where(Routine r) const;

  pg::LoadedModule &module_;
  GuestContext context_;
  pg::ModuleInstance instance_;
  std::array<std::optional<uint32_t>, kRoutines> exports_;
  std::optional<uint32_t> alloc_, free_;
  std::string scratch_;  // a result copied out before pg_wasm_free runs
  Routine running_ = Routine::Init;
};

// The guest whose routine is running, for the host's imports; null outside.
FdwGuest *current_fdw_guest();

// Replaces every secret (user-mapping value of four or more characters) in
// `text` with ***.
std::string scrub(std::string text, const std::vector<std::string> &secrets);

}  // namespace pgwasm::fdw
