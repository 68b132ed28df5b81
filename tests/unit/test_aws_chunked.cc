// Unit tests for auth/aws_chunked: the AWS documentation's signed multi-chunk upload (64 KiB +
// 1 KiB of 'a', published chunk signatures), signed trailers, botocore's unsigned-trailer body,
// framing and length errors, any read sizes on either side, and Sha256CheckingReader.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstring>

#include "auth/authenticator.h"
#include "auth/aws_chunked.h"
#include "auth/sigv4.h"
#include "common/encoding.h"
#include "common/error.h"
#include "common/hash.h"

using namespace nimbus;

namespace {

// Hands out at most `step` bytes per read, like a slow socket.
class TrickleReader : public BodyReader {
 public:
  TrickleReader(std::string data, size_t step) : data_(std::move(data)), step_(step) {}
  size_t read(char* buffer, size_t size) override {
    size_t n = std::min({size, step_, data_.size() - offset_});
    std::memcpy(buffer, data_.data() + offset_, n);
    offset_ += n;
    return n;
  }
  std::optional<uint64_t> announced_length() const override { return data_.size(); }

 private:
  std::string data_;
  size_t step_;
  size_t offset_ = 0;
};

// Reads everything with a caller buffer of `chunk` bytes.
std::string drain(BodyReader& r, size_t chunk) {
  std::string out, buf(chunk, '\0');
  for (;;) {
    size_t n = r.read(buf.data(), chunk);
    if (n == 0) return out;
    out.append(buf.data(), n);
  }
}

// The error code an ApiError carries, or "" when decoding succeeds.
std::string decode_error(const std::string& body, const AuthResult& auth,
                         std::optional<uint64_t> decoded_length, size_t step = 1 << 20) {
  TrickleReader inner(body, step);
  AwsChunkedReader reader(inner, auth, decoded_length);
  try {
    drain(reader, 4096);
    return "";
  } catch (const ApiError& e) {
    return std::to_string(e.http_status) + " " + e.code;
  }
}

// --- the AWS documentation example -------------------------------------------------------------
// docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming.html, "Example: PUT Object".
constexpr const char* kKey = "AKIAIOSFODNN7EXAMPLE";
constexpr const char* kSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
constexpr const char* kSeed = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9";
constexpr const char* kSig1 = "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648";
constexpr const char* kSig2 = "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497";
constexpr const char* kSig3 = "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9";

HttpRequest doc_request() {
  HttpRequest r;
  r.method = "PUT";
  r.target = r.path = "/examplebucket/chunkObject.txt";
  r.headers = {
      {"Host", "s3.amazonaws.com"},
      {"x-amz-date", "20130524T000000Z"},
      {"x-amz-storage-class", "REDUCED_REDUNDANCY"},
      {"Authorization",
       "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
       "SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;"
       "x-amz-decoded-content-length;x-amz-storage-class,Signature=" +
           std::string(kSeed)},
      {"x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"},
      {"Content-Encoding", "aws-chunked"},
      {"x-amz-decoded-content-length", "66560"},
      {"Content-Length", "66824"},
  };
  r.body_buffered = false;
  return r;
}

std::string doc_body() {
  return "10000;chunk-signature=" + std::string(kSig1) + "\r\n" + std::string(65536, 'a') +
         "\r\n400;chunk-signature=" + kSig2 + "\r\n" + std::string(1024, 'a') +
         "\r\n0;chunk-signature=" + kSig3 + "\r\n\r\n";
}

AuthResult doc_auth() {
  static Credentials credentials = [] {
    Credentials c;
    c.add({kKey, kSecret, "123456789012", "dev"});
    return c;
  }();
  ManualClock clock(*parse_amz_date("20130524T000000Z"));
  Authenticator auth(credentials, clock, true);
  AuthOptions o;
  o.s3 = true;
  o.body_available = false;
  return auth.authenticate(doc_request(), o);
}

// --- building signed bodies --------------------------------------------------------------------
struct Signer {
  std::string key = sigv4::signing_key(kSecret, "20261122", "us-east-1", "s3");
  std::string date = "20261122T043517Z";
  std::string scope = "20261122/us-east-1/s3/aws4_request";
  std::string previous = std::string(64, '1');

  AuthResult auth(PayloadMode mode) const {
    AuthResult a;
    a.payload = mode;
    a.signing_key = key;
    a.seed_signature = std::string(64, '1');
    a.amz_date = date;
    a.scope = scope;
    return a;
  }
  std::string chunk(const std::string& data) {
    std::string sts = "AWS4-HMAC-SHA256-PAYLOAD\n" + date + "\n" + scope + "\n" + previous + "\n" +
                      sha256_hex("") + "\n" + sha256_hex(data);
    previous = sigv4::signature_hex(key, sts);
    char size[32];
    std::snprintf(size, sizeof size, "%zx", data.size());
    return std::string(size) + ";chunk-signature=" + previous + "\r\n" + data + "\r\n";
  }
  std::string trailer(const std::string& canonical) {
    std::string sts = "AWS4-HMAC-SHA256-TRAILER\n" + date + "\n" + scope + "\n" + previous + "\n" +
                      sha256_hex(canonical);
    return sigv4::signature_hex(key, sts);
  }
};

}  // namespace

