// The one place for digests and checksums: MD5/SHA-1/SHA-256 and HMAC over OpenSSL's EVP API,
// and CRC32, CRC32C and CRC64NVME: table-driven (slicing-by-8), with the SSE4.2 crc32
// instruction for CRC32C and PCLMULQDQ folding for CRC64NVME when the CPU has them.
// Entry points: md5, sha1, sha256, sha256_hex, hmac_sha1, hmac_sha256, crc32, crc32c, crc64nvme,
// the *_combine functions (the CRC of two concatenated pieces from their CRCs), Hasher,
// BackgroundHasher (a Hasher on its own thread, fed through a small pool of buffers).
#include "common/hash.h"

#include <openssl/evp.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include <array>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <exception>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>
#include <vector>

#include "common/encoding.h"
#include "common/threads.h"

namespace nimbus {
namespace {

// ---- EVP digests ------------------------------------------------------------------------------

enum class Md { Md5, Sha1, Sha256 };

// Fetched once per process (EVP_MD_fetch is thread-safe; the results are immutable).
const EVP_MD* fetch_md(Md md) {
  static EVP_MD* const md5 = EVP_MD_fetch(nullptr, "MD5", nullptr);
  static EVP_MD* const sha1 = EVP_MD_fetch(nullptr, "SHA1", nullptr);
  static EVP_MD* const sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  const EVP_MD* m = md == Md::Md5 ? md5 : md == Md::Sha1 ? sha1 : sha256;
  if (!m) throw std::runtime_error("OpenSSL digest unavailable");
  return m;
}

// One reusable context per thread for one-shot digests, to avoid an allocation per call.
struct ThreadCtx {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  ~ThreadCtx() { EVP_MD_CTX_free(ctx); }
};

// Digest of the concatenation of up to two pieces.
std::string digest(Md md, std::string_view a, std::string_view b = {}) {
  thread_local ThreadCtx t;
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (!t.ctx || EVP_DigestInit_ex(t.ctx, fetch_md(md), nullptr) != 1 ||
      EVP_DigestUpdate(t.ctx, a.data(), a.size()) != 1 ||
      (!b.empty() && EVP_DigestUpdate(t.ctx, b.data(), b.size()) != 1) ||
      EVP_DigestFinal_ex(t.ctx, out, &len) != 1)
    throw std::runtime_error("OpenSSL digest failed");
  return std::string(reinterpret_cast<char*>(out), len);
}

// RFC 2104 HMAC over a 64-byte-block digest (MD5, SHA-1 and SHA-256 all have 64-byte blocks).
std::string hmac(Md md, std::string_view key, std::string_view data) {
  constexpr size_t kBlock = 64;
  std::string hashed_key;
  if (key.size() > kBlock) {
    hashed_key = digest(md, key);
    key = hashed_key;
  }
  char ipad[kBlock], opad[kBlock];
  std::memset(ipad, 0x36, kBlock);
  std::memset(opad, 0x5c, kBlock);
  for (size_t i = 0; i < key.size(); ++i) {
    ipad[i] ^= key[i];
    opad[i] ^= key[i];
  }
  std::string inner = digest(md, std::string_view(ipad, kBlock), data);
  return digest(md, std::string_view(opad, kBlock), inner);
}

// ---- CRCs (reflected, slicing-by-8) ----------------------------------------------------------

template <typename T>
using CrcTables = std::array<std::array<T, 256>, 8>;

template <typename T>
constexpr CrcTables<T> make_tables(T reflected_poly) {
  CrcTables<T> t{};
  for (unsigned i = 0; i < 256; ++i) {
    T c = static_cast<T>(i);
    for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ reflected_poly : (c >> 1);
    t[0][i] = c;
  }
  for (unsigned i = 0; i < 256; ++i)
    for (int s = 1; s < 8; ++s) t[s][i] = (t[s - 1][i] >> 8) ^ t[0][t[s - 1][i] & 0xFF];
  return t;
}

// The polynomials, bit-reflected.
constexpr uint32_t kCrc32Poly = 0xEDB88320u;
constexpr uint32_t kCrc32cPoly = 0x82F63B78u;
constexpr uint64_t kCrc64NvmePoly = 0x9A6C9329AC4BC9B5ull;

constexpr CrcTables<uint32_t> kCrc32 = make_tables<uint32_t>(kCrc32Poly);
constexpr CrcTables<uint32_t> kCrc32c = make_tables<uint32_t>(kCrc32cPoly);
constexpr CrcTables<uint64_t> kCrc64Nvme = make_tables<uint64_t>(kCrc64NvmePoly);

inline uint64_t load_le64(const unsigned char* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

// Updates a raw (not pre/post-inverted) register.
template <typename T>
T crc_update(const CrcTables<T>& t, T crc, std::string_view data) {
  auto p = reinterpret_cast<const unsigned char*>(data.data());
  size_t n = data.size();
  while (n >= 8) {
    uint64_t v = load_le64(p);
    if constexpr (sizeof(T) == 8) {
      v ^= crc;
      crc = t[7][v & 0xFF] ^ t[6][(v >> 8) & 0xFF] ^ t[5][(v >> 16) & 0xFF] ^
            t[4][(v >> 24) & 0xFF] ^ t[3][(v >> 32) & 0xFF] ^ t[2][(v >> 40) & 0xFF] ^
            t[1][(v >> 48) & 0xFF] ^ t[0][(v >> 56) & 0xFF];
    } else {
      uint32_t lo = static_cast<uint32_t>(v) ^ crc;
      uint32_t hi = static_cast<uint32_t>(v >> 32);
      crc = t[7][lo & 0xFF] ^ t[6][(lo >> 8) & 0xFF] ^ t[5][(lo >> 16) & 0xFF] ^ t[4][lo >> 24] ^
            t[3][hi & 0xFF] ^ t[2][(hi >> 8) & 0xFF] ^ t[1][(hi >> 16) & 0xFF] ^ t[0][hi >> 24];
    }
    p += 8;
    n -= 8;
  }
  while (n--) crc = (crc >> 8) ^ t[0][(crc ^ *p++) & 0xFF];
  return crc;
}

#if defined(__x86_64__)
// ---- Hardware paths (x86-64, chosen at run time) ----------------------------------------------

// CRC32C with the SSE4.2 crc32 instruction (8 bytes per instruction).
__attribute__((target("sse4.2"))) uint32_t crc32c_sse42(uint32_t crc, std::string_view data) {
  auto p = reinterpret_cast<const unsigned char*>(data.data());
  size_t n = data.size();
  uint64_t c = crc;
  for (; n >= 8; p += 8, n -= 8) {
    uint64_t v;
    std::memcpy(&v, p, 8);
    c = __builtin_ia32_crc32di(c, v);
  }
  uint32_t c32 = static_cast<uint32_t>(c);
  for (; n > 0; ++p, --n) c32 = __builtin_ia32_crc32qi(c32, *p);
  return c32;
}

// CRC64NVME by carry-less multiplication (PCLMULQDQ): four 16-byte accumulators are folded
// forward across 64 bytes at a time, merged, and the last 16 bytes plus the tail go through the
// table. A fold constant K for a distance of D bytes satisfies, for the 64-bit half h of a block,
// raw_crc(h * K) == raw_crc(h followed by D bytes of zeros); rather than hard-coding magic
// numbers, the constants are solved for once from the table-driven CRC (a 64x64 linear system
// over GF(2)), so they are right by construction and checked by the unit tests.
struct FoldConstants {
  uint64_t lo, hi;  // for the first (earlier) and second 8 bytes of a 16-byte block
};

uint64_t raw_crc64(std::string_view bytes) { return crc_update<uint64_t>(kCrc64Nvme, 0, bytes); }

// The K with raw_crc64(K as 8 little-endian bytes, then 8 zero bytes) == target.
uint64_t solve_fold_constant(uint64_t target) {
  uint64_t basis[64] = {};  // basis[b]: a vector whose highest set bit is b
  uint64_t combo[64] = {};  // which unit vectors make it up
  for (int i = 0; i < 64; ++i) {
    std::string block(16, '\0');
    uint64_t unit = uint64_t{1} << i;
    std::memcpy(block.data(), &unit, 8);
    uint64_t v = raw_crc64(block), c = unit;
    for (int b = 63; b >= 0 && v; --b) {
      if (!((v >> b) & 1)) continue;
      if (!basis[b]) {
        basis[b] = v;
        combo[b] = c;
        v = 0;
        break;
      }
      v ^= basis[b];
      c ^= combo[b];
    }
  }
  uint64_t k = 0;
  for (int b = 63; b >= 0; --b)
    if ((target >> b) & 1) {
      if (!basis[b]) throw std::logic_error("CRC64 fold constant has no solution");
      target ^= basis[b];
      k ^= combo[b];
    }
  return k;
}

FoldConstants fold_constants(size_t distance) {
  std::string lo(16 + distance, '\0'), hi(16 + distance, '\0');
  lo[0] = 1;
  hi[8] = 1;
  return {solve_fold_constant(raw_crc64(lo)), solve_fold_constant(raw_crc64(hi))};
}

__attribute__((target("pclmul,sse2"))) inline __m128i fold(__m128i acc, __m128i k) {
  return _mm_xor_si128(_mm_clmulepi64_si128(acc, k, 0x00), _mm_clmulepi64_si128(acc, k, 0x11));
}

__attribute__((target("pclmul,sse2"))) uint64_t crc64nvme_pclmul(uint64_t crc,
                                                                 std::string_view data) {
  static const FoldConstants c16 = fold_constants(16), c32 = fold_constants(32),
                             c48 = fold_constants(48), c64 = fold_constants(64);
  auto p = reinterpret_cast<const unsigned char*>(data.data());
  size_t n = data.size();
  auto load = [](const unsigned char* q) {
    return _mm_loadu_si128(reinterpret_cast<const __m128i*>(q));
  };
  auto konst = [](const FoldConstants& c) {
    return _mm_set_epi64x(static_cast<long long>(c.hi), static_cast<long long>(c.lo));
  };
  __m128i a0 = _mm_xor_si128(load(p), _mm_set_epi64x(0, static_cast<long long>(crc)));
  __m128i a1 = load(p + 16), a2 = load(p + 32), a3 = load(p + 48);
  p += 64;
  n -= 64;
  const __m128i k64 = konst(c64);
  for (; n >= 64; p += 64, n -= 64) {
    a0 = _mm_xor_si128(fold(a0, k64), load(p));
    a1 = _mm_xor_si128(fold(a1, k64), load(p + 16));
    a2 = _mm_xor_si128(fold(a2, k64), load(p + 32));
    a3 = _mm_xor_si128(fold(a3, k64), load(p + 48));
  }
  __m128i acc = _mm_xor_si128(_mm_xor_si128(fold(a0, konst(c48)), fold(a1, konst(c32))),
                              _mm_xor_si128(fold(a2, konst(c16)), a3));
  for (; n >= 16; p += 16, n -= 16) acc = _mm_xor_si128(fold(acc, konst(c16)), load(p));
  unsigned char last[16];
  _mm_storeu_si128(reinterpret_cast<__m128i*>(last), acc);
  uint64_t r = raw_crc64(std::string_view(reinterpret_cast<char*>(last), 16));
  return crc_update<uint64_t>(kCrc64Nvme, r, std::string_view(reinterpret_cast<const char*>(p), n));
}

const bool kHasSse42 = __builtin_cpu_supports("sse4.2");
const bool kHasPclmul = __builtin_cpu_supports("pclmul") && __builtin_cpu_supports("sse2");
#endif

template <typename T>
void put_be(std::string& out, T v) {
  for (int i = static_cast<int>(sizeof(T)) - 1; i >= 0; --i)
    out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}

}  // namespace

std::string md5(std::string_view data) { return digest(Md::Md5, data); }
std::string sha1(std::string_view data) { return digest(Md::Sha1, data); }
std::string sha256(std::string_view data) { return digest(Md::Sha256, data); }
std::string sha256_hex(std::string_view data) { return hex_encode(sha256(data)); }
std::string hmac_sha1(std::string_view key, std::string_view data) {
  return hmac(Md::Sha1, key, data);
}
std::string hmac_sha256(std::string_view key, std::string_view data) {
  return hmac(Md::Sha256, key, data);
}

uint32_t crc32(std::string_view data, uint32_t previous) {
  return ~crc_update(kCrc32, ~previous, data);
}
uint32_t crc32c(std::string_view data, uint32_t previous) {
#if defined(__x86_64__)
  if (kHasSse42) return ~crc32c_sse42(~previous, data);
#endif
  return ~crc_update(kCrc32c, ~previous, data);
}
uint64_t crc64nvme(std::string_view data, uint64_t previous) {
#if defined(__x86_64__)
  if (kHasPclmul && data.size() >= 128) return ~crc64nvme_pclmul(~previous, data);
#endif
  return ~crc_update(kCrc64Nvme, ~previous, data);
}

// ---- CRC combination --------------------------------------------------------------------------
// crc(A || B) = crc(A) * x^(8 len(B)) mod P  xor  crc(B): appending len(B) bytes multiplies A's
// remainder by x^(8 len(B)), and the pre/post inversions of the three CRCs cancel out. Products
// are taken in the reflected bit order the tables use (the top bit is x^0); x^(8 len) is the
// product of the precomputed x^(8 * 2^k) for the bits k of len, so one combination costs at most
// 64 polynomial products, usually a few (zlib's method).

namespace {

template <typename T>
T multiply_mod(T a, T b, T reflected_poly) {
  constexpr T kOne = T(1) << (sizeof(T) * 8 - 1);  // the polynomial 1
  T product = 0;
  for (T m = kOne; m != 0 && (a & (m | (m - 1))) != 0; m >>= 1) {
    if (a & m) product ^= b;
    b = (b & 1) ? (b >> 1) ^ reflected_poly : b >> 1;  // b *= x
  }
  return product;
}

// x^(8 * 2^k) mod P for k = 0..63: the factor appending 2^k bytes applies.
template <typename T>
std::array<T, 64> byte_powers(T reflected_poly) {
  constexpr T kOne = T(1) << (sizeof(T) * 8 - 1);
  std::array<T, 64> powers{};
  T square = kOne >> 1;  // x
  for (int i = 0; i < 3; ++i) square = multiply_mod(square, square, reflected_poly);  // x^8
  for (T& p : powers) {
    p = square;
    square = multiply_mod(square, square, reflected_poly);
  }
  return powers;
}

template <typename T>
T combine_raw(T crc_a, T crc_b, uint64_t length_b, T reflected_poly,
              const std::array<T, 64>& powers) {
  for (int k = 0; length_b != 0; ++k, length_b >>= 1)
    if (length_b & 1) crc_a = multiply_mod(powers[k], crc_a, reflected_poly);
  return crc_a ^ crc_b;
}

uint64_t load_be(std::string_view bytes) {
  uint64_t v = 0;
  for (char c : bytes) v = (v << 8) | static_cast<unsigned char>(c);
  return v;
}

}  // namespace

uint32_t crc32_combine(uint32_t crc_a, uint32_t crc_b, uint64_t length_b) {
  static const std::array<uint32_t, 64> powers = byte_powers(kCrc32Poly);
  return combine_raw(crc_a, crc_b, length_b, kCrc32Poly, powers);
}
uint32_t crc32c_combine(uint32_t crc_a, uint32_t crc_b, uint64_t length_b) {
  static const std::array<uint32_t, 64> powers = byte_powers(kCrc32cPoly);
  return combine_raw(crc_a, crc_b, length_b, kCrc32cPoly, powers);
}
uint64_t crc64nvme_combine(uint64_t crc_a, uint64_t crc_b, uint64_t length_b) {
  static const std::array<uint64_t, 64> powers = byte_powers(kCrc64NvmePoly);
  return combine_raw(crc_a, crc_b, length_b, kCrc64NvmePoly, powers);
}

std::string crc_combine(Hasher::Algorithm algorithm, std::string_view crc_a,
                        std::string_view crc_b, uint64_t length_b) {
  uint64_t a = load_be(crc_a), b = load_be(crc_b);
  std::string out;
  switch (algorithm) {
    case Hasher::Algorithm::Crc32:
      put_be(out, crc32_combine(static_cast<uint32_t>(a), static_cast<uint32_t>(b), length_b));
      break;
    case Hasher::Algorithm::Crc32c:
      put_be(out, crc32c_combine(static_cast<uint32_t>(a), static_cast<uint32_t>(b), length_b));
      break;
    case Hasher::Algorithm::Crc64Nvme:
      put_be(out, crc64nvme_combine(a, b, length_b));
      break;
    default:
      throw std::logic_error("crc_combine of a digest that is not a CRC");
  }
  return out;
}

// ---- Hasher -----------------------------------------------------------------------------------

struct Hasher::Impl {
  Algorithm algorithm;
  EVP_MD_CTX* ctx = nullptr;
  uint64_t crc = 0;
  bool finished = false;

