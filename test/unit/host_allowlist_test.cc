// The host allowlist (src/services/host_allowlist.*): which hosts and ports
// wasm.http_allowed_hosts and a server's http_allowed_hosts let a guest reach.
#include <gtest/gtest.h>

#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "services/host_allowlist.h"
#include "error_of.h"

using namespace pgwasm::services;

TEST(Allowlist, ExactHostIsCaseInsensitive) {
  auto list = HostAllowlist::parse("API.Example.com");
  EXPECT_TRUE(list.allows("api.example.COM", 443));
  EXPECT_TRUE(list.allows("api.example.com.", 80));  // the absolute form
  EXPECT_FALSE(list.allows("example.com", 443));
  EXPECT_FALSE(list.allows("x.api.example.com", 443));
  EXPECT_FALSE(list.allows("api.example.com.evil", 443));
}

TEST(Allowlist, WildcardMatchesSubdomainsOnly) {
  auto list = HostAllowlist::parse("*.example.com");
  EXPECT_TRUE(list.allows("a.example.com", 443));
  EXPECT_TRUE(list.allows("a.b.c.EXAMPLE.com", 443));
  EXPECT_FALSE(list.allows("example.com", 443));
  EXPECT_FALSE(list.allows("badexample.com", 443));
  EXPECT_FALSE(list.allows("example.com.evil.org", 443));
}

TEST(Allowlist, PortRestrictsAndItsAbsenceAllowsAny) {
  auto list = HostAllowlist::parse("127.0.0.1:8080, api.example.com");
  EXPECT_TRUE(list.allows("127.0.0.1", 8080));
  EXPECT_FALSE(list.allows("127.0.0.1", 80));
  EXPECT_FALSE(list.allows("127.0.0.2", 8080));
  EXPECT_TRUE(list.allows("api.example.com", 1));
  EXPECT_TRUE(list.allows("api.example.com", 65535));
  EXPECT_FALSE(list.allows("api.example.com", 0));
  EXPECT_FALSE(list.allows("api.example.com", 65536));
}

TEST(Allowlist, StarAllowsAnyHost) {
  auto any = HostAllowlist::parse("*");
  EXPECT_TRUE(any.allows("anything.example", 1234));
  EXPECT_TRUE(any.allows("[::1]", 80));
  auto https_only = HostAllowlist::parse("*:443");
  EXPECT_TRUE(https_only.allows("x.org", 443));
  EXPECT_FALSE(https_only.allows("x.org", 80));
}

TEST(Allowlist, Ipv6LiteralsInBrackets) {
  auto list = HostAllowlist::parse("[::1], [2001:db8::1]:8443");
  EXPECT_TRUE(list.allows("[::1]", 80));
  EXPECT_TRUE(list.allows("::1", 80));
  EXPECT_TRUE(list.allows("[0:0::1]", 80));  // the same address, written otherwise
  EXPECT_TRUE(list.allows("[2001:DB8::1]", 8443));
  EXPECT_FALSE(list.allows("[2001:db8::1]", 443));
  EXPECT_FALSE(list.allows("[::2]", 80));
  EXPECT_EQ(list.to_string(), "[::1], [2001:db8::1]:8443");
}

TEST(Allowlist, WhitespaceTrimmedAndEmptyEntriesIgnored) {
  auto list = HostAllowlist::parse("  a.com ,, \t b.com:81 ,  ");
  EXPECT_EQ(list.to_string(), "a.com, b.com:81");
  EXPECT_TRUE(list.allows("b.com", 81));
}

TEST(Allowlist, EmptyListAllowsNothing) {
  for (std::string_view text : {"", "  ", " , ,"}) {
    auto list = HostAllowlist::parse(text);
    EXPECT_TRUE(list.empty());
    EXPECT_FALSE(list.allows("127.0.0.1", 80));
    EXPECT_EQ(list.to_string(), "");
  }
  EXPECT_FALSE(HostAllowlist().allows("x", 80));
}

TEST(Allowlist, MalformedEntriesAreRefusedByName) {
  for (std::string entry :
       {"a.com:0", "a.com:65536", "a.com:",  "a.com:8x", ":80",          "a.*.com",      "*a.com",
        "a*",      "*.",          "*.*.com", "a b.com",  "exa$mple.com", "ex/ample.com", "[::1",
        "[::1]x",  "::1",         "[]",      "[::g]",    "a..com",       "*.10.0.0.1"}) {
    std::string message = pgwasm::test::error_of<std::invalid_argument>(
        [&] { HostAllowlist::parse("ok.example.com, " + entry); });
    EXPECT_NE(message.find("\"" + entry + "\""), std::string::npos) << entry << ": " << message;
  }
}
