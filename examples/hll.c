// An aggregate: approximate distinct counts with HyperLogLog (Flajolet et
// al. 2007), its state a bytea of 2^11 one-byte registers (standard error
// about 2.3%), mergeable for parallel aggregation.
//
//   CREATE FUNCTION hll_add(bytea, text) RETURNS bytea LANGUAGE wasm STRICT PARALLEL SAFE AS 'hll';
//   CREATE FUNCTION hll_merge(bytea, bytea) RETURNS bytea LANGUAGE wasm STRICT PARALLEL SAFE AS
//   'hll'; CREATE FUNCTION hll_count(bytea) RETURNS int8 LANGUAGE wasm STRICT PARALLEL SAFE AS
//   'hll'; CREATE AGGREGATE approx_count_distinct(text) (
//     sfunc = hll_add, stype = bytea, initcond = '',
//     combinefunc = hll_merge, finalfunc = hll_count, parallel = safe);
#include "pg_wasm.h"

#define P 11
#define M (1 << P)

// 64-bit hash: FNV-1a, then a strong finaliser (splitmix64's) so that the
// bits HyperLogLog reads are well mixed.
static uint64_t hash64(const unsigned char *p, int32_t len) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (int32_t i = 0; i < len; i++) h = (h ^ p[i]) * 0x100000001b3ull;
  h ^= h >> 30;
  h *= 0xbf58476d1ce4e5b9ull;
  h ^= h >> 27;
  h *= 0x94d049bb133111ebull;
  return h ^ (h >> 31);
}

// The state as registers; the empty initial state reads as all zero.
static unsigned char *registers_from(const unsigned char *state, int32_t len) {
  pgw_buf *out = pgw_output();
  pgw_reserve(out, M);
  for (int32_t i = 0; i < M; i++) out->data[i] = len == M ? (char)state[i] : 0;
  out->len = M;
  return (unsigned char *)out->data;
}

PGW_EXPORT(hll_add)
pgw_result hll_add(const unsigned char *state, int32_t len, const unsigned char *v, int32_t vlen) {
  unsigned char *reg = registers_from(state, len);
  uint64_t h = hash64(v, vlen);
  uint32_t index = (uint32_t)(h >> (64 - P));
  uint64_t rest = h << P;
  unsigned char rank =
      rest ? (unsigned char)(__builtin_clzll(rest) + 1) : (unsigned char)(64 - P + 1);
  if (rank > reg[index]) reg[index] = rank;
  return pgw_return(reg, M);
}

PGW_EXPORT(hll_merge)
pgw_result hll_merge(const unsigned char *a, int32_t alen, const unsigned char *b, int32_t blen) {
  unsigned char *reg = registers_from(a, alen);
  if (blen == M)
    for (int32_t i = 0; i < M; i++)
      if (b[i] > reg[i]) reg[i] = b[i];
  return pgw_return(reg, M);
}

// Natural logarithm, for linear counting (no libc here).
static double ln(double x) {
  int e = 0;
  while (x > 2) {
    x /= 2;
    e++;
  }
  while (x < 1) {
    x *= 2;
    e--;
  }
  double y = (x - 1) / (x + 1), y2 = y * y, sum = 0, term = y;
  for (int k = 1; k < 40; k += 2) {
    sum += term / k;
    term *= y2;
  }
  return 2 * sum + e * 0.6931471805599453;
}

PGW_EXPORT(hll_count) int64_t hll_count(const unsigned char *state, int32_t len) {
  if (len != M) return 0;
  double sum = 0;
  int32_t zeros = 0;
  for (int32_t i = 0; i < M; i++) {
    sum += 1.0 / (double)(1ull << state[i]);
    zeros += state[i] == 0;
  }
  double alpha = 0.7213 / (1 + 1.079 / M);
  double estimate = alpha * M * M / sum;
  if (estimate <= 2.5 * M && zeros > 0) estimate = M * ln((double)M / zeros);  // small range
  return (int64_t)(estimate + 0.5);
}
