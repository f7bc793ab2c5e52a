#include "pg/invoke.h"

namespace pgwasm::pg {

Invocation invoke(LoadedModule &module, uint32_t export_index, std::string_view export_name,
                  const engine::Value *args, engine::Value *results, const CallFor &call_for) {
  return invoke_with(
      module.name, export_index, export_name, args, results, call_for,
      [&]() -> ModuleInstance & { return module.instance_for_call(); },
      [&] { module.discard_instance(); });
}

}  // namespace pgwasm::pg
