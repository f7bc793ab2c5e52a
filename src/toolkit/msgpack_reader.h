// Reading a guest's MessagePack: one value at a time, in place.
//
// A guest's MessagePack is hostile input: five bytes can declare four
// billion elements, and arrays can nest as deep as the bytes go. This reader
// builds nothing: it reads one header at a time, and its caller converts
// each value as it comes, so the host's work and memory follow the bytes
// that are really there. A declared count is checked against the bytes
// left (every element takes at least one) before anyone uses it. It knows
// nothing of PostgreSQL.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace pgwasm::toolkit {

class MsgpackError : public std::runtime_error {
 public:
  MsgpackError(size_t offset, const std::string &what)
      : std::runtime_error(what + " at byte " + std::to_string(offset)), offset(offset) {}
  size_t offset;
};

class MsgpackReader {
 public:
  enum class Type : uint8_t { Nil, Bool, Int, UInt, Float, Str, Bin, Array, Map, Ext };

  // One value's header. An array's elements, or a map's keys and values
  // in turn, are the next values read.
  struct Value {
    Type type = Type::Nil;
    bool boolean = false;
    int64_t i = 0;           // Int: negative numbers
    uint64_t u = 0;          // UInt: non-negative numbers
    double f = 0;            // Float (float 32 widened)
    bool f32 = false;        // it was a float 32
    std::string_view bytes;  // Str, Bin, Ext: the data
    uint32_t count = 0;      // Array: elements; Map: pairs
  };

  explicit MsgpackReader(std::string_view data) : data_(data) {}

  // The next value's header. Throws MsgpackError on truncated data, on the
  // unused type byte 0xc1, and on a count the bytes left cannot hold.
  Value next();

  // Skips one whole value, elements included, without recursion.
  void skip();

  // A map's next key: its bytes when it is a string; otherwise (a key of
  // any other type, an array or a map included) the whole key is skipped
  // and the result is empty. The key's value is the next value either way.
  std::optional<std::string_view> next_key();

  bool at_end() const { return pos_ == data_.size(); }
  size_t offset() const { return pos_; }
  size_t remaining() const { return data_.size() - pos_; }

 private:
  uint64_t big_endian(size_t n);
  std::string_view take(size_t n);
  uint32_t check_count(uint64_t count, uint64_t per_item);

  std::string_view data_;
  size_t pos_ = 0;
};

// A name for a value's type in messages: "nil", "integer", "array of 3", ...
std::string describe(const MsgpackReader::Value &v);

}  // namespace pgwasm::toolkit
