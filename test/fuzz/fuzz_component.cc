// Fuzz target: bytes as a WebAssembly component. read_component either
// returns a component or throws ComponentError (any other exception escapes
// and aborts, so libFuzzer keeps the input); what it returns must hold views
// of the input only, and describe_package over it either gives a package
// whose main module and core instances exist or throws ComponentError. No V8, so
// LeakSanitizer is on.
#include <cstdint>
#include <span>

#include "component/errors.h"
#include "component/package.h"
#include "component/read.h"
#include "fuzz/fuzz_support.h"

using namespace pgwasm;

namespace {

// Every core module's bytes, at any depth, lie inside the input at the
// offset the reader gives (nested components' offsets count from the
// outermost component's first byte or their own: only the view is checked).
void check_views(const component::Component &c, std::span<const uint8_t> input) {
  for (const auto &m : c.core_modules) {
    if (m.bytes.data() < input.data() ||
        m.bytes.data() + m.bytes.size() > input.data() + input.size())
      fuzz::fail("read_component gave a core module outside the input");
  }
  for (const auto &nested : c.components) check_views(nested, input);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::span<const uint8_t> bytes(data, size);
  component::Component c;
  try {
    c = component::read_component(bytes);
  } catch (const component::ComponentError &e) {
    if (e.offset > size) fuzz::fail("ComponentError past the end of the input", e.what());
    return 0;
  }
  if (!component::is_component(bytes))
    fuzz::fail("read_component accepted bytes without a component's preamble");
  check_views(c, bytes);
  component::Package p;
  try {
    p = component::describe_package(c);
  } catch (const component::ComponentError &e) {
    if (e.offset > size)
      fuzz::fail("describe_package: ComponentError past the end of the input", e.what());
    return 0;
  }
  if (p.main_module && *p.main_module >= c.core_modules.size())
    fuzz::fail("describe_package named a main module that does not exist");
  for (const auto &f : p.exports) {
    if (f.core_instance >= c.size(component::Sort::CoreInstance))
      fuzz::fail("describe_package gave an export lifted from no core instance");
  }
  return 0;
}
