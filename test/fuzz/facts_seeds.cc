// Writes the facts (toolkit/module_facts.h) of each module in a directory
// that scans, as the seeds of the fuzz target module_facts:
//
//   facts_seeds OUT_DIR IN_DIR
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

#include "toolkit/module_facts.h"

namespace fs = std::filesystem;

int main(int argc, char **argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: facts_seeds OUT_DIR IN_DIR\n");
    return 2;
  }
  fs::create_directories(argv[1]);
  int written = 0;
  for (const auto &entry : fs::directory_iterator(argv[2])) {
    std::ifstream in(entry.path(), std::ios::binary);
    std::vector<uint8_t> wasm{std::istreambuf_iterator<char>(in), {}};
    std::vector<uint8_t> facts;
    try {
      facts = pgwasm::toolkit::encode_module_facts(pgwasm::toolkit::scan_module(wasm));
    } catch (const pgwasm::toolkit::BinaryError &) {
      continue;  // a seed made to be refused
    }
    std::ofstream out(fs::path(argv[1]) / entry.path().filename(), std::ios::binary);
    out.write(reinterpret_cast<const char *>(facts.data()),
              static_cast<std::streamsize>(facts.size()));
    written++;
  }
  std::printf("facts_seeds: %d seeds in %s\n", written, argv[1]);
  return written > 0 ? 0 : 1;
}
