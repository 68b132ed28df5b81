// Unit tests for auth/sigv2 and SigV2 verification in the Authenticator. The expected strings
// to sign and signatures were produced by the real clients' own signers with fixed dates:
// botocore 1.43 (auth.py HmacV1Auth, HmacV1QueryAuth, SigV2Auth.calc_signature) and boto 2.49
// (boto/utils.py canonical_string, auth.py QuerySignatureV2AuthHandler._calc_signature), with
// the example key pair AKIAIOSFODNN7EXAMPLE / wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY.
#include <doctest/doctest.h>

#include "auth/authenticator.h"
#include "auth/sigv2.h"
#include "common/encoding.h"

using namespace nimbus;

namespace {

constexpr const char* kKey = "AKIAIOSFODNN7EXAMPLE";
constexpr const char* kSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
constexpr EpochMillis kNow = 1795322117000;  // 2026-11-22T04:35:17Z

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

AuthOptions s3_options() {
  AuthOptions o;
  o.s3 = true;
  return o;
}

// botocore HmacV1Auth: PUT with Content-MD5, Content-Type, x-amz-meta-*, sub-resources.
HttpRequest botocore_put() {
  return make("PUT", "/bucket/my%20key.txt?versionId=v1&acl&foo=bar",
              {{"Host", "localhost:4566"},
               {"Content-Type", "text/plain"},
               {"Content-MD5", "XrY7u+Ae7tCTyyK7j1rNww=="},
               {"x-amz-meta-b", " two "},
               {"X-Amz-Meta-A", "one"},
               {"Date", "Sun, 22 Nov 2026 04:35:17 GMT"},
               {"Authorization", "AWS AKIAIOSFODNN7EXAMPLE:wffHeHOZ1RGO3WsNbd7J9zXheyI="}});
}

}  // namespace

TEST_CASE("s3_string_to_sign matches botocore's HmacV1Auth") {
  HttpRequest r = botocore_put();
  std::string sts = sigv2::s3_string_to_sign(r, "Sun, 22 Nov 2026 04:35:17 GMT", false);
  CHECK(sts ==
        "PUT\nXrY7u+Ae7tCTyyK7j1rNww==\ntext/plain\nSun, 22 Nov 2026 04:35:17 GMT\n"
        "x-amz-meta-a:one\nx-amz-meta-b:two\n/bucket/my%20key.txt?acl&versionId=v1");
  CHECK(sigv2::signature(kSecret, sts, false) == "wffHeHOZ1RGO3WsNbd7J9zXheyI=");
}

TEST_CASE("s3_string_to_sign matches boto 2 with x-amz-date and a virtual-host bucket") {
  // boto 2 blanks the Date line when x-amz-date is present, decodes sub-resource values.
  HttpRequest r = make("GET", "/key?uploadId=abc%2Bd&partNumber=2&other=1",
                       {{"Host", "bucket.localhost:4566"},
                        {"Date", "Sun, 22 Nov 2026 04:35:17 GMT"},
                        {"x-amz-date", "Sun, 22 Nov 2026 04:35:17 GMT"},
                        {"Content-Type", "text/plain"},
                        {"x-amz-meta-x", "y"}});
  std::string sts = sigv2::s3_string_to_sign(r, "", false, "bucket");
  CHECK(sts ==
        "GET\n\ntext/plain\n\nx-amz-date:Sun, 22 Nov 2026 04:35:17 GMT\nx-amz-meta-x:y\n"
        "/bucket/key?partNumber=2&uploadId=abc+d");
  CHECK(sigv2::signature(kSecret, sts, false) == "05/jJIhf0sJyPD1tMjwigKyH/x8=");
}

TEST_CASE("s3_canonical_resource keeps only S3's sub-resources, sorted") {
  CHECK(sigv2::s3_canonical_resource("", "") == "/");
  CHECK(sigv2::s3_canonical_resource("/", "", "bucket") == "/bucket/");
  CHECK(sigv2::s3_canonical_resource("/b/k", "prefix=a&uploads&max-keys=3") == "/b/k?uploads");
  CHECK(sigv2::s3_canonical_resource("/b", "versioning&acl&location") ==
        "/b?acl&location&versioning");
  CHECK(sigv2::s3_canonical_resource("/b/k", "response-content-type=text%2Fplain&tagging=") ==
        "/b/k?response-content-type=text/plain&tagging=");
}

