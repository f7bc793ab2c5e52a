// Fuzz target: bytes as a module's facts (toolkit/module_facts.h), which a
// backend reads from a file another process wrote. decode_module_facts
// refuses them with a BinaryError or returns a scan whose encoding is those
// very bytes (one scan, one encoding). Bytes that are a module are also
// scanned, and their scan must come back exactly. Seeds: the facts of the
// binary seeds' modules (facts_seeds.cc, run.sh). No V8, so LeakSanitizer
// is on.
#include <cstdint>
#include <span>
#include <vector>

#include "fuzz/fuzz_support.h"
#include "toolkit/module_facts.h"
#include "toolkit/text.h"

using namespace pgwasm;
using namespace pgwasm::toolkit;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::span<const uint8_t> bytes(data, size);
  try {
    ModuleScan scan = decode_module_facts(bytes);
    if (encode_module_facts(scan) != std::vector<uint8_t>(bytes.begin(), bytes.end()))
      fuzz::fail("decode_module_facts accepted bytes that are not its scan's encoding");
  } catch (const BinaryError &) {
  }

  if (!looks_like_binary(bytes)) return 0;
  ModuleScan scan;
  try {
    scan = scan_module(bytes);
  } catch (const BinaryError &) {
    return 0;
  }
  std::vector<uint8_t> encoded = encode_module_facts(scan);
  try {
    if (encode_module_facts(decode_module_facts(encoded)) != encoded)
      fuzz::fail("a module's facts do not come back as they were");
  } catch (const BinaryError &e) {
    fuzz::fail("a module's facts are refused", e.what());
  }
  return 0;
}
