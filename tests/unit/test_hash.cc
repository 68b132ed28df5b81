// Unit tests for common/hash: digests, HMAC (RFC 2202 / RFC 4231 vectors), CRC32, CRC32C,
// CRC64NVME check values, the incremental Hasher agreeing with the one-shot functions, and the
// BackgroundHasher (the same digests from its own thread, buffers reused, stopped early).
#include <doctest/doctest.h>

#include <algorithm>
#include <cstring>

#include "common/encoding.h"
#include "common/hash.h"

using namespace nimbus;

TEST_CASE("md5, sha1 and sha256 match the FIPS / RFC 1321 vectors") {
  CHECK(hex_encode(md5("")) == "d41d8cd98f00b204e9800998ecf8427e");
  CHECK(hex_encode(md5("abc")) == "900150983cd24fb0d6963f7d28e17f72");
  CHECK(hex_encode(sha1("abc")) == "a9993e364706816aba3e25717850c26c9cd0d89d");
  CHECK(sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(hex_encode(sha256("abc")) == sha256_hex("abc"));
}

TEST_CASE("hmac_sha1 and hmac_sha256 match RFC 2202 and RFC 4231") {
  CHECK(hex_encode(hmac_sha1("Jefe", "what do ya want for nothing?")) ==
        "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79");
  CHECK(hex_encode(hmac_sha256("Jefe", "what do ya want for nothing?")) ==
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  // Key longer than the block size is hashed first (RFC 4231 test case 6).
  CHECK(hex_encode(hmac_sha256(std::string(131, '\xaa'),
                               "Test Using Larger Than Block-Size Key - Hash Key First")) ==
        "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

TEST_CASE("CRC check values of \"123456789\"") {
  CHECK(crc32("123456789") == 0xCBF43926u);
  CHECK(crc32c("123456789") == 0xE3069283u);
  CHECK(crc64nvme("123456789") == 0xAE8B14860A799888ull);
  CHECK(crc32("") == 0u);
  CHECK(crc64nvme("") == 0u);
}

TEST_CASE("CRC32 of hello\\n base64-encodes to what botocore sends") {
  CHECK(crc32("hello\n") == 0x363A3020u);
  Hasher h(Hasher::Algorithm::Crc32);
  h.update("hello\n");
  CHECK(base64_encode(h.finish()) == "NjowIA==");
}

TEST_CASE("CRCs continue from a previous value across any split") {
  std::string data;
  for (int i = 0; i < 1000; ++i) data.push_back(static_cast<char>(i * 7 + 3));
  for (size_t split : {0, 1, 7, 8, 9, 63, 500, 999, 1000}) {
    std::string_view a = std::string_view(data).substr(0, split);
    std::string_view b = std::string_view(data).substr(split);
    CHECK(crc32(b, crc32(a)) == crc32(data));
    CHECK(crc32c(b, crc32c(a)) == crc32c(data));
    CHECK(crc64nvme(b, crc64nvme(a)) == crc64nvme(data));
  }
}

TEST_CASE("CRC combination equals the CRC over the concatenated bytes") {
  std::string data;
  for (int i = 0; i < 70000; ++i) data.push_back(static_cast<char>((i * 131 + i / 7) & 0xFF));
  for (size_t split : {0, 1, 8, 127, 128, 4096, 65535, 69999, 70000}) {
    std::string_view a = std::string_view(data).substr(0, split);
    std::string_view b = std::string_view(data).substr(split);
    CAPTURE(split);
    CHECK(crc32_combine(crc32(a), crc32(b), b.size()) == crc32(data));
    CHECK(crc32c_combine(crc32c(a), crc32c(b), b.size()) == crc32c(data));
    CHECK(crc64nvme_combine(crc64nvme(a), crc64nvme(b), b.size()) == crc64nvme(data));
  }
  // Folding many pieces left to right, on Hasher digests, as CompleteMultipartUpload does.
  for (Hasher::Algorithm alg : {Hasher::Algorithm::Crc32, Hasher::Algorithm::Crc32c,
                                Hasher::Algorithm::Crc64Nvme}) {
    auto digest = [&](std::string_view bytes) {
      Hasher h(alg);
      h.update(bytes);
      return h.finish();
    };
    std::string combined;
    for (size_t off = 0; off < data.size(); off += 9999) {
      std::string_view piece = std::string_view(data).substr(off, 9999);
      combined = off == 0 ? digest(piece) : crc_combine(alg, combined, digest(piece), piece.size());
    }
    CHECK(hex_encode(combined) == hex_encode(digest(data)));
  }
  // Pieces of S3's part sizes (5 MiB and a bit), where the length has many bits set.
  std::string big((5u << 20) + 4097, '\0');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>((i * 2654435761u) >> 24);
  std::string_view head = std::string_view(big).substr(0, 5u << 20);
  std::string_view tail = std::string_view(big).substr(5u << 20);
  CHECK(crc64nvme_combine(crc64nvme(tail), crc64nvme(head), head.size()) ==
        crc64nvme(std::string(tail) + std::string(head)));
  CHECK(crc32c_combine(crc32c(head), crc32c(tail), tail.size()) == crc32c(big));
  CHECK(crc32_combine(crc32(head), 0, 0) == crc32(head));  // an empty piece changes nothing
  CHECK_THROWS_AS(crc_combine(Hasher::Algorithm::Sha256, "a", "b", 1), std::logic_error);
}

TEST_CASE("Hasher gives the same digest as the one-shot functions, CRCs big-endian") {
  std::string data(100000, 'x');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i % 251);
  auto run = [&](Hasher::Algorithm a) {
    Hasher h(a);
    for (size_t off = 0; off < data.size(); off += 333)
      h.update(std::string_view(data).substr(off, 333));
    return h.finish();
  };
  CHECK(run(Hasher::Algorithm::Md5) == md5(data));
  CHECK(run(Hasher::Algorithm::Sha1) == sha1(data));
  CHECK(run(Hasher::Algorithm::Sha256) == sha256(data));
  uint32_t c = crc32(data);
  CHECK(hex_encode(run(Hasher::Algorithm::Crc32)) ==
        hex_encode(std::string{static_cast<char>(c >> 24), static_cast<char>(c >> 16),
                               static_cast<char>(c >> 8), static_cast<char>(c)}));
  CHECK(run(Hasher::Algorithm::Crc32c).size() == 4);
  Hasher h64(Hasher::Algorithm::Crc64Nvme);
  h64.update("123456789");
  CHECK(hex_encode(h64.finish()) == "ae8b14860a799888");
}

TEST_CASE("Hasher can be moved") {
  Hasher a(Hasher::Algorithm::Sha256);
  a.update("a");
  Hasher b(std::move(a));
  b.update("bc");
  CHECK(b.finish() == sha256("abc"));
}

TEST_CASE("BackgroundHasher digests what was submitted, reusing its few buffers in order") {
  std::string data(3'000'000, 'x');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>((i * 7 + i / 997) % 256);
  // Pieces of uneven sizes, many more than the buffers, so each buffer is reused many times
  // and the digest only comes out right when the pieces are hashed in submission order.
  BackgroundHasher h(Hasher::Algorithm::Md5, 4096, 3);
  CHECK(h.buffer_size() == 4096);
  size_t off = 0;
  for (size_t i = 0; off < data.size(); ++i) {
    size_t n = std::min<size_t>({1 + (i * 389) % 4096, data.size() - off});
    char* buffer = h.buffer();
    CHECK(h.buffer() == buffer);  // the same buffer until it is submitted
    std::memcpy(buffer, data.data() + off, n);
    h.submit(n);
    off += n;
  }
  CHECK(hex_encode(h.finish()) == hex_encode(md5(data)));
  CHECK_THROWS_AS(h.buffer(), std::logic_error);

  BackgroundHasher empty(Hasher::Algorithm::Sha256, 16, 1);
  CHECK(empty.finish() == sha256(""));
  BackgroundHasher unbuffered(Hasher::Algorithm::Md5, 16, 1);
  CHECK_THROWS_AS(unbuffered.submit(1), std::logic_error);
  CHECK_THROWS_AS(BackgroundHasher(Hasher::Algorithm::Md5, 0, 1), std::invalid_argument);
}

TEST_CASE("BackgroundHasher destroyed unfinished stops its thread") {
  // The caller failed half-way (a body that ended early): no finish(), nothing hangs.
  for (int round = 0; round < 50; ++round) {
    BackgroundHasher h(Hasher::Algorithm::Md5, 1 << 16, 2);
    for (int i = 0; i < round % 5; ++i) {
      std::memset(h.buffer(), 'a' + i, h.buffer_size());
      h.submit(h.buffer_size());
    }
  }
}

namespace {
// Bit-at-a-time reflected CRC (the definition), to check the table and hardware paths against.
template <typename T>
T crc_by_bits(std::string_view data, T reflected_poly, T previous) {
  T c = static_cast<T>(~previous);
  for (unsigned char byte : data) {
    c ^= byte;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ reflected_poly : (c >> 1);
  }
  return static_cast<T>(~c);
}
}  // namespace

TEST_CASE("CRC32C and CRC64NVME agree with the bitwise definition at every length and split") {
  std::string data(5000, '\0');
  uint64_t x = 88172645463325252ull;
  for (char& ch : data) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    ch = static_cast<char>(x);
  }
  for (size_t len : {0, 1, 7, 8, 15, 16, 63, 64, 127, 128, 129, 143, 191, 192, 200, 255, 256, 1000,
                     4096, 4999, 5000}) {
    std::string_view d(data.data(), len);
    CAPTURE(len);
    CHECK(crc64nvme(d) == crc_by_bits<uint64_t>(d, 0x9A6C9329AC4BC9B5ull, 0));
    CHECK(crc32c(d) == crc_by_bits<uint32_t>(d, 0x82F63B78u, 0));
    CHECK(crc32(d) == crc_by_bits<uint32_t>(d, 0xEDB88320u, 0));
    // Continuing from a previous value, as Hasher does with streamed bodies.
    size_t cut = len / 3;
    CHECK(crc64nvme(d.substr(cut), crc64nvme(d.substr(0, cut))) == crc64nvme(d));
    CHECK(crc32c(d.substr(cut), crc32c(d.substr(0, cut))) == crc32c(d));
  }
}
