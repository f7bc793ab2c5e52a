#include <cstdint>
#include <span>
#include <string>

#include "pg/guard.h"
#include "pg/sha256.h"

extern "C" {
#include "common/cryptohash.h"
#include "common/sha2.h"
}

namespace pgwasm::pg {

std::string sha256_hex(std::span<const uint8_t> bytes) {
  uint8 digest[PG_SHA256_DIGEST_LENGTH];
  pg_guard([&] {
    pg_cryptohash_ctx *ctx = pg_cryptohash_create(PG_SHA256);
    if (pg_cryptohash_init(ctx) < 0 || pg_cryptohash_update(ctx, bytes.data(), bytes.size()) < 0 ||
        pg_cryptohash_final(ctx, digest, sizeof digest) < 0)
      elog(ERROR, "could not compute SHA-256: %s", pg_cryptohash_error(ctx));
    pg_cryptohash_free(ctx);
  });
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  for (uint8 b : digest) {
    out += hex[b >> 4];
    out += hex[b & 15];
  }
  return out;
}

}  // namespace pgwasm::pg