TEST_CASE("s3_string_to_sign joins duplicate x-amz headers with commas") {
  HttpRequest r = make("GET", "/b/k", {{"X-Amz-Meta-M", "1"}, {"x-amz-meta-m", " 2 "}});
  CHECK(sigv2::s3_string_to_sign(r, "D", false) == "GET\n\n\nD\nx-amz-meta-m:1,2\n/b/k");
}

TEST_CASE("presigned S3 URLs take content-type and x-amz-* from the query, as botocore signs") {
  HttpRequest r = make("PUT",
                       "/bucket/key?AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Signature=Q6mlM%2FxiDW1QCf"
                       "eBAKFSe3AelWU%3D&content-type=image%2Fpng&x-amz-acl=public-read&Expires="
                       "1795325717",
                       {{"Host", "localhost:4566"}});
  std::string sts = sigv2::s3_string_to_sign(r, "1795325717", true);
  CHECK(sts == "PUT\n\nimage/png\n1795325717\nx-amz-acl:public-read\n/bucket/key");
  CHECK(sigv2::signature(kSecret, sts, false) == "Q6mlM/xiDW1QCfeBAKFSe3AelWU=");
  Fixture f;
  CHECK(f.auth.authenticate(r, s3_options()).kind == SignatureKind::V2S3Query);
}

TEST_CASE("query_string_to_sign matches boto 2's SimpleDB GET signing, port included") {
  QueryParams params = {{"Action", "Select"},
                        {"Version", "2009-04-15"},
                        {"SelectExpression", "select * from `d` where a = 'x y'"},
                        {"AWSAccessKeyId", kKey},
                        {"SignatureVersion", "2"},
                        {"SignatureMethod", "HmacSHA256"},
                        {"Timestamp", "2026-11-22T04:35:17Z"},
                        {"Signature", "ignored"}};
  std::string sts = sigv2::query_string_to_sign("GET", "LocalHost:4566", "/", params);
  CHECK(sts ==
        "GET\nlocalhost:4566\n/\nAWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Action=Select&"
        "SelectExpression=select%20%2A%20from%20%60d%60%20where%20a%20%3D%20%27x%20y%27&"
        "SignatureMethod=HmacSHA256&SignatureVersion=2&Timestamp=2026-11-22T04%3A35%3A17Z&"
        "Version=2009-04-15");
  CHECK(sigv2::signature(kSecret, sts, true) == "MD4q/Imj+WOH1MMbZonZCBkfkEgyl3iM8cqJAWTojAs=");
  CHECK(sigv2::query_string_to_sign("GET", "h", "", {}) == "GET\nh\n/\n");
}

TEST_CASE("SigV2 S3 header: the Authenticator accepts botocore's request and refuses changes") {
  Fixture f;
  HttpRequest good = botocore_put();
  AuthResult result = f.auth.authenticate(good, s3_options());
  CHECK(result.kind == SignatureKind::V2S3Header);
  CHECK(result.account.id == "123456789012");
  CHECK(result.account.display_name == "dev");
  CHECK(result.payload == PayloadMode::Unsigned);

  HttpRequest r = good;
  r.path = "/bucket/my%20key.txu";
  CHECK(f.failure(r, s3_options()) == AuthFailure::SignatureMismatch);
  r = good;
  r.query = "versionId=v2&acl&foo=bar";
  CHECK(f.failure(r, s3_options()) == AuthFailure::SignatureMismatch);
  r = good;
  r.query = "versionId=v1&acl&foo=baz";  // not a sub-resource: not signed
  CHECK_FALSE(f.failure(r, s3_options()));
  r = good;
  r.headers[1].value = "text/plaim";
  CHECK(f.failure(r, s3_options()) == AuthFailure::SignatureMismatch);
  r = good;
  r.headers.push_back({"x-amz-meta-new", "1"});
  CHECK(f.failure(r, s3_options()) == AuthFailure::SignatureMismatch);
  r = good;
  r.headers.back().value = "AWS AKIAIOSFODNN7EXAMPLE:wffHeHOZ1RGO3WsNbd7J9zXheyJ=";
  try {
    f.auth.authenticate(r, s3_options());
    FAIL("accepted a changed signature");
  } catch (const AuthError& e) {
    CHECK(e.failure == AuthFailure::SignatureMismatch);
    CHECK(e.access_key == kKey);
    CHECK(e.string_to_sign.rfind("PUT\nXrY7u", 0) == 0);
  }
  r = good;
  r.headers.back().value = "AWS AKIAIOSFODNN7EXAMPLF:wffHeHOZ1RGO3WsNbd7J9zXheyI=";
  CHECK(f.failure(r, s3_options()) == AuthFailure::InvalidAccessKey);
  r = good;
  r.headers.back().value = "AWS nocolon";
  CHECK(f.failure(r, s3_options()) == AuthFailure::Malformed);
}

