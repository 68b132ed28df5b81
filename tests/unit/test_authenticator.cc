// Unit tests for the Authenticator: which signature form a request carries, clock skew and
// expiry, unknown keys, S3's payload-hash rules and PayloadMode, and --auth off. Requests come
// from AWS's S3 documentation examples, from botocore 1.43 (S3SigV4Auth, S3SigV4QueryAuth and
// SigV4Auth run with the clock fixed at 2026-11-22T04:35:17Z), or from sigv4::sign_request.
#include <doctest/doctest.h>

#include "auth/authenticator.h"
#include "auth/sigv4.h"
#include "common/encoding.h"
#include "common/hash.h"

using namespace nimbus;

namespace {

constexpr const char* kKey = "AKIAIOSFODNN7EXAMPLE";
constexpr const char* kSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
constexpr EpochMillis kNow = 1795322117000;  // 2026-11-22T04:35:17Z
constexpr EpochMillis kMinute = 60 * 1000;

HttpRequest make(std::string method, std::string target, Headers headers, std::string body = "") {
  HttpRequest r;
  r.method = std::move(method);
  r.target = std::move(target);
  size_t q = r.target.find('?');
  r.path = r.target.substr(0, q);
  r.query = q == std::string::npos ? "" : r.target.substr(q + 1);
  r.headers = std::move(headers);
  r.body = std::move(body);
  return r;
}

struct Fixture {
  Credentials credentials;
  ManualClock clock{kNow};
  Authenticator auth{credentials, clock, true};
  Authenticator off{credentials, clock, false, "000000000000"};
  Fixture() { credentials.add({kKey, kSecret, "123456789012", "dev"}); }
  std::optional<AuthFailure> failure(const HttpRequest& r, const AuthOptions& o) {
    try {
      auth.authenticate(r, o);
      return std::nullopt;
    } catch (const AuthError& e) {
      return e.failure;
    }
  }
};

AuthOptions s3() {
  AuthOptions o;
  o.s3 = true;
  return o;
}

// botocore S3SigV4Auth: PUT of "hello\n" to a key with characters botocore percent-encodes.
HttpRequest botocore_s3_put() {
  return make(
      "PUT", "/bucket/my%20file%2B%281%29.txt?tagging",
      {{"Host", "localhost:4566"},
       {"Content-Type", "text/plain"},
       {"x-amz-meta-a", "one"},
       {"Content-MD5", "sZRqySSS0jR8YjW00mERhA=="},
       {"X-Amz-Date", "20261122T043517Z"},
       {"X-Amz-Content-SHA256", "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03"},
       {"Authorization",
        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20261122/us-east-1/s3/aws4_request, "
        "SignedHeaders=content-md5;content-type;host;x-amz-content-sha256;x-amz-date;"
        "x-amz-meta-a, "
        "Signature=008eeaaee4e9a8d19ea902e27396783c2d45bbff0813ea20c3a3e856fb886cbd"}},
      "hello\n");
}

// botocore S3SigV4QueryAuth, expires=900.
HttpRequest botocore_s3_presigned() {
  return make("GET",
              "/bucket/a%20key?versionId=3&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential="
              "AKIAIOSFODNN7EXAMPLE%2F20261122%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date="
              "20261122T043517Z&X-Amz-Expires=900&X-Amz-SignedHeaders=host&X-Amz-Signature="
              "a233924c02bbfb166a75f70f7307e258d7791e4140b111accc79feafbb2ee836",
              {{"Host", "localhost:4566"}});
}

// A request signed here for a service and time.
HttpRequest signed_request(const std::string& service, EpochMillis when, bool s3_style,
                           const std::string& payload_hash = "") {
  HttpRequest r = make("POST", "/", {{"Host", "localhost:4566"}}, "Action=ListQueues");
  sigv4::SignOptions o;
  o.access_key = kKey;
  o.secret_key = kSecret;
  o.service = service;
  o.amz_date = format_amz_date(when);
  o.normalize_path = !s3_style;
  o.add_content_sha256_header = s3_style;
  o.payload_hash = payload_hash;
  sigv4::sign_request(r, o);
  return r;
}

}  // namespace

