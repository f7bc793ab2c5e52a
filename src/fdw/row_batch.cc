#include "fdw/row_batch.h"
#include "pg/abi/byte_values.h"

#include <cstdio>
#include <optional>

#include "fdw/fdw_headers.h"
#include "pg/budgets.h"

namespace pgwasm::fdw {

using pg::pg_guard;
using pg::PgError;
using pg::SqlError;
using toolkit::MsgpackReader;

RowBatch::RowBatch(const TableConfig &table, const std::vector<int> &targets, MemoryContext parent,
                   bool by_position)
    : table_(table),
      targets_(targets),
      by_position_(by_position),
      who_("foreign scan of " + table.name),
      budget_(who_, pg::guest_memory_limit()) {
  context_ = pg_guard(
      [&] { return AllocSetContextCreate(parent, "wasm FDW batch", ALLOCSET_DEFAULT_SIZES); });
  inputs_.resize(targets_.size());
  ioparams_.resize(targets_.size());
  for (size_t i = 0; i < targets_.size(); i++) {
    const ColumnInfo &col = target_column(i);
    pg_guard([&] {
      Oid input;
      getTypeInputInfo(col.type, &input, &ioparams_[i]);
      fmgr_info_cxt(input, &inputs_[i], parent);
    });
  }
}

void RowBatch::clear() {
  pg_guard([&] { MemoryContextReset(context_); });
  values_.clear();
  nulls_.clear();
  rows_ = next_ = 0;
  budget_.reset();
}

void RowBatch::begin_row() {
  values_.resize(values_.size() + targets_.size(), 0);
  nulls_.resize(nulls_.size() + targets_.size(), true);
  rows_++;
  scan_rows_++;
  if ((scan_rows_ & 1023) == 0) pg_guard([] { CHECK_FOR_INTERRUPTS(); });
}

void RowBatch::set(size_t target, Datum value, bool isnull) {
  size_t at = (rows_ - 1) * targets_.size() + target;
  values_[at] = value;
  nulls_[at] = isnull;
}

Datum RowBatch::input(size_t target, const char *text) {
  const ColumnInfo &col = target_column(target);
  return pg_guard([&] {
    return InputFunctionCall(&inputs_[target], const_cast<char *>(text), ioparams_[target],
                             col.typmod);
  });
}

void RowBatch::store_next(TupleTableSlot *slot) {
  pg_guard([&] {
    ExecClearTuple(slot);
    int natts = slot->tts_tupleDescriptor->natts;
    for (int i = 0; i < natts; i++) slot->tts_isnull[i] = true;
    size_t base = next_ * targets_.size();
    for (size_t t = 0; t < targets_.size(); t++) {
      int index = by_position_ ? static_cast<int>(t) : target_column(t).attnum - 1;
      slot->tts_values[index] = values_[base + t];
      slot->tts_isnull[index] = nulls_[base + t];
    }
    ExecStoreVirtualTuple(slot);
  });
  next_++;
}

void cell_error(const RowBatch &batch, const FdwGuest &guest, size_t target,
                const std::string &why) {
  guest.fail(ERRCODE_FDW_INVALID_DATA_TYPE,
             "column \"" + batch.target_column(target).name + "\" of foreign table " +
                 batch.table().name + " cannot take row " + std::to_string(batch.row_number()) +
                 "'s value: " + why);
}

namespace {

bool is_text_type(Oid type) {
  return type == TEXTOID || type == VARCHAROID || type == BPCHAROID || type == NAMEOID;
}

// The cells read as text by the column's input function (docs/fdw.md,
// "Values"): a string for any column but bytea (whose strings are its
// bytes), and any scalar for a text column. Such a value is consumed and
// its text returned.
// A guest's string (UTF-8, docs/fdw.md) in the database's encoding: the
// string itself where it needs no conversion, else a conversion in the
// current memory context (NUL-terminated). Invalid UTF-8 is an error: it
// would put bytes of no encoding into the database.
std::string_view in_server_encoding(std::string_view utf8, const std::string &source) {
  pg::check_utf8(utf8, source);
  return pg_guard([&] {
    if (GetDatabaseEncoding() == PG_UTF8) return utf8;
    char *s = pg_any_to_server(utf8.data(), static_cast<int>(utf8.size()), PG_UTF8);
    // Unconverted, it is the string itself (not NUL-terminated, maybe).
    if (s == utf8.data()) return utf8;
    return std::string_view(s, strlen(s));
  });
}

std::optional<std::string> cell_as_text(MsgpackReader &r, Oid type) {
  if (type == BYTEAOID) return std::nullopt;
  MsgpackReader peek = r;
  auto v = peek.next();
  std::string text;
  switch (v.type) {
    case MsgpackReader::Type::Str: text = v.bytes; break;
    case MsgpackReader::Type::Bool:
      if (!is_text_type(type)) return std::nullopt;
      text = v.boolean ? "true" : "false";
      break;
    case MsgpackReader::Type::Int:
      if (!is_text_type(type)) return std::nullopt;
      text = std::to_string(v.i);
      break;
    case MsgpackReader::Type::UInt:
      if (!is_text_type(type)) return std::nullopt;
      text = std::to_string(v.u);
      break;
    case MsgpackReader::Type::Float: {
      if (!is_text_type(type)) return std::nullopt;
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.17g", v.f);
      text = buf;
      break;
    }
    default: return std::nullopt;
  }
  r = peek;
  return text;
}

// One row: an array of one cell per target.
void append_row(RowBatch &batch, const FdwGuest &guest, MsgpackReader &r,
                std::string_view routine) {
  static const std::string source = "FDW guest";
  auto row = r.next();
  batch.begin_row();
  if (row.type != MsgpackReader::Type::Array || row.count != batch.targets())
    guest.fail(ERRCODE_FDW_INVALID_COLUMN_NUMBER,
               std::string(routine) + " returned " + toolkit::describe(row) + " for row " +
                   std::to_string(batch.row_number()) + " of foreign table " + batch.table().name +
                   ", not an array of " + std::to_string(batch.targets()) + " cells (one per " +
                   (routine == "fdw_iter_scan" ? "column the scan reads" : "column") + ")");
  for (size_t t = 0; t < batch.targets(); t++) {
    const ColumnInfo &col = batch.target_column(t);
    bool isnull = true;
    Datum value = 0;
    try {
      MsgpackReader peek = r;
      std::optional<MsgpackReader::Value> str;
      if (col.type == TEXTOID) {
        str = peek.next();
        if (str->type != MsgpackReader::Type::Str) str.reset();
      }
      if (str) {
        // A string for a text column: its datum made straight from the
        // bytes (what textin makes of them), without a copy to read.
        if (str->bytes.find('\0') != std::string_view::npos)
          cell_error(batch, guest, t, "a string with a zero byte");
        r = peek;
        isnull = false;
        batch.budget().charge(str->bytes.size());
        std::string_view server = in_server_encoding(str->bytes, source);
        value = pg_guard([&] {
          return PointerGetDatum(
              cstring_to_text_with_len(server.data(), static_cast<int>(server.size())));
        });
      } else if (auto text = cell_as_text(r, col.type)) {
        if (text->find('\0') != std::string::npos)
          cell_error(batch, guest, t, "a string with a zero byte");
        isnull = false;
        batch.budget().charge(text->size());
        // NUL-terminated either way: the string itself, or a conversion.
        value = batch.input(t, in_server_encoding(*text, source).data());
      } else {
        value = pg::read_datum(r, col.type, col.typmod, isnull, source, batch.budget());
      }
    } catch (const SqlError &e) {
      if (e.sqlstate == ERRCODE_QUERY_CANCELED || e.sqlstate == ERRCODE_PROGRAM_LIMIT_EXCEEDED)
        throw;
      cell_error(batch, guest, t, e.message);
    } catch (const PgError &e) {
      if (e.edata()->sqlerrcode == ERRCODE_QUERY_CANCELED ||
          e.edata()->sqlerrcode == ERRCODE_ADMIN_SHUTDOWN)
        throw;
      cell_error(batch, guest, t, e.what());
    }
    batch.set(t, value, isnull);
  }
}

void expect_end(const MsgpackReader &r, const FdwGuest &guest, std::string_view routine) {
  if (!r.at_end())
    guest.fail(ERRCODE_FDW_INVALID_DATA_TYPE, std::string(routine) + " returned " +
                                                  std::to_string(r.remaining()) +
                                                  " bytes after its MessagePack value");
}

[[noreturn]] void invalid(const FdwGuest &guest, std::string_view routine,
                          const toolkit::MsgpackError &e) {
  guest.fail(ERRCODE_FDW_INVALID_DATA_TYPE,
             std::string(routine) + " returned invalid MessagePack: " + e.what());
}

}  // namespace

void append_msgpack_rows(RowBatch &batch, const FdwGuest &guest, std::string_view bytes) {
  pg::MemoryContextScope in_batch(batch.context());
  try {
    MsgpackReader r(bytes);
    auto rows = r.next();
    if (rows.type != MsgpackReader::Type::Array)
      guest.fail(ERRCODE_FDW_INVALID_DATA_TYPE,
                 "fdw_iter_scan returned " + toolkit::describe(rows) + ", not an array of rows");
    for (uint32_t i = 0; i < rows.count; i++) append_row(batch, guest, r, "fdw_iter_scan");
    expect_end(r, guest, "fdw_iter_scan");
  } catch (const toolkit::MsgpackError &e) {
    invalid(guest, "fdw_iter_scan", e);
  }
}

void append_single_row(RowBatch &batch, const FdwGuest &guest, std::string_view bytes,
                       std::string_view routine) {
  pg::MemoryContextScope in_batch(batch.context());
  try {
    MsgpackReader r(bytes);
    append_row(batch, guest, r, routine);
    expect_end(r, guest, routine);
  } catch (const toolkit::MsgpackError &e) {
    invalid(guest, routine, e);
  }
}

}  // namespace pgwasm::fdw
