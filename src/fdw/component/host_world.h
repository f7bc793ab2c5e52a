// The adapter's state and the host functions of the world's imports: what a
// component guest sees of the statement (context, columns, quals, sorts,
// limit, options, rows), and the http, jwt, stats, time and utils
// interfaces on pg_wasm's FDW host (its HTTP policy, secrets, statistics).
#pragma once

#include <array>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "component/cabi.h"
#include "component/handles.h"
#include "component/world.h"
#include "fdw/component/supabase_cells.h"
#include "fdw/guest.h"
#include "pg/component_code.h"

namespace pgwasm::fdw {

// The most cells row.push takes into one row (PostgreSQL's most columns).
inline constexpr size_t kMaxRowCells = 1'600;

// A row of the host's: its cells, each an option<cell> (HostCell,
// without a value tree per cell). `cols` names the first cells where the
// host made the row (a write routine's); the others are named like the
// statement's columns (Fn::RowCols).
struct HostRow {
  std::vector<std::string> cols;
  std::vector<HostCell> cells;
};

class ComponentGuest final : public GuestImpl, public component::GuestMemory {
 public:
  ComponentGuest(FdwGuest &owner, pg::LoadedModule &module);

  bool exports(Routine r) const override;
  std::string_view call(Routine r, std::string_view input) override;
  bool alive() const override { return instance_.instance != nullptr; }
  std::string_view host_version() const override { return world_->host_version(); }
  bool takes_scan_hints() const override { return true; }

  std::span<uint8_t> bytes() override;
  uint32_t realloc(uint32_t align, uint32_t size) override;

  // A lowered import called by the guest: parameters lifted, the function
  // run, its result lowered.
  void host(const component::ImportFn &f, std::span<const engine::Value> args,
            std::span<engine::Value> results);

  // For the host functions.
  FdwGuest &owner() { return owner_; }
  const component::World &world() const { return *world_; }
  StatementState &state() { return state_; }
  uint32_t new_handle(component::Resource res, uint32_t rep);
  uint32_t rep(uint32_t handle, component::Resource res) const;
  uint32_t rep(const component::Value &handle, component::Resource res) const;
  void drop(uint32_t handle, component::Resource res);
  uint32_t new_row();
  HostRow &row(uint32_t rep);
  // row.push: `cell` appended to the row `rep` (the row of iter-scan takes
  // one cell per column of the scan, a row the guest made at most
  // kMaxRowCells).
  void push_cell(uint32_t rep, HostCell cell);

 private:
  struct Bound {
    const component::ExportFn *fn = nullptr;
    std::string core_name;
    uint32_t index = 0;
    std::optional<uint32_t> post_return;
    FuncType core;  // the core function type of the lifted export
  };

  // The imports the guest calls for every row or cell (row.push, a
  // resource drop, stats.inc-stats), lifted straight from their core
  // values with the checks of the generic lift; false for any other.
  bool fast_host(const component::ImportFn &f, std::span<const engine::Value> args);

  std::optional<component::Value> call_export(component::WorldExport which,
                                              std::vector<component::Value> args);
  void check_fdw_result(const std::optional<component::Value> &r);
  std::string_view iter_scan();
  // One call of iter-scan: whether it gave a row.
  bool iter_scan_row();
  [[noreturn]] void abi_error(const component::CabiError &e) const;

  FdwGuest &owner_;
  pg::LoadedModule &module_;
  std::shared_ptr<const pg::ComponentPackage> package_;
  const component::World *world_ = nullptr;
  pg::ModuleInstance instance_;
  std::array<Bound, component::kExports> bound_;
  std::optional<uint32_t> realloc_;
  component::HandleTable handles_;
  StatementState state_;
  std::vector<HostRow> rows_;  // [0]: the row of the call in progress
  uint64_t scope_ = 0;
  int in_host_ = 0;  // host functions running (the guest is on the stack)
  bool scan_done_ = false;
  // iter-scan is (borrow<context>, borrow<row>) -> result<option<u32>,
  // string> of the layout iter_scan_row reads without a value tree.
  bool fast_iter_ = false;
  std::string scratch_;
  msgpack::sbuffer rows_buf_;  // iter_scan's rows, reused
};

// The component guest whose routine is running, or null.
ComponentGuest *current_component_guest();

// Runs a host function of the world, its parameters lifted: one function
// per interface of the world (and per resource of "types") does the work.
std::optional<component::Value> dispatch(ComponentGuest &g, const component::ImportFn &f,
                                         std::vector<component::Value> &params);

// The host functions ComponentGuest::fast_host runs straight from core
// values: dispatch runs the same ones once it has lifted the parameters,
// so both paths do the same.
void row_push(ComponentGuest &g, uint32_t row, HostCell cell);
void resource_drop(ComponentGuest &g, uint32_t handle, component::Resource resource);
void stats_inc_stats();
std::optional<int64_t> time_parse_from_rfc3339(std::string_view text);

}  // namespace pgwasm::fdw
