// Conversions from wabt's types to the toolkit's own (internal).
#pragma once

#include "toolkit/types.h"
#include "wabt/cast.h"
#include "wabt/ir.h"

namespace pgwasm::toolkit {

ValType from_wabt(wabt::Type t);
FuncType from_wabt(const wabt::FuncSignature &sig);
Limits from_wabt(const wabt::Limits &l);

}  // namespace pgwasm::toolkit
