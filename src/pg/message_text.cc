#include "pg/message_text.h"

#include <string>

#include "pg/guard.h"

extern "C" {
#include "mb/pg_wchar.h"
}

namespace pgwasm::pg {

namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD in UTF-8

// Valid UTF-8 without zero bytes, at most `max_bytes` long.
std::string clean_utf8(std::string_view in, size_t max_bytes) {
  std::string out;
  out.reserve(std::min(in.size(), max_bytes));
  size_t pos = 0;
  while (pos < in.size()) {
    if (out.size() >= max_bytes) {
      out += "... (" + std::to_string(in.size()) + " bytes in all)";
      break;
    }
    int len = in[pos] == '\0' ? -1
                              : pg_encoding_verifymbchar(PG_UTF8, in.data() + pos,
                                                         static_cast<int>(in.size() - pos));
    if (len <= 0) {
      out += kReplacement;
      pos++;
    } else {
      out.append(in.data() + pos, static_cast<size_t>(len));
      pos += static_cast<size_t>(len);
    }
  }
  return out;
}

// `text` (valid in `from`) in encoding `to`, each character that `to`
// cannot hold replaced by '?'. The conversion is asked not to raise errors.
std::string convert(const std::string &text, int from, int to) {
  if (from == to || to == PG_SQL_ASCII || from == PG_SQL_ASCII) return text;
  Oid proc = pg_guard([&] { return FindDefaultConversionProc(from, to); });
  std::string out;
  size_t pos = 0;
  while (pos < text.size()) {
    if (!OidIsValid(proc)) {
      unsigned char c = static_cast<unsigned char>(text[pos]);
      out += c < 0x80 ? static_cast<char>(c) : '?';
      pos += c < 0x80 ? 1 : static_cast<size_t>(pg_encoding_mblen(from, text.data() + pos));
      continue;
    }
    auto *src = reinterpret_cast<unsigned char *>(const_cast<char *>(text.data() + pos));
    int srclen = static_cast<int>(text.size() - pos);
    // A character grows to at most MAX_CONVERSION_GROWTH bytes.
    std::string buf(static_cast<size_t>(srclen) * MAX_CONVERSION_GROWTH + 1, '\0');
    auto *dest = reinterpret_cast<unsigned char *>(buf.data());
    int done = pg_guard([&] {
      return pg_do_encoding_conversion_buf(proc, from, to, src, srclen, dest,
                                           static_cast<int>(buf.size()), true);
    });
    out.append(buf.c_str());
    pos += static_cast<size_t>(done);
    if (pos < text.size()) {
      // The character here has no equivalent in `to`.
      out += '?';
      pos += static_cast<size_t>(pg_encoding_mblen(from, text.data() + pos));
    }
  }
  return out;
}

}  // namespace

namespace {
const SecretsScope *secrets_in_force = nullptr;
}  // namespace

SecretsScope::SecretsScope(const std::vector<std::string> &secrets)
    : outer_(secrets_in_force), secrets_(secrets) {
  secrets_in_force = this;
}

SecretsScope::~SecretsScope() {
  secrets_in_force = outer_;
}

std::string scrub_secrets(std::string text, const std::vector<std::string> &secrets) {
  for (const auto &secret : secrets) {
    if (secret.size() < 4) continue;
    for (size_t pos = text.find(secret); pos != std::string::npos; pos = text.find(secret, pos + 3))
      text.replace(pos, secret.size(), "***");
  }
  return text;
}

namespace {
std::string fit_for_message(std::string_view utf8, size_t max_bytes);
}  // namespace

std::string message_text(std::string_view utf8, size_t max_bytes) {
  if (!secrets_in_force) return fit_for_message(utf8, max_bytes);
  // Hidden before the text is cut, so that no part of one survives.
  std::string scrubbed(utf8);
  for (const SecretsScope *s = secrets_in_force; s; s = s->outer_)
    scrubbed = scrub_secrets(std::move(scrubbed), s->secrets_);
  return fit_for_message(scrubbed, max_bytes);
}

namespace {

std::string fit_for_message(std::string_view utf8, size_t max_bytes) {
  int server = GetDatabaseEncoding();
  int client = pg_get_client_encoding();
  std::string text = convert(clean_utf8(utf8, max_bytes), PG_UTF8, server);
  // Only characters the client can take as well: round trip through it.
  if (client != server) text = convert(convert(text, server, client), client, server);
  return text;
}

}  // namespace

}  // namespace pgwasm::pg
