#include "pg/abi/component_abi.h"

#include <cstring>
#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "component/cabi.h"
#include "pg/abi/byte_values.h"
#include "pg/abi/guest_memory.h"
#include "pg/budgets.h"
#include "pg/guard.h"
#include "pg/invoke.h"
#include "pg/message_text.h"
#include "pg/result_set.h"
#include "toolkit/name_text.h"

extern "C" {
#include "mb/pg_wchar.h"
}

namespace pgwasm::pg {

namespace {

using component::CabiError;
using component::LiftLowerContext;
using WitValue = component::Value;

// Calls an export of the instance a call runs in, as invoke() does (errors
// named, the instance discarded after a failure) without looking the
// instance up again.
Invocation call_export(CallPlan &plan, ModuleInstance &inst, uint32_t index, std::string_view name,
                       const engine::Value *args, engine::Value *results,
                       const CallFor &call_for = {}) {
  LoadedModule &module = *plan.module;
  return invoke_with(
      module.name, index, name, args, results, call_for,
      [&]() -> ModuleInstance & {
        // A failed call discarded it, and threw: nothing calls it again.
        if (!inst.instance)
          throw SqlError(ERRCODE_INTERNAL_ERROR,
                         "the instance of wasm " + plan.subject + " is gone");
        return inst;
      },
      [&] { module.discard_instance(); });
}

// The role's instance of the module as the canonical ABI sees it; realloc
// is the export's own (its canonical options name it).
class CallMemory : public component::GuestMemory {
 public:
  CallMemory(CallPlan &plan, ModuleInstance &inst) : plan_(plan), inst_(inst) {}
  std::span<uint8_t> bytes() override {
    if (!inst_.instance) throw CabiError("the guest's instance is gone");
    return inst_.instance->memory();
  }
  uint32_t realloc(uint32_t align, uint32_t size) override {
    const ComponentBinding &b = *plan_.component;
    if (!b.realloc_index)
      throw CabiError("the function has no realloc for the host to allocate its arguments with");
    engine::Value args[4] = {engine::Value::make_i32(0), engine::Value::make_i32(0),
                             engine::Value::make_i32(static_cast<int32_t>(align)),
                             engine::Value::make_i32(static_cast<int32_t>(size))};
    engine::Value result;
    call_export(plan_, inst_, *b.realloc_index, "cabi_realloc", args, &result,
                {.export_name = b.full_name});
    return result.bits.i32;
  }

