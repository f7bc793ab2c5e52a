// One instance of an FDW guest, and calling its routines (docs/fdw.md, "The
// guest ABI"): inputs copied into the guest, results read in place, every
// failure an FDW error naming the server, the table, the code and the
// routine.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fdw/http_policy.h"
#include "pg/loaded_module.h"

namespace pgwasm::fdw {

enum class Routine : uint8_t {
#define PGWASM_WORLD_ROUTINE(name, core_export, wit_name, input, result) name,
#define PGWASM_CORE_ROUTINE(name, core_export, input, result) name,
#include "component/routines.def"
};
inline constexpr size_t kRoutines = 0
#define PGWASM_WORLD_ROUTINE(name, core_export, wit_name, input, result) +1
#define PGWASM_CORE_ROUTINE(name, core_export, input, result) +1
#include "component/routines.def"
    ;

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

class FdwGuest;

// What runs a guest's routines: a core module of pg_wasm's FDW ABI
// (core_guest.cc) or a component of the world supabase:wrappers
// (component/component_guest.cc), told apart by the module's code. Both take
// and give the routines' MessagePack, so the planner and executor see one
// protocol.
class GuestImpl {
 public:
  virtual ~GuestImpl() = default;
  virtual bool exports(Routine r) const = 0;
  // As FdwGuest::call.
  virtual std::string_view call(Routine r, std::string_view input) = 0;
  virtual bool alive() const = 0;
  // The host version the guest's host version requirement is checked
  // against.
  virtual std::string_view host_version() const = 0;
  // Whether the planner tells the guest the query's order and limit
  // without asking it (a component: the world supabase:wrappers has no
  // planning routine, and its host passes them as hints).
  virtual bool takes_scan_hints() const { return false; }
};

std::unique_ptr<GuestImpl> make_core_guest(FdwGuest &owner, pg::LoadedModule &module);
std::unique_ptr<GuestImpl> make_component_guest(FdwGuest &owner, pg::LoadedModule &module);

class FdwGuest {
 public:
  // Instantiates the module for the role running the statement, checks the
  // exports the ABI defines, and calls its init routine with `init_input` (a
  // MessagePack map) when the guest has one and `run_init`.
  FdwGuest(pg::LoadedModule &module, GuestContext context, std::string_view init_input,
           bool run_init = true);
  ~FdwGuest();
  FdwGuest(const FdwGuest &) = delete;
  FdwGuest &operator=(const FdwGuest &) = delete;

  bool exports(Routine r) const { return impl_->exports(r); }

  // Whether a module's guest has routine `r`, without instantiating it.
  static bool module_exports(pg::LoadedModule &module, Routine r);

  // Calls a routine; one that takes (ptr, len) gets `input` copied into the
  // guest. Returns the bytes an i64 result points to (empty for 0, and for
  // routines without a result), valid until the guest runs again. A routine
  // the guest does not export is an error naming it.
  std::string_view call(Routine r, std::string_view input = {});

  // After a failure the instance is gone: nothing more may be called.
  bool alive() const { return impl_ && impl_->alive(); }

  std::string_view host_version() const { return impl_->host_version(); }

  const GuestContext &context() const { return context_; }
  GuestImpl &impl() { return *impl_; }

  // State of the host's imports for this guest.
  std::string pending;  // what pg_wasm_fdw.take hands over next
  RowSink *row_sink = nullptr;

  // The error for a failure of guest work, with the DETAIL naming where.
  [[noreturn]] void fail(int sqlstate, const std::string &message,
                         const std::string &detail = {}) const;

  // Calls an export of `instance` for the running routine: every failure
  // an FDW error naming where, the instance discarded after one.
  void invoke(pg::ModuleInstance &instance, uint32_t export_index, std::string_view name,
              const engine::Value *args, engine::Value *results);

  Routine running() const { return running_; }

 private:
  std::string where(Routine r) const;

  pg::LoadedModule &module_;
  GuestContext context_;
  std::unique_ptr<GuestImpl> impl_;
  Routine running_ = Routine::Init;
};

// The guest whose routine is running, for the host's imports; null outside.
FdwGuest *current_fdw_guest();

// Replaces every secret (user-mapping value of four or more characters) in
// `text` with ***.
std::string scrub(std::string text, const std::vector<std::string> &secrets);

}  // namespace pgwasm::fdw
