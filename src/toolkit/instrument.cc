#include "toolkit/instrument.h"

#include <cstdint>
#include <memory>
#include <string>

#include "toolkit/errors.h"
#include "toolkit/shape.h"
#include "toolkit/wabt_ir.h"
#include "toolkit/worker.h"
#include "wabt/binary-writer.h"
#include "wabt/cast.h"
#include "wabt/feature.h"
#include "wabt/ir.h"
#include "wabt/stream.h"

namespace pgwasm::toolkit {

namespace {

using wabt::ExprList;
using wabt::ExprType;
using wabt::Index;
using wabt::Opcode;
using wabt::Type;
using wabt::Var;

template <typename T, typename... Args>
std::unique_ptr<wabt::Expr> make(Args &&...args) {
  return std::make_unique<T>(std::forward<Args>(args)...);
}

Var var(Index i) {
  return Var(i, wabt::Location());
}

// The instructions one charge point pays for: those of `list`, blocks and
// ifs included, loops counting one (their bodies charge for themselves).
uint64_t cost(const ExprList &list) {
  uint64_t n = 0;
  for (const auto &e : list) {
    n++;
    switch (e.type()) {
      case ExprType::Block: n += cost(wabt::cast<wabt::BlockExpr>(&e)->block.exprs); break;
      case ExprType::If: {
        const auto *i = wabt::cast<wabt::IfExpr>(&e);
        n += cost(i->true_.exprs) + cost(i->false_);
        break;
      }
      default: break;
    }
  }
  return n;
}

class Instrumenter {
 public:
  Instrumenter(wabt::Module &module, const InstrumentOptions &options)
      : module_(module), options_(options) {}

  void run() {
    Index defined_from = module_.num_func_imports;
    Index defined_to = static_cast<Index>(module_.funcs.size());
    // Unlimited until the host sets a budget: calls that come through
    // another instance (a table, an import) are not metered.
    if (options_.fuel) fuel_global_ = add_global(Type::I64, INT64_MAX, kFuelExport);
    if (options_.interrupt) interrupt_global_ = add_global(Type::I32, 0, kInterruptExport);
    // A module without a memory has no memory.grow to bound.
    bound_memory_ = options_.memory_limit && !module_.memories.empty();
    if (bound_memory_) {
      max_pages_global_ = add_global(Type::I32, 65536, kMaxPagesExport);
      grow_function_ = add_grow_function();
    }
    for (Index f = defined_from; f < defined_to; f++) instrument_function(*module_.funcs[f]);
  }

 private:
  Index add_global(Type type, uint64_t initial, std::string_view export_name) {
    auto field = std::make_unique<wabt::GlobalModuleField>();
    field->global.type = type;
    field->global.mutable_ = true;
    field->global.init_expr.push_back(make<wabt::ConstExpr>(
        type == Type::I64 ? wabt::Const::I64(initial)
                          : wabt::Const::I32(static_cast<uint32_t>(initial))));
    module_.AppendField(std::move(field));
    Index index = static_cast<Index>(module_.globals.size() - 1);
    add_export(wabt::ExternalKind::Global, index, export_name);
    return index;
  }

  void add_export(wabt::ExternalKind kind, Index index, std::string_view name) {
    auto field = std::make_unique<wabt::ExportModuleField>();
    field->export_.name = std::string(name);
    field->export_.kind = kind;
    field->export_.var = var(index);
    module_.AppendField(std::move(field));
  }

  // The type (i32) -> i32, found or added.
  Index grow_type() {
    wabt::FuncSignature sig;
    sig.param_types = {Type::I32};
    sig.result_types = {Type::I32};
    Index found = module_.GetFuncTypeIndex(sig);
    if (found != wabt::kInvalidIndex) return found;
    auto field = std::make_unique<wabt::TypeModuleField>();
    auto type = std::make_unique<wabt::FuncType>();
    type->sig = sig;
    field->type = std::move(type);
    module_.AppendField(std::move(field));
    return static_cast<Index>(module_.types.size() - 1);
  }

