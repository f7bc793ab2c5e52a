#include <algorithm>
#include <string>

#include "pg/abi/guest_memory.h"
#include "pg/guard.h"
#include "pg/invoke.h"

namespace pgwasm::pg {

std::span<uint8_t> guest_memory(LoadedModule &module) {
  return module.instance_for_call().instance->memory();
}

uint32_t argument_area(CallPlan &plan, size_t size) {
  LoadedModule &m = *plan.module;
  ModuleInstance *inst = &m.instance_for_call();
  if (inst->arg_area != 0 && inst->arg_area_size >= size) return inst->arg_area;
  if (size > MaxAllocSize)
    throw SqlError(ERRCODE_PROGRAM_LIMIT_EXCEEDED,
                   "wasm " + plan.subject + ": arguments too large");
  uint64_t want = std::max<uint64_t>({size, uint64_t{inst->arg_area_size} * 2, 256});
  if (inst->arg_area != 0 && plan.free_export) {
    engine::Value old = engine::Value::make_i32(static_cast<int32_t>(inst->arg_area));
    inst->arg_area = inst->arg_area_size = 0;
    invoke(m, *plan.free_export, "pg_wasm_free", &old, nullptr,
           {.export_name = plan.fn.source.export_name});
  }
  inst->arg_area = inst->arg_area_size = 0;
  engine::Value request = engine::Value::make_i32(static_cast<int32_t>(want)), ptr;
  invoke(m, *plan.alloc_export, "pg_wasm_alloc", &request, &ptr,
         {.export_name = plan.fn.source.export_name});
  // A failed call discards the instance: ask for the one the area is in now.
  inst = &m.instance_for_call();
  uint32_t area = ptr.bits.i32;
  if (area == 0 || uint64_t{area} + want > guest_memory(m).size())
    throw SqlError(ERRCODE_OUT_OF_MEMORY,
                   "wasm module \"" + m.name + "\" could not allocate " + std::to_string(want) +
                       " bytes for the arguments of export \"" + plan.fn.source.export_name + "\"",
                   area == 0
                       ? "pg_wasm_alloc returned 0."
                       : "pg_wasm_alloc returned " + std::to_string(area) + ", outside its memory.",
                   "The module's memory may not grow beyond wasm.max_memory.");
  inst->arg_area = area;
  inst->arg_area_size = static_cast<uint32_t>(want);
  return area;
}

std::string_view result_bytes(CallPlan &plan, uint64_t packed) {
  uint32_t ptr = static_cast<uint32_t>(packed);
  uint32_t len = static_cast<uint32_t>(packed >> 32);
  std::span<uint8_t> memory = guest_memory(*plan.module);
  // A value of PostgreSQL's takes its bytes and a header in one allocation.
  if (len > MaxAllocSize - VARHDRSZ)
    throw SqlError(
        ERRCODE_PROGRAM_LIMIT_EXCEEDED,
        "wasm " + plan.subject + " returned a result of " + std::to_string(len) + " bytes",
        "A result may have at most 1 GB.");
  if (uint64_t{ptr} + len > memory.size())
    throw SqlError(ERRCODE_EXTERNAL_ROUTINE_EXCEPTION,
                   "wasm " + plan.subject + " returned a bad pointer or length",
                   "It returned " + std::to_string(len) + " bytes at " + std::to_string(ptr) +
                       ", outside its memory of " + std::to_string(memory.size()) + " bytes.");
  return {reinterpret_cast<const char *>(memory.data() + ptr), len};
}

}  // namespace pgwasm::pg
