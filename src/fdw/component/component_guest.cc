#include "fdw/component/component_guest.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <initializer_list>
#include <map>
#include <typeinfo>

#include "component/cabi.h"
#include "component/handles.h"
#include "component/world.h"
#include "fdw/component/host_world.h"
#include "fdw/component/supabase_cells.h"
#include "fdw/fdw_headers.h"
#include "pg/abi/msgpack_values.h"
#include "toolkit/msgpack_reader.h"
#include "toolkit/name_text.h"

namespace pgwasm::fdw {

using namespace component;
using toolkit::MsgpackReader;

// Where the component model and the core have the same names: values are
// the canonical ABI's, types the core's.
using component::Value;
using pgwasm::FuncType;
using pgwasm::ValType;
using MsgpackType = MsgpackReader::Type;

namespace {

// Rows one fdw_iter_scan gathers from the guest's iter-scan: one call each.
constexpr size_t kBatchRows = 256;
// The most rows a guest may make with [constructor]row.
constexpr size_t kMaxRows = 1'000;

std::optional<WitVersion> package_version(const pg::ComponentPackage &p) {
  for (const auto &e : p.package.exports) {
    if (e.interface.ends_with("routines@0.1.0")) return WitVersion::V1;
    if (e.interface.ends_with("routines@0.2.0")) return WitVersion::V2;
  }
  return std::nullopt;
}

std::optional<WorldExport> export_of(Routine r) {
  switch (r) {
// clang-format off
#define PGWASM_WORLD_ROUTINE(name, core_export, wit_name, input, result) \
    case Routine::name: return WorldExport::name;
#include "component/routines.def"
    // clang-format on
    default: return std::nullopt;  // fdw_validate, fdw_plan: the world has none
  }
}

const component::ExportedFunc *find_exported(const pg::ComponentPackage &p, std::string_view name) {
  for (const auto &e : p.package.exports)
    if (e.name == name && e.interface.find("/routines@") != std::string::npos) return &e;
  return nullptr;
}

bool all_of_types(std::span<const engine::Value> args, std::initializer_list<ValType> types) {
  if (args.size() != types.size()) return false;
  size_t i = 0;
  for (ValType t : types)
    if (args[i++].type != t) return false;
  return true;
}

}  // namespace

bool component_exports(const pg::ComponentPackage &package, Routine r) {
  auto v = package_version(package);
  auto e = export_of(r);
  if (!v || !e) return false;
  for (const auto &f : world(*v).exports)
    if (f.which == *e) return find_exported(package, f.name) != nullptr;
  return false;
}

ComponentGuest::ComponentGuest(FdwGuest &owner, pg::LoadedModule &module)
    : owner_(owner), module_(module), package_(module.component) {
  const std::string &code = owner_.context().code;
  auto refuse = [&](const std::string &why) {
    owner_.fail(ERRCODE_FDW_UNABLE_TO_CREATE_EXECUTION,
                code + " is not a foreign data wrapper pg_wasm can run: " + why,
                "A component of the world supabase:wrappers 0.1.0 or 0.2.0 exports "
                "supabase:wrappers/routines (docs/fdw.md, \"Supabase Wasm FDW packages\").");
  };
  auto v = package_version(*package_);
  if (!v) refuse("it does not export supabase:wrappers/routines@0.1.0 or @0.2.0");
  world_ = &component::world(*v);
  const ModuleInfo &info = module_.info();
  auto core_func = [&](const std::string &name, const FuncType &type,
                       const std::string &what) -> uint32_t {
    auto index = info.export_index(name);
    const auto *ft = index ? std::get_if<FuncType>(&info.exports[*index].type) : nullptr;
    if (!ft) refuse(what + ": its core module has no function " + toolkit::quoted_name(name));
    if (!(*ft == type))
      refuse(what + ": core function " + toolkit::quoted_name(name) + " is " +
             to_string(ExternType(*ft)) + ", the canonical ABI gives " +
             to_string(ExternType(type)));
    return *index;
  };
  std::string realloc_name;
  for (const auto &f : package_->package.exports) {
    if (f.options.string_encoding != component::StringEncoding::Utf8)
      refuse("export " + f.name + " uses a string encoding other than UTF-8");
    if (!f.options.memory.empty() && f.options.memory != "memory")
      refuse("its canonical options name memory " + toolkit::quoted_name(f.options.memory) +
             ", not \"memory\"");
    if (!f.options.realloc.empty()) realloc_name = f.options.realloc;
  }
  for (const auto &f : package_->package.lowered) {
    if (f.options.string_encoding != component::StringEncoding::Utf8)
      refuse("import " + f.name + " uses a string encoding other than UTF-8");
    // A lowering for another core module (a WASI preview 1 adapter's, with
    // its cabi_import_realloc) serves code the host never instantiates.
    if (!f.options.realloc.empty() && f.options.realloc_instance == package_->package.main_instance)
      realloc_name = f.options.realloc;
  }
  if (!realloc_name.empty())
    realloc_ = core_func(
        realloc_name,
        FuncType{{ValType::I32, ValType::I32, ValType::I32, ValType::I32}, {ValType::I32}},
        "its realloc");
  for (const auto &f : world_->exports) {
    const component::ExportedFunc *e = find_exported(*package_, f.name);
    if (!e) continue;
    Bound &b = bound_[static_cast<size_t>(f.which)];
    b.fn = &f;
    b.core_name = e->core_name;
    FuncType core = lifted_core_type(f.sig);
    b.core = core;
    b.index = core_func(e->core_name, core, "routine " + f.name);
    if (!e->options.post_return.empty())
      b.post_return = core_func(e->options.post_return, FuncType{core.results, {}},
                                "the post-return of " + f.name);
  }
  if (!bound_[static_cast<size_t>(WorldExport::Init)].fn)
    refuse("it does not export the routine init");
  if (const Bound &b = bound_[static_cast<size_t>(WorldExport::IterScan)]; b.fn) {
    const Signature &sig = b.fn->sig;
    fast_iter_ = b.core == FuncType{{ValType::I32, ValType::I32}, {ValType::I32}} &&
                 sig.params.size() == 2 && sig.params[0]->kind == Kind::Borrow &&
                 sig.params[1]->kind == Kind::Borrow && sig.result &&
                 sig.result->kind == Kind::Result && sig.result->items[0] &&
                 sig.result->items[0]->kind == Kind::Option &&
                 sig.result->items[0]->items[0]->kind == Kind::U32 && sig.result->items[1] &&
                 sig.result->items[1]->kind == Kind::String && size_of(*sig.result) == 12 &&
                 alignment(*sig.result) == 4;
  }
  instance_ = module_.new_instance();
}

bool ComponentGuest::exports(Routine r) const {
  auto e = export_of(r);
  return e && bound_[static_cast<size_t>(*e)].fn != nullptr;
}

std::span<uint8_t> ComponentGuest::bytes() {
  if (!instance_.instance) throw CabiError("the guest's instance is gone");
  return instance_.instance->memory();
}

uint32_t ComponentGuest::realloc(uint32_t align, uint32_t size) {
  if (!realloc_) throw CabiError("the component has no realloc for the host to allocate with");
  engine::Value args[4] = {engine::Value::make_i32(0), engine::Value::make_i32(0),
                           engine::Value::make_i32(static_cast<int32_t>(align)),
                           engine::Value::make_i32(static_cast<int32_t>(size))};
  engine::Value result;
  // Inside a host function the guest is running: call it directly, and
  // let a failure unwind through the running routine, which discards the
  // instance.
  if (in_host_ > 0)
    instance_.instance->call(*realloc_, args, &result);
  else
    owner_.invoke(instance_, *realloc_, "cabi_realloc", args, &result);
  return result.bits.i32;
}

[[noreturn]] void ComponentGuest::abi_error(const CabiError &e) const {
  owner_.fail(ERRCODE_FDW_INVALID_DATA_TYPE,
              "the component broke the canonical ABI: " + std::string(e.what()));
}

std::optional<Value> ComponentGuest::call_export(WorldExport which, std::vector<Value> args) {
  const Bound &b = bound_[static_cast<size_t>(which)];
  uint64_t scope = ++scope_;
  // Borrows lent for this call (the context, a row): handles of its scope.
  for (size_t i = 0; i < args.size(); i++)
    if (b.fn->sig.params[i]->kind == Kind::Borrow)
      args[i].bits = handles_.add(b.fn->sig.params[i]->resource,
                                  static_cast<uint32_t>(args[i].bits), false, scope);
  const FuncType &core = b.core;
  std::vector<engine::Value> flat;
  try {
    LiftLowerContext cx(*this);
    flat = lower_export_args(cx, b.fn->sig, args);
  } catch (const CabiError &e) {
    abi_error(e);
  }
  std::vector<engine::Value> results(core.results.size());
  owner_.invoke(instance_, b.index, b.core_name, flat.data(), results.data());
  std::optional<Value> out;
  try {
    LiftLowerContext cx(*this);
    out = lift_export_result(cx, b.fn->sig, results);
  } catch (const CabiError &e) {
    abi_error(e);
  }
  // The guest may free what its result pointed to, now that it is copied.
  if (b.post_return)
    owner_.invoke(instance_, *b.post_return, "post-return", results.data(), nullptr);
  if (auto kept = handles_.end_scope(scope))
    abi_error(CabiError(b.fn->name + " returned without dropping the borrowed " +
                        resource_name(*kept) + " handle it was lent (a callee drops its borrows)"));
  return out;
}

void ComponentGuest::check_fdw_result(const std::optional<Value> &r) {
  if (r && r->case_index() == 1)
    owner_.fail(ERRCODE_FDW_ERROR, r->payload() ? r->payload()->s : "the guest failed");
}

std::string_view ComponentGuest::call(Routine r, std::string_view input) {
  std::vector<std::string> statements;
  try {
    switch (r) {
      case Routine::HostVersionRequirement: {
        auto v = call_export(WorldExport::HostVersionRequirement, {});
        scratch_ = v ? v->s : "";
        return scratch_;
      }
      case Routine::Init:
        state_.read_input(input, *world_);
        state_.context_columns = state_.all_columns;
        check_fdw_result(call_export(WorldExport::Init, {Value::u(0)}));
        return {};
      case Routine::BeginScan:
        state_.read_input(input, *world_);
        scan_done_ = false;
        check_fdw_result(call_export(WorldExport::BeginScan, {Value::u(0)}));
        return {};
      case Routine::IterScan: return iter_scan();
      case Routine::ReScan:
        state_.read_input(input, *world_);
        scan_done_ = false;
        check_fdw_result(call_export(WorldExport::ReScan, {Value::u(0)}));
        return {};
      case Routine::EndScan:
        check_fdw_result(call_export(WorldExport::EndScan, {Value::u(0)}));
        return {};
      case Routine::BeginModify:
        state_.read_input(input, *world_);
        state_.context_columns = state_.all_columns;
        check_fdw_result(call_export(WorldExport::BeginModify, {Value::u(0)}));
        return {};
      case Routine::Insert:
      case Routine::Update:
      case Routine::Delete: {
        state_.read_input(input, *world_);
        rows_.assign(1, HostRow{});
        for (size_t i = 0; i < state_.row.size(); i++) {
          rows_[0].cols.push_back(state_.all_columns[i].name);
          rows_[0].cells.push_back(host_cell(state_.row[i]));
        }
        std::vector<Value> args{Value::u(0)};
        if (r != Routine::Insert) {
          if (!state_.rowid)
            owner_.fail(ERRCODE_FDW_INVALID_DATA_TYPE, "the row's rowid cannot be a NULL cell");
          args.push_back(*state_.rowid);
        }
        if (r != Routine::Delete) args.push_back(Value::u(0));
        WorldExport e = r == Routine::Insert   ? WorldExport::Insert
                        : r == Routine::Update ? WorldExport::Update
                                               : WorldExport::Delete;
        check_fdw_result(call_export(e, std::move(args)));
        return {};  // the host uses the row it sent
      }
      case Routine::EndModify:
        check_fdw_result(call_export(WorldExport::EndModify, {Value::u(0)}));
        return {};
      case Routine::ImportForeignSchema: {
        state_.read_input(input, *world_);
        Value stmt =
            Value::tuple({Value::str(owner_.context().server), Value::str(state_.remote_schema),
                          Value::str(state_.local_schema), Value::of_case(0), Value{}});
        auto res = call_export(WorldExport::ImportForeignSchema, {Value::u(0), std::move(stmt)});
        check_fdw_result(res);
        if (res && res->payload())
          for (const auto &s : res->payload()->items) statements.push_back(s.s);
        break;
      }
      default: owner_.fail(ERRCODE_FDW_UNABLE_TO_CREATE_EXECUTION, "no such routine");
    }
  } catch (const CabiError &e) {
    abi_error(e);
  }
  scratch_ = import_statements_to_tables(owner_, statements);
  return scratch_;
}

std::string_view ComponentGuest::iter_scan() {
  // Each row is packed as soon as iter-scan gives it: an array of one cell
  // per column of the scan, after the batch's array header.
  rows_buf_.clear();
  pg::MsgpackPacker packer(rows_buf_);
  size_t width = state_.context_columns.size();
  uint32_t count = 0;
  while (!scan_done_ && count < kBatchRows) {
    // The row of the call: [0], emptied (its cells' memory kept).
    rows_.resize(1);
    rows_[0].cols.clear();
    rows_[0].cells.clear();
    if (!iter_scan_row()) {
      scan_done_ = true;
      break;
    }
    // A guest that pushes fewer cells than columns leaves the rest NULL.
    const std::vector<HostCell> &row = rows_[0].cells;
    packer.pack_array(static_cast<uint32_t>(width));
    for (size_t i = 0; i < width; i++) {
      if (i < row.size())
        pack_host_cell(packer, row[i]);
      else
        packer.pack_nil();
    }
    count++;
  }
  msgpack::sbuffer head;
  pg::MsgpackPacker(head).pack_array(count);
  scratch_.clear();
  scratch_.reserve(head.size() + rows_buf_.size());
  scratch_.append(head.data(), head.size());
  scratch_.append(rows_buf_.data(), rows_buf_.size());
  return scratch_;
}

bool ComponentGuest::iter_scan_row() {
  if (!fast_iter_) {
    auto res = call_export(WorldExport::IterScan, {Value::u(0), Value::u(0)});
    check_fdw_result(res);
    const Value *some = res && res->payload() ? res->payload() : nullptr;
    return some && some->case_index() == 1;
  }
  // As call_export, for iter-scan's signature: the context and the row
  // lent as borrows of the call, the result read from the guest's memory
  // with the checks of load(): result<option<u32>, string> is 12 bytes
  // aligned to 4, its case a byte at 0 and its payload at 4 (an option's
  // case byte, then its u32 at 8; or a string's pointer and length).
  const Bound &b = bound_[static_cast<size_t>(WorldExport::IterScan)];
  uint64_t scope = ++scope_;
  engine::Value args[2];
  for (size_t i = 0; i < 2; i++)
    args[i] = engine::Value::make_i32(
        static_cast<int32_t>(handles_.add(b.fn->sig.params[i]->resource, 0, false, scope)));
  engine::Value result;
  owner_.invoke(instance_, b.index, b.core_name, args, &result);
  bool row = false;
  std::optional<std::string> error;
  try {
    LiftLowerContext cx(*this);
    uint32_t ptr = result.bits.i32;
    std::span<uint8_t> m = cx.range(ptr, 12, 4, "a value");
    auto word = [&](size_t at) {
      uint32_t w;
      std::memcpy(&w, m.data() + at, 4);
      return w;
    };
    if (checked_case(m[0], 2) == 0) {
      row = checked_case(m[4], 2) == 1;
    } else {
      error = cx.string(word(4), word(8));
    }
  } catch (const CabiError &e) {
    abi_error(e);
  }
  // The guest may free what its result pointed to, now that it is copied.
  if (b.post_return) owner_.invoke(instance_, *b.post_return, "post-return", &result, nullptr);
  if (auto kept = handles_.end_scope(scope))
    abi_error(CabiError(b.fn->name + " returned without dropping the borrowed " +
                        resource_name(*kept) + " handle it was lent (a callee drops its borrows)"));
  if (error) owner_.fail(ERRCODE_FDW_ERROR, *error);
  return row;
}

// ---- host functions ----

void ComponentGuest::host(const ImportFn &f, std::span<const engine::Value> args,
                          std::span<engine::Value> results) {
  struct Nesting {
    int &n;
    explicit Nesting(int &n) : n(n) { n++; }
    ~Nesting() { n--; }
  } nesting(in_host_);
  try {
    if (fast_host(f, args)) return;
    LiftLowerContext cx(*this);
    std::vector<Value> params = lift_import_args(cx, f.sig, args);
    std::optional<Value> result = dispatch(*this, f, params);
    LiftLowerContext out(*this);
    lower_import_result(out, f.sig, result ? &*result : nullptr, args, results);
  } catch (const CabiError &e) {
    abi_error(e);
  }
}

bool ComponentGuest::fast_host(const ImportFn &f, std::span<const engine::Value> args) {
  switch (f.fn) {
    case Fn::Drop:
      // [resource-drop]: (own<r>) flattens to the handle.
      if (!all_of_types(args, {ValType::I32})) return false;
      resource_drop(*this, args[0].bits.i32, f.resource);
      return true;
    case Fn::RowPush: {
      // (borrow<row>, option<cell>) flattens to the handle, the option's
      // case, the cell's case, the cell's payload joined to an i64 (a
      // string's pointer), and a string's length.
      if (!all_of_types(args,
                        {ValType::I32, ValType::I32, ValType::I32, ValType::I64, ValType::I32}))
        return false;
      HostCell cell;
      cell.some = checked_case(args[1].bits.i32, 2) == 1;
      if (cell.some) {
        const Type &cell_type = *world_->types.cell;
        cell.c = checked_case(args[2].bits.i32, cell_type.items.size());
        const Type *payload = cell_type.items[cell.c];
        uint64_t joined = args[3].bits.i64;
        auto low = static_cast<uint32_t>(joined);  // an i32 payload, coerced from the i64
        switch (payload ? payload->kind : Kind::Bool) {
          case Kind::Bool: cell.bits = low != 0; break;
          case Kind::S8:
            cell.bits = static_cast<uint64_t>(int64_t{static_cast<int8_t>(low)});
            break;
          case Kind::S16:
            cell.bits = static_cast<uint64_t>(int64_t{static_cast<int16_t>(low)});
            break;
          case Kind::S32:
            cell.bits = static_cast<uint64_t>(int64_t{static_cast<int32_t>(low)});
            break;
          case Kind::S64: cell.bits = joined; break;
          case Kind::F32: cell.f = std::bit_cast<float>(low); break;
          case Kind::F64: cell.f = std::bit_cast<double>(joined); break;
          case Kind::String: {
            LiftLowerContext cx(*this);
            cell.s = cx.string(low, args[4].bits.i32);
            break;
          }
          default: return false;  // a cell type the world does not have
        }
      }
      row_push(*this, args[0].bits.i32, std::move(cell));
      return true;
    }
    case Fn::StatsIncStats: {
      // (string, metric, s64): the arguments are checked as lifting them
      // would.
      if (!all_of_types(args, {ValType::I32, ValType::I32, ValType::I32, ValType::I64}))
        return false;
      LiftLowerContext cx(*this);
      cx.string_view(args[0].bits.i32, args[1].bits.i32);
      checked_case(args[2].bits.i32, f.sig.params[1]->items.size());
      stats_inc_stats();
      return true;
    }
    case Fn::TimeParseFromRfc3339: {
      // (string) -> result<s64, string>, stored at the return pointer: the
      // case byte at 0, the s64 at 8 (16 bytes aligned to 8). An error
      // result (a string to allocate) takes the generic path.
      const Type *r = f.sig.result;
      if (!all_of_types(args, {ValType::I32, ValType::I32, ValType::I32}) || !r ||
          r->kind != Kind::Result || !r->items[0] || r->items[0]->kind != Kind::S64 ||
          !r->items[1] || r->items[1]->kind != Kind::String)
        return false;
      LiftLowerContext cx(*this);
      std::string_view text = cx.string_view(args[0].bits.i32, args[1].bits.i32);
      std::optional<int64_t> micros = time_parse_from_rfc3339(text);
      if (!micros) return false;
      std::span<uint8_t> b = cx.range(args[2].bits.i32, 16, 8, "the return area");
      b[0] = 0;
      std::memcpy(b.data() + 8, &*micros, 8);
      return true;
    }
    default: return false;
  }
}

void ComponentGuest::push_cell(uint32_t rep, HostCell cell) {
  HostRow &r = row(rep);
  size_t i = r.cells.size();
  // The row of iter-scan has the scan's columns; one the guest made
  // takes any cells (named like the columns while there are some).
  if (rep == 0 && i >= state_.context_columns.size())
    throw CabiError("row.push of cell " + std::to_string(i + 1) + " in a row of " +
                    std::to_string(state_.context_columns.size()) + " columns");
  if (i >= kMaxRowCells)
    throw CabiError("row.push of more than " + std::to_string(kMaxRowCells) + " cells");
  r.cells.push_back(std::move(cell));
}

uint32_t ComponentGuest::new_handle(Resource res, uint32_t rep) {
  return handles_.add(static_cast<uint32_t>(res), rep, true);
}

uint32_t ComponentGuest::rep(uint32_t handle, Resource res) const {
  return handles_.rep(handle, static_cast<uint32_t>(res));
}

uint32_t ComponentGuest::rep(const Value &handle, Resource res) const {
  return rep(static_cast<uint32_t>(handle.bits), res);
}

void ComponentGuest::drop(uint32_t handle, Resource res) {
  handles_.drop(handle, static_cast<uint32_t>(res));
}

uint32_t ComponentGuest::new_row() {
  if (rows_.empty()) rows_.emplace_back();  // [0] is always the routine's row
  if (rows_.size() >= kMaxRows)
    throw CabiError("the guest made more than " + std::to_string(kMaxRows) + " rows");
  rows_.push_back(HostRow{});
  return static_cast<uint32_t>(rows_.size() - 1);
}

HostRow &ComponentGuest::row(uint32_t rep) {
  if (rep >= rows_.size()) throw CabiError("a row of an earlier call");
  return rows_[rep];
}

std::unique_ptr<GuestImpl> make_component_guest(FdwGuest &owner, pg::LoadedModule &module) {
  return std::make_unique<ComponentGuest>(owner, module);
}

ComponentGuest *current_component_guest() {
  FdwGuest *g = current_fdw_guest();
  if (!g) return nullptr;
  // ComponentGuest is final: its exact type is the test (cheaper, per host
  // call, than a dynamic_cast across its two bases).
  GuestImpl &impl = g->impl();
  return typeid(impl) == typeid(ComponentGuest) ? static_cast<ComponentGuest *>(&impl) : nullptr;
}

}  // namespace pgwasm::fdw
