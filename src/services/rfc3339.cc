#include "services/rfc3339.h"

#include <stdexcept>

namespace pgwasm::services {

namespace {

constexpr int64_t kMicrosPerSecond = 1'000'000;
constexpr int64_t kMicrosPerDay = 86'400 * kMicrosPerSecond;

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
// days_from_civil: eras of 400 years, March-based years so that the leap
// day comes last).
constexpr int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

struct Civil {
  int64_t year;
  unsigned month, day;
};

// The inverse of days_from_civil.
constexpr Civil civil_from_days(int64_t z) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return {static_cast<int64_t>(yoe) + era * 400 + (m <= 2), m, d};
}

constexpr int64_t kMinMicros = days_from_civil(0, 1, 1) * kMicrosPerDay;
constexpr int64_t kMaxMicros = days_from_civil(10000, 1, 1) * kMicrosPerDay - 1;

constexpr bool is_leap(int64_t y) {
  return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
}

constexpr unsigned days_in_month(int64_t y, unsigned m) {
  constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : kDays[m - 1];
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// `n` digits at `at`, or -1.
int digits(std::string_view s, size_t at, size_t n) {
  if (at + n > s.size()) return -1;
  int v = 0;
  for (size_t i = at; i < at + n; i++) {
    if (!is_digit(s[i])) return -1;
    v = v * 10 + (s[i] - '0');
  }
  return v;
}

int64_t floor_div(int64_t a, int64_t b) {
  return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}

void put(std::string &out, int64_t v, int width) {
  std::string d = std::to_string(v);
  if (static_cast<int>(d.size()) < width) out.append(width - d.size(), '0');
  out += d;
}

}  // namespace

std::optional<int64_t> parse_rfc3339(std::string_view s) {
  // YYYY-MM-DDTHH:MM:SS is 19 characters at fixed places.
  const int year = digits(s, 0, 4), month = digits(s, 5, 2), day = digits(s, 8, 2);
  const int hour = digits(s, 11, 2), minute = digits(s, 14, 2), second = digits(s, 17, 2);
  if (year < 0 || month < 0 || day < 0 || hour < 0 || minute < 0 || second < 0) return std::nullopt;
  if (s[4] != '-' || s[7] != '-' || s[13] != ':' || s[16] != ':') return std::nullopt;
  if (s[10] != 'T' && s[10] != 't' && s[10] != ' ') return std::nullopt;
  if (month < 1 || month > 12 || day < 1 ||
      static_cast<unsigned>(day) > days_in_month(year, static_cast<unsigned>(month)))
    return std::nullopt;
  if (hour > 23 || minute > 59 || second > 60 || (second == 60 && minute != 59))
    return std::nullopt;

  size_t at = 19;
  int64_t micros = 0;
  if (at < s.size() && s[at] == '.') {
    size_t start = ++at;
    while (at < s.size() && is_digit(s[at])) at++;
    size_t n = at - start;
    if (n < 1 || n > 9) return std::nullopt;
    for (size_t i = 0; i < 6; i++) micros = micros * 10 + (i < n ? s[start + i] - '0' : 0);
  }

  int64_t offset_minutes = 0;
  if (at < s.size() && (s[at] == 'Z' || s[at] == 'z')) {
    at++;
  } else if (at < s.size() && (s[at] == '+' || s[at] == '-')) {
    const int oh = digits(s, at + 1, 2), om = digits(s, at + 4, 2);
    if (oh < 0 || om < 0 || s[at + 3] != ':' || oh > 23 || om > 59) return std::nullopt;
    offset_minutes = (s[at] == '-' ? -1 : 1) * (oh * 60 + om);
    at += 6;
  } else {
    return std::nullopt;
  }
  if (at != s.size()) return std::nullopt;

  // A leap second's 60 carries into the next minute by plain arithmetic.
  const int64_t seconds =
      days_from_civil(year, static_cast<unsigned>(month), static_cast<unsigned>(day)) * 86'400 +
      hour * 3600 + minute * 60 + second - offset_minutes * 60;
  const int64_t result = seconds * kMicrosPerSecond + micros;
  if (result < kMinMicros || result > kMaxMicros) return std::nullopt;
  return result;
}

std::string format_rfc3339(int64_t micros) {
  if (micros < kMinMicros || micros > kMaxMicros)
    throw std::out_of_range("the time is outside the years 0000 to 9999");
  const int64_t days = floor_div(micros, kMicrosPerDay);
  const int64_t in_day = micros - days * kMicrosPerDay;  // 0 <= in_day < a day
  const Civil date = civil_from_days(days);
  const int64_t secs = in_day / kMicrosPerSecond, frac = in_day % kMicrosPerSecond;

  std::string out;
  out.reserve(27);
  put(out, date.year, 4);
  out += '-';
  put(out, date.month, 2);
  out += '-';
  put(out, date.day, 2);
  out += 'T';
  put(out, secs / 3600, 2);
  out += ':';
  put(out, secs / 60 % 60, 2);
  out += ':';
  put(out, secs % 60, 2);
  if (frac != 0) {
    out += '.';
    put(out, frac, 6);
  }
  out += 'Z';
  return out;
}

}  // namespace pgwasm::services
