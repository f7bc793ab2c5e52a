#include "toolkit/name_text.h"

namespace pgwasm::toolkit {

namespace {

bool is_control(unsigned char c) {
  return c < 0x20 || c == 0x7F;
}

void append_hex(std::string &out, unsigned char c) {
  static constexpr char kDigits[] = "0123456789abcdef";
  out += '\\';
  out += kDigits[c >> 4];
  out += kDigits[c & 0xF];
}

}  // namespace

std::string quoted_name(std::string_view name) {
  std::string out;
  out.reserve(name.size() + 2);
  out += '"';
  for (char ch : name) {
    auto c = static_cast<unsigned char>(ch);
    if (is_control(c)) {
      append_hex(out, c);
    } else {
      if (ch == '"' || ch == '\\') out += '\\';
      out += ch;
    }
  }
  out += '"';
  return out;
}

std::string escaped_controls(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char ch : text) {
    auto c = static_cast<unsigned char>(ch);
    if (is_control(c))
      append_hex(out, c);
    else
      out += ch;
  }
  return out;
}

}  // namespace pgwasm::toolkit
