// S3's input rules that need no storage: bucket naming, location constraints, key and metadata
// limits, byte ranges, the canonical user id of an account, and the checksum algorithms S3
// accepts. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/hash.h"

namespace nimbus::s3 {

inline constexpr size_t kMaxKeyBytes = 1024;       // "up to 1,024 bytes long" (UTF-8)
inline constexpr size_t kMaxMetadataBytes = 2048;  // user-defined metadata, keys plus values
inline constexpr uint64_t kMaxPutBytes = 5ull << 30;  // one PutObject: 5 GiB
inline constexpr const char* kDefaultRegion = "us-east-1";
inline constexpr const char* kDefaultContentType = "binary/octet-stream";

// The general purpose bucket naming rules: 3-63 characters of a-z 0-9 . -, starting and ending
// with a letter or digit, no "..", not an IPv4 address, none of the reserved prefixes (xn--,
// sthree-, amzn-s3-demo-) or suffixes (-s3alias, --ol-s3, .mrap, --x-s3, --table-s3).
bool is_valid_bucket_name(std::string_view name);

// The region a CreateBucket lands in. `constraint` is CreateBucketConfiguration's
// LocationConstraint (nullopt or "" when absent: us-east-1; "EU" is eu-west-1);
// `valid_constraints` the model's BucketLocationConstraint enum. `signed_region` is the region
// the request was sent to: us-east-1 stands for S3's global endpoint and accepts any valid
// constraint; any other region accepts only its own. Throws InvalidLocationConstraint for a value
// that is not a region (including an explicit "us-east-1", as AWS does) and
// IllegalLocationConstraintException for a region that does not match the endpoint's.
std::string resolve_bucket_region(const std::optional<std::string>& constraint,
                                  const std::string& signed_region,
                                  const std::vector<std::string>& valid_constraints);

// S3 shows owners by a 64-hex canonical user id; nimbus derives it from the 12-digit account id
// (SHA-256, hex), the same everywhere.
std::string canonical_user_id(std::string_view account_id);

// A satisfiable single byte range of an object of `size` bytes: [first, first + length).
struct ByteRange {
  uint64_t first = 0;
  uint64_t length = 0;
  std::string content_range(uint64_t size) const;  // "bytes first-last/size"
};
// Parses a Range header ("bytes=0-99", "bytes=100-", "bytes=-500"). Returns nullopt when the
// header should be ignored (syntax S3 does not act on, such as several ranges: the whole object
// is returned); throws InvalidRange (416) when the range cannot be satisfied.
std::optional<ByteRange> parse_range(std::string_view header, uint64_t size);

// The flexible checksums S3 computes: the x-amz-checksum-<name> headers and their digests.
struct ChecksumAlgorithm {
  const char* name;    // "CRC32" as S3 spells it in x-amz-sdk-checksum-algorithm
  const char* header;  // "x-amz-checksum-crc32"
  const char* member;  // the model's member: "ChecksumCRC32"
  Hasher::Algorithm hasher;
  size_t digest_bytes;
};
const std::vector<ChecksumAlgorithm>& checksum_algorithms();
// By S3 name (case-insensitive) or header name; nullptr when unknown.
const ChecksumAlgorithm* find_checksum_algorithm(std::string_view name_or_header);

}  // namespace nimbus::s3
