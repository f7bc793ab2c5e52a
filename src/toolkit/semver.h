// Semantic-version requirements (Cargo's syntax, as Supabase's wrappers
// packages write them): "^1.0", "~1.2.3", ">=1.0, <2", "=1.0.0", "1.0", "*".
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace pgwasm::toolkit {

struct Version {
  int major = 0, minor = 0, patch = 0;
};

// Whether `version` meets `requirement`; nullopt with `why` set when the
// requirement cannot be read.
std::optional<bool> satisfies(std::string_view requirement, Version version, std::string &why);

}  // namespace pgwasm::toolkit
