// S3 input rules without storage: bucket names, location constraints, canonical user ids, byte
// ranges and the checksum algorithm table. Entry points are declared in services/s3/rules.h.
#include "services/s3/rules.h"

#include <algorithm>
#include <charconv>

#include "common/http.h"
#include "services/s3/errors.h"

namespace nimbus::s3 {
namespace {

bool is_lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

bool looks_like_ipv4(std::string_view name) {
  int parts = 0;
  size_t start = 0;
  while (start <= name.size()) {
    size_t dot = name.find('.', start);
    if (dot == std::string_view::npos) dot = name.size();
    std::string_view part = name.substr(start, dot - start);
    if (part.empty() || part.size() > 3) return false;
    for (char c : part)
      if (c < '0' || c > '9') return false;
    ++parts;
    start = dot + 1;
  }
  return parts == 4;
}

bool parse_u64(std::string_view text, uint64_t& out) {
  if (text.empty()) return false;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && ptr == text.data() + text.size();
}

}  // namespace

bool is_valid_bucket_name(std::string_view name) {
  if (name.size() < 3 || name.size() > 63) return false;
  for (char c : name)
    if (!is_lower_alnum(c) && c != '.' && c != '-') return false;
  if (!is_lower_alnum(name.front()) || !is_lower_alnum(name.back())) return false;
  if (name.find("..") != std::string_view::npos) return false;
  if (looks_like_ipv4(name)) return false;
  for (std::string_view prefix : {"xn--", "sthree-", "amzn-s3-demo-"})
    if (name.starts_with(prefix)) return false;
  for (std::string_view suffix : {"-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"})
    if (name.ends_with(suffix)) return false;
  return true;
}

std::string resolve_bucket_region(const std::optional<std::string>& constraint,
                                  const std::string& signed_region,
                                  const std::vector<std::string>& valid_constraints) {
  std::string region = kDefaultRegion;
  std::string given = constraint.value_or("");
  if (!given.empty()) {
    if (std::find(valid_constraints.begin(), valid_constraints.end(), given) ==
        valid_constraints.end())
      throw s3_errors::invalid_location_constraint(given);
    region = given == "EU" ? "eu-west-1" : given;
  }
  if (signed_region != kDefaultRegion && region != signed_region)
    throw s3_errors::illegal_location_constraint(given);
  return region;
}

std::string canonical_user_id(std::string_view account_id) { return sha256_hex(account_id); }

std::string ByteRange::content_range(uint64_t size) const {
  return "bytes " + std::to_string(first) + "-" + std::to_string(first + length - 1) + "/" +
         std::to_string(size);
}

std::optional<ByteRange> parse_range(std::string_view header, uint64_t size) {
  constexpr std::string_view kUnit = "bytes=";
  if (header.size() < kUnit.size() || !iequals(header.substr(0, kUnit.size()), kUnit))
    return std::nullopt;
  std::string_view spec = header.substr(kUnit.size());
  if (spec.find(',') != std::string_view::npos) return std::nullopt;  // several ranges
  size_t dash = spec.find('-');
  if (dash == std::string_view::npos) return std::nullopt;
  std::string_view first_text = spec.substr(0, dash);
  std::string_view last_text = spec.substr(dash + 1);
  uint64_t first = 0, last = 0;
  if (first_text.empty()) {  // suffix range: the last N bytes
    if (!parse_u64(last_text, last)) return std::nullopt;
    if (last == 0 || size == 0) throw s3_errors::invalid_range(std::string(header), size);
    uint64_t length = std::min(last, size);
    return ByteRange{size - length, length};
  }
  if (!parse_u64(first_text, first)) return std::nullopt;
  if (last_text.empty()) {
    last = size == 0 ? 0 : size - 1;
  } else {
    if (!parse_u64(last_text, last)) return std::nullopt;
    if (last < first) return std::nullopt;  // RFC 9110: an invalid range-spec is ignored
  }
  if (first >= size) throw s3_errors::invalid_range(std::string(header), size);
  last = std::min(last, size - 1);
  return ByteRange{first, last - first + 1};
}

const std::vector<ChecksumAlgorithm>& checksum_algorithms() {
  static const std::vector<ChecksumAlgorithm> table = {
      {"CRC32", "x-amz-checksum-crc32", "ChecksumCRC32", Hasher::Algorithm::Crc32, 4},
      {"CRC32C", "x-amz-checksum-crc32c", "ChecksumCRC32C", Hasher::Algorithm::Crc32c, 4},
      {"CRC64NVME", "x-amz-checksum-crc64nvme", "ChecksumCRC64NVME", Hasher::Algorithm::Crc64Nvme,
       8},
      {"SHA1", "x-amz-checksum-sha1", "ChecksumSHA1", Hasher::Algorithm::Sha1, 20},
      {"SHA256", "x-amz-checksum-sha256", "ChecksumSHA256", Hasher::Algorithm::Sha256, 32},
  };
  return table;
}

const ChecksumAlgorithm* find_checksum_algorithm(std::string_view name_or_header) {
  for (const ChecksumAlgorithm& a : checksum_algorithms())
    if (iequals(a.name, name_or_header) || iequals(a.header, name_or_header)) return &a;
  return nullptr;
}

}  // namespace nimbus::s3