TEST_CASE("SigV2 S3 header: Date more than 15 minutes off is TimeTooSkewed, none is Malformed") {
  Fixture f;
  HttpRequest r = botocore_put();
  f.clock.set(kNow + 16 * 60 * 1000);
  CHECK(f.failure(r, s3_options()) == AuthFailure::TimeTooSkewed);
  f.clock.set(kNow - 16 * 60 * 1000);
  CHECK(f.failure(r, s3_options()) == AuthFailure::TimeTooSkewed);
  f.clock.set(kNow + 14 * 60 * 1000);
  CHECK_FALSE(f.failure(r, s3_options()));
  std::erase_if(r.headers, [](const Header& h) { return h.name == "Date"; });
  CHECK(f.failure(r, s3_options()) == AuthFailure::Malformed);
}

TEST_CASE("SigV2 S3 header: a virtual-host bucket is part of the signed resource") {
  Fixture f;
  HttpRequest r =
      make("GET", "/key",
           {{"Host", "bucket.localhost:4566"}, {"Date", "Sun, 22 Nov 2026 04:35:17 GMT"}});
  AuthOptions o = s3_options();
  o.virtual_host_bucket = "bucket";
  std::string sts = sigv2::s3_string_to_sign(r, "Sun, 22 Nov 2026 04:35:17 GMT", false, "bucket");
  CHECK(sts == "GET\n\n\nSun, 22 Nov 2026 04:35:17 GMT\n/bucket/key");
  r.headers.push_back(
      {"Authorization", std::string("AWS ") + kKey + ":" + sigv2::signature(kSecret, sts, false)});
  CHECK_FALSE(f.failure(r, o));
  CHECK(f.failure(r, s3_options()) == AuthFailure::SignatureMismatch);
}

TEST_CASE("SigV2 S3 presigned: botocore's URL verifies until Expires, then is Expired") {
  Fixture f;
  HttpRequest r = make("GET",
                       "/bucket/key?response-content-type=text%2Fplain&AWSAccessKeyId="
                       "AKIAIOSFODNN7EXAMPLE&Signature=pZMIFRLNMpjIQY8hGpTmaAkYh5s%3D&Expires="
                       "1795325717",
                       {{"Host", "localhost:4566"}, {"User-Agent", "curl"}});
  AuthResult result = f.auth.authenticate(r, s3_options());
  CHECK(result.kind == SignatureKind::V2S3Query);
  CHECK(result.account.id == "123456789012");
  f.clock.set(1795325717000 + 1000);
  CHECK(f.failure(r, s3_options()) == AuthFailure::Expired);
  f.clock.set(kNow);
  HttpRequest changed = r;
  changed.query.replace(changed.query.find("text%2Fplain"), 12, "text%2Fplaim");
  CHECK(f.failure(changed, s3_options()) == AuthFailure::SignatureMismatch);
  changed = r;
  changed.query.replace(changed.query.find("1795325717"), 10, "1795325718");
  CHECK(f.failure(changed, s3_options()) == AuthFailure::SignatureMismatch);
  changed = r;
  changed.query.replace(changed.query.find("1795325717"), 10, "soon");
  CHECK(f.failure(changed, s3_options()) == AuthFailure::Malformed);
  // Without S3 rules these parameters are not a signature at all.
  CHECK(f.auth.authenticate(r, AuthOptions{}).kind == SignatureKind::Anonymous);
}

