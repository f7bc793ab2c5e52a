// The native engine under an address-space limit: what the system will not
// give is an OutOfMemory trap, never a crash.
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>

#include "engine/engine.h"
#include "toolkit/text.h"
#include "export_index.h"
#include "native_test_support.h"

using namespace pgwasm;
using namespace pgwasm::engine;

namespace {

// This process's address space in use, in bytes (VmSize).
uint64_t address_space_used() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("VmSize:", 0) == 0) return std::stoull(line.substr(7)) * 1024;
  return 0;
}

bool traps_out_of_memory(const std::function<void()> &f) {
  try {
    f();
  } catch (const Trap &t) {
    return t.kind == Trap::Kind::OutOfMemory;
  }
  return false;
}

}  // namespace

// What the system will not give is an OutOfMemory trap, never a crash, and
// the engine goes on. In a child process whose address space is limited to
// what it uses and 64 MB more (as a server under ulimit -v, or with
// vm.overcommit_memory = 2 near the commit limit, would refuse): a host
// memory of 2 GB, a host table of ten million funcrefs (240 MB), instances
// whose memory or table is as large, and memory.grow by 2 GB.
TEST(NativeAllocationTest, WhatTheSystemRefusesIsAnOutOfMemoryTrap) {
  test::ScratchDir cache("pg_wasm_native_allocation");
  auto engine = test::native_engine_with({.cache_dir = cache.path});
  // Built before the limit: the compiler is not what is tested.
  auto big_memory = engine->compile(toolkit::assemble_wat("(module (memory 32768))"));
  auto big_table = engine->compile(toolkit::assemble_wat("(module (table 10000000 funcref))"));
  auto small = engine->compile(toolkit::assemble_wat(R"((module (memory 1)
    (func (export "grow") (param i32) (result i32) local.get 0 memory.grow)
    (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add)))"));
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    // Only the exit status reaches the parent: 0, or the check that failed
    // (100 more if it threw something else).
    int check = 0;
    try {
      rlimit limit;
      limit.rlim_cur = limit.rlim_max = address_space_used() + (uint64_t{64} << 20);
      if (++check, setrlimit(RLIMIT_AS, &limit) != 0) _exit(check);
      if (++check, !traps_out_of_memory([&] { engine->host_memory({{32768, {}}, false}); }))
        _exit(check);
      if (++check, !traps_out_of_memory([&] {
            engine->host_table({ValType::FuncRef, {10'000'000, {}}});
          }))
        _exit(check);
      if (++check, !traps_out_of_memory([&] { engine->instantiate(big_memory, {}); })) _exit(check);
      if (++check, !traps_out_of_memory([&] { engine->instantiate(big_table, {}); })) _exit(check);
      // memory.grow gets -1 (the spec allows it to fail), and the instance,
      // the engine and small host objects go on working.
      auto inst = engine->instantiate(small, {});
      Value r, pages = Value::make_i32(32768);
      inst->call(test::export_index(*inst, "grow"), &pages, &r);
      if (++check, r.as_i32() != -1) _exit(check);
      Value args[2] = {Value::make_i32(2), Value::make_i32(3)};
      inst->call(test::export_index(*inst, "add"), args, &r);
      if (++check, r.as_i32() != 5) _exit(check);
      ++check;
      engine->host_memory({{1, {}}, false});
      engine->host_table({ValType::FuncRef, {10, {}}});
    } catch (...) {
      _exit(100 + check);
    }
    _exit(0);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status)) << "the child was killed by signal " << WTERMSIG(status);
  EXPECT_EQ(WEXITSTATUS(status), 0) << "check " << WEXITSTATUS(status) << " failed in the child";
}
