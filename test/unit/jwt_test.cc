// JWTs for FDW guests (src/services/jwt.*): base64url, HS256 and RS256
// signing, checked against known vectors and OpenSSL's verification.
#include <gtest/gtest.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "services/jwt.h"
#include "error_of.h"

using namespace pgwasm::services;

namespace {

std::string base64url_decode(std::string_view s) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '-') return 62;
    if (c == '_') return 63;
    return -1;
  };
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : s) {
    int v = value(c);
    if (v < 0) throw std::runtime_error("not base64url");
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xff);
    }
  }
  return out;
}

struct PkeyFree {
  void operator()(EVP_PKEY *k) const { EVP_PKEY_free(k); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;

std::string pem_of(EVP_PKEY *key) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
  PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr);
  char *data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(len));
}

std::vector<std::string> split_token(const std::string &token) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (size_t dot; (dot = token.find('.', start)) != std::string::npos; start = dot + 1)
    parts.push_back(token.substr(start, dot - start));
  parts.push_back(token.substr(start));
  return parts;
}

}  // namespace

TEST(Jwt, Base64UrlVectors) {
  // RFC 4648 section 10, without padding.
  EXPECT_EQ(base64url(std::string_view("")), "");
  EXPECT_EQ(base64url(std::string_view("f")), "Zg");
  EXPECT_EQ(base64url(std::string_view("fo")), "Zm8");
  EXPECT_EQ(base64url(std::string_view("foo")), "Zm9v");
  EXPECT_EQ(base64url(std::string_view("foob")), "Zm9vYg");
  EXPECT_EQ(base64url(std::string_view("fooba")), "Zm9vYmE");
  EXPECT_EQ(base64url(std::string_view("foobar")), "Zm9vYmFy");
  const unsigned char url_chars[] = {0xfb, 0xff, 0xbf};
  EXPECT_EQ(base64url(std::span<const unsigned char>(url_chars)), "-_-_");
}

TEST(Jwt, Hs256KnownVector) {
  // jwt.io's HS256 example. Expected tokens computed independently with
  //   python3 -c "import hmac,hashlib,base64; b=lambda x: base64.urlsafe_b64encode(x)
  //     .rstrip(b'=').decode(); h=b'{\"alg\":\"HS256\",\"typ\":\"JWT\"}';
  //     c=b'{\"sub\":\"1234567890\",\"name\":\"John Doe\",\"iat\":1516239022}';
  //     si=b(h)+'.'+b(c); print(si+'.'+b(hmac.new(b'your-256-bit-secret',si.encode(),
  //     hashlib.sha256).digest()))"
  // (the second with h = {"alg":"HS256","typ":"JWT","kid":"k1"}).
  const char *claims = R"({"sub":"1234567890","name":"John Doe","iat":1516239022})";
  EXPECT_EQ(jwt_sign("HS256", "your-256-bit-secret", "", claims),
            "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
            "eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ."
            "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c");
  EXPECT_EQ(jwt_sign("HS256", "your-256-bit-secret", R"({"kid":"k1"})", claims),
            "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6ImsxIn0."
            "eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ."
            "7_waepInKUYpi5mFJ12NwiMxGQZQIGsVVDL5BsolGCA");
}

TEST(Jwt, HeaderMerging) {
  auto header_of = [](std::string_view extra) {
    return base64url_decode(split_token(jwt_sign("HS256", "k", extra, "{}"))[0]);
  };
  EXPECT_EQ(header_of(""), R"({"alg":"HS256","typ":"JWT"})");
  EXPECT_EQ(header_of(" {} "), R"({"alg":"HS256","typ":"JWT"})");
  EXPECT_EQ(header_of(R"({"kid":"a","x5t":"b"})"),
            R"({"alg":"HS256","typ":"JWT","kid":"a","x5t":"b"})");
  EXPECT_EQ(header_of(R"({"typ":"at+jwt"})"), R"({"alg":"HS256","typ":"at+jwt"})");
}

TEST(Jwt, RefusesWhatItCannotSign) {
  for (std::string_view alg : {"none", "HS512", "hs256", "RS384", "ES256", ""})
    EXPECT_THROW(jwt_sign(alg, "k", "", "{}"), std::invalid_argument) << alg;
  EXPECT_THROW(jwt_sign("HS256", "k", R"("kid":"k1")", "{}"), std::invalid_argument);
  EXPECT_THROW(jwt_sign("HS256", "k", R"({"alg":"none"})", "{}"), std::invalid_argument);
  EXPECT_THROW(jwt_sign("HS256", "k", "", "[1]"), std::invalid_argument);
  EXPECT_THROW(jwt_sign("HS256", "k", "", ""), std::invalid_argument);
  EXPECT_THROW(jwt_sign("HS256", "", "", "{}"), std::invalid_argument);
}

TEST(Jwt, Rs256VerifiesWithThePublicKey) {
  Pkey key(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(2048)));
  ASSERT_TRUE(key);
  std::string token = jwt_sign("RS256", pem_of(key.get()), R"({"kid":"k1"})",
                               R"({"iss":"pg_wasm","exp":1735689600})");
  std::vector<std::string> parts = split_token(token);
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(base64url_decode(parts[0]), R"({"alg":"RS256","typ":"JWT","kid":"k1"})");
  EXPECT_EQ(base64url_decode(parts[1]), R"({"iss":"pg_wasm","exp":1735689600})");

  std::string signing_input = parts[0] + "." + parts[1];
  std::string signature = base64url_decode(parts[2]);
  EXPECT_EQ(signature.size(), 256u);
  auto verify = [&](const std::string &input) {
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
    EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key.get());
    return EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char *>(signature.data()),
                            signature.size(), reinterpret_cast<const unsigned char *>(input.data()),
                            input.size()) == 1;
  };
  EXPECT_TRUE(verify(signing_input));
  EXPECT_FALSE(verify(signing_input + "x"));
  ERR_clear_error();
}

TEST(Jwt, BadRs256KeysAreRefusedWithoutEchoingThem) {
  const std::string fake =
      "-----BEGIN PRIVATE KEY-----\nSECRETSECRETSECRET\n-----END PRIVATE KEY-----\n";
  for (const std::string &k : {fake, std::string("SECRETSECRETSECRET"), std::string()}) {
    std::string message =
        pgwasm::test::error_of<std::invalid_argument>([&] { jwt_sign("RS256", k, "", "{}"); });
    EXPECT_NE(message, "no error");
    EXPECT_EQ(message.find("SECRET"), std::string::npos) << message;
    EXPECT_EQ(ERR_peek_error(), 0u);  // the queue left clear
  }
  Pkey ec(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  ASSERT_TRUE(ec);
  EXPECT_NE(pgwasm::test::error_of<std::invalid_argument>([&] {
              jwt_sign("RS256", pem_of(ec.get()), "", "{}");
            }).find("not an RSA key"),
            std::string::npos);
  EXPECT_EQ(ERR_peek_error(), 0u);
}
