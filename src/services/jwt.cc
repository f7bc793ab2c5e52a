#include "services/jwt.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>

#include <climits>
#include <memory>
#include <stdexcept>
#include <vector>

namespace pgwasm::services {

namespace {

struct BioDeleter {
  void operator()(BIO *b) const { BIO_free(b); }
};
struct PkeyDeleter {
  void operator()(EVP_PKEY *k) const { EVP_PKEY_free(k); }
};
struct MdCtxDeleter {
  void operator()(EVP_MD_CTX *c) const { EVP_MD_CTX_free(c); }
};
using Bio = std::unique_ptr<BIO, BioDeleter>;
using Pkey = std::unique_ptr<EVP_PKEY, PkeyDeleter>;
using MdCtx = std::unique_ptr<EVP_MD_CTX, MdCtxDeleter>;

// An OpenSSL failure, with the error queue left empty for whoever calls
// OpenSSL next in this thread (the backend may use it for its own TLS).
[[noreturn]] void fail(const std::string &message) {
  ERR_clear_error();
  throw std::invalid_argument(message);
}

std::string_view trim(std::string_view s) {
  auto space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  while (!s.empty() && space(s.front())) s.remove_prefix(1);
  while (!s.empty() && space(s.back())) s.remove_suffix(1);
  return s;
}

// The members of a JSON object's text, without its braces; throws when the
// text is not braced.
std::string_view object_members(std::string_view json, const char *what) {
  json = trim(json);
  if (json.size() < 2 || json.front() != '{' || json.back() != '}')
    throw std::invalid_argument(std::string(what) + " must be a JSON object");
  return trim(json.substr(1, json.size() - 2));
}

// Whether the members name `key` ("\"alg\"" followed by a colon): a textual
// check, enough for the host's own JSON writer's output.
bool has_member(std::string_view members, std::string_view quoted_key) {
  for (size_t at = members.find(quoted_key); at != std::string_view::npos;
       at = members.find(quoted_key, at + 1)) {
    std::string_view rest = trim(members.substr(at + quoted_key.size()));
    if (!rest.empty() && rest.front() == ':') return true;
  }
  return false;
}

std::vector<unsigned char> hs256(std::string_view key, std::string_view data) {
  if (key.empty()) throw std::invalid_argument("the HS256 key is empty");
  if (key.size() > INT_MAX) throw std::invalid_argument("the HS256 key is too long");
  std::vector<unsigned char> mac(EVP_MAX_MD_SIZE);
  unsigned int len = 0;
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char *>(data.data()), data.size(), mac.data(),
           &len) == nullptr)
    fail("HMAC-SHA256 failed");
  mac.resize(len);
  return mac;
}

// A passphrase callback that refuses: an encrypted key is an error, not a
// prompt on the server's terminal.
int no_passphrase(char *, int, int, void *) {
  return -1;
}

std::vector<unsigned char> rs256(std::string_view pem, std::string_view data) {
  if (pem.size() > INT_MAX) throw std::invalid_argument("the RS256 key is too long");
  ERR_clear_error();
  Bio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) fail("out of memory reading the RS256 key");
  Pkey key(PEM_read_bio_PrivateKey(bio.get(), nullptr, no_passphrase, nullptr));
  if (!key) fail("the RS256 key is not a PEM private key (or it is encrypted)");
  if (!EVP_PKEY_is_a(key.get(), "RSA")) fail("the RS256 key is not an RSA key");
  MdCtx ctx(EVP_MD_CTX_new());
  if (!ctx) fail("out of memory signing with RS256");
  size_t len = 0;
  const auto *bytes = reinterpret_cast<const unsigned char *>(data.data());
  if (EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key.get()) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &len, bytes, data.size()) != 1)
    fail("RS256 signing failed");
  std::vector<unsigned char> sig(len);
  if (EVP_DigestSign(ctx.get(), sig.data(), &len, bytes, data.size()) != 1)
    fail("RS256 signing failed");
  sig.resize(len);
  return sig;
}

}  // namespace

std::string base64url(std::span<const unsigned char> bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    uint32_t v = (uint32_t{bytes[i]} << 16) | (uint32_t{bytes[i + 1]} << 8) | bytes[i + 2];
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (size_t rest = bytes.size() - i; rest > 0) {
    uint32_t v = uint32_t{bytes[i]} << 16;
    if (rest == 2) v |= uint32_t{bytes[i + 1]} << 8;
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    if (rest == 2) out += kAlphabet[(v >> 6) & 63];
  }
  return out;
}

std::string base64url(std::string_view bytes) {
  return base64url(std::span(reinterpret_cast<const unsigned char *>(bytes.data()), bytes.size()));
}

std::string jwt_sign(std::string_view alg, std::string_view key, std::string_view header_extra,
                     std::string_view claims_json) {
  if (alg != "HS256" && alg != "RS256")
    throw std::invalid_argument("the JWT algorithm must be HS256 or RS256");
  std::string_view extra = trim(header_extra).empty()
                               ? std::string_view()
                               : object_members(header_extra, "the JWT header");
  object_members(claims_json, "the JWT claims");
  if (has_member(extra, "\"alg\""))
    throw std::invalid_argument("the JWT header may not set \"alg\"");

  std::string header = "{\"alg\":\"" + std::string(alg) + "\"";
  if (!has_member(extra, "\"typ\"")) header += ",\"typ\":\"JWT\"";
  if (!extra.empty()) header += "," + std::string(extra);
  header += "}";

  std::string signing_input = base64url(header) + "." + base64url(trim(claims_json));
  std::vector<unsigned char> signature =
      alg == "HS256" ? hs256(key, signing_input) : rs256(key, signing_input);
  return signing_input + "." + base64url(signature);
}

}  // namespace pgwasm::services
