#include "engine/native/source_check.h"

#include <cctype>

namespace pgwasm::engine::native {

namespace {

bool printable(unsigned char c) {
  return c == '\n' || c == '\t' || (c >= 0x20 && c < 0x7f);
}

// A name generated_names makes: a letter, then digits.
bool generated_name(std::string_view s) {
  if (s.empty() || !std::islower(static_cast<unsigned char>(s[0]))) return false;
  for (char c : s.substr(1))
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  return true;
}

std::string where(std::string_view source, size_t at) {
  size_t line = 1;
  for (size_t i = 0; i < at && i < source.size(); i++) line += source[i] == '\n';
  return " at line " + std::to_string(line);
}

// A comment's text: no backslash (a line comment would continue), and each
// quoted name generated.
std::optional<std::string> comment_refusal(std::string_view text) {
  if (text.find('\\') != std::string_view::npos) return "a backslash in a comment";
  for (size_t at = text.find('\''); at != std::string_view::npos;) {
    size_t end = text.find('\'', at + 1);
    if (end == std::string_view::npos) return "an unmatched quote in a comment";
    if (!generated_name(text.substr(at + 1, end - at - 1)))
      return "a name in a comment that the build did not generate";
    at = text.find('\'', end + 1);
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> generated_source_refusal(std::string_view source) {
  for (size_t i = 0; i < source.size(); i++) {
    if (!printable(static_cast<unsigned char>(source[i])))
      return "a byte that is not printable ASCII" + where(source, i);
  }
  if (size_t at = source.find("??"); at != std::string_view::npos)
    return "a trigraph sequence" + where(source, at);
  size_t i = 0;
  while (i < source.size()) {
    char c = source[i];
    char next = i + 1 < source.size() ? source[i + 1] : '\0';
    if (c == '/' && next == '*') {
      size_t end = source.find("*/", i + 2);
      if (end == std::string_view::npos) return "an unterminated comment" + where(source, i);
      if (auto why = comment_refusal(source.substr(i + 2, end - i - 2)))
        return *why + where(source, i);
      i = end + 2;
    } else if (c == '/' && next == '/') {
      size_t end = source.find('\n', i);
      if (end == std::string_view::npos) end = source.size();
      if (auto why = comment_refusal(source.substr(i + 2, end - i - 2)))
        return *why + where(source, i);
      i = end;
    } else if (c == '"') {
      size_t end = source.find('"', i + 1);
      if (end == std::string_view::npos) return "an unterminated string" + where(source, i);
      for (char s : source.substr(i + 1, end - i - 1))
        if (!std::isalnum(static_cast<unsigned char>(s)) && s != '_' && s != '.' && s != '-')
          return "a string literal the build did not generate" + where(source, i);
      i = end + 1;
    } else if (c == '\'') {
      return "a character literal" + where(source, i);
    } else if (c == '\\' && next != '\n') {
      return "a backslash outside a line continuation" + where(source, i);
    } else {
      i++;
    }
  }
  return std::nullopt;
}

}  // namespace pgwasm::engine::native
