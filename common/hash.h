// The one place for digests and checksums (OpenSSL underneath): MD5, SHA-1, SHA-256, HMAC, and
// the CRC family S3 checksums use (CRC32, CRC32C, CRC64NVME). One-shot functions return raw
// bytes; callers hex- or base64-encode with common/encoding.h. The incremental Hasher serves
// streamed bodies.
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

}  // namespace nimbus
