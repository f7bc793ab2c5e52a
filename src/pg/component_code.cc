#include "pg/component_code.h"

#include "component/read.h"

namespace pgwasm::pg {

namespace {

std::span<const uint8_t> main_module(const component::Component &c, const component::Package &p) {
  if (!p.main_module || *p.main_module >= c.core_modules.size())
    throw component::ComponentError(component::ComponentError::Kind::Unsupported, 0,
                                    "a component whose exports are lifted from one core module");
  return c.core_modules[*p.main_module].bytes;
}

}  // namespace

std::shared_ptr<const ComponentPackage> read_component_package(std::span<const uint8_t> bytes) {
  return read_component_package(std::vector<uint8_t>(bytes.begin(), bytes.end()));
}

std::shared_ptr<const ComponentPackage> read_component_package(std::vector<uint8_t> &&bytes,
                                                               component::CoreModuleFacts *facts) {
  auto pkg = std::make_shared<ComponentPackage>();
  pkg->bytes = std::move(bytes);
  pkg->component = component::read_component(pkg->bytes, facts);
  pkg->package = component::describe_package(pkg->component);
  pkg->main_module = main_module(pkg->component, pkg->package);
  return pkg;
}

const WitFunctions &ComponentPackage::wit() const {
  if (!wit_) {
    auto w = std::make_unique<WitFunctions>();
    w->functions = component::wit_functions(component, package, w->arena);
    wit_ = std::move(w);
  }
  return *wit_;
}

std::span<const uint8_t> core_module_of(std::span<const uint8_t> code) {
  if (!component::is_component(code)) return code;
  component::Component c = component::read_component(code);
  return main_module(c, component::describe_package(c));
}

}  // namespace pgwasm::pg
