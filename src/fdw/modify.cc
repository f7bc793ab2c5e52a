// INSERT, UPDATE and DELETE on a foreign table: the rowid column carried
// from the scan to the write, a guest instance per modify, and the rows the
// remote side returns for RETURNING.
#include "fdw/callbacks.h"
#include "fdw/context.h"
#include "fdw/row_batch.h"
#include "fdw/sql_cells.h"
#include "pg/owned.h"

namespace pgwasm::fdw {

using pg::pg_guard;
using pg::SqlError;

namespace {

// The junk column UPDATE and DELETE read the row's identity from.
constexpr const char *kRowidName = "wasm_rowid";

class ModifyState {
 public:
  ModifyState(ModifyTableState *mtstate, ResultRelInfo *rinfo, List *fdw_private) {
    EState *estate = mtstate->ps.state;
    operation_ = static_cast<CmdType>(intVal(linitial(fdw_private)));
    ListCell *c;
    foreach (c, static_cast<List *>(lsecond(fdw_private)))
      changed_attnums_.push_back(lfirst_int(c));
    Oid relid = RelationGetRelid(rinfo->ri_RelationDesc);
    RangeTblEntry *rte = exec_rt_fetch(rinfo->ri_RangeTableIndex, estate);
    Oid user = OidIsValid(rte->checkAsUser) ? rte->checkAsUser : GetUserId();
    table_guest_ = make_table_guest(relid, user);
    if (operation_ != CMD_INSERT) {
      Plan *subplan = outerPlanState(mtstate)->plan;
      rowid_attno_ =
          pg_guard([&] { return ExecFindJunkAttributeInTlist(subplan->targetlist, kRowidName); });
      if (!AttributeNumberIsValid(rowid_attno_) || !table_guest_.table.rowid_column)
        table_guest_.guest->fail(ERRCODE_FDW_OPTION_NAME_NOT_FOUND,
                                 "UPDATE and DELETE on foreign table " + table_guest_.table.name +
                                     " need its option rowid_column");
    }
    std::vector<int> all;
    for (size_t i = 0; i < table_guest_.table.columns.size(); i++)
      all.push_back(static_cast<int>(i));
    returned_ = std::make_unique<RowBatch>(table_guest_.table, all, estate->es_query_cxt);

    msgpack::sbuffer buf;
    pg::MsgpackPacker packer(buf);
    bool rowid = table_guest_.table.rowid_column.has_value();
    packer.pack_map(common_entries(&table_guest_.table, &table_guest_.user, true) + 1 +
                    (rowid ? 1 : 0));
    pack_common(packer, table_guest_.server, &table_guest_.table, &table_guest_.user, true);
    pack_str(packer, "operation");
    pack_str(packer, operation_ == CMD_INSERT   ? "insert"
                     : operation_ == CMD_UPDATE ? "update"
                                                : "delete");
    if (rowid) {
      pack_str(packer, "rowid_column");
      packer.pack_int32(*table_guest_.table.rowid_column);
    }
    table_guest_.guest->call(Routine::BeginModify, std::string_view(buf.data(), buf.size()));
  }

  TupleTableSlot *write(Routine routine, TupleTableSlot *slot, TupleTableSlot *plan_slot) {
    msgpack::sbuffer buf;
    pg::MsgpackPacker packer(buf);
    bool with_row = routine != Routine::Delete;
    bool with_rowid = routine != Routine::Insert;
    bool with_changed = routine == Routine::Update;
    packer.pack_map((with_row ? 1 : 0) + (with_rowid ? 1 : 0) + (with_changed ? 1 : 0));
    if (with_rowid) {
      bool isnull;
      Datum rowid = pg_guard([&] { return slot_getattr(plan_slot, rowid_attno_, &isnull); });
      if (isnull)
        table_guest_.guest->fail(
            ERRCODE_FDW_INVALID_DATA_TYPE,
            "the row's " + table_guest_.table.columns[*table_guest_.table.rowid_column].name +
                " (the table's rowid_column) is NULL");
      pack_str(packer, "rowid");
      pack_cell(packer, table_guest_.table.columns[*table_guest_.table.rowid_column].type, rowid,
                false);
    }
    if (with_row) {
      pg_guard([&] { slot_getallattrs(slot); });
      pack_str(packer, "row");
      packer.pack_array(static_cast<uint32_t>(table_guest_.table.columns.size()));
      for (const auto &col : table_guest_.table.columns)
        pack_cell(packer, col.type, slot->tts_values[col.attnum - 1],
                  slot->tts_isnull[col.attnum - 1]);
    }
    if (with_changed) {
      std::vector<int> changed;
      for (size_t i = 0; i < table_guest_.table.columns.size(); i++)
        for (int attnum : changed_attnums_)
          if (table_guest_.table.columns[i].attnum == attnum)
            changed.push_back(static_cast<int>(i));
      pack_str(packer, "changed");
      packer.pack_array(static_cast<uint32_t>(changed.size()));
      for (int i : changed) packer.pack_int32(i);
    }
    std::string_view result =
        table_guest_.guest->call(routine, std::string_view(buf.data(), buf.size()));
    if (ServerStats *stats = table_guest_.guest->context().stats) stats->rows_written++;
    if (result.empty()) {
      if (routine == Routine::Delete) {
        // RETURNING of a delete the guest gave no row for: the row's id.
        pg_guard([&] {
          ExecClearTuple(slot);
          for (int i = 0; i < slot->tts_tupleDescriptor->natts; i++) slot->tts_isnull[i] = true;
          int at = table_guest_.table.columns[*table_guest_.table.rowid_column].attnum - 1;
          bool isnull;
          slot->tts_values[at] = slot_getattr(plan_slot, rowid_attno_, &isnull);
          slot->tts_isnull[at] = isnull;
          ExecStoreVirtualTuple(slot);
        });
      }
      return slot;
    }
    returned_->clear();
    append_single_row(*returned_, *table_guest_.guest, result, routine_export(routine));
    returned_->store_next(slot);
    return slot;
  }