  // (func (param $delta i32) (result i32)
  //   (if (result i32) (i64.gt_u (i64.add (i64.extend_i32_u (memory.size))
  //                                       (i64.extend_i32_u (local.get $delta)))
  //                              (i64.extend_i32_u (global.get $max_pages)))
  //     (then (i32.const -1)) (else (memory.grow (local.get $delta)))))
  Index add_grow_function() {
    Index type = grow_type();
    auto field = std::make_unique<wabt::FuncModuleField>();
    wabt::Func &f = field->func;
    f.decl.has_func_type = true;
    f.decl.type_var = var(type);
    f.decl.sig.param_types = {Type::I32};
    f.decl.sig.result_types = {Type::I32};
    ExprList &body = f.exprs;
    body.push_back(make<wabt::MemorySizeExpr>(var(0)));
    body.push_back(make<wabt::ConvertExpr>(Opcode::I64ExtendI32U));
    body.push_back(make<wabt::LocalGetExpr>(var(0)));
    body.push_back(make<wabt::ConvertExpr>(Opcode::I64ExtendI32U));
    body.push_back(make<wabt::BinaryExpr>(Opcode::I64Add));
    body.push_back(make<wabt::GlobalGetExpr>(var(max_pages_global_)));
    body.push_back(make<wabt::ConvertExpr>(Opcode::I64ExtendI32U));
    body.push_back(make<wabt::CompareExpr>(Opcode::I64GtU));
    auto branch = std::make_unique<wabt::IfExpr>();
    branch->true_.decl.sig.result_types = {Type::I32};
    branch->true_.exprs.push_back(make<wabt::ConstExpr>(wabt::Const::I32(0xffffffffu)));
    branch->false_.push_back(make<wabt::LocalGetExpr>(var(0)));
    branch->false_.push_back(make<wabt::MemoryGrowExpr>(var(0)));
    body.push_back(std::move(branch));
    module_.AppendField(std::move(field));
    return static_cast<Index>(module_.funcs.size() - 1);
  }

  void instrument_function(wabt::Func &f) {
    if (options_.fuel) {
      fuel_local_ = f.GetNumParamsAndLocals();
      f.local_types.AppendDecl(Type::I64, 1);
    }
    uint64_t entry_cost = options_.fuel ? cost(f.exprs) : 0;
    walk(f.exprs, 1);
    if (options_.interrupt) {
      ExprList check;
      append_interrupt_check(check);
      f.exprs.splice(f.exprs.begin(), check);
    }
    if (!options_.fuel) return;
    // Entry: the counter from the global, charged; back to it at the end.
    ExprList entry;
    entry.push_back(make<wabt::GlobalGetExpr>(var(fuel_global_)));
    append_charge(entry, entry_cost);
    f.exprs.splice(f.exprs.begin(), entry);
    append_store(f.exprs);
  }

  // Charges the counter (on the stack) `cost`, keeps it in the local, and
  // traps once it is below zero.
  void append_charge(ExprList &out, uint64_t amount) {
    out.push_back(make<wabt::ConstExpr>(wabt::Const::I64(amount)));
    out.push_back(make<wabt::BinaryExpr>(Opcode::I64Sub));
    out.push_back(make<wabt::LocalTeeExpr>(var(fuel_local_)));
    out.push_back(make<wabt::ConstExpr>(wabt::Const::I64(0)));
    out.push_back(make<wabt::CompareExpr>(Opcode::I64LtS));
    auto out_of_fuel = std::make_unique<wabt::IfExpr>();
    append_store(out_of_fuel->true_.exprs);
    out_of_fuel->true_.exprs.push_back(make<wabt::UnreachableExpr>());
    out.push_back(std::move(out_of_fuel));
  }

  // (if (global.get $interrupt) (then unreachable))
  void append_interrupt_check(ExprList &out) {
    out.push_back(make<wabt::GlobalGetExpr>(var(interrupt_global_)));
    auto stop = std::make_unique<wabt::IfExpr>();
    stop->true_.exprs.push_back(make<wabt::UnreachableExpr>());
    out.push_back(std::move(stop));
  }

  void append_store(ExprList &out) {
    out.push_back(make<wabt::LocalGetExpr>(var(fuel_local_)));
    out.push_back(make<wabt::GlobalSetExpr>(var(fuel_global_)));
  }

