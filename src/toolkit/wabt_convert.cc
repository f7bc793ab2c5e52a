#include "toolkit/wabt_convert.h"

#include <stdexcept>

namespace pgwasm::toolkit {

ValType from_wabt(wabt::Type t) {
  switch (t) {
    case wabt::Type::I32: return ValType::I32;
    case wabt::Type::I64: return ValType::I64;
    case wabt::Type::F32: return ValType::F32;
    case wabt::Type::F64: return ValType::F64;
    case wabt::Type::V128: return ValType::V128;
    case wabt::Type::FuncRef: return ValType::FuncRef;
    case wabt::Type::ExternRef: return ValType::ExternRef;
    default: throw std::invalid_argument(std::string("unsupported value type ") + t.GetName());
  }
}

FuncType from_wabt(const wabt::FuncSignature &sig) {
  FuncType f;
  for (auto t : sig.param_types) f.params.push_back(from_wabt(t));
  for (auto t : sig.result_types) f.results.push_back(from_wabt(t));
  return f;
}

Limits from_wabt(const wabt::Limits &l) {
  Limits out{l.initial, std::nullopt};
  if (l.has_max) out.max = l.max;
  return out;
}

}  // namespace pgwasm::toolkit
