// invoke_with's body (invoke.h), in a header of its own so that its callers'
// instance getters inline.
#pragma once

#include <string>

#include "pg/engine_errors.h"
#include "pg/guard.h"
#include "pg/host/guest_call.h"
#include "pg/module_cache.h"

namespace pgwasm::pg {

template <typename GetInstance, typename Discard>
Invocation invoke_with(std::string_view module, uint32_t export_index, std::string_view export_name,
                       const engine::Value *args, engine::Value *results, const CallFor &call_for,
                       GetInstance &&instance, Discard &&discard) {
  host::GuestCall call{module, export_name};
  call.for_export = call_for.export_name;
  call.sql_args = call_for.sql_args;
  call.nsql_args = call_for.nsql_args;
  Invocation outcome;
  try {
    ModuleInstance &target = instance();
    call.instance = &target;
    host::ActiveGuestCall active(call);
    target.instance->call(export_index, args, results);
  } catch (const host::GuestExit &e) {
    // The guest ended itself: its instance is done for either way.
    discard();
    host::flush_output(call);
    if (e.code != 0)
      throw SqlError(ERRCODE_EXTERNAL_ROUTINE_EXCEPTION,
                     "wasm " + describe_call(module, export_name, call_for.export_name) +
                         " exited with code " + std::to_string(e.code));
    outcome.exited = true;
    return outcome;
  } catch (const engine::Trap &t) {
    // Whatever the guest was doing, its state is now suspect: start afresh.
    // A full engine heap is every instance's doing: free it all.
    discard();
    if (t.kind == engine::Trap::Kind::HeapExhausted) module_cache().discard_instances();
    host::flush_output(call);  // what it printed may say why
    rethrow_engine_error(module, export_name, call_for.export_name);
  } catch (const PgError &) {
    discard();
    throw;  // PostgreSQL's own error (cancel, a host function's): nothing to log first
  } catch (...) {
    discard();
    host::flush_output(call);
    rethrow_engine_error(module, export_name, call_for.export_name);
  }
  host::flush_output(call);
  outcome.null_result = call.null_result;
  return outcome;
}

}  // namespace pgwasm::pg
