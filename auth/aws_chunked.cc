// Streaming body checks for S3 uploads: AwsChunkedReader decodes "aws-chunked" framing through
// a bounded buffer, verifying each chunk's signature (STREAMING-AWS4-HMAC-SHA256-PAYLOAD), the
// trailer signature (...-TRAILER) and the decoded length, and collects trailing headers;
// Sha256CheckingReader hashes a streamed body and compares it with X-Amz-Content-SHA256 at the
// end. Both throw ApiError with S3's codes.
#include "auth/aws_chunked.h"

#include <openssl/crypto.h>

#include <algorithm>
#include <cstring>

#include "auth/sigv4.h"
#include "common/encoding.h"
#include "common/error.h"
#include "common/http.h"

namespace nimbus {
namespace {

constexpr size_t kBufferSize = 64 * 1024;
constexpr size_t kMaxLine = 4096;  // a chunk header or trailer line
constexpr size_t kMaxTrailerBytes = 16 * 1024;
const std::string kEmptySha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

ApiError signature_mismatch() {
  return ApiError(403, "SignatureDoesNotMatch",
                  "The request signature we calculated does not match the signature you "
                  "provided. Check your key and signing method.");
}
ApiError bad_framing(const std::string& what) {
  return ApiError(400, "InvalidRequest", "Invalid aws-chunked request body: " + what);
}
ApiError truncated() {
  return errors::incomplete_body("The request body terminated unexpectedly.");
}

bool equal_ct(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}


std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

}  // namespace

struct AwsChunkedReader::State {
  enum class Phase { ChunkHeader, ChunkData, ChunkEnd, Trailers, Done };

  BodyReader& inner;
  bool verify_chunks = false;   // signed chunks with a key to check them
  bool verify_trailer = false;  // signed trailer with a key to check it
  std::string signing_key, previous_signature, amz_date, scope;

  std::string buffer;  // bytes read from inner, not yet consumed, from `head`
  size_t head = 0;
  bool inner_eof = false;

  Phase phase = Phase::ChunkHeader;
  uint64_t chunk_remaining = 0;
  bool last_chunk = false;
  std::string chunk_signature;  // as sent for the current chunk
  Hasher chunk_hash{Hasher::Algorithm::Sha256};
  uint64_t decoded = 0;
  std::string trailer_text;  // "name:value\n" lines, for the trailer signature
  size_t trailer_bytes = 0;

  State(BodyReader& r) : inner(r) { buffer.reserve(kBufferSize); }

  size_t available() const { return buffer.size() - head; }

  // Reads more from inner into the buffer; false at the end of the framed body.
  bool fill() {
    if (inner_eof) return false;
    if (head > 0) {
      buffer.erase(0, head);
      head = 0;
    }
    size_t old = buffer.size();
    size_t room = std::max(kBufferSize, kMaxLine + 2) - old;
    if (room == 0) return true;
    buffer.resize(old + room);
    size_t n = inner.read(buffer.data() + old, room);
    buffer.resize(old + n);
    if (n == 0) inner_eof = true;
    return n > 0;
  }

  // One CRLF-terminated line without the CRLF; nullopt at a clean end of input before any byte.
  std::optional<std::string> line() {
    for (;;) {
      std::string_view view(buffer.data() + head, available());
      size_t crlf = view.find("\r\n");
      if (crlf != std::string_view::npos) {
        std::string out(view.substr(0, crlf));
        head += crlf + 2;
        return out;
      }
      if (view.size() > kMaxLine) throw bad_framing("a chunk header line is too long");
      if (!fill()) {
        if (available() == 0) return std::nullopt;
        throw truncated();
      }
    }
  }

  void start_chunk_signature_check(std::string_view signature) {
    chunk_signature.assign(signature);
    chunk_hash = Hasher(Hasher::Algorithm::Sha256);
  }

  void verify_chunk() {
    if (!verify_chunks) return;
    std::string data_hash = hex_encode(chunk_hash.finish());
    std::string sts;
    sts.reserve(300);
    sts.append("AWS4-HMAC-SHA256-PAYLOAD\n").append(amz_date).append("\n").append(scope);
    sts.append("\n").append(previous_signature).append("\n").append(kEmptySha256);
    sts.append("\n").append(data_hash);
    std::string expected = sigv4::signature_hex(signing_key, sts);
    if (!equal_ct(expected, lower(chunk_signature))) throw signature_mismatch();
    previous_signature = std::move(expected);
  }

  void parse_chunk_header(const std::string& header) {
    std::string_view h(header);
    size_t semi = h.find(';');
    std::string_view size_text = trim_ows(h.substr(0, semi));
    if (size_text.empty() || size_text.size() > 15)
      throw bad_framing("bad chunk size '" + std::string(size_text) + "'");
    uint64_t size = 0;
    for (char c : size_text) {
      int v = c >= '0' && c <= '9'   ? c - '0'
              : c >= 'a' && c <= 'f' ? c - 'a' + 10
              : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                     : -1;
      if (v < 0) throw bad_framing("bad chunk size '" + std::string(size_text) + "'");
      size = size * 16 + static_cast<uint64_t>(v);
    }
    std::string_view signature;
    while (semi != std::string_view::npos) {
      size_t next = h.find(';', semi + 1);
      std::string_view ext = trim_ows(h.substr(
          semi + 1, next == std::string_view::npos ? std::string_view::npos : next - semi - 1));
      if (ext.substr(0, 16) == "chunk-signature=") signature = ext.substr(16);
      semi = next;
    }
    if (verify_chunks && signature.empty()) throw bad_framing("a chunk has no chunk-signature");
    start_chunk_signature_check(signature);
    chunk_remaining = size;
    last_chunk = size == 0;
  }

