// A bounds-checked reader of a component's bytes: LEB128 integers, names
// and counts, each checked against the bytes left before anything is
// allocated. Offsets are from the component's first byte.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "component/errors.h"

namespace pgwasm::component {

[[noreturn]] void malformed(size_t offset, std::string message);
[[noreturn]] void invalid(size_t offset, std::string message);
[[noreturn]] void unsupported(size_t offset, std::string message);

class Cursor {
 public:
  Cursor(std::span<const uint8_t> all, size_t begin, size_t end)
      : all_(all), pos_(begin), end_(end) {}

  size_t offset() const { return pos_; }
  size_t end() const { return end_; }
  size_t left() const { return end_ - pos_; }
  bool done() const { return pos_ == end_; }

  uint8_t byte(const char *what);
  uint8_t peek(const char *what) const;
  uint32_t u32(const char *what);
  // A signed LEB128 of at most 33 bits (the encoding of a valtype): a
  // negative one-byte value is a type code, returned in `code`; else the
  // non-negative index.
  bool s33(const char *what, uint32_t *index, uint8_t *code);
  // A count of items each taking at least `min_item_bytes`: refused when
  // the bytes left cannot hold them, so that no vector is sized from it.
  uint32_t count(const char *what, size_t min_item_bytes = 1);
  // A length-prefixed UTF-8 string.
  std::string name(const char *what);
  // `n` bytes, as a view; advances past them.
  std::span<const uint8_t> bytes(size_t n, const char *what);

 private:
  std::span<const uint8_t> all_;
  size_t pos_, end_;
};

}  // namespace pgwasm::component
