// AWS Signature Version 4: canonical request, string to sign, signing key and signature, for
// both the Authorization header form and the presigned query form. Used by the Authenticator
// to verify, and by tests and bench/ to sign.
//
// Path rules: S3 signs the path exactly as sent (normalize=false); every other service
// normalizes the path (removes '.' and '..' segments and duplicate slashes) and URI-encodes
// each segment once more (so '%' becomes '%25').
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/http.h"

namespace nimbus::sigv4 {

struct Credential {           // the parsed "Credential=" value
  std::string access_key;
  std::string date;           // yyyymmdd
  std::string region;
  std::string service;
  std::string terminator;     // "aws4_request"
  std::string scope() const { return date + "/" + region + "/" + service + "/" + terminator; }
};

// Parses "AK/yyyymmdd/region/service/aws4_request"; nullopt unless it has exactly five
// non-empty parts.
std::optional<Credential> parse_credential(std::string_view text);

// The parsed "Authorization: AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=..."
// header. Separators may be commas, spaces or both, in any order.
struct AuthorizationHeader {
  Credential credential;
  std::vector<std::string> signed_headers;  // lower-case, as listed
  std::string signature;                    // hex, as sent
};
// nullopt when the value does not start with AWS4-HMAC-SHA256 or lacks one of the three parts.
std::optional<AuthorizationHeader> parse_authorization(std::string_view value);

// The canonical URI. normalize=false (S3): the path as sent, with only bytes that may not
// appear in a URI percent-encoded (a raw space becomes %20, existing %XX escapes stay);
// normalize=true: '.'/'..' segments and duplicate slashes removed (botocore's
// remove_dot_segments), then every byte but unreserved ones and '/' encoded again.
std::string canonical_path(std::string_view raw_path, bool normalize);
// The canonical query string from the query as sent: each key and value decoded and
// RFC 3986-encoded again, sorted by key then value, X-Amz-Signature left out.
std::string canonical_query(std::string_view raw_query);
// Canonical form of one header value: trimmed, inner whitespace runs collapsed to one space.
std::string canonical_header_value(std::string_view value);

// Builds the canonical request. signed_headers are lower-case names, sorted, as in the
// SignedHeaders list. For the presigned form pass the query as sent; X-Amz-Signature is
// excluded automatically. payload_hash is the hex SHA-256, "UNSIGNED-PAYLOAD" or a STREAMING-*
// literal.
std::string canonical_request(const HttpRequest& request,
                              const std::vector<std::string>& signed_headers,
                              std::string_view payload_hash, bool normalize_path);
std::string string_to_sign(std::string_view amz_date, std::string_view scope,
                           std::string_view canonical_request);
std::string signing_key(std::string_view secret, std::string_view date, std::string_view region,
                        std::string_view service);
std::string signature_hex(std::string_view signing_key, std::string_view string_to_sign);
// signing_key() through a small per-thread cache keyed by secret, date, region and service, so a
// request costs one HMAC for its signature instead of five. Thread-safe.
std::string cached_signing_key(std::string_view secret, std::string_view date,
                               std::string_view region, std::string_view service);

struct SignOptions {
  std::string access_key;
  std::string secret_key;
  std::string region = "us-east-1";
  std::string service;
  std::string amz_date;           // yyyymmddThhmmssZ; empty: the system clock's now
  // Empty: SHA-256 of request.body, except for a presigned "s3" URL: UNSIGNED-PAYLOAD.
  std::string payload_hash;
  bool normalize_path = true;     // false for S3
  bool add_content_sha256_header = false;  // S3 clients send X-Amz-Content-SHA256
  std::string session_token;
};
// Adds X-Amz-Date (and X-Amz-Content-SHA256 when asked, X-Amz-Security-Token when a session
// token is given) and the Authorization header, signing every header present (Host must be
// present). An existing Authorization header is replaced.
void sign_request(HttpRequest& request, const SignOptions& options);
// Rewrites request.target/query to a presigned URL valid for expires_seconds, signing every
// header present (leave only those the URL's user will send, usually just Host). Parameters are
// appended to any existing query in the order X-Amz-Algorithm, -Credential, -Date,
// -SignedHeaders, -Expires, [-Security-Token], -Signature.
void presign_request(HttpRequest& request, const SignOptions& options, int expires_seconds);

}  // namespace nimbus::sigv4
