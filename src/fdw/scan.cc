// Executing a foreign scan: the guest's instance for this scan, its batches
// of rows (MessagePack, or JSON through pg_wasm_fdw.json_rows) converted to
// the columns' types, rescans, and EXPLAIN.
#include "fdw/callbacks.h"
#include "fdw/context.h"
#include "fdw/json_rows.h"
#include "fdw/row_batch.h"
#include "fdw/scan_plan.h"
#include "fdw/sql_cells.h"
#include "pg/budgets.h"
#include "pg/owned.h"

namespace pgwasm::fdw {

using pg::pg_guard;

namespace {

class ScanState final : public RowSink {
 public:
  ScanState(ForeignScanState *node, EState *estate) : node_(node) {
    auto *fs = reinterpret_cast<ForeignScan *>(node->ss.ps.plan);
    plan_ = scan_plan_from_list(fs->fdw_private);
    // A scan with LIMIT pushed scans an upper relation: no scanrelid, and
    // fs_relids (kept right by setrefs) holds the table's one.
    Index rti = fs->scan.scanrelid ? fs->scan.scanrelid
                                   : static_cast<Index>(bms_singleton_member(fs->fs_relids));
    RangeTblEntry *rte = exec_rt_fetch(rti, estate);
    user_ = OidIsValid(rte->checkAsUser) ? rte->checkAsUser : GetUserId();
    relid_ = rte->relid;
    by_position_ = fs->scan.scanrelid == 0;
    pg_guard([&] {
      value_states_ = ExecInitExprList(fs->fdw_exprs, reinterpret_cast<PlanState *>(node));
    });
  }

  TupleTableSlot *next(TupleTableSlot *slot) {
    if (!started_) start();
    // A guest that applies LIMIT gets no say beyond it (one told it as a
    // hint is limited by PostgreSQL).
    if (plan_.limit && !plan_.hints && returned_ >= static_cast<uint64_t>(*plan_.limit))
      return pg_guard([&] { return ExecClearTuple(slot); });
    while (!batch_->has_row()) {
      if (done_) return pg_guard([&] { return ExecClearTuple(slot); });
      fetch();
    }
    batch_->store_next(slot);
    rows_++;
    returned_++;
    return slot;
  }

  void rescan() {
    if (!started_) return;
    std::vector<QualValue> values = qual_values();
    FdwGuest &g = *table_guest_.guest;
    if (g.exports(Routine::ReScan)) {
      msgpack::sbuffer buf;
      pg::MsgpackPacker packer(buf);
      packer.pack_map(1);
      pack_str(packer, "params");
      uint32_t n = 0;
      for (const auto &q : plan_.quals) n += q.param ? 1 : 0;
      packer.pack_array(n);
      for (size_t i = 0; i < plan_.quals.size(); i++)
        if (plan_.quals[i].param)
          pack_cell(packer, values[i].type, values[i].value, values[i].isnull);
      g.call(Routine::ReScan, std::string_view(buf.data(), buf.size()));
    } else {
      if (g.exports(Routine::EndScan)) g.call(Routine::EndScan);
      g.call(Routine::BeginScan, scan_input(table_guest_, plan_, values));
    }
    batch_->clear();
    done_ = false;
    returned_ = 0;
  }

  void end() {
    if (started_ && table_guest_.guest && table_guest_.guest->alive() &&
        table_guest_.guest->exports(Routine::EndScan))
      table_guest_.guest->call(Routine::EndScan);
    if (stats_) stats_->rows_read += rows_;
    table_guest_.guest.reset();  // the instance's memory goes now, not at the query's end
  }

  void explain(ExplainState *es) {
    ServerConfig server =
        server_config(pg_guard([&] { return GetForeignTable(relid_)->serverid; }));
    TableConfig table = table_config(relid_);
    // A scan with LIMIT pushed has no relation of its own to show.
    if (by_position_) explain_text(es, "Foreign Table", table.name);
    explain_text(es, "Wasm FDW", describe_code(server));
    std::string quals;
    for (const auto &q : plan_.quals)
      quals += (quals.empty() ? "" : ", ") + q.text + (q.exact ? "" : " (rechecked)");
    if (!quals.empty()) explain_text(es, "Pushed Quals", quals);
    std::string sorts;
    for (const auto &s : plan_.sorts)
      sorts += (sorts.empty() ? "" : ", ") + quote_name(table.columns[s.column].name) +
               (s.desc ? " DESC" : "") +
               (s.nulls_first != s.desc ? (s.nulls_first ? " NULLS FIRST" : " NULLS LAST") : "");
    // Hints are labeled as such: PostgreSQL still sorts and limits.
    if (!sorts.empty()) explain_text(es, plan_.hints ? "Sort Hint" : "Pushed Sort", sorts);
    if (plan_.limit)
      explain_text(es, plan_.hints ? "Limit Hint" : "Pushed Limit", std::to_string(*plan_.limit));
    if (plan_.limit && plan_.offset)
      explain_text(es, plan_.hints ? "Offset Hint" : "Pushed Offset", std::to_string(plan_.offset));
    if (es->analyze && stats_) {
      pg_guard([&] {
        ExplainPropertyInteger("Guest HTTP Requests", nullptr,
                               static_cast<int64>(stats_->requests - requests_at_start_), es);
        ExplainPropertyInteger("Guest HTTP Bytes Received", "bytes",
                               static_cast<int64>(stats_->bytes_received - bytes_at_start_), es);
      });
    }
  }

