// Import and export names of components (src/component/names.h).
#include <gtest/gtest.h>

#include "component/names.h"

using namespace pgwasm::component;

TEST(ComponentNames, InterfaceNames) {
  auto n = parse_extern_name("supabase:wrappers/http@0.1.0");
  ASSERT_TRUE(n);
  EXPECT_EQ(n->kind, ExternName::Kind::Interface);
  EXPECT_EQ(n->namespace_, "supabase");
  EXPECT_EQ(n->package, "wrappers");
  EXPECT_EQ(n->interface, "http");
  EXPECT_EQ(n->version, "0.1.0");

  n = parse_extern_name("wasi:io/streams");
  ASSERT_TRUE(n);
  EXPECT_EQ(n->interface, "streams");
  EXPECT_EQ(n->version, "");
  EXPECT_TRUE(parse_extern_name("a:b/c@1.2.3-rc.1+build.5"));
}

TEST(ComponentNames, PlainNames) {
  auto n = parse_extern_name("http");
  ASSERT_TRUE(n);
  EXPECT_EQ(n->kind, ExternName::Kind::Plain);
  EXPECT_EQ(n->label, "http");

  n = parse_extern_name("[method]context.get-options");
  ASSERT_TRUE(n);
  EXPECT_EQ(n->annotation, ExternName::Annotation::Method);
  EXPECT_EQ(n->resource, "context");
  EXPECT_EQ(n->label, "get-options");

  n = parse_extern_name("[constructor]row");
  ASSERT_TRUE(n);
  EXPECT_EQ(n->annotation, ExternName::Annotation::Constructor);
  EXPECT_EQ(n->resource, "row");

  n = parse_extern_name("[static]sort.new");
  ASSERT_TRUE(n);
  EXPECT_EQ(n->annotation, ExternName::Annotation::Static);
  EXPECT_TRUE(parse_extern_name("import-type-fdw-result0"));
  EXPECT_TRUE(parse_extern_name("HTTP-get"));
}

TEST(ComponentNames, Refused) {
  std::string why;
  for (const char *bad : {"", "Http", "http_get", "-http", "http-", "a--b", "0abc", "a:b", "a:b/",
                          "a:b/c@1.2", "a:b/c@x.y.z", ":b/c", "[method]context", "[method].get",
                          "[constructor]", "[bogus]x", "a b"}) {
    why.clear();
    EXPECT_FALSE(parse_extern_name(bad, &why)) << bad;
    EXPECT_FALSE(why.empty()) << bad;
  }
}
