// Helpers the S3 operation files share (services/s3/*.cc): input accessors, the access check,
// ETag matching, tag parsing, segment slicing and the object description GetObject/HeadObject
// and friends return. Internal to services/s3; not a public contract.
#pragma once

#include <algorithm>
#include <cctype>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/encoding.h"
#include "common/http.h"
#include "common/ids.h"
#include "services/s3/bucket_cache.h"
#include "services/s3/errors.h"
#include "services/s3/rules.h"
#include "services/s3/schema.h"
#include "services/service.h"
#include "storage/blob_store.h"
#include "storage/database.h"

namespace nimbus::s3 {

inline constexpr size_t kChunkBytes = 256 * 1024;
// Buffers in flight between a streamed upload's reader and its MD5 thread (kChunkBytes each).
inline constexpr size_t kMd5Buffers = 4;
inline constexpr size_t kMaxTags = 10;

inline Value timestamp_of(EpochMillis ms) { return Value::timestamp(static_cast<double>(ms) / 1000.0); }

inline std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

inline std::string trim(std::string_view s) { return std::string(trim_ows(s)); }

inline std::string bucket_of(const Value& input) {
  std::optional<std::string> bucket = input.get_string("Bucket");
  if (!bucket || bucket->empty()) throw s3_errors::invalid_request("A bucket name is required.");
  return *bucket;
}

inline std::string key_of(const Value& input) {
  std::optional<std::string> key = input.get_string("Key");
  if (!key || key->empty()) throw s3_errors::invalid_request("An object key is required.");
  return *key;
}

// What a caller wants to do with a bucket (or an object in it).
enum class Access { Read, Write, ReadAcp, WriteAcp, Owner };

// Whether `context`'s caller holds `access` on a resource with this owner and ACL (canned name
// or JSON grants; see services/s3/acl.cc). The owner holds every access.
bool acl_allows(const std::string& owner_id, const std::optional<std::string>& acl,
                const CallContext& context, Access access);

// The ACL a request asks for with x-amz-acl, x-amz-grant-* or an AccessControlPolicy body (canned
// name or JSON grants), nullopt when none; InvalidRequest for canned plus grant headers.
std::optional<std::string> requested_acl(const Value& input, const std::string& owner_id);
// Get*Acl's Owner and Grants members for a stored ACL.
void describe_acl(const std::optional<std::string>& acl, const std::string& owner_id,
                  const std::string& owner_name, const std::string& bucket_owner_id, Value& out);

// The bucket, if the caller may use it: 404 NoSuchBucket when absent, 403 AccessDenied when the
// bucket's ACL does not grant `access` or x-amz-expected-bucket-owner names someone else.
// `committed`: look the bucket up there (only inside a Database::read() job; see BucketCache).
inline BucketRecord require_bucket(Connection& c, const std::string& name,
                                   const CallContext& context, const Value& input,
                                   Access access = Access::Owner,
                                   BucketCache* committed = nullptr) {
  std::optional<BucketRecord> bucket =
      committed ? committed->find(c, name) : s3::find_bucket(c, name);
  if (!bucket) throw s3_errors::no_such_bucket(name);
  if (!acl_allows(bucket->owner_id, bucket->acl, context, access))
    throw s3_errors::access_denied();
  std::optional<std::string> expected = input.get_string("ExpectedBucketOwner");
  if (expected && *expected != bucket->owner_id) throw s3_errors::access_denied();
  return *bucket;
}

// An Owner / Initiator element: the account's canonical user id.
inline Value owner_value(const std::string& account_id) {
  return Value::map().set("ID", canonical_user_id(account_id));
}

inline bool etag_matches(std::string_view condition, const std::string& etag) {
  // A comma-separated list of (quoted or bare) entity tags, or "*".
  size_t start = 0;
  while (start <= condition.size()) {
    size_t comma = condition.find(',', start);
    if (comma == std::string_view::npos) comma = condition.size();
    std::string item = trim(condition.substr(start, comma - start));
    if (item.starts_with("W/")) item.erase(0, 2);
    if (item == "*") return true;
    if (!item.empty() && item.front() != '"') item = "\"" + item + "\"";
    if (item == etag) return true;
    start = comma + 1;
  }
  return false;
}

// The object (current version, or version_id) if the caller may `access` it: 404 NoSuchBucket,
// NoSuchKey / NoSuchVersion (403 AccessDenied instead when the caller could not list the bucket),
// 403 AccessDenied when neither the bucket owner nor the object's ACL lets the caller in.
// Delete markers are returned as they are (the caller decides on 404/405). `committed` as for
// require_bucket.
inline ObjectRecord require_object(Connection& c, const std::string& bucket_name,
                                   const std::string& key,
                                   const std::optional<std::string>& version_id,
                                   const CallContext& context, const Value& input,
                                   Access access, BucketCache* committed = nullptr) {
  std::optional<BucketRecord> bucket =
      committed ? committed->find(c, bucket_name) : s3::find_bucket(c, bucket_name);
  if (!bucket) throw s3_errors::no_such_bucket(bucket_name);
  std::optional<std::string> expected = input.get_string("ExpectedBucketOwner");
  if (expected && *expected != bucket->owner_id) throw s3_errors::access_denied();
  std::optional<ObjectRecord> found = s3::find_object(c, bucket_name, key, version_id);
  bool bucket_owner = !context.account.anonymous && context.account.id == bucket->owner_id;
  if (!found) {
    if (!acl_allows(bucket->owner_id, bucket->acl, context, Access::Read))
      throw s3_errors::access_denied();
    if (version_id) throw s3_errors::no_such_version(key, *version_id);
    throw s3_errors::no_such_key(key);
  }
  if (!bucket_owner && !acl_allows(found->owner_id, found->acl, context, access))
    throw s3_errors::access_denied();
  return std::move(*found);
}

// Evaluates If-Match, If-None-Match, If-Modified-Since and If-Unmodified-Since (member names
// prefixed with `prefix`, "" for GetObject/HeadObject, "CopySource" for the copy source) against
// the object: nullopt to proceed, 412 or 304. RFC 7232 precedence, as S3 documents it: a true
// If-Match makes If-Unmodified-Since irrelevant, a false If-None-Match makes If-Modified-Since
// irrelevant.
inline std::optional<int> check_conditions(const ObjectRecord& o, const Value& input,
                                           const std::string& prefix) {
  auto since = [&](const std::string& member) -> std::optional<int64_t> {
    const Value* v = input.find(prefix + member);
    if (!v || !v->is_timestamp()) return std::nullopt;
    return static_cast<int64_t>(v->as_timestamp());
  };
  int64_t modified_s = o.last_modified_ms / 1000;
  std::optional<std::string> if_match = input.get_string(prefix + "IfMatch");
  std::optional<std::string> if_none_match = input.get_string(prefix + "IfNoneMatch");
  if (if_match) {
    if (!etag_matches(*if_match, o.etag)) return 412;
  } else if (std::optional<int64_t> t = since("IfUnmodifiedSince"); t && modified_s > *t) {
    return 412;
  }
  if (if_none_match) {
    if (etag_matches(*if_none_match, o.etag)) return prefix.empty() ? 304 : 412;
  } else if (std::optional<int64_t> t = since("IfModifiedSince"); t && modified_s <= *t) {
    return prefix.empty() ? 304 : 412;
  }
  return std::nullopt;
}

// The version id a new object version gets in a bucket with this versioning state.
inline std::string new_version_id(const std::string& versioning) {
  return versioning == "Enabled" ? random_hex(16) : std::string(s3::kNullVersion);
}


// Content-Encoding without the aws-chunked framing token, which S3 does not store.
inline std::optional<std::string> stored_content_encoding(const std::optional<std::string>& header) {
  if (!header) return std::nullopt;
  std::string out;
  size_t start = 0;
  while (start <= header->size()) {
    size_t comma = header->find(',', start);
    if (comma == std::string::npos) comma = header->size();
    std::string token = trim(std::string_view(*header).substr(start, comma - start));
    if (!token.empty() && !iequals(token, "aws-chunked")) {
      if (!out.empty()) out += ",";
      out += token;
    }
    start = comma + 1;
  }
  if (out.empty()) return std::nullopt;
  return out;
}

// The part of the object's segments that covers [first, first + length).
inline std::vector<BlobStore::Segment> slice_segments(const std::vector<BlobStore::Segment>& segments,
                                               uint64_t first, uint64_t length) {
  std::vector<BlobStore::Segment> out;
  uint64_t position = 0;
  uint64_t end = first + length;
  for (const BlobStore::Segment& s : segments) {
    uint64_t s_begin = position, s_end = position + s.length;
    position = s_end;
    if (s_end <= first || s_begin >= end) continue;
    uint64_t from = std::max(first, s_begin), to = std::min(end, s_end);
    out.push_back({s.id, s.offset + (from - s_begin), to - from});
  }
  return out;
}

// Reads a copy of bytes held in memory (an inline object's range).
class InlineBodySource : public BodySource {
 public:
  explicit InlineBodySource(std::string bytes) : bytes_(std::move(bytes)) {}
  size_t read(char* buffer, size_t size) override {
    size_t n = std::min(size, bytes_.size() - offset_);
    std::copy_n(bytes_.data() + offset_, n, buffer);
    offset_ += n;
    return n;
  }