  void end() {
    if (table_guest_.guest && table_guest_.guest->alive() &&
        table_guest_.guest->exports(Routine::EndModify))
      table_guest_.guest->call(Routine::EndModify);
    table_guest_.guest.reset();
  }

 private:
  CmdType operation_ = CMD_INSERT;
  std::vector<int> changed_attnums_;
  AttrNumber rowid_attno_ = InvalidAttrNumber;
  TableGuest table_guest_;
  std::unique_ptr<RowBatch> returned_;
};

ModifyState *state_of(ResultRelInfo *rinfo) {
  return static_cast<ModifyState *>(rinfo->ri_FdwState);
}

void add_update_targets(PlannerInfo *root, Index rtindex, Relation rel) {
  TableConfig table = table_config(RelationGetRelid(rel));
  if (!table.rowid_column)
    throw SqlError(
        ERRCODE_FDW_OPTION_NAME_NOT_FOUND,
        "UPDATE and DELETE on foreign table " + table.name + " need its option rowid_column", "",
        "Name the column that identifies a row: ALTER FOREIGN TABLE ... OPTIONS "
        "(ADD rowid_column 'id').");
  const ColumnInfo &col = table.columns[*table.rowid_column];
  pg_guard([&] {
    Oid collation = get_typcollation(col.type);
    Var *var = makeVar(rtindex, col.attnum, col.type, col.typmod, collation, 0);
    add_row_identity_var(root, var, rtindex, kRowidName);
  });
}

List *plan_modify(PlannerInfo *root, ModifyTable *plan, Index result_relation) {
  return pg_guard([&] {
    List *changed = NIL;
    if (plan->operation == CMD_UPDATE) {
      RangeTblEntry *rte = planner_rt_fetch(result_relation, root);
      Bitmapset *cols = bms_union(rte->updatedCols, rte->extraUpdatedCols);
      int col = -1;
      while ((col = bms_next_member(cols, col)) >= 0) {
        AttrNumber attno = col + FirstLowInvalidHeapAttributeNumber;
        if (attno > 0) changed = lappend_int(changed, attno);
      }
    }
    return list_make2(makeInteger(plan->operation), changed);
  });
}

// What the module can do, as PostgreSQL asks before it plans a write (and
// information_schema shows): a write the module has no routine for is
// refused with PostgreSQL's own "does not allow" error, naming the table.
int updatable(Relation rel) {
  Oid server = pg_guard([&] { return GetForeignTable(RelationGetRelid(rel))->serverid; });
  ServerConfig config = server_config(server);
  pg::LoadedModule &module = server_module(config);
  int events = 0;
  if (FdwGuest::module_exports(module, Routine::Insert)) events |= 1 << CMD_INSERT;
  if (FdwGuest::module_exports(module, Routine::Update)) events |= 1 << CMD_UPDATE;
  if (FdwGuest::module_exports(module, Routine::Delete)) events |= 1 << CMD_DELETE;
  return events;
}

}  // namespace

void set_modify_callbacks(FdwRoutine *routine) {
  routine->AddForeignUpdateTargets = [](PlannerInfo *root, Index rtindex, RangeTblEntry *,
                                        Relation rel) {
    pg::cpp_entry([&] { add_update_targets(root, rtindex, rel); });
  };
  routine->PlanForeignModify = [](PlannerInfo *root, ModifyTable *plan, Index result_relation,
                                  int) {
    return pg::cpp_entry([&] { return plan_modify(root, plan, result_relation); });
  };
  routine->BeginForeignModify = [](ModifyTableState *mtstate, ResultRelInfo *rinfo,
                                   List *fdw_private, int, int eflags) {
    pg::cpp_entry([&] {
      if (eflags & EXEC_FLAG_EXPLAIN_ONLY) return;
      rinfo->ri_FdwState =
          pg::own_in_context(mtstate->ps.state->es_query_cxt,
                             std::make_unique<ModifyState>(mtstate, rinfo, fdw_private));
    });
  };
  routine->ExecForeignInsert = [](EState *, ResultRelInfo *rinfo, TupleTableSlot *slot,
                                  TupleTableSlot *plan_slot) {
    return pg::cpp_entry([&] { return state_of(rinfo)->write(Routine::Insert, slot, plan_slot); });
  };
  routine->ExecForeignUpdate = [](EState *, ResultRelInfo *rinfo, TupleTableSlot *slot,
                                  TupleTableSlot *plan_slot) {
    return pg::cpp_entry([&] { return state_of(rinfo)->write(Routine::Update, slot, plan_slot); });
  };
  routine->ExecForeignDelete = [](EState *, ResultRelInfo *rinfo, TupleTableSlot *slot,
                                  TupleTableSlot *plan_slot) {
    return pg::cpp_entry([&] { return state_of(rinfo)->write(Routine::Delete, slot, plan_slot); });
  };
  routine->EndForeignModify = [](EState *, ResultRelInfo *rinfo) {
    pg::cpp_entry([&] {
      if (rinfo->ri_FdwState) state_of(rinfo)->end();
    });
  };
  routine->IsForeignRelUpdatable = [](Relation rel) {
    return pg::cpp_entry([&] { return updatable(rel); });
  };
}

}  // namespace pgwasm::fdw