  uint32_t json_rows(std::string_view json, std::string_view path) override {
    return append_json_rows(*batch_, *table_guest_.guest, json, path);
  }

 private:
  static void explain_text(ExplainState *es, const char *label, const std::string &value) {
    pg_guard([&] { ExplainPropertyText(label, value.c_str(), es); });
  }

  std::vector<QualValue> qual_values() {
    std::vector<QualValue> values(plan_.quals.size());
    ExprContext *econtext = node_->ss.ps.ps_ExprContext;
    pg_guard([&] {
      MemoryContext old = MemoryContextSwitchTo(econtext->ecxt_per_query_memory);
      for (size_t i = 0; i < plan_.quals.size(); i++) {
        int v = plan_.quals[i].value;
        if (v < 0) continue;
        auto *state = static_cast<ExprState *>(list_nth(value_states_, v));
        QualValue &qv = values[i];
        qv.present = true;
        qv.value = ExecEvalExpr(state, econtext, &qv.isnull);
        qv.type = exprType(reinterpret_cast<Node *>(state->expr));
      }
      MemoryContextSwitchTo(old);
    });
    return values;
  }

  void start() {
    table_guest_ = make_table_guest(relid_, user_);
    stats_ = table_guest_.guest->context().stats;
    stats_->scans++;
    requests_at_start_ = stats_->requests;
    bytes_at_start_ = stats_->bytes_received;
    std::vector<QualValue> values = qual_values();
    batch_ = std::make_unique<RowBatch>(table_guest_.table, plan_.targets,
                                        node_->ss.ps.state->es_query_cxt, by_position_);
    started_ = true;
    table_guest_.guest->call(Routine::BeginScan, scan_input(table_guest_, plan_, values));
  }

  void fetch() {
    FdwGuest &g = *table_guest_.guest;
    batch_->clear();
    g.row_sink = this;
    std::string_view bytes;
    try {
      bytes = g.call(Routine::IterScan);
    } catch (...) {
      g.row_sink = nullptr;
      throw;
    }
    g.row_sink = nullptr;
    size_t from_json = batch_->size();
    if (!bytes.empty()) append_msgpack_rows(*batch_, g, bytes);
    if (batch_->size() == 0 && (bytes.empty() || from_json == 0)) done_ = true;
  }

  ForeignScanState *node_;
  ScanPlan plan_;
  Oid relid_ = InvalidOid;
  Oid user_ = InvalidOid;
  List *value_states_ = NIL;
  TableGuest table_guest_;
  std::unique_ptr<RowBatch> batch_;
  ServerStats *stats_ = nullptr;
  uint64_t requests_at_start_ = 0;
  uint64_t bytes_at_start_ = 0;
  uint64_t rows_ = 0;         // in all (for the statistics)
  uint64_t returned_ = 0;     // since the scan began or began again
  bool by_position_ = false;  // the slot holds the targets in order
  bool started_ = false;
  bool done_ = false;
};

ScanState *state_of(ForeignScanState *node) {
  return static_cast<ScanState *>(node->fdw_state);
}

}  // namespace

void set_scan_callbacks(FdwRoutine *routine) {
  routine->BeginForeignScan = [](ForeignScanState *node, int eflags) {
    pg::cpp_entry([&] {
      // The guest starts at the first row: EXPLAIN without ANALYZE runs none.
      node->fdw_state = pg::own_in_context(node->ss.ps.state->es_query_cxt,
                                           std::make_unique<ScanState>(node, node->ss.ps.state));
    });
  };
  routine->IterateForeignScan = [](ForeignScanState *node) {
    return pg::cpp_entry([&] { return state_of(node)->next(node->ss.ss_ScanTupleSlot); });
  };
  routine->ReScanForeignScan = [](ForeignScanState *node) {
    pg::cpp_entry([&] { state_of(node)->rescan(); });
  };
  routine->EndForeignScan = [](ForeignScanState *node) {
    pg::cpp_entry([&] {
      if (node->fdw_state) state_of(node)->end();
    });
  };
  routine->ExplainForeignScan = [](ForeignScanState *node, ExplainState *es) {
    pg::cpp_entry([&] { state_of(node)->explain(es); });
  };
}

}  // namespace pgwasm::fdw
