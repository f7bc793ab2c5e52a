// CRC-32 (IEEE 802.3, as zlib and PNG compute it) of a bytea.
//
//   CREATE FUNCTION crc32(bytea) RETURNS int8 LANGUAGE wasm STRICT AS 'crc32';
//   SELECT crc32('123456789');  -- 3421780262
#include "pg_wasm.h"

static uint32_t table[256];

static void init_table(void) {
  for (uint32_t n = 0; n < 256; n++) {
    uint32_t c = n;
    for (int k = 0; k < 8; k++) c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    table[n] = c;
  }
}

PGW_EXPORT(crc32) int64_t crc32(const unsigned char *p, int32_t len) {
  if (table[1] == 0) init_table();
  uint32_t c = 0xFFFFFFFFu;
  for (int32_t i = 0; i < len; i++) c = table[(c ^ p[i]) & 0xFF] ^ (c >> 8);
  return (int64_t)(c ^ 0xFFFFFFFFu);
}
