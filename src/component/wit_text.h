// WIT's own text for types and functions, for messages and for
// wasm.module_exports: "list<option<string>>", "func(s: string) ->
// result<string, string>", "record point { x: s32, y: s32 }".
#pragma once

#include <string>

#include "component/cabi_layout.h"
#include "component/wit_types.h"

namespace pgwasm::component {

// A type as WIT writes it where it is used: a named type by its name
// ("point"), an anonymous one by its structure ("tuple<u8, string>").
std::string wit_text(const Type &t);

// A named type's definition ("record point { x: s32, y: s32 }",
// "enum color { red, green }"); for an anonymous type, wit_text.
std::string wit_definition(const Type &t);

// "func(s: string) -> string".
std::string wit_text(const WitFunction &f);

}  // namespace pgwasm::component