  void add_trailer(const std::string& text, Headers& trailers) {
    trailer_bytes += text.size();
    if (trailer_bytes > kMaxTrailerBytes) throw bad_framing("the trailing headers are too large");
    size_t colon = text.find(':');
    if (colon == std::string::npos) throw bad_framing("a trailing header has no ':'");
    std::string name = lower(trim_ows(std::string_view(text).substr(0, colon)));
    std::string value(trim_ows(std::string_view(text).substr(colon + 1)));
    if (name == "x-amz-trailer-signature") {
      if (verify_trailer) {
        std::string sts;
        sts.append("AWS4-HMAC-SHA256-TRAILER\n").append(amz_date).append("\n").append(scope);
        sts.append("\n").append(previous_signature).append("\n");
        sts.append(sha256_hex(trailer_text));
        if (!equal_ct(sigv4::signature_hex(signing_key, sts), lower(value)))
          throw signature_mismatch();
        verify_trailer = false;  // checked
      }
      return;
    }
    trailer_text.append(name).append(":").append(value).append("\n");
    trailers.push_back({std::move(name), std::move(value)});
  }
};

AwsChunkedReader::AwsChunkedReader(BodyReader& inner, const AuthResult& auth,
                                   std::optional<uint64_t> decoded_length)
    : state_(std::make_unique<State>(inner)), decoded_length_(decoded_length) {
  State& s = *state_;
  const bool signed_chunks = auth.payload == PayloadMode::StreamingSigned ||
                             auth.payload == PayloadMode::StreamingSignedTrailer;
  const bool have_key = !auth.signing_key.empty();
  s.verify_chunks = signed_chunks && have_key;
  s.verify_trailer = auth.payload == PayloadMode::StreamingSignedTrailer && have_key;
  s.signing_key = auth.signing_key;
  s.previous_signature = auth.seed_signature;
  s.amz_date = auth.amz_date;
  s.scope = auth.scope;
}

AwsChunkedReader::~AwsChunkedReader() = default;

size_t AwsChunkedReader::read(char* out, size_t size) {
  State& s = *state_;
  if (size == 0) return 0;
  for (;;) {
    switch (s.phase) {
      case State::Phase::Done:
        return 0;

      case State::Phase::ChunkHeader: {
        auto header = s.line();
        if (!header) throw truncated();
        s.parse_chunk_header(*header);
        if (s.last_chunk) {
          s.verify_chunk();
          s.phase = State::Phase::Trailers;
        } else {
          s.phase = State::Phase::ChunkData;
        }
        break;
      }

      case State::Phase::ChunkData: {
        size_t want = static_cast<size_t>(std::min<uint64_t>(size, s.chunk_remaining));
        size_t n = 0;
        if (s.available() > 0) {
          n = std::min(want, s.available());
          std::memcpy(out, s.buffer.data() + s.head, n);
          s.head += n;
        } else if (!s.inner_eof) {
          // Large reads go straight from the inner reader to the caller.
          n = s.inner.read(out, want);
          if (n == 0) s.inner_eof = true;
        }
        if (n == 0) throw truncated();
        if (s.verify_chunks) s.chunk_hash.update(std::string_view(out, n));
        s.chunk_remaining -= n;
        s.decoded += n;
        if (decoded_length_ && s.decoded > *decoded_length_)
          throw errors::incomplete_body(
              "The decoded body is longer than X-Amz-Decoded-Content-Length (" +
              std::to_string(*decoded_length_) + " bytes).");
        if (s.chunk_remaining == 0) s.phase = State::Phase::ChunkEnd;
        return n;
      }

      case State::Phase::ChunkEnd: {
        auto rest = s.line();
        if (!rest) throw truncated();
        if (!rest->empty()) throw bad_framing("chunk data is longer than its declared size");
        s.verify_chunk();
        s.phase = State::Phase::ChunkHeader;
        break;
      }

      case State::Phase::Trailers: {
        // Trailing header lines, ended by an empty line (or, leniently, by the end of input).
        auto text = s.line();
        if (text && !text->empty()) {
          s.add_trailer(*text, trailers_);
          break;
        }
        if (s.verify_trailer) throw bad_framing("the trailer signature is missing");
        if (decoded_length_ && s.decoded != *decoded_length_)
          throw errors::incomplete_body("The decoded body is " + std::to_string(s.decoded) +
                                        " bytes, but X-Amz-Decoded-Content-Length says " +
                                        std::to_string(*decoded_length_) + ".");
        s.phase = State::Phase::Done;
        return 0;
      }
    }
  }
}

size_t Sha256CheckingReader::read(char* buffer, size_t size) {
  if (done_) return 0;
  size_t n = inner_.read(buffer, size);
  if (n > 0) {
    hasher_.update(std::string_view(buffer, n));
    return n;
  }
  done_ = true;
  if (!iequals(hex_encode(hasher_.finish()), expected_hex_))
    throw ApiError(400, "XAmzContentSHA256Mismatch",
                   "The provided 'x-amz-content-sha256' header does not match what was "
                   "computed.");
  return 0;
}

}  // namespace nimbus
