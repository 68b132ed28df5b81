// Authenticator: verifies every request's signature (SigV4 header and presigned, SigV2 query/form
// and S3 header/presigned) against conf/credentials, checks clock skew and expiry, and says which
// account made the request. Failures are AuthError values; each service maps an AuthFailure to
// its own error code (Service::auth_error), so this file knows no wire format.
//
// Thread-safety: authenticate() is const and safe to call from many threads.
#pragma once

#include <stdexcept>
#include <string>

#include "auth/credentials.h"
#include "common/http.h"
#include "common/time.h"

namespace nimbus {

enum class AuthFailure {
  MissingAuthentication,  // no signature at all where one is required
  InvalidAccessKey,       // key not in the credentials file
  SignatureMismatch,      // computed signature differs
  Expired,                // presigned URL past its expiry
  TimeTooSkewed,          // more than 15 minutes from the server's clock
  Malformed,              // unparseable Authorization header or auth parameters
  ContentSha256Mismatch,  // X-Amz-Content-SHA256 differs from the body's hash
};

struct AuthError : std::runtime_error {
  AuthFailure failure;
  std::string access_key;
  std::string string_to_sign;      // S3 echoes these in SignatureDoesNotMatch errors
  std::string canonical_request;
  AuthError(AuthFailure f, const std::string& message) : std::runtime_error(message), failure(f) {}
};

enum class SignatureKind { Anonymous, V4Header, V4Query, V2Query, V2S3Header, V2S3Query };

// How the request body is protected, for S3 streaming uploads.
enum class PayloadMode {
  Verified,                  // body hashed and checked here (body was buffered), or no body
  Unsigned,                  // UNSIGNED-PAYLOAD or SigV2: nothing to check
  Sha256,                    // X-Amz-Content-SHA256 is a hash; check while streaming
  StreamingSigned,           // STREAMING-AWS4-HMAC-SHA256-PAYLOAD: every chunk signed
  StreamingSignedTrailer,    // STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER
  StreamingUnsignedTrailer,  // STREAMING-UNSIGNED-PAYLOAD-TRAILER
};

struct AuthResult {
  Account account;
  SignatureKind kind = SignatureKind::Anonymous;
  // SigV4 credential scope as the client signed it (may be "127"/"0" from boto 2).
  std::string scope_region;
  std::string scope_service;
  PayloadMode payload = PayloadMode::Unsigned;
  std::string expected_sha256_hex;  // for PayloadMode::Sha256
  // For chunk signatures (PayloadMode::StreamingSigned*):
  std::string signing_key;
  std::string seed_signature;
  std::string amz_date;
  std::string scope;
};

struct AuthOptions {
  // AuthOptions{s3, body_available} keeps working as the later members were added.
  AuthOptions(bool s3_rules = false, bool body = true) : s3(s3_rules), body_available(body) {}

  bool s3 = false;  // S3 rules: raw path in SigV4, SigV2 S3 forms, X-Amz-Content-SHA256 literal
  // The body is in request.body (false while it is still to be streamed, or before
  // 100-continue). When false and the signature covers the body, only the parts that don't
  // (key, date, expiry) are checked and payload is set for the caller to verify. For S3 that is
  // X-Amz-Content-SHA256 (PayloadMode::Sha256 or a streaming mode). Other services sign the
  // body's hash itself: their signature is not checked at all then, so authenticate again with
  // the body buffered before trusting the result.
  bool body_available = true;
  // S3 virtual-host requests: the bucket the Host header named (SigV2's canonical resource
  // is "/<bucket><path>"). Set by the router; empty for path-style requests.
  std::string virtual_host_bucket;
  // Non-S3 only: false signs the path as sent instead of normalizing it (S3-style services, and
  // the SigV4 test suite's normalize=false cases). S3 never normalizes.
  bool normalize_path = true;
};

class Authenticator {
 public:
  // enabled=false is --auth off: signatures are not checked; a 12-digit access key is taken as
  // the account id, any other key maps to default_account.
  Authenticator(const Credentials& credentials, const Clock& clock, bool enabled,
                std::string default_account = "000000000000");

  // Returns the caller (Anonymous kind when the request carries no auth at all) or throws
  // AuthError.
  AuthResult authenticate(const HttpRequest& request, const AuthOptions& options) const;

  bool enabled() const { return enabled_; }
  const Credentials& credentials() const { return credentials_; }

 private:
  const Credentials& credentials_;
  const Clock& clock_;
  bool enabled_;
  std::string default_account_;
};

}  // namespace nimbus
