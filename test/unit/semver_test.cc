// FDW guests' host version requirements (src/toolkit/semver.h), as Cargo
// reads them.
#include "toolkit/semver.h"

#include <gtest/gtest.h>

namespace pgwasm::toolkit {
namespace {

bool meets(const char *requirement, Version v) {
  std::string why;
  auto ok = satisfies(requirement, v, why);
  EXPECT_TRUE(ok.has_value()) << requirement << ": " << why;
  return ok.value_or(false);
}

TEST(Semver, CaretKeepsTheLeftmostNonZeroPart) {
  EXPECT_TRUE(meets("^1.0", {1, 0, 0}));
  EXPECT_TRUE(meets("^1.0", {1, 9, 3}));
  EXPECT_FALSE(meets("^1.0", {2, 0, 0}));
  EXPECT_FALSE(meets("^1.2", {1, 1, 9}));
  EXPECT_TRUE(meets("^0.2.3", {0, 2, 9}));
  EXPECT_FALSE(meets("^0.2.3", {0, 3, 0}));
  EXPECT_FALSE(meets("^0.0.3", {0, 0, 4}));
  EXPECT_TRUE(meets("1.0", {1, 4, 0}));  // a bare version is a caret
  EXPECT_FALSE(meets("^2.0", Version{1, 0, 0}));
}

TEST(Semver, TildeEqualsAndRanges) {
  EXPECT_TRUE(meets("~1.2.3", {1, 2, 7}));
  EXPECT_FALSE(meets("~1.2.3", {1, 3, 0}));
  EXPECT_TRUE(meets("~1", {1, 9, 0}));
  EXPECT_TRUE(meets("=1.0", {1, 0, 5}));
  EXPECT_FALSE(meets("=1.0.0", {1, 0, 1}));
  EXPECT_TRUE(meets(">=1.0, <2", {1, 5, 0}));
  EXPECT_FALSE(meets(">=1.0, <2", {2, 0, 0}));
  EXPECT_FALSE(meets(">1.0.0", {1, 0, 0}));
  EXPECT_TRUE(meets("<=1.0.0", {1, 0, 0}));
  EXPECT_TRUE(meets("*", {7, 0, 0}));
}

TEST(Semver, UnreadableRequirementsSayWhy) {
  for (const char *bad : {"", "  ", "^", "1.x", "latest", ">=1.0,", "1.2.3.4", "^99999999"}) {
    std::string why;
    EXPECT_FALSE(satisfies(bad, Version{1, 0, 0}, why).has_value()) << bad;
    EXPECT_FALSE(why.empty()) << bad;
  }
}

}  // namespace
}  // namespace pgwasm::toolkit
