// A batch of rows a guest gave a scan, converted to the columns' types in a
// memory context of its own that the next batch reuses.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "fdw/guest.h"
#include "fdw/options.h"
#include "pg/abi/msgpack_values.h"

namespace pgwasm::fdw {

class RowBatch {
 public:
  // `by_position`: the slot has one attribute per target, in order (a scan
  // of an upper relation); otherwise the table's attributes.
  RowBatch(const TableConfig &table, const std::vector<int> &targets, MemoryContext parent,
           bool by_position = false);

  void clear();
  size_t size() const { return rows_; }
  bool has_row() const { return next_ < rows_; }
  // Puts the next row into the slot.
  void store_next(TupleTableSlot *slot);

  // Adding a row: begin_row, then one set per target, in targets' order.
  void begin_row();
  void set(size_t target, Datum value, bool isnull);
  // The row's number in the scan (from 1), for messages.
  uint64_t row_number() const { return scan_rows_; }

  const ColumnInfo &target_column(size_t target) const { return table_.columns[targets_[target]]; }
  size_t targets() const { return targets_.size(); }
  MemoryContext context() const { return context_; }
  const TableConfig &table() const { return table_; }
  pg::ConversionBudget &budget() { return budget_; }

  // A text value read by column `target`'s input function, fitted to its
  // typmod.
  Datum input(size_t target, const char *text);

 private:
  const TableConfig &table_;
  std::vector<int> targets_;
  bool by_position_;
  MemoryContext context_;
  std::vector<Datum> values_;
  std::vector<bool> nulls_;
  size_t rows_ = 0;
  size_t next_ = 0;
  uint64_t scan_rows_ = 0;
  std::string who_;
  pg::ConversionBudget budget_;
  std::vector<FmgrInfo> inputs_;
  std::vector<Oid> ioparams_;
};

// The error for a cell column `target` of the current row could not take:
// `why` says what was given. Keeps a cancel's error as it is.
[[noreturn]] void cell_error(const RowBatch &batch, const FdwGuest &guest, size_t target,
                             const std::string &why);

// Adds fdw_iter_scan's MessagePack batch (an array of rows, each an array of
// one cell per target).
void append_msgpack_rows(RowBatch &batch, const FdwGuest &guest, std::string_view bytes);

// Adds the one row a write routine returned (an array of one cell per
// target).
void append_single_row(RowBatch &batch, const FdwGuest &guest, std::string_view bytes,
                       std::string_view routine);

}  // namespace pgwasm::fdw
