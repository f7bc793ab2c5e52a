// SHA-256 (OpenSSL's), for code digests and cache keys.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <span>
#include <string>
#include <string_view>

typedef struct evp_md_ctx_st EVP_MD_CTX;

namespace pgwasm::toolkit {

// A digest of several parts fed in turn. Throws std::runtime_error if
// OpenSSL cannot compute it (out of memory).
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256 &) = delete;
  Sha256 &operator=(const Sha256 &) = delete;

  Sha256 &update(std::span<const uint8_t> bytes);
  Sha256 &update(std::string_view bytes);
  // The 32 bytes of the digest; the object is spent.
  std::string digest();
  // The digest in lower-case hex; the object is spent.
  std::string hex();

 private:
  EVP_MD_CTX *ctx_;
};

// Lower-case hex digest of `bytes`.
std::string sha256_hex(std::span<const uint8_t> bytes);
// Of `first`, a NUL byte, then `second` (bytes and what they were made
// with, as one key).
std::string sha256_hex(std::span<const uint8_t> first, std::string_view second);

// HMAC-SHA-256 of the parts fed in turn, under `key`: 32 bytes.
std::string hmac_sha256(std::string_view key,
                        std::initializer_list<std::span<const uint8_t>> parts);

// Lower-case hex of bytes.
std::string to_hex(std::string_view bytes);

}  // namespace pgwasm::toolkit
