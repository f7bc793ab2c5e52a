#include "toolkit/msgpack_reader.h"

#include <bit>
#include <cstring>

namespace pgwasm::toolkit {

uint64_t MsgpackReader::big_endian(size_t n) {
  std::string_view b = take(n);
  uint64_t v = 0;
  for (char c : b) v = (v << 8) | static_cast<uint8_t>(c);
  return v;
}

std::string_view MsgpackReader::take(size_t n) {
  if (n > remaining())
    throw MsgpackError(pos_, "it ends within a value (" + std::to_string(n) + " bytes needed, " +
                                 std::to_string(remaining()) + " left)");
  std::string_view out = data_.substr(pos_, n);
  pos_ += n;
  return out;
}

uint32_t MsgpackReader::check_count(uint64_t count, uint64_t per_item) {
  if (count * per_item > remaining())
    throw MsgpackError(pos_, "it declares " + std::to_string(count) + " elements where only " +
                                 std::to_string(remaining()) + " bytes are left");
  return static_cast<uint32_t>(count);
}

MsgpackReader::Value MsgpackReader::next() {
  size_t start = pos_;
  auto b = static_cast<uint8_t>(take(1)[0]);
  Value v;
  auto str = [&](Type t, uint64_t len) {
    v.type = t;
    v.bytes = take(len);
  };
  auto array = [&](uint64_t n) {
    v.type = Type::Array;
    v.count = check_count(n, 1);
  };
  auto map = [&](uint64_t n) {
    v.type = Type::Map;
    v.count = check_count(n, 2);
  };
  auto ext = [&](uint64_t len) {
    v.type = Type::Ext;
    take(1);  // the extension's type
    v.bytes = take(len);
  };
  auto uint = [&](uint64_t u) {
    v.type = Type::UInt;
    v.u = u;
  };
  auto sint = [&](int64_t i) {
    if (i >= 0) return uint(static_cast<uint64_t>(i));
    v.type = Type::Int;
    v.i = i;
  };
  if (b <= 0x7f) {
    uint(b);
  } else if (b <= 0x8f) {
    map(b & 0x0f);
  } else if (b <= 0x9f) {
    array(b & 0x0f);
  } else if (b <= 0xbf) {
    str(Type::Str, b & 0x1f);
  } else if (b >= 0xe0) {
    sint(static_cast<int8_t>(b));
  } else {
    switch (b) {
      case 0xc0: v.type = Type::Nil; break;
      case 0xc2:
      case 0xc3:
        v.type = Type::Bool;
        v.boolean = b == 0xc3;
        break;
      case 0xc4: str(Type::Bin, big_endian(1)); break;
      case 0xc5: str(Type::Bin, big_endian(2)); break;
      case 0xc6: str(Type::Bin, big_endian(4)); break;
      case 0xc7: ext(big_endian(1)); break;
      case 0xc8: ext(big_endian(2)); break;
      case 0xc9: ext(big_endian(4)); break;
      case 0xca:
        v.type = Type::Float;
        v.f32 = true;
        v.f = std::bit_cast<float>(static_cast<uint32_t>(big_endian(4)));
        break;
      case 0xcb:
        v.type = Type::Float;
        v.f = std::bit_cast<double>(big_endian(8));
        break;
      case 0xcc: uint(big_endian(1)); break;
      case 0xcd: uint(big_endian(2)); break;
      case 0xce: uint(big_endian(4)); break;
      case 0xcf: uint(big_endian(8)); break;
      case 0xd0: sint(static_cast<int8_t>(big_endian(1))); break;
      case 0xd1: sint(static_cast<int16_t>(big_endian(2))); break;
      case 0xd2: sint(static_cast<int32_t>(big_endian(4))); break;
      case 0xd3: sint(static_cast<int64_t>(big_endian(8))); break;
      case 0xd4: ext(1); break;
      case 0xd5: ext(2); break;
      case 0xd6: ext(4); break;
      case 0xd7: ext(8); break;
      case 0xd8: ext(16); break;
      case 0xd9: str(Type::Str, big_endian(1)); break;
      case 0xda: str(Type::Str, big_endian(2)); break;
      case 0xdb: str(Type::Str, big_endian(4)); break;
      case 0xdc: array(big_endian(2)); break;
      case 0xdd: array(big_endian(4)); break;
      case 0xde: map(big_endian(2)); break;
      case 0xdf: map(big_endian(4)); break;
      default: throw MsgpackError(start, "it has the unused type byte 0xc1");
    }
  }
  return v;
}

void MsgpackReader::skip() {
  // Values still to skip; it cannot exceed the bytes left, as each counted
  // element takes a byte.
  uint64_t pending = 1;
  while (pending > 0) {
    Value v = next();
    pending--;
    if (v.type == Type::Array) pending += v.count;
    if (v.type == Type::Map) pending += uint64_t{v.count} * 2;
  }
}

std::optional<std::string_view> MsgpackReader::next_key() {
  Value key = next();
  if (key.type == Type::Str) return key.bytes;
  uint64_t pending = key.type == Type::Array ? key.count
                     : key.type == Type::Map ? uint64_t{key.count} * 2
                                             : 0;
  for (; pending > 0; pending--) skip();
  return std::nullopt;
}

std::string describe(const MsgpackReader::Value &v) {
  using T = MsgpackReader::Type;
  switch (v.type) {
    case T::Nil: return "nil";
    case T::Bool: return "bool";
    case T::Int:
    case T::UInt: return "integer";
    case T::Float: return "float";
    case T::Str: return "str";
    case T::Bin: return "bin";
    case T::Array: return "array of " + std::to_string(v.count);
    case T::Map: return "map";
    case T::Ext: return "ext";
  }
  return "value";
}

}  // namespace pgwasm::toolkit
