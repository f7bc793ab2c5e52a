#include "fdw/guest.h"

#include <cstring>

#include "fdw/component/component_guest.h"
#include "fdw/fdw_headers.h"
#include "pg/budgets.h"
#include "pg/guard.h"
#include "pg/invoke.h"
#include "pg/message_text.h"

namespace pgwasm::fdw {

using pg::SqlError;

namespace {

constexpr std::string_view kRoutineExports[kRoutines] = {
#define PGWASM_WORLD_ROUTINE(name, core_export, wit_name, input, result) core_export,
#define PGWASM_CORE_ROUTINE(name, core_export, input, result) core_export,
#include "component/routines.def"
};

FdwGuest *current = nullptr;

// Makes a guest the current one for its routine's duration.
class CurrentGuest {
 public:
  explicit CurrentGuest(FdwGuest *g) : outer_(current) { current = g; }
  ~CurrentGuest() { current = outer_; }
  CurrentGuest(const CurrentGuest &) = delete;
  CurrentGuest &operator=(const CurrentGuest &) = delete;

 private:
  FdwGuest *outer_;
};

bool keeps_sqlstate(int sqlstate) {
  // The FDW's own errors (HV...), cancels and shutdowns (57...) and
  // out-of-memory keep theirs; whatever else the guest did is HV000.
  char state[6];
  std::memcpy(state, unpack_sql_state(sqlstate), 6);
  return (state[0] == 'H' && state[1] == 'V') || (state[0] == '5' && state[1] == '7') ||
         sqlstate == ERRCODE_OUT_OF_MEMORY || sqlstate == ERRCODE_PROGRAM_LIMIT_EXCEEDED ||
         sqlstate == ERRCODE_STATEMENT_TOO_COMPLEX;
}

}  // namespace

bool FdwGuest::module_exports(pg::LoadedModule &module, Routine r) {
  if (module.component) return component_exports(*module.component, r);
  return module.info().export_index(routine_export(r)).has_value();
}

std::string_view routine_export(Routine r) {
  return kRoutineExports[static_cast<size_t>(r)];
}

FdwGuest *current_fdw_guest() {
  return current;
}

std::string scrub(std::string text, const std::vector<std::string> &secrets) {
  return pg::scrub_secrets(std::move(text), secrets);
}

FdwGuest::FdwGuest(pg::LoadedModule &module, GuestContext context, std::string_view init_input,
                   bool run_init)
    : module_(module), context_(std::move(context)) {
  running_ = Routine::Init;
  impl_ =
      module_.component ? make_component_guest(*this, module_) : make_core_guest(*this, module_);
  if (run_init && impl_->exports(Routine::Init)) call(Routine::Init, init_input);
}

FdwGuest::~FdwGuest() = default;

std::string_view FdwGuest::call(Routine r, std::string_view input) {
  running_ = r;  // stays: errors about its result name it
  if (!impl_->exports(r))
    fail(ERRCODE_FDW_UNABLE_TO_CREATE_EXECUTION, context_.code + " does not export " +
                                                     std::string(routine_export(r)) +
                                                     ", which this statement needs");
  return impl_->call(r, input);
}

std::string FdwGuest::where(Routine r) const {
  // The validator of a new server does not know its name.
  std::string s =
      context_.server.empty() ? "The server being defined" : "Server \"" + context_.server + "\"";
  if (!context_.table.empty()) s += ", foreign table " + context_.table;
  s += ", " + context_.code + ", routine " + std::string(routine_export(r)) + ".";
  return s;
}

void FdwGuest::fail(int sqlstate, const std::string &message, const std::string &detail) const {
  if (context_.stats) context_.stats->errors++;
  std::string d = where(running_);
  if (!detail.empty()) d = detail + "\n" + d;
  throw SqlError(sqlstate, scrub(message, context_.secrets), scrub(d, context_.secrets));
}

void FdwGuest::invoke(pg::ModuleInstance &instance_, uint32_t export_index, std::string_view name,
                      const engine::Value *args, engine::Value *results) {
  Routine r = running_;
  if (!instance_.instance)
    fail(ERRCODE_FDW_INCONSISTENT_DESCRIPTOR_INFORMATION,
         "the wasm FDW's instance failed earlier in this statement");
  CurrentGuest scope(this);
  // What the guest logs, prints or raises never shows its user mapping.
  pg::SecretsScope secrets(context_.secrets);
  try {
    pg::invoke_with(
        module_.name, export_index, name, args, results,
        // pg_wasm_alloc and pg_wasm_free serve the routine, named with them.
        pg::CallFor{name == routine_export(r) ? std::string_view{} : routine_export(r)},
        [&]() -> pg::ModuleInstance & {
          engine::CallBounds bounds = pg::current_bounds();
          if (instance_.bounds != bounds) {
            instance_.instance->set_bounds(bounds);
            instance_.bounds = bounds;
          }
          return instance_;
        },
        [&] { instance_ = pg::ModuleInstance{}; });
  } catch (const pg::PgError &) {
    if (context_.stats) context_.stats->errors++;
    throw;
  } catch (const SqlError &e) {
    // A guest's own error (pg_wasm.error) needs no more than where it ran.
    // Errors of fail() (a host function's) say where already.
    std::string here = where(r);
    bool from_fail = e.detail.find(here) != std::string::npos;  // counted there
    if (context_.stats && !from_fail) context_.stats->errors++;
    std::string detail = e.detail.empty() || e.sqlstate == ERRCODE_RAISE_EXCEPTION ? here
                         : e.detail.find(here) != std::string::npos                ? e.detail
                                                                    : e.detail + "\n" + here;
    throw SqlError(keeps_sqlstate(e.sqlstate) ? e.sqlstate : ERRCODE_FDW_ERROR,
                   scrub(e.message, context_.secrets), scrub(detail, context_.secrets),
                   scrub(e.hint, context_.secrets));
  }
}

}  // namespace pgwasm::fdw
