// A module's description (a ModuleScan: what binary.h's readers found) as
// bytes, so that a process can use another's reading of the same module
// instead of reading it again (docs/engines.md, "Shared caches").
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "toolkit/errors.h"
#include "toolkit/shape.h"

namespace pgwasm::toolkit {

// The encoding's layout version: a decoder of another version refuses it.
// Bump it with any change to the layout or to what ModuleScan holds.
inline constexpr uint32_t kModuleFactsFormat = 1;

std::vector<uint8_t> encode_module_facts(const ModuleScan &scan);

// The scan encode_module_facts was given. Throws BinaryError when the bytes
// are anything else: another format version, cut short, bytes left over, a
// count, size or name beyond limits.h, a type or kind that does not exist,
// an index outside its space. Never reads outside `bytes`, never allocates
// more than the counts limits.h allows.
ModuleScan decode_module_facts(std::span<const uint8_t> bytes);

}  // namespace pgwasm::toolkit
