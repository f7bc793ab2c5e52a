#include "spec/spectest_host.h"

#include <cstdio>
#include <vector>

#include "spec/values.h"

namespace pgwasm::spec {

using engine::Value;

SpectestHost::SpectestHost(engine::Engine &engine, bool echo) : engine_(engine), echo_(echo) {
  const std::pair<const char *, std::vector<ValType>> prints[] = {
      {"print", {}},
      {"print_i32", {ValType::I32}},
      {"print_i64", {ValType::I64}},
      {"print_f32", {ValType::F32}},
      {"print_f64", {ValType::F64}},
      {"print_i32_f32", {ValType::I32, ValType::F32}},
      {"print_f64_f64", {ValType::F64, ValType::F64}},
  };
  for (const auto &[name, params] : prints) {
    std::string fname = name;
    shared_[name] = engine_.host_function(
        {params, {}},
        [this, fname](engine::HostCall &, std::span<const Value> args, std::span<Value>) {
          print_calls_++;
          if (!echo_) return;
          std::string line = "spectest." + fname + ":";
          for (const auto &a : args) line += " " + to_string(a);
          std::printf("%s\n", line.c_str());
        });
  }
  shared_["global_i32"] = engine_.host_global({ValType::I32, false}, Value::make_i32(666));
  shared_["global_i64"] = engine_.host_global({ValType::I64, false}, Value::make_i64(666));
  shared_["global_f32"] = engine_.host_global({ValType::F32, false}, Value::make_f32(666.6f));
  shared_["global_f64"] = engine_.host_global({ValType::F64, false}, Value::make_f64(666.6));
}

Exports SpectestHost::instantiate() {
  Exports m = shared_;
  m["table"] = engine_.host_table({ValType::FuncRef, {10, 20}});
  m["memory"] = engine_.host_memory({{1, 2}, false});
  return m;
}

}  // namespace pgwasm::spec