  explicit Impl(Algorithm a) : algorithm(a) {
    Md md;
    switch (a) {
      case Algorithm::Md5:
        md = Md::Md5;
        break;
      case Algorithm::Sha1:
        md = Md::Sha1;
        break;
      case Algorithm::Sha256:
        md = Md::Sha256;
        break;
      default:
        return;
    }
    ctx = EVP_MD_CTX_new();
    if (!ctx || EVP_DigestInit_ex(ctx, fetch_md(md), nullptr) != 1) {
      EVP_MD_CTX_free(ctx);
      throw std::runtime_error("OpenSSL digest init failed");
    }
  }
  ~Impl() { EVP_MD_CTX_free(ctx); }
};

Hasher::Hasher(Algorithm algorithm) : impl_(std::make_unique<Impl>(algorithm)) {}
Hasher::~Hasher() = default;
Hasher::Hasher(Hasher&&) noexcept = default;
Hasher& Hasher::operator=(Hasher&&) noexcept = default;

void Hasher::update(std::string_view data) {
  Impl& s = *impl_;
  switch (s.algorithm) {
    case Algorithm::Crc32:
      s.crc = crc32(data, static_cast<uint32_t>(s.crc));
      break;
    case Algorithm::Crc32c:
      s.crc = crc32c(data, static_cast<uint32_t>(s.crc));
      break;
    case Algorithm::Crc64Nvme:
      s.crc = crc64nvme(data, s.crc);
      break;
    default:
      if (EVP_DigestUpdate(s.ctx, data.data(), data.size()) != 1)
        throw std::runtime_error("OpenSSL digest update failed");
  }
}

std::string Hasher::finish() {
  Impl& s = *impl_;
  if (s.finished) throw std::logic_error("Hasher::finish called twice");
  s.finished = true;
  std::string out;
  switch (s.algorithm) {
    case Algorithm::Crc32:
    case Algorithm::Crc32c:
      put_be(out, static_cast<uint32_t>(s.crc));
      break;
    case Algorithm::Crc64Nvme:
      put_be(out, s.crc);
      break;
    default: {
      unsigned char md[EVP_MAX_MD_SIZE];
      unsigned int len = 0;
      if (EVP_DigestFinal_ex(s.ctx, md, &len) != 1)
        throw std::runtime_error("OpenSSL digest final failed");
      out.assign(reinterpret_cast<char*>(md), len);
    }
  }
  return out;
}

// ---- BackgroundHasher ------------------------------------------------------------------------

struct BackgroundHasher::State {
  explicit State(Hasher::Algorithm algorithm) : hasher(algorithm) {}
  Hasher hasher;
  size_t buffer_size = 0;
  std::vector<std::string> buffers;
  std::mutex mutex;
  std::condition_variable changed;      // a buffer was queued or freed, or closing was set
  std::deque<std::pair<size_t, size_t>> queue;  // (buffer index, bytes) waiting to be hashed
  std::vector<size_t> free;             // buffers neither queued nor being filled
  std::optional<size_t> filling;        // the caller's current buffer
  bool closing = false;                 // no more submissions
  bool abandon = false;                 // stop without hashing the rest
  std::exception_ptr error;
  std::thread thread;

