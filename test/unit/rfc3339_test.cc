// RFC 3339 times for FDW guests (src/services/rfc3339.*): parsing to
// microseconds since 1970 and formatting back, over years 0 to 9999.
#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "services/rfc3339.h"

using namespace pgwasm::services;

TEST(Rfc3339, KnownInstants) {
  // Expected values from Python's datetime (timestamp() * 10**6), and for
  // year 0 from 0001-01-01's -62135596800 s less the 366 days of leap year 0.
  EXPECT_EQ(parse_rfc3339("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(parse_rfc3339("2024-05-01T12:00:00Z"), 1714564800000000);
  EXPECT_EQ(parse_rfc3339("2024-05-01t12:00:00z"), 1714564800000000);
  EXPECT_EQ(parse_rfc3339("2024-05-01 12:00:00Z"), 1714564800000000);
  EXPECT_EQ(parse_rfc3339("2024-05-01T12:00:00+02:00"), 1714557600000000);
  EXPECT_EQ(parse_rfc3339("2024-05-01T12:00:00-00:00"), 1714564800000000);
  EXPECT_EQ(parse_rfc3339("2024-05-01T06:30:00-05:30"), 1714564800000000);
  EXPECT_EQ(parse_rfc3339("1969-12-31T23:59:59.999999Z"), -1);
  EXPECT_EQ(parse_rfc3339("2000-02-29T00:00:00Z"), 951782400000000);
  EXPECT_EQ(parse_rfc3339("0000-01-01T00:00:00Z"), -62167219200000000);
  EXPECT_EQ(parse_rfc3339("9999-12-31T23:59:59.999999Z"), 253402300799999999);
}

TEST(Rfc3339, Fractions) {
  EXPECT_EQ(parse_rfc3339("1970-01-01T00:00:00.5Z"), 500000);
  EXPECT_EQ(parse_rfc3339("1970-01-01T00:00:00.000001Z"), 1);
  EXPECT_EQ(parse_rfc3339("1970-01-01T00:00:00.123456789Z"), 123456);  // truncated
  EXPECT_EQ(parse_rfc3339("1969-12-31T23:59:59.0000019Z"), -999999);
  EXPECT_EQ(parse_rfc3339("1970-01-01T00:00:00.Z"), std::nullopt);
  EXPECT_EQ(parse_rfc3339("1970-01-01T00:00:00.1234567890Z"), std::nullopt);
}

TEST(Rfc3339, LeapYearsAndDays) {
  EXPECT_TRUE(parse_rfc3339("2024-02-29T00:00:00Z"));
  EXPECT_TRUE(parse_rfc3339("2000-02-29T00:00:00Z"));
  EXPECT_TRUE(parse_rfc3339("0000-02-29T00:00:00Z"));
  EXPECT_FALSE(parse_rfc3339("2023-02-29T00:00:00Z"));
  EXPECT_FALSE(parse_rfc3339("1900-02-29T00:00:00Z"));
  EXPECT_FALSE(parse_rfc3339("2024-04-31T00:00:00Z"));
  EXPECT_FALSE(parse_rfc3339("2024-01-32T00:00:00Z"));
  EXPECT_FALSE(parse_rfc3339("2024-00-01T00:00:00Z"));
  EXPECT_FALSE(parse_rfc3339("2024-13-01T00:00:00Z"));
  EXPECT_FALSE(parse_rfc3339("2024-01-00T00:00:00Z"));
}

TEST(Rfc3339, LeapSecondIsTheNextSecond) {
  EXPECT_EQ(parse_rfc3339("2016-12-31T23:59:60Z"), parse_rfc3339("2017-01-01T00:00:00Z"));
  EXPECT_EQ(parse_rfc3339("2016-12-31T23:59:60.5Z"), parse_rfc3339("2017-01-01T00:00:00.5Z"));
  EXPECT_FALSE(parse_rfc3339("2016-12-31T23:58:60Z"));
  EXPECT_FALSE(parse_rfc3339("2016-12-31T23:59:61Z"));
}

TEST(Rfc3339, BadInputs) {
  for (std::string_view s : {"",
                             "2024-05-01",
                             "2024-05-01T12:00:00",
                             "2024-05-01T12:00Z",
                             "2024-5-01T12:00:00Z",
                             "2024-05-01X12:00:00Z",
                             "2024-05-01T24:00:00Z",
                             "2024-05-01T12:60:00Z",
                             "2024-05-01T12:00:00+24:00",
                             "2024-05-01T12:00:00+05:60",
                             "2024-05-01T12:00:00+0530",
                             "2024-05-01T12:00:00+05",
                             "2024-05-01T12:00:00Z ",
                             " 2024-05-01T12:00:00Z",
                             "2024-05-01T12:00:00ZZ",
                             "+2024-05-01T12:00:00Z",
                             "20240-05-01T12:00:00Z",
                             "2024/05/01T12:00:00Z",
                             "2024-05-01T12:00:00UTC",
                             "2024-05-01T1a:00:00Z",
                             "0000-01-01T00:00:00+00:01",
                             "9999-12-31T23:59:59-00:01"})
    EXPECT_EQ(parse_rfc3339(s), std::nullopt) << s;
}

TEST(Rfc3339, Format) {
  EXPECT_EQ(format_rfc3339(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(format_rfc3339(1714564800000000), "2024-05-01T12:00:00Z");
  EXPECT_EQ(format_rfc3339(1714564800500000), "2024-05-01T12:00:00.500000Z");
  EXPECT_EQ(format_rfc3339(-1), "1969-12-31T23:59:59.999999Z");
  EXPECT_EQ(format_rfc3339(-1000000), "1969-12-31T23:59:59Z");
  EXPECT_EQ(format_rfc3339(951782400000000), "2000-02-29T00:00:00Z");
  EXPECT_EQ(format_rfc3339(-62167219200000000), "0000-01-01T00:00:00Z");
  EXPECT_EQ(format_rfc3339(253402300799999999), "9999-12-31T23:59:59.999999Z");
  EXPECT_THROW(format_rfc3339(-62167219200000001), std::out_of_range);
  EXPECT_THROW(format_rfc3339(253402300800000000), std::out_of_range);
  EXPECT_THROW(format_rfc3339(INT64_MIN), std::out_of_range);
}

TEST(Rfc3339, RoundTrips) {
  const int64_t lo = -62167219200000000, hi = 253402300799999999;
  uint64_t x = 88172645463325252ull;  // xorshift: spread over the whole range
  for (int i = 0; i < 200000; i++) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    int64_t v = lo + static_cast<int64_t>(x % static_cast<uint64_t>(hi - lo + 1));
    if (i % 2) v -= v % 1000000;  // whole seconds too
    std::string text = format_rfc3339(v);
    ASSERT_EQ(parse_rfc3339(text), v) << text;
  }
  for (int64_t day = -800000; day < 3000000; day += 97) {
    int64_t v = day * 86400000000;
    if (v < lo || v > hi) continue;
    ASSERT_EQ(parse_rfc3339(format_rfc3339(v)), v) << v;
  }
}
