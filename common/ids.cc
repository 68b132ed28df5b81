// Random identifiers (request ids, message ids, upload ids, nonces) from a per-thread
// generator seeded by the OS. Not for secrets. Entry points: random_hex, uuid4.
#include "common/ids.h"

#include <cstdint>
#include <random>

namespace nimbus {
namespace {

std::mt19937_64& generator() {
  thread_local std::mt19937_64 gen = [] {
    std::random_device rd;
    std::seed_seq seq{rd(), rd(), rd(), rd(), rd(), rd(), rd(), rd()};
    return std::mt19937_64(seq);
  }();
  return gen;
}

constexpr char kHex[] = "0123456789abcdef";

}  // namespace

std::string random_hex(size_t bytes) {
  std::string out;
  out.reserve(bytes * 2);
  auto& gen = generator();
  uint64_t word = 0;
  for (size_t i = 0; i < bytes; ++i) {
    if (i % 8 == 0) word = gen();
    auto b = static_cast<unsigned>(word & 0xFF);
    word >>= 8;
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 15]);
  }
  return out;
}

std::string uuid4() {
  auto& gen = generator();
  uint64_t hi = gen(), lo = gen();
  hi = (hi & ~0xF000ull) | 0x4000ull;                  // version 4
  lo = (lo & ~(0xC000ull << 48)) | (0x8000ull << 48);  // variant 10xx
  std::string out;
  out.reserve(36);
  for (int i = 15; i >= 0; --i) {
    out.push_back(kHex[(hi >> (4 * i)) & 15]);
    if (i == 8 || i == 4) out.push_back('-');
  }
  out.push_back('-');
  for (int i = 15; i >= 0; --i) {
    out.push_back(kHex[(lo >> (4 * i)) & 15]);
    if (i == 12) out.push_back('-');
  }
  return out;
}

}  // namespace nimbus