  void append_load(ExprList &out) {
    out.push_back(make<wabt::GlobalGetExpr>(var(fuel_global_)));
    out.push_back(make<wabt::LocalSetExpr>(var(fuel_local_)));
  }

  // `labels` counts the labels around `list`, the function's own included:
  // a branch to depth labels - 1 leaves the function.
  void walk(ExprList &list, Index labels) {
    for (auto it = list.begin(); it != list.end(); ++it) {
      wabt::Expr &e = *it;
      switch (e.type()) {
        case ExprType::Block: walk(wabt::cast<wabt::BlockExpr>(&e)->block.exprs, labels + 1); break;
        case ExprType::If: {
          auto *i = wabt::cast<wabt::IfExpr>(&e);
          walk(i->true_.exprs, labels + 1);
          walk(i->false_, labels + 1);
          break;
        }
        case ExprType::Loop: {
          ExprList &body = wabt::cast<wabt::LoopExpr>(&e)->block.exprs;
          uint64_t amount = cost(body);
          walk(body, labels + 1);
          if (options_.fuel) {
            ExprList charge;
            charge.push_back(make<wabt::LocalGetExpr>(var(fuel_local_)));
            append_charge(charge, amount);
            body.splice(body.begin(), charge);
          }
          if (options_.interrupt) {
            ExprList check;
            append_interrupt_check(check);
            body.splice(body.begin(), check);
          }
          break;
        }
        case ExprType::MemoryGrow:
          if (bound_memory_) {
            it = list.erase(it);
            it = list.insert(it, make<wabt::CallExpr>(var(grow_function_)));
          }
          break;
        case ExprType::Call:
        case ExprType::CallIndirect:
          if (options_.fuel) {
            ExprList before, after;
            append_store(before);
            append_load(after);
            list.splice(it, before);
            auto next = std::next(it);
            list.splice(next, after);
            it = std::prev(next);
          }
          break;
        case ExprType::Return: store_before(list, it); break;
        case ExprType::Br:
          if (wabt::cast<wabt::BrExpr>(&e)->var.index() == labels - 1) store_before(list, it);
          break;
        case ExprType::BrIf:
          if (wabt::cast<wabt::BrIfExpr>(&e)->var.index() == labels - 1) store_before(list, it);
          break;
        case ExprType::BrTable: {
          auto *t = wabt::cast<wabt::BrTableExpr>(&e);
          bool leaves = t->default_target.index() == labels - 1;
          for (const auto &target : t->targets) leaves = leaves || target.index() == labels - 1;
          if (leaves) store_before(list, it);
          break;
        }
        default: break;
      }
    }
  }

  void store_before(ExprList &list, ExprList::iterator it) {
    if (!options_.fuel) return;
    ExprList store;
    append_store(store);
    list.splice(it, store);
  }

  wabt::Module &module_;
  InstrumentOptions options_;
  bool bound_memory_ = false;
  Index fuel_global_ = 0;
  Index max_pages_global_ = 0;
  Index interrupt_global_ = 0;
  Index grow_function_ = 0;
  Index fuel_local_ = 0;
};

std::vector<uint8_t> rewrite(std::span<const uint8_t> wasm, const InstrumentOptions &options) {
  scan_module(wasm);  // the bounds first: the IR recurses per nested block
  wabt::Module module;
  read_valid_ir(wasm, module);
  Instrumenter(module, options).run();
  wabt::Features features;
  wabt::MemoryStream stream;
  wabt::WriteBinaryOptions write_options(features, /*canonicalize_lebs=*/true,
                                         /*relocatable=*/false, /*write_debug_names=*/false);
  if (wabt::Failed(wabt::WriteBinaryModule(&stream, &module, write_options)))
    throw BinaryError(BinaryError::Kind::Invalid, 0, "the instrumented module cannot be written");
  return std::move(stream.output_buffer().data);
}

}  // namespace

std::vector<uint8_t> instrument(std::span<const uint8_t> wasm, const InstrumentOptions &options) {
  auto bytes = std::make_shared<const std::vector<uint8_t>>(wasm.begin(), wasm.end());
  return on_worker([bytes, options] { return rewrite(*bytes, options); });
}

}  // namespace pgwasm::toolkit
