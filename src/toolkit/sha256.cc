#include "toolkit/sha256.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <stdexcept>

namespace pgwasm::toolkit {

namespace {

[[noreturn]] void fail() {
  throw std::runtime_error("cannot compute a sha256");
}

}  // namespace

Sha256::Sha256() : ctx_(EVP_MD_CTX_new()) {
  if (!ctx_) fail();
  if (!EVP_DigestInit_ex(ctx_, EVP_sha256(), nullptr)) {
    EVP_MD_CTX_free(ctx_);
    fail();
  }
}

Sha256::~Sha256() {
  EVP_MD_CTX_free(ctx_);
}

Sha256 &Sha256::update(std::span<const uint8_t> bytes) {
  if (!EVP_DigestUpdate(ctx_, bytes.data(), bytes.size())) fail();
  return *this;
}

Sha256 &Sha256::update(std::string_view bytes) {
  if (!EVP_DigestUpdate(ctx_, bytes.data(), bytes.size())) fail();
  return *this;
}

std::string Sha256::digest() {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (!EVP_DigestFinal_ex(ctx_, out, &len)) fail();
  return std::string(reinterpret_cast<char *>(out), len);
}

std::string Sha256::hex() {
  return to_hex(digest());
}

std::string sha256_hex(std::span<const uint8_t> bytes) {
  return Sha256().update(bytes).hex();
}

std::string sha256_hex(std::span<const uint8_t> first, std::string_view second) {
  return Sha256().update(first).update(std::string_view("\0", 1)).update(second).hex();
}

std::string hmac_sha256(std::string_view key,
                        std::initializer_list<std::span<const uint8_t>> parts) {
  std::unique_ptr<EVP_MAC, decltype(&EVP_MAC_free)> mac(EVP_MAC_fetch(nullptr, "HMAC", nullptr),
                                                        EVP_MAC_free);
  std::unique_ptr<EVP_MAC_CTX, decltype(&EVP_MAC_CTX_free)> ctx(
      mac ? EVP_MAC_CTX_new(mac.get()) : nullptr, EVP_MAC_CTX_free);
  char digest[] = "SHA256";
  OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string("digest", digest, 0),
                         OSSL_PARAM_construct_end()};
  unsigned char out[EVP_MAX_MD_SIZE];
  size_t len = 0;
  bool ok = ctx && EVP_MAC_init(ctx.get(), reinterpret_cast<const unsigned char *>(key.data()),
                                key.size(), params) == 1;
  for (auto part : parts) ok = ok && EVP_MAC_update(ctx.get(), part.data(), part.size()) == 1;
  ok = ok && EVP_MAC_final(ctx.get(), out, &len, sizeof out) == 1;
  if (!ok) throw std::runtime_error("HMAC-SHA-256 failed");
  return std::string(reinterpret_cast<const char *>(out), len);
}

std::string to_hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char b : bytes) {
    out += kDigits[b >> 4];
    out += kDigits[b & 15];
  }
  return out;
}

}  // namespace pgwasm::toolkit
