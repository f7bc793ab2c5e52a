// JSON Web Tokens (RFC 7519) signed for FDW guests (docs/fdw.md, "jwt"):
// HS256 and RS256, with OpenSSL.
#pragma once

#include <span>
#include <string>
#include <string_view>

namespace pgwasm::services {

// RFC 4648 base64url, without padding.
std::string base64url(std::span<const unsigned char> bytes);
std::string base64url(std::string_view bytes);

// base64url(header).base64url(claims).base64url(signature), the header
// being {"alg":"<alg>","typ":"JWT"} followed by the members of
// `header_extra` (a JSON object's text, like {"kid":"k1"}, or empty; when
// it has "typ", ours is left out; it may not have "alg"). `claims_json` is a
// JSON object's text, used as given. HS256 signs with `key`'s bytes as the
// HMAC secret; RS256 with `key` as a PEM RSA private key (unencrypted).
// Throws std::invalid_argument for another alg, a bad key (the message
// never quotes the key), or header or claims that are no object.
std::string jwt_sign(std::string_view alg, std::string_view key, std::string_view header_extra,
                     std::string_view claims_json);

}  // namespace pgwasm::services
