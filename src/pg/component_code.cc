#include "pg/component_code.h"

#include "toolkit/component/read.h"

namespace pgwasm::pg {

namespace tc = toolkit::component;

namespace {

std::span<const uint8_t> main_module(const tc::Component &c, const tc::Package &p) {
  if (!p.main_module || *p.main_module >= c.core_modules.size())
    throw tc::ComponentError(tc::ComponentError::Kind::Unsupported, 0,
                             "a component whose exports are lifted from one core module");
  return c.core_modules[*p.main_module].bytes;
}

}  // namespace

std::shared_ptr<const ComponentPackage> read_component_package(std::span<const uint8_t> bytes) {
  auto pkg = std::make_shared<ComponentPackage>();
  pkg->bytes.assign(bytes.begin(), bytes.end());
  pkg->component = tc::read_component(pkg->bytes);
  pkg->package = tc::describe_package(pkg->component);
  pkg->main_module = main_module(pkg->component, pkg->package);
  return pkg;
}

std::span<const uint8_t> core_module_of(std::span<const uint8_t> code) {
  if (!tc::is_component(code)) return code;
  tc::Component c = tc::read_component(code);
  return main_module(c, tc::describe_package(c));
}

}  // namespace pgwasm::pg
