// Readers that check a streamed S3 upload as it arrives, so nothing is held whole in memory:
//  - AwsChunkedReader decodes "Content-Encoding: aws-chunked" framing
//    ("<hex size>[;chunk-signature=<sig>]\r\n<data>\r\n ... 0...\r\n<trailers>\r\n\r\n"),
//    verifying every chunk signature (STREAMING-AWS4-HMAC-SHA256-PAYLOAD) and the trailer
//    signature (...-TRAILER), and collecting trailing headers (x-amz-checksum-*).
//  - Sha256CheckingReader hashes the body and fails at the end when X-Amz-Content-SHA256 differs.
// Both throw ApiError with S3's codes (SignatureDoesNotMatch, XAmzContentSHA256Mismatch,
// IncompleteBody, InvalidRequest for bad framing).
#pragma once

#include <memory>
#include <string>

#include "auth/authenticator.h"
#include "common/hash.h"
#include "common/http.h"

namespace nimbus {

class AwsChunkedReader : public BodyReader {
 public:
  // inner supplies the framed bytes; auth carries the mode and, for signed chunks, the signing
  // key, seed signature, date and scope. decoded_length is X-Amz-Decoded-Content-Length.
  AwsChunkedReader(BodyReader& inner, const AuthResult& auth,
                   std::optional<uint64_t> decoded_length);
  ~AwsChunkedReader() override;
  size_t read(char* buffer, size_t size) override;
  std::optional<uint64_t> announced_length() const override { return decoded_length_; }
  // Trailing headers, complete once read() has returned 0.
  const Headers& trailers() const { return trailers_; }

 private:
  struct State;
  std::unique_ptr<State> state_;
  std::optional<uint64_t> decoded_length_;
  Headers trailers_;
};

class Sha256CheckingReader : public BodyReader {
 public:
  Sha256CheckingReader(BodyReader& inner, std::string expected_hex)
      : inner_(inner), expected_hex_(std::move(expected_hex)), hasher_(Hasher::Algorithm::Sha256) {}
  size_t read(char* buffer, size_t size) override;
  std::optional<uint64_t> announced_length() const override { return inner_.announced_length(); }

 private:
  BodyReader& inner_;
  std::string expected_hex_;
  Hasher hasher_;
  bool done_ = false;
};

}  // namespace nimbus