 private:
  std::string bytes_;
  size_t offset_ = 0;
};

// The bytes [first, first + length) of the object, from its row or its blobs (see
// BlobStore::open for what a missing blob throws).
inline std::unique_ptr<BodySource> open_body(const BlobStore& blobs, const ObjectRecord& o,
                                             uint64_t first, uint64_t length) {
  if (o.inline_body)
    return std::make_unique<InlineBodySource>(o.inline_body->substr(first, length));
  return blobs.open(slice_segments(o.segments, first, length));
}

inline std::vector<std::pair<std::string, std::string>> parse_tagging(const std::string& header) {
  std::vector<std::pair<std::string, std::string>> tags;
  for (auto& [k, v] : parse_query(header, true)) {
    if (k.empty() || k.size() > 128)
      throw s3_errors::invalid_tag("The TagKey you have provided is invalid");
    if (v.size() > 256) throw s3_errors::invalid_tag("The TagValue you have provided is invalid");
    for (const auto& existing : tags)
      if (existing.first == k)
        throw s3_errors::invalid_tag("Cannot provide multiple Tags with the same key");
    tags.emplace_back(std::move(k), std::move(v));
  }
  if (tags.size() > kMaxTags) throw s3_errors::invalid_tag("Object tags cannot be greater than 10");
  return tags;
}

// The output members GetObject and HeadObject share.
inline void describe_object(const ObjectRecord& o, Value& out) {
  out.set("AcceptRanges", "bytes");
  out.set("LastModified", timestamp_of(o.last_modified_ms));
  out.set("ContentLength", static_cast<int64_t>(o.size));
  out.set("ETag", o.etag);
  if (o.version_id != s3::kNullVersion) out.set("VersionId", o.version_id);
  if (o.cache_control) out.set("CacheControl", *o.cache_control);
  if (o.content_disposition) out.set("ContentDisposition", *o.content_disposition);
  if (o.content_encoding) out.set("ContentEncoding", *o.content_encoding);
  if (o.content_language) out.set("ContentLanguage", *o.content_language);
  out.set("ContentType", o.content_type.value_or(s3::kDefaultContentType));
  if (o.expires) out.set("Expires", *o.expires);
  if (o.website_redirect) out.set("WebsiteRedirectLocation", *o.website_redirect);
  if (o.sse_algorithm) out.set("ServerSideEncryption", *o.sse_algorithm);
  if (o.sse_kms_key_id) out.set("SSEKMSKeyId", *o.sse_kms_key_id);
  if (!o.metadata.empty()) {
    Value metadata = Value::map();
    for (const auto& [name, value] : o.metadata) metadata.set(name, value);
    out.set("Metadata", std::move(metadata));
  }
  if (o.storage_class != "STANDARD") out.set("StorageClass", o.storage_class);
  if (o.lock_mode) out.set("ObjectLockMode", *o.lock_mode);
  if (o.lock_retain_until_ms)
    out.set("ObjectLockRetainUntilDate", timestamp_of(*o.lock_retain_until_ms));
  if (o.legal_hold) out.set("ObjectLockLegalHoldStatus", "ON");
}

// The x-amz-checksum-<algorithm> value a request carries (PutObject, UploadPart, and the
// full-object checksum of CompleteMultipartUpload): its algorithm and raw digest, or nullptr and
// nullopt when it carries none. InvalidRequest for two of them or a malformed value,
// NotImplemented for the algorithms of the model nimbus cannot compute yet.
struct SentChecksum {
  const ChecksumAlgorithm* algorithm = nullptr;
  std::optional<std::string> digest;
};
inline SentChecksum sent_checksum(const Value& input) {
  for (const char* member : {"ChecksumSHA512", "ChecksumMD5", "ChecksumXXHASH64",
                             "ChecksumXXHASH3", "ChecksumXXHASH128"})
    if (input.has(member)) throw errors::not_implemented(std::string("the request with ") + member);
  SentChecksum sent;
  for (const ChecksumAlgorithm& a : checksum_algorithms()) {
    std::optional<std::string> value = input.get_string(a.member);
    if (!value) continue;
    if (sent.algorithm)
      throw s3_errors::invalid_request(
          "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.");
    sent.digest = base64_decode(*value);
    if (!sent.digest || sent.digest->size() != a.digest_bytes)
      throw s3_errors::invalid_request("Value for " + std::string(a.header) +
                                       " header is invalid.");
    sent.algorithm = &a;
  }
  return sent;
}

inline void add_checksums(const s3::Checksums& checksums, Value& out) {
  for (const s3::ChecksumAlgorithm& a : s3::checksum_algorithms()) {
    const std::optional<std::string>* value = checksums.by_member(a.member);
    if (value && *value) out.set(a.member, **value);
  }
  if (checksums.type) out.set("ChecksumType", *checksums.type);
}


}  // namespace nimbus::s3
