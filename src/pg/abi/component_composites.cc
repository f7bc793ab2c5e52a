// Records, tuples, lists, enums, flags and variants against SQL values.
#include "pg/abi/component_values.h"

namespace pgwasm::pg {

std::unique_ptr<ValueMap> map_composite_value(const component::Type &, Oid, int32, const MapPlace &,
                                              MemoryContext) {
  return nullptr;
}

}  // namespace pgwasm::pg
