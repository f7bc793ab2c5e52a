// SHA-256 through PostgreSQL's own implementation.
#pragma once

#include <cstdint>
#include <span>
#include <string>

namespace pgwasm::pg {

// Lower-case hex digest.
std::string sha256_hex(std::span<const uint8_t> bytes);

}  // namespace pgwasm::pg