 private:
  CallPlan &plan_;
  ModuleInstance &inst_;
};

// A guest that broke the ABI is not trusted again: its instance goes. A
// value over the call's budget (wasm.max_memory) is a limit, not the
// guest's fault; the instance goes too, with the blocks its realloc gave
// for the arguments lowered before.
[[noreturn]] void abi_error(CallPlan &plan, const CabiError &e) {
  plan.module->discard_instance();
  std::string site = "wasm component \"" + plan.module->name + "\", export " +
                     toolkit::quoted_name(plan.component->full_name);
  if (dynamic_cast<const component::CabiLimitError *>(&e))
    throw SqlError(ERRCODE_PROGRAM_LIMIT_EXCEEDED, site + ": " + message_text(e.what()), {},
                   "wasm.max_memory (now " + std::to_string(guest_memory_limit() >> 20) +
                       " MB) bounds what the host copies in and out of one call.");
  throw SqlError(ERRCODE_EXTERNAL_ROUTINE_EXCEPTION,
                 site + " broke the canonical ABI: " + message_text(e.what()));
}

void post_return(CallPlan &plan, ModuleInstance &inst, engine::Value *results) {
  const ComponentBinding &b = *plan.component;
  if (b.post_return_index)
    call_export(plan, inst, *b.post_return_index, "post-return", results, nullptr,
                {.export_name = b.full_name});
}

// Runs `convert` (which copies out of the guest's memory), then the
// export's post-return whatever the conversion did.
template <typename Convert>
Datum convert_then_post_return(CallPlan &plan, ModuleInstance &inst, engine::Value *results,
                               Convert &&convert) {
  Datum d = 0;
  std::exception_ptr error;
  try {
    d = convert();
  } catch (...) {
    error = std::current_exception();
  }
  post_return(plan, inst, results);
  if (error) std::rethrow_exception(error);
  return d;
}

// The bytes of a text or bytea argument, text in UTF-8.
std::string_view arg_view(Datum d, bool text) {
  return pg_guard([&]() -> std::string_view {
    auto *v = reinterpret_cast<varlena *>(PG_DETOAST_DATUM_PACKED(d));
    const char *data = VARDATA_ANY(v);
    size_t len = VARSIZE_ANY_EXHDR(v);
    if (!text || GetDatabaseEncoding() == PG_UTF8) return {data, len};
    char *c = pg_server_to_any(data, static_cast<int>(len), PG_UTF8);
    return {c, c == data ? len : strlen(c)};
  });
}

// string -> string and list<u8> -> list<u8>: the argument copied straight
// into a block from realloc, the result's (pointer, length) read from the
// return area, with the checks lift_export_result makes.
Datum call_fast(CallPlan &plan, FunctionCallInfo fcinfo) {
  const ComponentBinding &b = *plan.component;
  bool text = b.fast == ComponentBinding::Fast::StringToString;
  std::string_view in = arg_view(fcinfo->args[0].value, text);
  ModuleInstance &inst = plan.module->instance_for_call();
  CallMemory memory(plan, inst);
  uint64_t budget = guest_memory_limit();
  engine::Value *args = plan.params.data();
  try {
    LiftLowerContext cx(memory, budget);
    uint32_t ptr = cx.allocate(1, in.size(), text ? "a string" : "a list");
    if (!in.empty())
      std::memcpy(cx.range(ptr, in.size(), 1, "the block").data(), in.data(), in.size());
    args[0].bits.i32 = ptr;
    args[1].bits.i32 = static_cast<uint32_t>(in.size());
  } catch (const CabiError &e) {
    abi_error(plan, e);
  }
  Invocation outcome = call_export(plan, inst, b.core_index, b.full_name, args, &plan.result);
  if (outcome.exited)
    throw SqlError(ERRCODE_EXTERNAL_ROUTINE_EXCEPTION,
                   "wasm " + plan.subject + " exited without returning a value");
  std::string_view out;
  try {
    LiftLowerContext cx(memory, budget);
    std::span<uint8_t> area = cx.range(plan.result.bits.i32, 8, 4, "the result");
    uint32_t ptr, len;
    std::memcpy(&ptr, area.data(), 4);
    std::memcpy(&len, area.data() + 4, 4);
    if (text) {
      out = cx.string_view(ptr, len);
    } else {
      cx.spend(len, "a list");
      std::span<uint8_t> bytes = cx.range(ptr, len, 1, "a list");
      out = {reinterpret_cast<const char *>(bytes.data()), bytes.size()};
    }
  } catch (const CabiError &e) {
    abi_error(plan, e);
  }
  return convert_then_post_return(plan, inst, &plan.result, [&] {
    if (out.size() > MaxAllocSize - VARHDRSZ)
      throw SqlError(
          ERRCODE_PROGRAM_LIMIT_EXCEEDED,
          "wasm " + plan.subject + " returned a value of " + std::to_string(out.size()) + " bytes",
          "A SQL value may have at most 1 GB.");
    // The string is UTF-8 (string_view checked): in a UTF-8 database only a
    // zero byte keeps it from being text.
    if (text && GetDatabaseEncoding() == PG_UTF8 && !std::memchr(out.data(), 0, out.size()))
      return pg_guard([&] {
        return PointerGetDatum(cstring_to_text_with_len(out.data(), static_cast<int>(out.size())));
      });
    return datum_from_bytes(SqlType{text ? SqlKind::Text : SqlKind::Bytea,
                                    static_cast<Oid>(text ? TEXTOID : BYTEAOID), SqlKind::Int4},
                            out, plan.subject);
  });
}

}  // namespace

Datum call_component(CallPlan &plan, FunctionCallInfo fcinfo) {
  const ComponentBinding &b = *plan.component;
  const SqlFunction &fn = plan.fn;
  ReturnSetInfo *rsinfo = fn.retset ? pg_guard([&] { return begin_result_set(fcinfo); }) : nullptr;
  // A NULL where the WIT type has none: NULL (no rows) without a call, as
  // PostgreSQL does for STRICT functions.
  for (size_t i = 0; i < b.params.size(); i++) {
    if (fcinfo->args[i].isnull && !b.params[i]->takes_null()) {
      fcinfo->isnull = !fn.retset;
      return 0;
    }
  }
  if (b.fast != ComponentBinding::Fast::None) return call_fast(plan, fcinfo);

  std::vector<WitValue> args;
  args.reserve(b.params.size());
  for (size_t i = 0; i < b.params.size(); i++)
    args.push_back(b.params[i]->to_wit(fcinfo->args[i].value, fcinfo->args[i].isnull));
  ModuleInstance &inst = plan.module->instance_for_call();
  CallMemory memory(plan, inst);
  uint64_t budget = guest_memory_limit();
  const component::Signature &sig = b.fn->sig;
  std::vector<engine::Value> flat;
  try {
    LiftLowerContext cx(memory, budget);
    flat = component::lower_export_args(cx, sig, args);
  } catch (const CabiError &e) {
    abi_error(plan, e);
  }
  std::vector<engine::Value> results(b.core_type.results.size());
  Invocation outcome =
      call_export(plan, inst, b.core_index, b.full_name, flat.data(), results.data());
  if (outcome.exited) {
    if (!sig.result) return 0;
    throw SqlError(ERRCODE_EXTERNAL_ROUTINE_EXCEPTION,
                   "wasm " + plan.subject + " exited without returning a value");
  }
  std::optional<WitValue> out;
  try {
    LiftLowerContext cx(memory, budget);
    out = component::lift_export_result(cx, sig, results);
  } catch (const CabiError &e) {
    abi_error(plan, e);
  }
  // Everything is copied out: the guest may free what the result pointed to.
  post_return(plan, inst, results.data());

  const WitValue *v = out ? &*out : nullptr;
  if (b.result_is_result && v) {
    if (v->case_index() != 0) throw result_error(b.result_error_type, v->payload(), plan.subject);
    v = v->payload();
  }
  if (fn.retset) {
    if (!v) return 0;
    TupleDesc desc = rsinfo->setDesc;
    std::vector<Datum> values(desc->natts);
    std::vector<char> nulls(desc->natts);
    auto *n = reinterpret_cast<bool *>(nulls.data());
    MemoryContext row_context = pg_guard([] {
      return AllocSetContextCreate(CurrentMemoryContext, "wasm result row", ALLOCSET_DEFAULT_SIZES);
    });
    for (size_t r = 0; r < v->items.size(); r++) {
      pg_guard([&] {
        if (r % 1024 == 1023) CHECK_FOR_INTERRUPTS();
        MemoryContextReset(row_context);
      });
      {
        // One row's values at a time: the tuplestore keeps its own copy.
        MemoryContextScope scope(row_context);
        if (b.row_map)
          b.row_map->to_row(v->items[r], values.data(), n);
        else
          values[0] = b.result->to_sql(v->items[r], &n[0]);
      }
      pg_guard([&] { tuplestore_putvalues(rsinfo->setResult, desc, values.data(), n); });
    }
    pg_guard([&] { MemoryContextDelete(row_context); });
    return 0;
  }
  if (fn.result_oid == VOIDOID) return 0;
  if (!v) {
    fcinfo->isnull = true;
    return 0;
  }
  if (b.row_map) {
    TupleDesc desc = plan.result_desc;
    std::vector<Datum> values(desc->natts);
    std::vector<char> nulls(desc->natts);
    auto *n = reinterpret_cast<bool *>(nulls.data());
    b.row_map->to_row(*v, values.data(), n);
    return pg_guard([&] { return HeapTupleGetDatum(heap_form_tuple(desc, values.data(), n)); });
  }
  bool isnull = false;
  Datum d = b.result->to_sql(*v, &isnull);
  fcinfo->isnull = isnull;
  return d;
}

}  // namespace pgwasm::pg
