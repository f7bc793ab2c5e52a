#include "component/cursor.h"

#include <string_view>

#include "toolkit/utf8.h"

namespace pgwasm::component {

void malformed(size_t offset, std::string message) {
  throw ComponentError(ComponentError::Kind::Malformed, offset, std::move(message));
}
void invalid(size_t offset, std::string message) {
  throw ComponentError(ComponentError::Kind::Invalid, offset, std::move(message));
}
void unsupported(size_t offset, std::string message) {
  throw ComponentError(ComponentError::Kind::Unsupported, offset, std::move(message));
}

static std::string expected(const char *what) {
  return std::string("expected ") + what;
}

uint8_t Cursor::byte(const char *what) {
  if (pos_ >= end_) malformed(pos_, expected(what) + ", found the end of the bytes");
  return all_[pos_++];
}

uint8_t Cursor::peek(const char *what) const {
  if (pos_ >= end_) malformed(pos_, expected(what) + ", found the end of the bytes");
  return all_[pos_];
}

uint32_t Cursor::u32(const char *what) {
  size_t start = pos_;
  uint32_t value = 0;
  for (int shift = 0;; shift += 7) {
    uint8_t b = byte(what);
    // The fifth byte holds the top 4 bits: anything above is out of range.
    if (shift == 28 && (b & 0xf0) != 0)
      malformed(start, expected(what) + " (an unsigned LEB128 of 32 bits), found one too large");
    value |= uint32_t(b & 0x7f) << shift;
    if (!(b & 0x80)) return value;
  }
}

bool Cursor::s33(const char *what, uint32_t *index, uint8_t *code) {
  size_t start = pos_;
  uint8_t first = peek(what);
  if (!(first & 0x80) && (first & 0x40)) {  // one byte, negative: a type code
    *code = byte(what);
    return false;
  }
  int64_t value = 0;
  int shift = 0;
  uint8_t b;
  do {
    if (shift >= 35)
      malformed(start, expected(what) + " (a signed LEB128 of 33 bits), found one too long");
    b = byte(what);
    value |= int64_t(b & 0x7f) << shift;
    shift += 7;
  } while (b & 0x80);
  if (shift < 64 && (b & 0x40)) value |= -(int64_t(1) << shift);
  if (value < 0 || value > int64_t(UINT32_MAX))
    malformed(start, expected(what) + ", found a type code of several bytes or an index too large");
  *index = static_cast<uint32_t>(value);
  return true;
}

uint32_t Cursor::count(const char *what, size_t min_item_bytes) {
  size_t start = pos_;
  uint32_t n = u32(what);
  if (uint64_t(n) * min_item_bytes > left())
    malformed(start, std::string("a count of ") + std::to_string(n) + " " + what +
                         " cannot fit in the " + std::to_string(left()) + " bytes left");
  return n;
}

std::string Cursor::name(const char *what) {
  size_t start = pos_;
  uint32_t n = u32(what);
  if (n > left())
    malformed(start, std::string("a name of ") + std::to_string(n) + " bytes (" + what +
                         ") cannot fit in the " + std::to_string(left()) + " bytes left");
  std::span<const uint8_t> s = all_.subspan(pos_, n);
  if (!toolkit::utf8_valid(std::string_view(reinterpret_cast<const char *>(s.data()), s.size())))
    malformed(start, expected(what) + " in UTF-8");
  pos_ += n;
  return std::string(s.begin(), s.end());
}

std::span<const uint8_t> Cursor::bytes(size_t n, const char *what) {
  if (n > left())
    malformed(pos_, std::string(what) + " of " + std::to_string(n) + " bytes cannot fit in the " +
                        std::to_string(left()) + " bytes left");
  std::span<const uint8_t> s = all_.subspan(pos_, n);
  pos_ += n;
  return s;
}

}  // namespace pgwasm::component