TEST_CASE("the documentation's seed request verifies and sets up chunk checking") {
  AuthResult a = doc_auth();
  CHECK(a.payload == PayloadMode::StreamingSigned);
  CHECK(a.seed_signature == kSeed);
  CHECK(a.amz_date == "20130524T000000Z");
  CHECK(a.scope == "20130524/us-east-1/s3/aws4_request");
}

TEST_CASE("the documentation's chunks decode with any read sizes on either side") {
  AuthResult a = doc_auth();
  const std::string body = doc_body();
  REQUIRE(body.size() == 66824);
  for (size_t step : {size_t{1}, size_t{3}, size_t{87}, size_t{4096}, size_t{1} << 20}) {
    for (size_t chunk : {size_t{1}, size_t{13}, size_t{8192}, size_t{200000}}) {
      if (step == 1 && chunk == 1) continue;  // slow and adds nothing over the others
      CAPTURE(step);
      CAPTURE(chunk);
      TrickleReader inner(body, step);
      AwsChunkedReader reader(inner, a, 66560);
      CHECK(reader.announced_length() == std::optional<uint64_t>(66560));
      std::string out = drain(reader, chunk);
      CHECK(out == std::string(66560, 'a'));
      CHECK(reader.trailers().empty());
      char c;
      CHECK(reader.read(&c, 1) == 0);  // stays at the end
    }
  }
}

TEST_CASE("one changed byte of data or of a chunk signature is SignatureDoesNotMatch") {
  AuthResult a = doc_auth();
  const std::string body = doc_body();
  const size_t data1 = body.find("\r\n") + 2;
  for (size_t pos : {data1, data1 + 65535, body.find("\r\n400;") + 30 + 64 + 100, body.find(kSig1),
                     body.find(kSig2) + 63, body.find(kSig3) + 5}) {
    CAPTURE(pos);
    std::string bad = body;
    bad[pos] = bad[pos] == 'a' ? 'b' : (bad[pos] == '0' ? '1' : '0');
    CHECK(decode_error(bad, a, 66560) == "403 SignatureDoesNotMatch");
  }
  AuthResult wrong_seed = a;
  wrong_seed.seed_signature[0] = '5';
  CHECK(decode_error(body, wrong_seed, 66560) == "403 SignatureDoesNotMatch");
  CHECK(decode_error(body, a, 66560) == "");
}

TEST_CASE("a missing chunk signature, bad framing or a short body is refused") {
  AuthResult a = doc_auth();
  CHECK(decode_error("5\r\nhello\r\n0\r\n\r\n", a, 5) == "400 InvalidRequest");
  Signer s;
  AuthResult u = s.auth(PayloadMode::StreamingUnsignedTrailer);
  CHECK(decode_error("zz\r\nhello\r\n0\r\n\r\n", u, std::nullopt) == "400 InvalidRequest");
  CHECK(decode_error("\r\nhello\r\n0\r\n\r\n", u, std::nullopt) == "400 InvalidRequest");
  CHECK(decode_error("3\r\nhello\r\n0\r\n\r\n", u, std::nullopt) == "400 InvalidRequest");
  CHECK(decode_error("5\r\nhel", u, std::nullopt) == "400 IncompleteBody");
  CHECK(decode_error("5\r\nhello", u, std::nullopt) == "400 IncompleteBody");
  CHECK(decode_error("5\r\nhello\r\n", u, std::nullopt) == "400 IncompleteBody");
  CHECK(decode_error("", u, std::nullopt) == "400 IncompleteBody");
  CHECK(decode_error(std::string(5000, '1'), u, std::nullopt) == "400 InvalidRequest");
}

TEST_CASE("the decoded length must equal X-Amz-Decoded-Content-Length") {
  AuthResult a = doc_auth();
  CHECK(decode_error(doc_body(), a, 66561) == "400 IncompleteBody");
  CHECK(decode_error(doc_body(), a, 66559) == "400 IncompleteBody");
  CHECK(decode_error(doc_body(), a, 1) == "400 IncompleteBody");
  CHECK(decode_error(doc_body(), a, std::nullopt) == "");
}

