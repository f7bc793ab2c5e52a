#include <cstring>
#include <string>

#include "pg/abi/buffered_v1.h"
#include "pg/abi/guest_memory.h"
#include "pg/abi/msgpack_values.h"
#include "pg/budgets.h"
#include "pg/guard.h"
#include "pg/invoke.h"

namespace pgwasm::pg {

namespace {

// The {ptr, size} a buffer handle points to, as a range of guest memory.
std::span<uint8_t> buffer_of(CallPlan &plan, uint32_t handle, const char *what) {
  std::span<uint8_t> memory = guest_memory(*plan.module);
  uint32_t header[2];
  if (handle == 0 || uint64_t{handle} + sizeof header > memory.size())
    throw SqlError(ERRCODE_EXTERNAL_ROUTINE_EXCEPTION, "wasm " + plan.subject +
                                                           " returned a bad buffer handle " +
                                                           std::to_string(handle) + " for " + what);
  std::memcpy(header, memory.data() + handle, sizeof header);
  if (uint64_t{header[0]} + header[1] > memory.size())
    throw SqlError(ERRCODE_EXTERNAL_ROUTINE_EXCEPTION,
                   "wasm " + plan.subject + " returned a buffer outside its memory for " + what,
                   std::to_string(header[1]) + " bytes at " + std::to_string(header[0]) +
                       ", memory of " + std::to_string(memory.size()) + " bytes.");
  return memory.subspan(header[0], header[1]);
}

uint32_t create_buffer(CallPlan &plan, uint32_t size) {
  engine::Value arg = engine::Value::make_i32(static_cast<int32_t>(size)), handle;
  invoke(*plan.module, *plan.alloc_export, "clickhouse_create_buffer", &arg, &handle,
         {.export_name = plan.fn.source.export_name});
  return handle.bits.i32;
}

void destroy_buffer(CallPlan &plan, uint32_t handle) {
  engine::Value arg = engine::Value::make_i32(static_cast<int32_t>(handle));
  invoke(*plan.module, *plan.free_export, "clickhouse_destroy_buffer", &arg, nullptr,
         {.export_name = plan.fn.source.export_name});
}

}  // namespace

static Datum call(CallPlan &plan, FunctionCallInfo fcinfo) {
  const SqlFunction &fn = plan.fn;
  msgpack::sbuffer block;
  MsgpackPacker packer(block);
  for (size_t i = 0; i < fn.args.size(); i++)
    pack_datum(packer, fn.args[i], fcinfo->args[i].value, fcinfo->args[i].isnull, plan.subject);

  uint32_t input = create_buffer(plan, static_cast<uint32_t>(block.size()));
  std::span<uint8_t> in = buffer_of(plan, input, "the input");
  if (in.size() != block.size())
    throw SqlError(ERRCODE_EXTERNAL_ROUTINE_EXCEPTION,
                   "wasm " + plan.subject + ": clickhouse_create_buffer(" +
                       std::to_string(block.size()) + ") returned a buffer of " +
                       std::to_string(in.size()) + " bytes");
  std::memcpy(in.data(), block.data(), block.size());

  engine::Value args[2] = {engine::Value::make_i32(static_cast<int32_t>(input)),
                           engine::Value::make_i32(1)};
  Invocation outcome =
      invoke(*plan.module, plan.export_index, fn.source.export_name, args, &plan.result);
  if (outcome.exited)
    throw SqlError(ERRCODE_EXTERNAL_ROUTINE_EXCEPTION,
                   "wasm " + plan.subject + " exited without returning a value");
  uint32_t output = plan.result.bits.i32;
  if (output == 0)
    throw SqlError(ERRCODE_EXTERNAL_ROUTINE_EXCEPTION,
                   "wasm " + plan.subject + " returned a null buffer");
  std::span<uint8_t> out = buffer_of(plan, output, "its result");
  bool isnull = false;
  Datum result = 0;
  if (fn.result) {
    MsgpackReader reader({reinterpret_cast<const char *>(out.data()), out.size()});
    ConversionBudget budget(plan.subject, guest_memory_limit());
    result = read_datum(reader, fn.result->oid, -1, isnull, plan.subject, budget);
    expect_end(reader, plan.subject);
  }
  destroy_buffer(plan, output);
  destroy_buffer(plan, input);
  fcinfo->isnull = isnull;
  return result;
}

Datum call_buffered_v1(CallPlan &plan, FunctionCallInfo fcinfo) {
  try {
    return call(plan, fcinfo);
  } catch (...) {
    // The guest's buffers of this row are lost: start from a fresh instance.
    plan.module->discard_instance();
    throw;
  }
}

}  // namespace pgwasm::pg
