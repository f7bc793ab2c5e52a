// Conversions from wabt's IR to the toolkit's own types (internal).
#pragma once

#include "toolkit/types.h"
#include "wabt/cast.h"
#include "wabt/ir.h"

namespace pgwasm::toolkit {

ValType from_wabt(wabt::Type t);
FuncType from_wabt(const wabt::FuncSignature &sig);
Limits from_wabt(const wabt::Limits &l);
ModuleInfo describe(const wabt::Module &m);

}  // namespace pgwasm::toolkit