TEST_CASE("SigV2 form POST: botocore's SimpleDB request verifies; changes are refused") {
  Fixture f;
  const std::string body =
      "Action=ListDomains&Version=2009-04-15&MaxNumberOfDomains=10&NextToken=a+b%2Bc%2Fd~&"
      "AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&SignatureVersion=2&SignatureMethod=HmacSHA256&"
      "Timestamp=2026-11-22T04%3A35%3A17Z&Signature=ZwP2RcfSRJdx1RSZToQhecRrs6CG%2FqchhcUnDG0gJXs"
      "%3D";
  HttpRequest good = make("POST", "/",
                          {{"Host", "localhost:4566"},
                           {"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}},
                          body);
  AuthResult result = f.auth.authenticate(good, AuthOptions{});
  CHECK(result.kind == SignatureKind::V2Query);
  CHECK(result.account.id == "123456789012");

  HttpRequest r = good;
  r.body.replace(r.body.find("=10&"), 4, "=11&");
  CHECK(f.failure(r, AuthOptions{}) == AuthFailure::SignatureMismatch);
  r = good;
  r.headers[0].value = "localhost:4567";
  CHECK(f.failure(r, AuthOptions{}) == AuthFailure::SignatureMismatch);
  r = good;
  r.path = "/x";
  CHECK(f.failure(r, AuthOptions{}) == AuthFailure::SignatureMismatch);
  r = good;
  r.method = "PUT";  // not a form POST any more: no signature is seen
  CHECK(f.auth.authenticate(r, AuthOptions{}).kind == SignatureKind::Anonymous);
  f.clock.set(kNow + 20 * 60 * 1000);
  CHECK(f.failure(good, AuthOptions{}) == AuthFailure::TimeTooSkewed);
}

TEST_CASE("SigV2 query GET: boto 2's SimpleDB request verifies, HmacSHA1 too") {
  Fixture f;
  std::string query =
      "AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Action=Select&SelectExpression=select%20%2A%20from%20"
      "%60d%60%20where%20a%20%3D%20%27x%20y%27&SignatureMethod=HmacSHA256&SignatureVersion=2&"
      "Timestamp=2026-11-22T04%3A35%3A17Z&Version=2009-04-15&Signature=MD4q%2FImj%2BWOH1MMbZonZ"
      "CBkfkEgyl3iM8cqJAWTojAs%3D";
  HttpRequest r = make("GET", "/?" + query, {{"Host", "localhost:4566"}});
  CHECK(f.auth.authenticate(r, AuthOptions{}).kind == SignatureKind::V2Query);
  CHECK(f.auth.authenticate(r, s3_options()).kind == SignatureKind::V2Query);

  QueryParams p = {{"Action", "ListDomains"},
                   {"AWSAccessKeyId", kKey},
                   {"SignatureVersion", "2"},
                   {"SignatureMethod", "HmacSHA1"},
                   {"Expires", "2026-11-22T04:40:00Z"}};
  std::string sig =
      sigv2::signature(kSecret, sigv2::query_string_to_sign("GET", "sdb.local", "/", p), false);
  std::string q;
  for (auto& [k, v] : p) q += uri_encode(k) + "=" + uri_encode(v) + "&";
  q += "Signature=" + uri_encode(sig);
  HttpRequest r1 = make("GET", "/?" + q, {{"Host", "sdb.local"}});
  CHECK_FALSE(f.failure(r1, AuthOptions{}));
  f.clock.set(*parse_iso8601("2026-11-22T04:40:01Z"));
  CHECK(f.failure(r1, AuthOptions{}) == AuthFailure::Expired);
}

TEST_CASE("SigV2 query: bad SignatureMethod, version or missing pieces are Malformed") {
  Fixture f;
  auto req = [](const std::string& q) { return make("GET", "/?" + q, {{"Host", "h"}}); };
  CHECK(f.failure(req("SignatureVersion=1&AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE"), AuthOptions{}) ==
        AuthFailure::Malformed);
  CHECK(f.failure(req("SignatureVersion=2&AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&SignatureMethod="
                      "HmacMD5&Signature=x&Timestamp=2026-11-22T04:35:17Z"),
                  AuthOptions{}) == AuthFailure::Malformed);
  CHECK(f.failure(req("SignatureVersion=2&AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&SignatureMethod="
                      "HmacSHA256&Signature=x"),
                  AuthOptions{}) == AuthFailure::Malformed);
  CHECK(f.failure(req("SignatureVersion=2&SignatureMethod=HmacSHA256&Signature=x"),
                  AuthOptions{}) == AuthFailure::Malformed);
  CHECK(f.failure(req("SignatureVersion=2&AWSAccessKeyId=NOPE&SignatureMethod=HmacSHA256&"
                      "Signature=x&Timestamp=2026-11-22T04:35:17Z"),
                  AuthOptions{}) == AuthFailure::InvalidAccessKey);
}
