// Reads a .wasm and writes it fuel-instrumented by the toolkit's pass
// (src/toolkit/instrument.h), for bench/native/measure.sh: the cost of a
// counter check at every function entry and loop header, measured on code
// compiled ahead of time (wasm2c) instead of by V8.
//
//   instrument_tool <in.wasm> <out.wasm>
//
// The fuel global starts at INT64_MAX (the pass's "unlimited"), exported as
// toolkit::kFuelExport, a name starting with a zero byte.
#include <cstdio>
#include <exception>
#include <fstream>
#include <iterator>
#include <vector>

#include "toolkit/instrument.h"

int main(int argc, char **argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s <in.wasm> <out.wasm>\n", argv[0]);
    return 2;
  }
  std::ifstream in(argv[1], std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "instrument_tool: cannot read %s\n", argv[1]);
    return 1;
  }
  std::vector<uint8_t> wasm((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  try {
    std::vector<uint8_t> out = pgwasm::toolkit::instrument(wasm, {.fuel = true});
    std::ofstream f(argv[2], std::ios::binary);
    f.write(reinterpret_cast<const char *>(out.data()), static_cast<std::streamsize>(out.size()));
    if (!f) {
      std::fprintf(stderr, "instrument_tool: cannot write %s\n", argv[2]);
      return 1;
    }
  } catch (const std::exception &e) {
    std::fprintf(stderr, "instrument_tool: %s\n", e.what());
    return 1;
  }
  return 0;
}
