// What the native engine's interrupt checks cost (docs/native-engine.md):
// examples/collatz.c's steps(i) summed over i = 1..1,000,000 through the
// engine itself, built with the checks (as always in pg_wasm) and without,
// best of 5 each, interleaved.
//
//   interrupt_cost <collatz.wasm>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

#include "engine/engine.h"

using namespace pgwasm;
using namespace pgwasm::engine;

int main(int argc, char **argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s <collatz.wasm>\n", argv[0]);
    return 2;
  }
  std::ifstream in(argv[1], std::ios::binary);
  std::vector<uint8_t> wasm((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto dir = std::filesystem::temp_directory_path() /
             ("pg_wasm_interrupt_cost_" + std::to_string(getpid()));
  double best[2] = {1e300, 1e300};
  int64_t sums[2] = {0, 0};
  {
    std::unique_ptr<Engine> engines[2];
    std::unique_ptr<Instance> instances[2];
    uint32_t steps = 0;
    for (int checks = 0; checks < 2; checks++) {
      engines[checks] =
          make_native_engine({}, {.cache_dir = (dir / std::to_string(checks)).string(),
                                  .toolchain = {},
                                  .interrupt_checks = checks == 1});
      int here;
      engines[checks]->set_stack_limit(reinterpret_cast<uintptr_t>(&here) - (1 << 20));
      auto module = engines[checks]->compile(wasm);
      steps = *module->info().export_index("steps");
      instances[checks] = engines[checks]->instantiate(module, {});
    }
    for (int round = 0; round < 5; round++) {
      for (int checks = 0; checks < 2; checks++) {
        auto start = std::chrono::steady_clock::now();
        int64_t sum = 0;
        for (int32_t i = 1; i <= 1'000'000; i++) {
          Value arg = Value::make_i32(i), r;
          instances[checks]->call(steps, &arg, &r);
          sum += r.as_i32();
        }
        double ms =
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
                .count();
        if (ms < best[checks]) best[checks] = ms;
        sums[checks] = sum;
      }
    }
  }
  std::filesystem::remove_all(dir);
  if (sums[0] != sums[1]) {
    std::fprintf(stderr, "the sums differ: %lld and %lld\n", (long long)sums[0],
                 (long long)sums[1]);
    return 1;
  }
  std::printf("collatz 1..1,000,000 through the native engine (best of 5, ms)\n");
  std::printf("| interrupt checks | ms | ratio |\n|---|---:|---:|\n");
  std::printf("| off | %.1f | 1.00 |\n| on | %.1f | %.3f |\n", best[0], best[1], best[1] / best[0]);
  return 0;
}
