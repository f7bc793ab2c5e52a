// What the V8 engine's shared-cache entries save (docs/engines.md, "Shared
// caches"): one compile of a module in a fresh process, with no store, or
// with a store in a directory (plain files, no seal), and the first call of
// an export taking and returning an i32 when the module has no imports.
// Run it twice with the same directory: the first run fills the store, the
// second takes from it.
//   v8_cache_measure <module.wasm> <none|DIR> [fuel|memory|both] [export]
#include <time.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "engine/engine.h"
#include "engine/v8/v8_engine.h"

using namespace pgwasm;
using namespace pgwasm::engine;
namespace fs = std::filesystem;

static std::vector<uint8_t> read_file(const fs::path &path) {
  std::vector<uint8_t> bytes(fs::file_size(path));
  std::ifstream(path, std::ios::binary)
      .read(reinterpret_cast<char *>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  return bytes;
}

class DirStore final : public ArtifactStore {
 public:
  explicit DirStore(fs::path dir) : dir_(std::move(dir)) { fs::create_directories(dir_); }
  std::optional<std::vector<uint8_t>> load(std::string_view key) override {
    auto path = dir_ / std::string(key);
    if (!fs::exists(path)) return std::nullopt;
    return read_file(path);
  }
  void save(std::string_view key, std::span<const uint8_t> bytes) override {
    std::ofstream(dir_ / std::string(key), std::ios::binary)
        .write(reinterpret_cast<const char *>(bytes.data()),
               static_cast<std::streamsize>(bytes.size()));
    std::printf("  saved %s: %zu bytes\n", std::string(key).c_str(), bytes.size());
  }

 private:
  fs::path dir_;
};

// CPU time of the process, which other load on the machine changes less
// than wall time (V8 compiles on this thread here).
static double cpu_ms() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int main(int argc, char **argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s module.wasm none|DIR [fuel|memory|both|plain] [export]\n",
                 argv[0]);
    return 2;
  }
  std::vector<uint8_t> wasm = read_file(argv[1]);
  std::string mode = argc > 3 ? argv[3] : "plain";
  CompileOptions options{.fuel = mode == "fuel" || mode == "both",
                         .limit_memory = mode == "memory" || mode == "both"};
  std::optional<DirStore> store;
  if (std::string(argv[2]) != "none") options.store = &store.emplace(argv[2]);
  double t = cpu_ms();
  auto engine = make_v8_engine({});
  double start_ms = (cpu_ms() - t);
  auto *v8 = dynamic_cast<v8impl::V8Engine *>(engine.get());
  t = cpu_ms();
  auto module = engine->compile(wasm, options);
  double compile_ms = (cpu_ms() - t);
  const auto &c = v8->counters();
  std::printf(
      "CPU ms: engine start %.1f; compile %.1f (prepared %llu, prepared from store %llu, "
      "V8 compiled %llu, V8 code from store %llu)\n",
      start_ms, compile_ms, (unsigned long long)c.prepares, (unsigned long long)c.prep_hits,
      (unsigned long long)c.compiles, (unsigned long long)c.code_hits);
  if (argc > 4 && module->info().imports.empty()) {
    auto inst = engine->instantiate(module, {});
    uint32_t index = *inst->info().export_index(argv[4]);
    Value arg = Value::make_i32(1), r;
    t = cpu_ms();
    inst->call(index, &arg, &r);
    double first = (cpu_ms() - t);
    t = cpu_ms();
    inst->call(index, &arg, &r);
    std::printf("first call %.1f, second %.3f (result %d)\n", first, (cpu_ms() - t), r.as_i32());
  }
  if (store) {
    t = cpu_ms();
    engine->save_compiled(*module, *store);
    std::printf("save_compiled %.1f\n", (cpu_ms() - t));
  }
  return 0;
}
