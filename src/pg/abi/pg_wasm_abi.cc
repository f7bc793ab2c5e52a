#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pg/abi/byte_values.h"
#include "pg/abi/guest_memory.h"
#include "pg/abi/msgpack_values.h"
#include "pg/abi/pg_wasm_abi.h"
#include "pg/abi/scalars.h"
#include "pg/budgets.h"
#include "pg/guard.h"
#include "pg/invoke.h"
#include "pg/result_set.h"

namespace pgwasm::pg {

namespace {

constexpr size_t align8(size_t n) {
  return (n + 7) & ~size_t{7};
}

// Lowers the SQL arguments into plan.params: scalars as values, byte strings
// copied once into the guest's argument area; a NULL as zeros.
void lower_arguments(CallPlan &plan, FunctionCallInfo fcinfo) {
  const SqlFunction &fn = plan.fn;
  std::string_view bytes[FUNC_MAX_ARGS];
  size_t total = 0;
  for (size_t i = 0; i < fn.args.size(); i++) {
    const SqlType &type = fn.args[i];
    bool isnull = fcinfo->args[i].isnull;
    engine::Value *p = &plan.params[plan.first_param[i]];
    if (is_scalar(type.kind)) {
      p[0].bits.i64 = 0;
      if (!isnull) set_scalar(p[0], type.kind, fcinfo->args[i].value);
    } else if (!isnull) {
      bytes[i] = arg_bytes(type, fcinfo->args[i].value, plan.subject);
      total += align8(bytes[i].size());
    }
  }
  uint32_t area = total > 0 ? argument_area(plan, total) : 0;
  std::span<uint8_t> memory = total > 0 ? guest_memory(*plan.module) : std::span<uint8_t>{};
  uint32_t offset = 0;
  for (size_t i = 0; i < fn.args.size(); i++) {
    if (is_scalar(fn.args[i].kind)) continue;
    engine::Value *p = &plan.params[plan.first_param[i]];
    bool isnull = fcinfo->args[i].isnull;
    p[0].bits.i32 = isnull ? 0 : area + offset;
    p[1].bits.i32 = static_cast<uint32_t>(bytes[i].size());
    if (isnull) continue;
    std::memcpy(memory.data() + area + offset, bytes[i].data(), bytes[i].size());
    offset += static_cast<uint32_t>(align8(bytes[i].size()));
  }
}

SqlError shape_error(const CallPlan &plan, const std::string &what) {
  return SqlError(ERRCODE_DATATYPE_MISMATCH, "wasm " + plan.subject + " returned " + what);
}

// A result's MessagePack, to convert with the host's memory for it bounded
// by the guest's own limit.
struct MsgpackResult {
  MsgpackResult(const CallPlan &plan, std::string_view bytes)
      : reader(bytes), budget(plan.subject, guest_memory_limit()) {}
  MsgpackReader reader;
  ConversionBudget budget;
};

// The header of the next value, which must be an array of `count`
// elements (any count if nullopt).
uint32_t read_array_header(const CallPlan &plan, MsgpackReader &r, std::optional<uint32_t> count,
                           const char *what) {
  MsgpackReader::Value v;
  try {
    v = r.next();
  } catch (const MsgpackError &e) {
    throw invalid_msgpack(plan.subject, e);
  }
  if (v.type != MsgpackReader::Type::Array || (count && v.count != *count))
    throw shape_error(plan, "MessagePack " + describe(v) + " where " + what + " was expected");
  return v.count;
}

// A row from a MessagePack array of the row's live columns, in order, each
// fitted to its column's type and type modifier.
void read_row(const CallPlan &plan, MsgpackResult &in, TupleDesc desc, Datum *values, bool *nulls) {
  uint32_t live = 0;
  for (int c = 0; c < desc->natts; c++) live += !TupleDescAttr(desc, c)->attisdropped;
  std::string what = "a row (an array of " + std::to_string(live) + " values)";
  read_array_header(plan, in.reader, live, what.c_str());
  for (int c = 0; c < desc->natts; c++) {
    Form_pg_attribute attr = TupleDescAttr(desc, c);
    if (attr->attisdropped) {
      nulls[c] = true;
      continue;
    }
    values[c] =
        read_datum(in.reader, attr->atttypid, attr->atttypmod, nulls[c], plan.subject, in.budget);
  }
}

Datum row_datum(const CallPlan &plan, std::string_view bytes) {
  TupleDesc desc = plan.result_desc;
  MsgpackResult in(plan, bytes);
  std::vector<Datum> values(desc->natts);
  std::vector<char> nulls(desc->natts);
  read_row(plan, in, desc, values.data(), reinterpret_cast<bool *>(nulls.data()));
  expect_end(in.reader, plan.subject);
  return pg_guard([&] {
    HeapTuple tuple = heap_form_tuple(desc, values.data(), reinterpret_cast<bool *>(nulls.data()));
    return HeapTupleGetDatum(tuple);
  });
}

// SETOF: a MessagePack array of rows, each a value (SETOF a scalar or
// byte-string type) or an array of column values (rows). Rows go to the
// tuplestore as they are read (it spills to disk past work_mem); a long
// set can be cancelled.
void fill_result_set(const CallPlan &plan, ReturnSetInfo *rsinfo, std::string_view bytes) {
  MsgpackResult in(plan, bytes);
  uint32_t rows = read_array_header(plan, in.reader, std::nullopt, "a set (an array of rows)");
  TupleDesc desc = rsinfo->setDesc;
  std::vector<Datum> values(desc->natts);
  std::vector<char> nulls(desc->natts);
  auto *n = reinterpret_cast<bool *>(nulls.data());
  bool rows_are_arrays = plan.fn.result->kind == SqlKind::Record;
  MemoryContext row_context = pg_guard([] {
    return AllocSetContextCreate(CurrentMemoryContext, "wasm result row", ALLOCSET_DEFAULT_SIZES);
  });
  for (uint32_t r = 0; r < rows; r++) {
    pg_guard([&] {
      if (r % 1024 == 1023) CHECK_FOR_INTERRUPTS();
      MemoryContextReset(row_context);
    });
    {
      // One row's values at a time: the tuplestore keeps its own copy.
      MemoryContextScope scope(row_context);
      in.budget.reset();
      if (rows_are_arrays) {
        read_row(plan, in, desc, values.data(), n);
      } else {
        Form_pg_attribute attr = TupleDescAttr(desc, 0);
        values[0] =
            read_datum(in.reader, attr->atttypid, attr->atttypmod, n[0], plan.subject, in.budget);
      }
    }
    pg_guard([&] { tuplestore_putvalues(rsinfo->setResult, desc, values.data(), n); });
  }
  expect_end(in.reader, plan.subject);
}

}  // namespace

Datum call_pg_wasm(CallPlan &plan, FunctionCallInfo fcinfo) {
  const SqlFunction &fn = plan.fn;
  ReturnSetInfo *rsinfo = fn.retset ? pg_guard([&] { return begin_result_set(fcinfo); }) : nullptr;
  // A guest that cannot tell a NULL argument from a zero (it does not
  // import pg_wasm.arg_is_null) gets no call: NULL in, NULL (or no rows) out.
  if (!plan.observes_nulls) {
    for (size_t i = 0; i < fn.args.size(); i++) {
      if (!fcinfo->args[i].isnull) continue;
      fcinfo->isnull = !fn.retset;
      return 0;
    }
  }
  lower_arguments(plan, fcinfo);
  Invocation outcome = invoke(
      *plan.module, plan.export_index, fn.source.export_name, plan.params.data(), &plan.result,
      {.export_name = {}, .sql_args = fcinfo->args, .nsql_args = static_cast<int>(fn.args.size())});
  if (!fn.result) return 0;
  if (outcome.exited)
    throw SqlError(ERRCODE_EXTERNAL_ROUTINE_EXCEPTION,
                   "wasm " + plan.subject + " exited without returning a value");
  if (fn.retset) {
    if (!outcome.null_result)
      fill_result_set(plan, rsinfo, result_bytes(plan, plan.result.bits.i64));
    return 0;
  }
  if (outcome.null_result) {
    fcinfo->isnull = true;
    return 0;
  }
  if (is_scalar(fn.result->kind)) return scalar_datum(fn.result->kind, plan.result, plan.subject);
  std::string_view bytes = result_bytes(plan, plan.result.bits.i64);
  if (fn.result->kind == SqlKind::Record) return row_datum(plan, bytes);
  return datum_from_bytes(*fn.result, bytes, plan.subject);
}

}  // namespace pgwasm::pg