TEST_CASE("the S3 documentation's GET Object example verifies") {
  // docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html
  Fixture f;
  f.clock.set(*parse_amz_date("20130524T000000Z"));
  HttpRequest r = make(
      "GET", "/test.txt",
      {{"Host", "examplebucket.s3.amazonaws.com"},
       {"Range", "bytes=0-9"},
       {"x-amz-content-sha256", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
       {"x-amz-date", "20130524T000000Z"},
       {"Authorization",
        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
        "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,"
        "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"}});
  AuthResult result = f.auth.authenticate(r, s3());
  CHECK(result.kind == SignatureKind::V4Header);
  CHECK(result.payload == PayloadMode::Verified);
  CHECK(result.scope_region == "us-east-1");
  CHECK(result.scope_service == "s3");
}

TEST_CASE("botocore's S3 PUT verifies; its body is checked against X-Amz-Content-SHA256") {
  Fixture f;
  HttpRequest good = botocore_s3_put();
  AuthResult result = f.auth.authenticate(good, s3());
  CHECK(result.kind == SignatureKind::V4Header);
  CHECK(result.account.id == "123456789012");
  CHECK(result.account.access_key == kKey);
  CHECK(result.payload == PayloadMode::Verified);

  HttpRequest r = good;
  r.body = "hello!";
  CHECK(f.failure(r, s3()) == AuthFailure::ContentSha256Mismatch);

  AuthOptions streaming = s3();
  streaming.body_available = false;
  r.body.clear();
  result = f.auth.authenticate(r, streaming);
  CHECK(result.payload == PayloadMode::Sha256);
  CHECK(result.expected_sha256_hex ==
        "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03");

  r = good;
  r.path = "/bucket/my%20file%2B%281%29.txu";
  CHECK(f.failure(r, s3()) == AuthFailure::SignatureMismatch);
  r = good;
  r.query = "tagginh";
  CHECK(f.failure(r, s3()) == AuthFailure::SignatureMismatch);
}

TEST_CASE("a signature mismatch reports the canonical request and string to sign") {
  Fixture f;
  HttpRequest r = botocore_s3_put();
  r.headers[2].value = "two";  // x-amz-meta-a
  try {
    f.auth.authenticate(r, s3());
    FAIL("accepted");
  } catch (const AuthError& e) {
    CHECK(e.failure == AuthFailure::SignatureMismatch);
    CHECK(e.access_key == kKey);
    CHECK(e.canonical_request.find("x-amz-meta-a:two\n") != std::string::npos);
    CHECK(e.canonical_request.rfind("PUT\n/bucket/my%20file%2B%281%29.txt\ntagging=\n", 0) == 0);
    CHECK(e.string_to_sign.rfind("AWS4-HMAC-SHA256\n20261122T043517Z\n20261122/us-east-1/s3/", 0) ==
          0);
  }
}

TEST_CASE("botocore's SNS form POST verifies with the body's hash") {
  Fixture f;
  HttpRequest r = make(
      "POST", "/",
      {{"Host", "localhost:4566"},
       {"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"},
       {"X-Amz-Date", "20261122T043517Z"},
       {"Authorization",
        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20261122/us-east-1/sns/aws4_request, "
        "SignedHeaders=content-type;host;x-amz-date, "
        "Signature=167589bc9f5e212b25bc910fe4589624f8998f514a56f07acec30dc1d0b92b88"}},
      "Action=Publish&Message=hi+there&TopicArn=arn%3Aaws%3Asns%3Aus-east-1%3A123456789012%3At");
  AuthResult result = f.auth.authenticate(r, AuthOptions{});
  CHECK(result.scope_service == "sns");
  CHECK(result.payload == PayloadMode::Verified);
  r.body.back() = 'u';
  CHECK(f.failure(r, AuthOptions{}) == AuthFailure::SignatureMismatch);
}

TEST_CASE("botocore's presigned S3 URL verifies, expires, and refuses changes") {
  Fixture f;
  HttpRequest good = botocore_s3_presigned();
  AuthResult result = f.auth.authenticate(good, s3());
  CHECK(result.kind == SignatureKind::V4Query);
  CHECK(result.payload == PayloadMode::Unsigned);
  CHECK(result.account.id == "123456789012");

  f.clock.set(kNow + 900 * 1000);
  CHECK_FALSE(f.failure(good, s3()));
  f.clock.set(kNow + 901 * 1000);
  CHECK(f.failure(good, s3()) == AuthFailure::Expired);
  // Signed more than 15 minutes in the future: skewed.
  f.clock.set(kNow - 16 * kMinute);
  CHECK(f.failure(good, s3()) == AuthFailure::TimeTooSkewed);
  f.clock.set(kNow - 14 * kMinute);
  CHECK_FALSE(f.failure(good, s3()));
  f.clock.set(kNow);

  HttpRequest r = good;
  r.query.replace(r.query.find("versionId=3"), 11, "versionId=4");
  CHECK(f.failure(r, s3()) == AuthFailure::SignatureMismatch);
  r = good;
  r.query.replace(r.query.find("X-Amz-Expires=900"), 17, "X-Amz-Expires=999");
  CHECK(f.failure(r, s3()) == AuthFailure::SignatureMismatch);
  r = good;
  r.query.replace(r.query.find("X-Amz-Expires=900"), 17, "X-Amz-Expires=0");
  CHECK(f.failure(r, s3()) == AuthFailure::Malformed);
  r = good;
  r.query.replace(r.query.find("X-Amz-Expires=900"), 17, "X-Amz-Expires=604801");
  CHECK(f.failure(r, s3()) == AuthFailure::Malformed);
  r = good;
  r.query.replace(r.query.find("X-Amz-Algorithm=AWS4-HMAC-SHA256"), 32, "X-Amz-Algorithm=AWS4");
  CHECK(f.failure(r, s3()) == AuthFailure::Malformed);
  r = good;
  r.query = r.query.substr(0, r.query.find("&X-Amz-Signature"));
  CHECK(f.failure(r, s3()) == AuthFailure::Malformed);
}

TEST_CASE("presign_request URLs verify for S3 and for other services") {
  Fixture f;
  for (bool is_s3 : {true, false}) {
    HttpRequest r = make("GET", "/bucket/some%20key", {{"Host", "localhost:4566"}});
    sigv4::SignOptions o;
    o.access_key = kKey;
    o.secret_key = kSecret;
    o.service = is_s3 ? "s3" : "sqs";
    o.amz_date = format_amz_date(kNow);
    o.normalize_path = !is_s3;
    sigv4::presign_request(r, o, 60);
    AuthOptions opts;
    opts.s3 = is_s3;
    CHECK(f.auth.authenticate(r, opts).kind == SignatureKind::V4Query);
    f.clock.set(kNow + 61 * 1000);
    CHECK(f.failure(r, opts) == AuthFailure::Expired);
    f.clock.set(kNow);
  }
}

TEST_CASE("clock skew beyond 15 minutes either way is TimeTooSkewed") {
  Fixture f;
  for (EpochMillis offset : {-16 * kMinute, 16 * kMinute, -60 * kMinute * 24}) {
    HttpRequest r = signed_request("sqs", kNow + offset, false);
    CHECK(f.failure(r, AuthOptions{}) == AuthFailure::TimeTooSkewed);
  }
  for (EpochMillis offset : {-14 * kMinute, 14 * kMinute, EpochMillis{0}}) {
    HttpRequest r = signed_request("sqs", kNow + offset, false);
    CHECK_FALSE(f.failure(r, AuthOptions{}));
  }
}

TEST_CASE("an unknown access key is InvalidAccessKey, naming the key") {
  Fixture f;
  HttpRequest r = signed_request("sqs", kNow, false);
  for (Header& h : r.headers)
    if (h.name == "Authorization") h.value.replace(h.value.find(kKey), 20, "AKIAUNKNOWNKEY000000");
  try {
    f.auth.authenticate(r, AuthOptions{});
    FAIL("accepted");
  } catch (const AuthError& e) {
    CHECK(e.failure == AuthFailure::InvalidAccessKey);
    CHECK(e.access_key == "AKIAUNKNOWNKEY000000");
  }
}

TEST_CASE("a request without any auth is Anonymous") {
  Fixture f;
  HttpRequest r = make("GET", "/bucket/key?prefix=a", {{"Host", "localhost:4566"}});
  for (const AuthOptions& o : {AuthOptions{}, s3()}) {
    AuthResult result = f.auth.authenticate(r, o);
    CHECK(result.kind == SignatureKind::Anonymous);
    CHECK(result.account.anonymous);
    CHECK(result.account.id.empty());
    CHECK(f.off.authenticate(r, o).kind == SignatureKind::Anonymous);
  }
  HttpRequest form =
      make("POST", "/", {{"Host", "h"}, {"Content-Type", "application/x-www-form-urlencoded"}},
           "Action=ListQueues");
  CHECK(f.auth.authenticate(form, AuthOptions{}).kind == SignatureKind::Anonymous);
}

TEST_CASE("S3 SigV4 without X-Amz-Content-SHA256 is Malformed with S3's message") {
  Fixture f;
  HttpRequest r = signed_request("s3", kNow, false);
  try {
    f.auth.authenticate(r, s3());
    FAIL("accepted");
  } catch (const AuthError& e) {
    CHECK(e.failure == AuthFailure::Malformed);
    CHECK(std::string(e.what()) ==
          "Missing required header for this request: x-amz-content-sha256");
  }
}

TEST_CASE("X-Amz-Content-SHA256 literals choose the PayloadMode and carry the chunk context") {
  Fixture f;
  struct {
    const char* literal;
    PayloadMode mode;
  } cases[] = {
      {"UNSIGNED-PAYLOAD", PayloadMode::Unsigned},
      {"STREAMING-AWS4-HMAC-SHA256-PAYLOAD", PayloadMode::StreamingSigned},
      {"STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER", PayloadMode::StreamingSignedTrailer},
      {"STREAMING-UNSIGNED-PAYLOAD-TRAILER", PayloadMode::StreamingUnsignedTrailer},
  };
  for (const auto& c : cases) {
    CAPTURE(c.literal);
    HttpRequest r = signed_request("s3", kNow, true, c.literal);
    AuthOptions o = s3();
    o.body_available = false;
    AuthResult result = f.auth.authenticate(r, o);
    CHECK(result.payload == c.mode);
    if (c.mode != PayloadMode::Unsigned) {
      auto a = sigv4::parse_authorization(*r.header("Authorization"));
      CHECK(result.seed_signature == a->signature);
      CHECK(result.signing_key == sigv4::signing_key(kSecret, "20261122", "us-east-1", "s3"));
      CHECK(result.amz_date == "20261122T043517Z");
      CHECK(result.scope == "20261122/us-east-1/s3/aws4_request");
    }
  }
  HttpRequest r = signed_request("s3", kNow, true, "NOT-A-HASH");
  CHECK(f.failure(r, s3()) == AuthFailure::Malformed);
}

TEST_CASE("the Date header stands in for X-Amz-Date") {
  Fixture f;
  HttpRequest r =
      make("GET", "/", {{"Host", "localhost:4566"}, {"Date", "Sun, 22 Nov 2026 04:35:17 GMT"}});
  std::string creq = sigv4::canonical_request(r, {"date", "host"}, sha256_hex(""), true);
  std::string sts = sigv4::string_to_sign("Sun, 22 Nov 2026 04:35:17 GMT",
                                          "20261122/us-east-1/sqs/aws4_request", creq);
  std::string sig =
      sigv4::signature_hex(sigv4::signing_key(kSecret, "20261122", "us-east-1", "sqs"), sts);
  r.headers.push_back(
      {"Authorization", std::string("AWS4-HMAC-SHA256 Credential=") + kKey +
                            "/20261122/us-east-1/sqs/aws4_request, SignedHeaders=date;host, "
                            "Signature=" +
                            sig});
  CHECK(f.auth.authenticate(r, AuthOptions{}).kind == SignatureKind::V4Header);
  f.clock.set(kNow + 20 * kMinute);
  CHECK(f.failure(r, AuthOptions{}) == AuthFailure::TimeTooSkewed);
  f.clock.set(kNow);
  r.headers.erase(r.headers.begin() + 1);
  CHECK(f.failure(r, AuthOptions{}) == AuthFailure::Malformed);
}

TEST_CASE("a credential date other than X-Amz-Date's day is Malformed") {
  Fixture f;
  HttpRequest r = signed_request("sqs", kNow, false);
  for (Header& h : r.headers)
    if (h.name == "Authorization") h.value.replace(h.value.find("/20261122/"), 10, "/20261121/");
  CHECK(f.failure(r, AuthOptions{}) == AuthFailure::Malformed);
}

TEST_CASE("boto 2's odd scope (service 127, region 0) verifies and is reported") {
  Fixture f;
  HttpRequest r = make("POST", "/", {{"Host", "127.0.0.1:4566"}}, "Action=ListTopics");
  sigv4::SignOptions o;
  o.access_key = kKey;
  o.secret_key = kSecret;
  o.region = "0";
  o.service = "127";
  o.amz_date = format_amz_date(kNow);
  sigv4::sign_request(r, o);
  AuthResult result = f.auth.authenticate(r, AuthOptions{});
  CHECK(result.scope_region == "0");
  CHECK(result.scope_service == "127");
}

TEST_CASE("unsupported or broken Authorization headers are Malformed") {
  Fixture f;
  for (const char* value :
       {"Bearer xyz", "AWS4-HMAC-SHA256 Credential=AK/20261122/us-east-1/s3/aws4_request",
        "AWS4-HMAC-SHA256 garbage", "AWS AKIAIOSFODNN7EXAMPLE:sig"}) {
    CAPTURE(value);
    HttpRequest r = make(
        "GET", "/", {{"Host", "h"}, {"X-Amz-Date", "20261122T043517Z"}, {"Authorization", value}});
    CHECK(f.failure(r, AuthOptions{}) == AuthFailure::Malformed);
  }
}

TEST_CASE("--auth off maps keys to accounts without checking signatures") {
  Fixture f;
  // A 12-digit access key is the account id.
  HttpRequest r = signed_request("sqs", kNow - 60 * kMinute, false);
  for (Header& h : r.headers)
    if (h.name == "Authorization") {
      h.value.replace(h.value.find(kKey), 20, "210987654321");
      h.value.back() = h.value.back() == '0' ? '1' : '0';
    }
  AuthResult result = f.off.authenticate(r, AuthOptions{});
  CHECK(result.kind == SignatureKind::V4Header);
  CHECK(result.account.id == "210987654321");
  CHECK(result.account.access_key == "210987654321");
  CHECK_FALSE(result.account.anonymous);
  CHECK(result.scope_service == "sqs");
  CHECK(f.auth.enabled());
  CHECK_FALSE(f.off.enabled());

  // Any other key, known or not, maps to the default account.
  HttpRequest known = botocore_s3_put();
  known.body = "tampered";
  CHECK(f.off.authenticate(known, s3()).account.id == "000000000000");
  HttpRequest v2 = make("GET", "/b/k", {{"Host", "h"}, {"Authorization", "AWS someone:bad"}});
  CHECK(f.off.authenticate(v2, s3()).account.id == "000000000000");
  CHECK(f.off.authenticate(v2, s3()).kind == SignatureKind::V2S3Header);
  HttpRequest q =
      make("GET", "/?SignatureVersion=2&AWSAccessKeyId=123456789012&Signature=x", {{"Host", "h"}});
  CHECK(f.off.authenticate(q, AuthOptions{}).account.id == "123456789012");

  // Streamed uploads still report their framing (chunk signatures are not checked).
  HttpRequest chunked = signed_request("s3", kNow, true, "STREAMING-AWS4-HMAC-SHA256-PAYLOAD");
  AuthResult c = f.off.authenticate(chunked, s3());
  CHECK(c.payload == PayloadMode::StreamingSigned);
  CHECK(c.signing_key.empty());
}

TEST_CASE("before a non-S3 body arrives only key, date and scope are checked") {
  Fixture f;
  AuthOptions early;
  early.body_available = false;
  HttpRequest r = signed_request("sqs", kNow, false);
  r.body.clear();  // still on the wire
  CHECK(f.auth.authenticate(r, early).kind == SignatureKind::V4Header);
  CHECK(f.failure(r, AuthOptions{}) == AuthFailure::SignatureMismatch);  // once it is here

  HttpRequest skewed = signed_request("sqs", kNow + 20 * kMinute, false);
  CHECK(f.failure(skewed, early) == AuthFailure::TimeTooSkewed);
  HttpRequest unknown = signed_request("sqs", kNow, false);
  for (Header& h : unknown.headers)
    if (h.name == "Authorization") h.value.replace(h.value.find(kKey), 20, "AKIAUNKNOWNKEY000000");
  CHECK(f.failure(unknown, early) == AuthFailure::InvalidAccessKey);

  // With X-Amz-Content-SHA256 the signature is checked now and the body later.
  HttpRequest hashed = signed_request("sqs", kNow, true);
  std::string body = hashed.body;
  hashed.body.clear();
  AuthResult result = f.auth.authenticate(hashed, early);
  CHECK(result.payload == PayloadMode::Sha256);
  CHECK(result.expected_sha256_hex == sha256_hex(body));
}
