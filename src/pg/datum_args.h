// Reading SQL arguments into C++ values (detoasting may raise errors, hence
// the guard).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "pg/guard.h"

namespace pgwasm::pg {

inline std::string text_arg(FunctionCallInfo fcinfo, int n) {
  std::string out;
  pg_guard([&] {
    text *t = PG_GETARG_TEXT_PP(n);
    out.assign(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));
  });
  return out;
}

inline std::optional<std::string> optional_text_arg(FunctionCallInfo fcinfo, int n) {
  if (PG_NARGS() <= n || PG_ARGISNULL(n)) return std::nullopt;
  return text_arg(fcinfo, n);
}

inline std::vector<uint8_t> bytea_arg(FunctionCallInfo fcinfo, int n) {
  std::vector<uint8_t> out;
  pg_guard([&] {
    bytea *b = PG_GETARG_BYTEA_PP(n);
    auto *p = reinterpret_cast<const uint8_t *>(VARDATA_ANY(b));
    out.assign(p, p + VARSIZE_ANY_EXHDR(b));
  });
  return out;
}

inline bool bool_arg(FunctionCallInfo fcinfo, int n, bool fallback) {
  if (PG_NARGS() <= n || PG_ARGISNULL(n)) return fallback;
  return PG_GETARG_BOOL(n);
}

inline Datum text_result(const std::string &s) {
  return pg_guard([&] { return PointerGetDatum(cstring_to_text_with_len(s.data(), s.size())); });
}

// Arguments that must not be NULL, in functions that are not STRICT.
inline void require_args(FunctionCallInfo fcinfo, std::initializer_list<int> args, const char *fn) {
  for (int n : args)
    if (PG_ARGISNULL(n))
      throw SqlError(
          ERRCODE_NULL_VALUE_NOT_ALLOWED,
          std::string("argument ") + std::to_string(n + 1) + " of " + fn + " must not be null");
}

}  // namespace pgwasm::pg
