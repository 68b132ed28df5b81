// AWS Signature Version 4: canonical request, string to sign, signing key and signature, for
// both the Authorization header form and the presigned query form. Used by the Authenticator
// to verify, and by tests and bench/ to sign.
//
// Path rules: S3 signs the path exactly as sent (normalize=false); every other service
// normalizes the path (removes '.' and '..' segments and duplicate slashes) and URI-encodes
// each segment once more (so '%' becomes '%25').
#pragma once

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

struct SignOptions {
  std::string access_key;
  std::string secret_key;
  std::string region = "us-east-1";
  std::string service;
  std::string amz_date;           // yyyymmddThhmmssZ
  std::string payload_hash;       // empty: SHA-256 of request.body
  bool normalize_path = true;     // false for S3
  bool add_content_sha256_header = false;  // S3 clients send X-Amz-Content-SHA256
  std::string session_token;
};
// Adds X-Amz-Date (and X-Amz-Content-SHA256 when asked) and the Authorization header, signing
// every header present (Host must be present).
void sign_request(HttpRequest& request, const SignOptions& options);
// Rewrites request.target/query to a presigned URL valid for expires_seconds.
void presign_request(HttpRequest& request, const SignOptions& options, int expires_seconds);

}  // namespace nimbus::sigv4
