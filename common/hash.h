// The one place for digests and checksums (OpenSSL underneath): MD5, SHA-1, SHA-256, HMAC, and
// the CRC family S3 checksums use (CRC32, CRC32C, CRC64NVME). One-shot functions return raw
// bytes; callers hex- or base64-encode with common/encoding.h. The incremental Hasher serves
// streamed bodies; BackgroundHasher runs one on its own thread, alongside the caller's work.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace nimbus {

std::string md5(std::string_view data);
std::string sha1(std::string_view data);
std::string sha256(std::string_view data);
std::string sha256_hex(std::string_view data);
std::string hmac_sha1(std::string_view key, std::string_view data);
std::string hmac_sha256(std::string_view key, std::string_view data);

uint32_t crc32(std::string_view data, uint32_t previous = 0);
uint32_t crc32c(std::string_view data, uint32_t previous = 0);
uint64_t crc64nvme(std::string_view data, uint64_t previous = 0);

// The CRC of A followed by B, from crc(A), crc(B) and B's length alone (no bytes are read):
// how S3's full-object checksum of a multipart upload is built from its parts' CRCs.
uint32_t crc32_combine(uint32_t crc_a, uint32_t crc_b, uint64_t length_b);
uint32_t crc32c_combine(uint32_t crc_a, uint32_t crc_b, uint64_t length_b);
uint64_t crc64nvme_combine(uint64_t crc_a, uint64_t crc_b, uint64_t length_b);

// Incremental digest over streamed data. Thread-compatible (one thread at a time).
class Hasher {
 public:
  enum class Algorithm { Md5, Sha1, Sha256, Crc32, Crc32c, Crc64Nvme };
  explicit Hasher(Algorithm algorithm);
  ~Hasher();
  Hasher(Hasher&&) noexcept;
  Hasher& operator=(Hasher&&) noexcept;
  void update(std::string_view data);
  // Raw digest bytes (CRCs big-endian, as S3 transmits them before base64). Call once.
  std::string finish();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// A Hasher fed on its own thread, so one stream's digest is computed while the caller does the
// rest of the work on the same bytes (an S3 upload's MD5 while the request thread reads, checks
// and writes). The caller fills the buffer buffer() hands out and passes it on with
// submit(); a buffer returns to the pool once hashed, so memory stays at buffers x buffer_size.
// finish() waits until everything submitted is hashed. Destroying it unfinished (the caller
// failed) stops the thread without waiting for the rest.
// Thread-compatible: one caller thread; buffers are read-only for the caller after submit().
class BackgroundHasher {
 public:
  BackgroundHasher(Hasher::Algorithm algorithm, size_t buffer_size, size_t buffers);
  ~BackgroundHasher();
  BackgroundHasher(const BackgroundHasher&) = delete;
  BackgroundHasher& operator=(const BackgroundHasher&) = delete;
  // A free buffer of buffer_size() bytes to fill, waiting for one while all are queued; the
  // same one until submit().
  char* buffer();
  size_t buffer_size() const;
  // Queues the first `used` bytes of the buffer buffer() returned.
  void submit(size_t used);
  // The digest of everything submitted (Hasher::finish()). Call once.
  std::string finish();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// The *_combine functions on digests as Hasher::finish() returns them (big-endian), for a CRC
// algorithm (std::logic_error for another).
std::string crc_combine(Hasher::Algorithm algorithm, std::string_view crc_a,
                        std::string_view crc_b, uint64_t length_b);

}  // namespace nimbus
