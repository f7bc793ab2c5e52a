// pg_wasm's SDK from C++: templates and lambdas in a guest, no runtime.
#include "pg_wasm.h"

namespace {

template <typename Pred>
int32_t count_if(const char *s, int32_t len, Pred pred) {
  int32_t n = 0;
  for (int32_t i = 0; i < len; i++) n += pred(s[i]) ? 1 : 0;
  return n;
}

constexpr bool is_vowel(char c) {
  return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u';
}

}  // namespace

extern "C" PGW_EXPORT(count_vowels) int32_t count_vowels(const char *s, int32_t len) {
  return count_if(s, len, is_vowel);
}

// Each word capitalised, built in the SDK's output buffer.
extern "C" PGW_EXPORT(title_case) pgw_result title_case(const char *s, int32_t len) {
  pgw_buf *out = pgw_output();
  bool start = true;
  for (int32_t i = 0; i < len; i++) {
    char c = s[i];
    if (start && c >= 'a' && c <= 'z') c = static_cast<char>(c - 32);
    start = c == ' ';
    pgw_putc(out, c);
  }
  return pgw_buf_result(out);
}
