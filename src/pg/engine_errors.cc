#include <string>
#include <string_view>
#include <system_error>

#include "engine/errors.h"
#include "pg/budgets.h"
#include "pg/engine_errors.h"
#include "pg/guard.h"
#include "toolkit/name_text.h"

namespace pgwasm::pg {

std::string describe_call(std::string_view module, std::string_view export_name,
                          std::string_view for_export) {
  std::string d = "module \"" + std::string(module) + "\"";
  if (export_name.empty()) return d + " while instantiating it";
  d += ", export " + toolkit::quoted_name(export_name);
  if (!for_export.empty()) d += " (for export " + toolkit::quoted_name(for_export) + ")";
  return d;
}

// "Wasm stack: f at byte offset 12 <- g at byte offset 40 (x15) <- ...",
// with runs of the same frame (recursion) folded.
static std::string stack_detail(const engine::Trap &t) {
  if (t.frames.empty()) return {};
  std::string d = "Wasm stack: ";
  size_t shown = 0;
  for (size_t i = 0; i < t.frames.size();) {
    size_t run = 1;
    while (i + run < t.frames.size() && t.frames[i + run] == t.frames[i]) run++;
    if (shown++ > 0) d += " <- ";
    d += t.frames[i];
    if (run > 1) d += " (x" + std::to_string(run) + ")";
    i += run;
  }
  return d + ".";
}

void rethrow_engine_error(std::string_view module, std::string_view export_name,
                          std::string_view for_export) {
  std::string site = describe_call(module, export_name, for_export);
  try {
    throw;
  } catch (const engine::Trap &t) {
    switch (t.kind) {
      case engine::Trap::Kind::StackExhausted:
        throw SqlError(ERRCODE_STATEMENT_TOO_COMPLEX, "wasm stack exhausted in " + site,
                       stack_detail(t),
                       "The guest recursed too deeply. Its stack is bounded by max_stack_depth.");
      case engine::Trap::Kind::OutOfMemory:
        throw SqlError(ERRCODE_OUT_OF_MEMORY, "wasm out of memory in " + site + ": " + t.what(), "",
                       "A linear memory may not grow beyond wasm.max_memory.");
      case engine::Trap::Kind::FuelExhausted:
        throw SqlError(
            ERRCODE_PROGRAM_LIMIT_EXCEEDED, "wasm " + site + " ran out of fuel",
            "A call may execute " + std::to_string(max_fuel()) + " instructions (wasm.max_fuel).",
            "Raise wasm.max_fuel, or set it to 0 for no limit.");
      case engine::Trap::Kind::HeapExhausted:
        throw SqlError(ERRCODE_OUT_OF_MEMORY, "wasm out of memory in " + site + ": " + t.what(),
                       "Every Wasm instance of this session was discarded to free it.",
                       "The engine's heap (wasm.max_heap) holds the instances' tables.");
      default:
        throw SqlError(ERRCODE_EXTERNAL_ROUTINE_EXCEPTION, "wasm trap in " + site + ": " + t.what(),
                       stack_detail(t));
    }
  } catch (const engine::Interrupted &) {
    // The watchdog stopped the guest because PostgreSQL wants to cancel or
    // terminate: let PostgreSQL raise its own error for that.
    pg_guard([] { CHECK_FOR_INTERRUPTS(); });
    throw SqlError(ERRCODE_QUERY_CANCELED, "wasm call to " + site + " was interrupted");
  } catch (const engine::LinkError &e) {
    throw SqlError(ERRCODE_UNDEFINED_OBJECT, "wasm module \"" + std::string(module) +
                                                 "\" cannot be instantiated: " + e.what());
  } catch (const engine::CompileError &e) {
    throw SqlError(ERRCODE_INVALID_BINARY_REPRESENTATION,
                   "wasm module \"" + std::string(module) + "\" cannot be compiled: " + e.what());
  } catch (const engine::EngineError &e) {
    throw SqlError(ERRCODE_EXTERNAL_ROUTINE_EXCEPTION, "wasm error in " + site + ": " + e.what());
  } catch (const std::system_error &e) {
    // A thread the system would not give (toolkit/worker.h: the native
    // engine rewrites every module on one).
    if (e.code() != std::errc::resource_unavailable_try_again &&
        e.code() != std::errc::not_enough_memory)
      throw;
    throw SqlError(ERRCODE_OUT_OF_MEMORY, "wasm out of memory in " + site + ": " + e.what());
  }
}

}  // namespace pgwasm::pg
