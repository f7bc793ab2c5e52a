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

#include "fdw/component/cabi.h"
#include "fdw/component/cells.h"
#include "fdw/component/handles.h"
#include "fdw/component/world.h"
#include "fdw/guest.h"
#include "pg/component_code.h"

namespace pgwasm::fdw {

struct HostRow {
  std::vector<std::string> cols;
  std::vector<std::optional<component::Value>> cells;
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
  component::StatementState &state() { return state_; }
  uint32_t new_handle(component::Res res, uint32_t rep);
  uint32_t rep(const component::Value &handle, component::Res res) const;
  void drop(const component::Value &handle, component::Res res);
  uint32_t new_row();
  HostRow &row(uint32_t rep);

 private:
  struct Bound {
    const component::ExportFn *fn = nullptr;
    std::string core_name;
    uint32_t index = 0;
    std::optional<uint32_t> post_return;
  };

  std::optional<component::Value> call_export(component::Export which,
                                              std::vector<component::Value> args);
  void check_fdw_result(const std::optional<component::Value> &r);
  std::string_view iter_scan();
  [[noreturn]] void abi_error(const component::CabiError &e) const;

  FdwGuest &owner_;
  pg::LoadedModule &module_;
  std::shared_ptr<const pg::ComponentPackage> package_;
  const component::World *world_ = nullptr;
  pg::ModuleInstance instance_;
  std::array<Bound, component::kExports> bound_;
  std::optional<uint32_t> realloc_;
  component::HandleTable handles_;
  component::StatementState state_;
  std::vector<HostRow> rows_;  // [0]: the row of the call in progress
  uint64_t scope_ = 0;
  int in_host_ = 0;  // host functions running (the guest is on the stack)
  bool scan_done_ = false;
  std::string scratch_;
};

// The component guest whose routine is running, or null.
ComponentGuest *current_component_guest();

// Runs a host function of the world.
std::optional<component::Value> dispatch(ComponentGuest &g, const component::ImportFn &f,
                                         std::vector<component::Value> &params);

}  // namespace pgwasm::fdw
