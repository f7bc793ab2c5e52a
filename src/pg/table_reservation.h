// What a module's tables may take: bounded at compile, and reserved against
// wasm.max_heap for the life of each instance. Tables live partly outside
// the engine's heap, where its own limit does not see them.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "engine/engine.h"

namespace pgwasm::pg {

// What an instance's tables may come to take (every table at its maximum,
// or at kTableEntriesCap), reserved against wasm.max_heap for the life of
// the instance.
class TableReservation {
 public:
  TableReservation() = default;
  // Throws SqlError when the session's instances would take more.
  TableReservation(const std::string &module, const ModuleInfo &info);
  ~TableReservation();
  TableReservation(TableReservation &&other) noexcept : bytes_(other.bytes_) { other.bytes_ = 0; }
  TableReservation &operator=(TableReservation &&other) noexcept;
  TableReservation(const TableReservation &) = delete;
  TableReservation &operator=(const TableReservation &) = delete;

 private:
  uint64_t bytes_ = 0;
};

// Bound what a module's tables can hold together, checked at every compile,
// whichever way the module reached the catalog: an instance must fit the
// heap. Throws SqlError.
void check_table_capacity(std::string_view name, const ModuleInfo &info);

}  // namespace pgwasm::pg
