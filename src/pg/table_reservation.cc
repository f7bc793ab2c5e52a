#include "pg/table_reservation.h"

#include <algorithm>
#include <string>

#include "pg/engines.h"
#include "pg/guard.h"

namespace pgwasm::pg {

// What a table may come to hold.
static uint64_t table_entries(const TableType &t) {
  return std::min(t.limits.max.value_or(kTableEntriesCap), kTableEntriesCap);
}

// The bytes the session's instances' tables may take (TableReservation).
static uint64_t g_table_bytes = 0;

TableReservation::TableReservation(const std::string &module, const ModuleInfo &info) {
  uint64_t bytes = 0;
  for (const auto &t : info.tables) {
    if (t.limits.min > kTableEntriesCap)
      throw SqlError(ERRCODE_PROGRAM_LIMIT_EXCEEDED,
                     "wasm module \"" + module + "\" has a table of " +
                         std::to_string(t.limits.min) + " entries from the start; at most " +
                         std::to_string(kTableEntriesCap) + " are allowed");
    bytes += table_entries(t) *
             (t.element == ValType::FuncRef ? kFuncrefEntryBytes : kExternrefEntryBytes);
  }
  uint64_t limit = static_cast<uint64_t>(max_heap_mb_guc) << 20;
  if (g_table_bytes + bytes > limit)
    throw SqlError(ERRCODE_OUT_OF_MEMORY,
                   "wasm out of memory in module \"" + module + "\" while instantiating it",
                   "Its tables may take " + std::to_string(bytes >> 20) +
                       " MB; the tables of this session's instances may take " +
                       std::to_string(g_table_bytes >> 20) + " MB already, and wasm.max_heap is " +
                       std::to_string(limit >> 20) + " MB.",
                   "Declare smaller maximum sizes for the modules' tables, or drop this session's "
                   "instances with wasm.reset_session().");
  g_table_bytes += bytes;
  bytes_ = bytes;
}

TableReservation::~TableReservation() {
  g_table_bytes -= bytes_;
}

TableReservation &TableReservation::operator=(TableReservation &&other) noexcept {
  if (this != &other) {
    g_table_bytes -= bytes_;
    bytes_ = other.bytes_;
    other.bytes_ = 0;
  }
  return *this;
}

void check_table_capacity(std::string_view name, const ModuleInfo &info) {
  constexpr uint64_t kMaxTableEntries = 10'000'000;
  uint64_t entries = 0;
  for (const auto &t : info.tables) entries += table_entries(t);
  if (entries > kMaxTableEntries)
    throw SqlError(ERRCODE_PROGRAM_LIMIT_EXCEEDED,
                   "wasm module \"" + std::string(name) + "\" has tables that can hold " +
                       std::to_string(entries) + " entries together; at most " +
                       std::to_string(kMaxTableEntries) + " are allowed",
                   "", "Declare a maximum size for its tables.");
}

}  // namespace pgwasm::pg
