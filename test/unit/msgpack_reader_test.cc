// The bounded MessagePack reader (src/toolkit/msgpack_reader.h), on its own.
#include <gtest/gtest.h>

#include <string>

#include "toolkit/msgpack_reader.h"

using pgwasm::toolkit::MsgpackError;
using pgwasm::toolkit::MsgpackReader;
using Type = MsgpackReader::Type;

static std::string bytes(std::initializer_list<int> b) {
  std::string s;
  for (int c : b) s.push_back(static_cast<char>(c));
  return s;
}

TEST(MsgpackReader, ReadsEveryKind) {
  std::string data =
      bytes({0x9f, 0x05, 0xe0, 0xcc, 0xff, 0xd1, 0x80, 0x00, 0xcb, 0x40, 0x09, 0x21,
             0xfb, 0x54, 0x44, 0x2d, 0x18, 0xc0, 0xc3, 0xa2, 'h',  'i',  0xc4, 0x01,
             0x07, 0x81, 0x01, 0x02, 0xd4, 0x05, 0x09, 0xdc, 0x00, 0x00, 0xcf, 0xff,
             0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xca, 0x3f, 0x80, 0x00, 0x00});
  MsgpackReader r(data);
  auto v = r.next();
  ASSERT_EQ(v.type, Type::Array);
  EXPECT_EQ(v.count, 15u);
  EXPECT_EQ(r.next().u, 5u);
  EXPECT_EQ(r.next().i, -32);
  EXPECT_EQ(r.next().u, 255u);
  EXPECT_EQ(r.next().i, -32768);
  EXPECT_DOUBLE_EQ(r.next().f, 3.141592653589793);
  EXPECT_EQ(r.next().type, Type::Nil);
  EXPECT_TRUE(r.next().boolean);
  EXPECT_EQ(r.next().bytes, "hi");
  EXPECT_EQ(r.next().bytes, std::string(1, '\x07'));
  auto map = r.next();
  EXPECT_EQ(map.type, Type::Map);
  r.next();
  r.next();
  auto ext = r.next();
  EXPECT_EQ(ext.type, Type::Ext);
  EXPECT_EQ(ext.bytes, std::string(1, '\x09'));
  EXPECT_EQ(r.next().count, 0u);
  EXPECT_EQ(r.next().u, UINT64_MAX);
  auto f = r.next();
  EXPECT_TRUE(f.f32);
  EXPECT_EQ(f.f, 1.0);
  EXPECT_TRUE(r.at_end());
}

TEST(MsgpackReader, RefusesCountsTheBytesCannotHold) {
  // Four billion elements declared in five bytes: refused at once.
  std::string huge = bytes({0xdd, 0xff, 0xff, 0xff, 0xff});
  MsgpackReader r(huge);
  EXPECT_THROW(r.next(), MsgpackError);
  std::string map = bytes({0x83, 0x01, 0x02, 0x03, 0x04});  // 3 pairs need 6 bytes
  MsgpackReader m(map);
  EXPECT_THROW(m.next(), MsgpackError);
  std::string str = bytes({0xdb, 0x7f, 0xff, 0xff, 0xff, 'x'});
  MsgpackReader s(str);
  EXPECT_THROW(s.next(), MsgpackError);
}

TEST(MsgpackReader, RefusesTruncationAndTheUnusedByte) {
  for (std::string data : {bytes({0xcd, 0x01}), bytes({0xc1}), bytes({}), bytes({0xd8, 0x01})}) {
    MsgpackReader r(data);
    EXPECT_THROW(r.next(), MsgpackError) << data.size();
  }
}

TEST(MsgpackReader, SkipsDeepNestingWithoutRecursion) {
  // A million nested one-element arrays around a nil.
  std::string deep(1'000'000, static_cast<char>(0x91));
  deep.push_back(static_cast<char>(0xc0));
  MsgpackReader r(deep);
  r.skip();
  EXPECT_TRUE(r.at_end());
}

// A map's keys: a string's bytes; any other key, an array or a map
// included, skipped whole, so that the next value is the key's value.
TEST(MsgpackReader, MapKeysOfAnyType) {
  // {"a": 1, [1, {2: 3}]: 4, 5: 6}
  std::string data = bytes({0x83, 0xa1, 'a', 0x01, 0x92, 0x01, 0x81, 0x02, 0x03, 0x04, 0x05, 0x06});
  MsgpackReader r(data);
  EXPECT_EQ(r.next().count, 3u);
  EXPECT_EQ(r.next_key(), "a");
  EXPECT_EQ(r.next().u, 1u);
  EXPECT_EQ(r.next_key(), std::nullopt);
  EXPECT_EQ(r.next().u, 4u);
  EXPECT_EQ(r.next_key(), std::nullopt);
  EXPECT_EQ(r.next().u, 6u);
  EXPECT_TRUE(r.at_end());
}
