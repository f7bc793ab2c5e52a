// The functions the host offers to guests as imports, and how a module's
// imports are resolved against them.
//
// Three import modules are the glue's own: "pg_wasm" (pg_wasm's own API,
// host_api.cc), "env" (ClickHouse's host API, clickhouse_api.cc) and
// "wasi_snapshot_preview1" (a WASI subset, wasi.cc). Layers above add
// theirs with register_host_functions when the library loads (the FDW's
// "pg_wasm_fdw" and its components' imports). An import matches a host
// function by module, name and type, so one name may be offered with
// several types (ClickHouse's clickhouse_log takes 2 or 3 arguments).
#pragma once

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "engine/engine.h"
#include "toolkit/types.h"

namespace pgwasm::pg::host {

// Shorthands for the files that define host functions.
using engine::HostCall;
using engine::Value;
inline constexpr auto I32 = ValType::I32;
inline constexpr auto I64 = ValType::I64;

struct HostFunction {
  std::string module;
  std::string name;
  FuncType type;
  engine::HostCallback callback;
};

// Each of the glue's import modules' functions.
std::vector<HostFunction> pg_wasm_functions();
std::vector<HostFunction> clickhouse_functions();
std::vector<HostFunction> wasi_functions();
// WASI 0.2 (wasi_p2.cc), registered under "wasi:<package>/<interface>@0.2":
// an import of any 0.2.N, or in the cm32p2 form, finds them.
std::vector<HostFunction> wasi_p2_functions();

// Offers more host functions to guests, after those registered before.
// Only from _PG_init: resolve_imports keeps pointers to the functions.
void register_host_functions(std::vector<HostFunction> functions);

// Every host function: the glue's, then the registered ones in order.
std::span<const HostFunction> all_host_functions();

// Why the host cannot satisfy this import, or nullopt if it can.
std::optional<std::string> unsatisfied_import(const ImportDesc &import);

// The first import of the module the host cannot satisfy, as an error
// message naming it, or nullopt if all are satisfied.
std::optional<std::string> check_imports(const ModuleInfo &info);

// The externs to instantiate `info` with, in import order. Each host
// function becomes an extern once per engine.
std::vector<std::shared_ptr<engine::Extern>> resolve_imports(engine::Engine &engine,
                                                             const ModuleInfo &info);

}  // namespace pgwasm::pg::host