TEST_CASE("botocore's STREAMING-UNSIGNED-PAYLOAD-TRAILER body decodes with its trailer") {
  AuthResult a;
  a.payload = PayloadMode::StreamingUnsignedTrailer;
  const std::string body = "6\r\nhello\n\r\n0\r\nx-amz-checksum-crc32:NjowIA==\r\n\r\n";
  for (size_t step : {size_t{1}, size_t{2}, size_t{5}, size_t{64 * 1024}}) {
    for (size_t chunk : {size_t{1}, size_t{4}, size_t{64 * 1024}}) {
      CAPTURE(step);
      CAPTURE(chunk);
      TrickleReader inner(body, step);
      AwsChunkedReader reader(inner, a, 6);
      CHECK(drain(reader, chunk) == "hello\n");
      REQUIRE(reader.trailers().size() == 1);
      CHECK(reader.trailers()[0].name == "x-amz-checksum-crc32");
      CHECK(reader.trailers()[0].value == "NjowIA==");
      Hasher crc(Hasher::Algorithm::Crc32);
      crc.update("hello\n");
      CHECK(base64_encode(crc.finish()) == reader.trailers()[0].value);
    }
  }
  // Leniency: an end of input where the final empty line belongs.
  TrickleReader inner("6\r\nhello\n\r\n0\r\nx-amz-checksum-crc32:NjowIA==\r\n", 3);
  AwsChunkedReader reader(inner, a, 6);
  CHECK(drain(reader, 100) == "hello\n");
  CHECK(reader.trailers().size() == 1);
}

TEST_CASE("signed chunks with a signed trailer verify; a changed trailer is refused") {
  Signer s;
  std::string data1(10000, 'x'), data2 = "tail";
  std::string body = s.chunk(data1);  // one statement each: the chunks chain in order
  body += s.chunk(data2);
  body += s.chunk("");
  body.resize(body.size() - 2);  // with trailers, they follow the final chunk header at once
  Hasher crc(Hasher::Algorithm::Crc32c);
  crc.update(data1 + data2);
  std::string checksum = base64_encode(crc.finish());
  std::string canonical = "x-amz-checksum-crc32c:" + checksum + "\n";
  std::string signature = s.trailer(canonical);
  std::string trailer = "x-amz-checksum-crc32c:" + checksum + "\r\n" +
                        "x-amz-trailer-signature:" + signature + "\r\n\r\n";
  AuthResult a = s.auth(PayloadMode::StreamingSignedTrailer);
  {
    TrickleReader inner(body + trailer, 7);
    AwsChunkedReader reader(inner, a, data1.size() + data2.size());
    CHECK(drain(reader, 333) == data1 + data2);
    REQUIRE(reader.trailers().size() == 1);
    CHECK(reader.trailers()[0].value == checksum);
  }
  std::string changed = trailer;
  changed[25] = changed[25] == 'A' ? 'B' : 'A';
  CHECK(decode_error(body + changed, a, std::nullopt) == "403 SignatureDoesNotMatch");
  std::string unsigned_trailer = "x-amz-checksum-crc32c:" + checksum + "\r\n\r\n";
  CHECK(decode_error(body + unsigned_trailer, a, std::nullopt) == "400 InvalidRequest");
  // The same body read as unsigned chunks needs no key and ignores the signatures.
  AuthResult unsigned_mode;
  unsigned_mode.payload = PayloadMode::StreamingUnsignedTrailer;
  CHECK(decode_error(body + changed, unsigned_mode, std::nullopt) == "");
}

TEST_CASE("without a signing key (--auth off) signed chunks are decoded, not checked") {
  AuthResult a = doc_auth();
  a.signing_key.clear();
  std::string bad = doc_body();
  bad[100] = 'b';
  TrickleReader inner(bad, 4096);
  AwsChunkedReader reader(inner, a, 66560);
  CHECK(drain(reader, 4096).size() == 66560);
}

TEST_CASE("Sha256CheckingReader passes a matching body and refuses another at the end") {
  const std::string body(100000, 'q');
  {
    TrickleReader inner(body, 777);
    Sha256CheckingReader reader(inner, sha256_hex(body));
    CHECK(reader.announced_length() == std::optional<uint64_t>(body.size()));
    CHECK(drain(reader, 4096) == body);
    char c;
    CHECK(reader.read(&c, 1) == 0);
  }
  {
    TrickleReader inner(body, 777);
    std::string upper = sha256_hex(body);
    for (char& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    Sha256CheckingReader reader(inner, upper);
    CHECK(drain(reader, 4096) == body);
  }
  TrickleReader inner(body, 777);
  Sha256CheckingReader reader(inner, sha256_hex("other"));
  try {
    drain(reader, 4096);
    FAIL("accepted");
  } catch (const ApiError& e) {
    CHECK(e.http_status == 400);
    CHECK(e.code == "XAmzContentSHA256Mismatch");
    CHECK(e.message ==
          "The provided 'x-amz-content-sha256' header does not match what was computed.");
  }
}