  void run() {
    std::unique_lock lock(mutex);
    for (;;) {
      changed.wait(lock, [&] { return !queue.empty() || closing || abandon; });
      if (abandon || queue.empty()) return;
      auto [index, used] = queue.front();
      queue.pop_front();
      lock.unlock();
      try {
        if (!error) hasher.update(std::string_view(buffers[index].data(), used));
      } catch (...) {
        error = std::current_exception();
      }
      lock.lock();
      free.push_back(index);
      changed.notify_all();
    }
  }

  void stop(bool drop_rest) {
    {
      std::lock_guard lock(mutex);
      closing = true;
      abandon = drop_rest;
    }
    changed.notify_all();
    if (thread.joinable()) thread.join();
  }
};

BackgroundHasher::BackgroundHasher(Hasher::Algorithm algorithm, size_t buffer_size,
                                   size_t buffers)
    : state_(std::make_unique<State>(algorithm)) {
  if (buffer_size == 0 || buffers == 0)
    throw std::invalid_argument("BackgroundHasher needs at least one non-empty buffer");
  state_->buffer_size = buffer_size;
  state_->buffers.assign(buffers, std::string(buffer_size, '\0'));
  for (size_t i = buffers; i-- > 0;) state_->free.push_back(i);
  state_->thread = std::thread([s = state_.get()] { s->run(); });
}

BackgroundHasher::~BackgroundHasher() { state_->stop(true); }

size_t BackgroundHasher::buffer_size() const { return state_->buffer_size; }

char* BackgroundHasher::buffer() {
  State& s = *state_;
  std::unique_lock lock(s.mutex);
  if (s.closing) throw std::logic_error("BackgroundHasher used after finish()");
  if (!s.filling) {
    if (s.free.empty()) {
      BlockingScope waiting;  // for the hashing thread to free a buffer
      s.changed.wait(lock, [&] { return !s.free.empty(); });
    }
    s.filling = s.free.back();
    s.free.pop_back();
  }
  return s.buffers[*s.filling].data();
}

void BackgroundHasher::submit(size_t used) {
  State& s = *state_;
  {
    std::lock_guard lock(s.mutex);
    if (!s.filling) throw std::logic_error("BackgroundHasher::submit() without buffer()");
    s.queue.emplace_back(*s.filling, std::min(used, s.buffer_size));
    s.filling.reset();
  }
  s.changed.notify_all();
}

std::string BackgroundHasher::finish() {
  {
    BlockingScope waiting;  // for the hashing thread to hash what is queued
    state_->stop(false);
  }
  if (state_->error) std::rethrow_exception(state_->error);
  return state_->hasher.finish();
}

}  // namespace nimbus
