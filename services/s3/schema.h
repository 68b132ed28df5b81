// S3's storage: the SQLite schema (migrations of component "s3") and the row-level reads and
// writes the service composes into one transaction per API call. Object bytes live in the
// BlobStore; a row names them through s3_object_segments, one row per byte range of a blob, so a
// multipart object can later be its parts' blobs without copying.
//
// Tables
//   s3_buckets(name PK, owner, region, created_ms, versioning, object lock, ownership, acl,
//              config JSON for the sub-resources later issues add)
//   s3_objects(id PK, bucket, key, version_id, is_latest, delete_marker, size, etag,
//              last_modified_ms, owner, content headers, metadata JSON, storage class,
//              checksums, parts_count, acl, tags JSON, SSE, object lock, parts JSON)
//     unique (bucket, key, version_id); unique partial index (bucket, key) WHERE is_latest = 1,
//     which serves GET/HEAD of the current version and prefix listing in key order.
//   s3_object_segments(object_id, seq, blob_id, blob_offset, length, part_number)
//     index on blob_id: a blob is removed only when no segment names it any more.
//   s3_objects.inline_body: the bytes of a small object (1..kMaxInlineBodyBytes), kept in its
//     row instead of a blob, so a small PUT is one SQLite write and a small GET reads no file.
//     NULL for an empty object, a delete marker, or bytes in blobs (rows written before the
//     column existed included); an inline object has no segments.
// Unversioned objects have version_id "null", as S3 reports them.
//
// Thread-safety: the functions take the Connection of the caller's Database::read()/write() job.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/time.h"
#include "storage/blob_store.h"
#include "storage/database.h"

namespace nimbus::s3 {

inline constexpr const char* kNullVersion = "null";
// Objects up to this size (PutObject bodies) keep their bytes in their row (inline_body).
inline constexpr uint64_t kMaxInlineBodyBytes = 16 * 1024;

// Applies the "s3" migrations.
void migrate(Database& db);

struct BucketRecord {
  std::string name;
  std::string owner_id;    // 12-digit account id of the creator
  std::string owner_name;  // its display name at creation
  std::string region;
  EpochMillis created_ms = 0;
  std::string versioning;  // "" (never enabled), "Enabled", "Suspended"
  bool object_lock = false;
  std::optional<std::string> object_ownership;  // as requested; nullopt: S3's default
  std::string acl = "private";                  // canned ACL (the ACL issue may store JSON)
};

struct Checksums {
  std::optional<std::string> crc32, crc32c, crc64nvme, sha1, sha256;  // base64
  std::optional<std::string> type;                                    // "FULL_OBJECT" / "COMPOSITE"
  // By the model's member name ("ChecksumCRC32"); nullptr for an unknown name.
  std::optional<std::string>* by_member(std::string_view member);
  const std::optional<std::string>* by_member(std::string_view member) const;
};

// One part of a completed multipart object, as GetObjectAttributes lists it.
struct ObjectPart {
  int64_t part_number = 0;
  uint64_t size = 0;
  std::optional<std::string> checksum;  // base64, of the upload's algorithm
};

using MetadataList = std::vector<std::pair<std::string, std::string>>;

struct ObjectRecord {
  int64_t id = 0;
  std::string bucket;
  std::string key;
  std::string version_id = kNullVersion;
  bool is_latest = true;
  bool delete_marker = false;
  uint64_t size = 0;
  std::string etag;  // with its quotes: "\"<md5 hex>\""
  EpochMillis last_modified_ms = 0;
  std::string owner_id;
  std::optional<std::string> content_type, content_encoding, content_disposition, content_language,
      cache_control, expires, website_redirect;
  MetadataList metadata;  // user metadata, names lower-cased, without x-amz-meta-
  std::string storage_class = "STANDARD";
  Checksums checksums;
  int64_t parts_count = 0;  // 0: not a multipart object
  std::optional<std::string> acl;
  std::vector<std::pair<std::string, std::string>> tags;
  std::optional<std::string> sse_algorithm, sse_kms_key_id;
  std::optional<std::string> lock_mode;
  std::optional<EpochMillis> lock_retain_until_ms;
  bool legal_hold = false;
  // The bytes when the row holds them (a small PutObject or its copies); then segments is empty.
  std::optional<std::string> inline_body;
  std::vector<BlobStore::Segment> segments;
  // The part number of each segment (same length as segments for a multipart object, else
  // empty): GetObject ?partNumber=N serves the segments of part N.
  std::vector<int64_t> segment_parts;
  std::vector<ObjectPart> parts;  // multipart objects only, in part-number order
};

// ---- buckets --------------------------------------------------------------------------------
// The writers of bucket rows (insert, set_*, delete) must run in S3Service::write_bucket, which
// invalidates the bucket's cached row (services/s3/bucket_cache.h) after the job.
std::optional<BucketRecord> find_bucket(Connection& c, std::string_view name);
void insert_bucket(Connection& c, const BucketRecord& bucket);
void set_bucket_acl(Connection& c, std::string_view name, std::string_view acl);
void delete_bucket(Connection& c, std::string_view name);
// Whether any object version or delete marker remains in the bucket.
bool bucket_has_objects(Connection& c, std::string_view name);
// The owner's buckets in name order, names > after and starting with prefix.
std::vector<BucketRecord> list_buckets(Connection& c, std::string_view owner_id,
                                       std::string_view prefix, std::string_view after);

// ---- objects --------------------------------------------------------------------------------
// The current version (version_id nullopt) or one version, with its segments or inline body.
std::optional<ObjectRecord> find_object(Connection& c, std::string_view bucket,
                                        std::string_view key,
                                        const std::optional<std::string>& version_id);
// Inserts the row and its segments; sets object.id.
void insert_object(Connection& c, ObjectRecord& object);
// Marks the key's current version (if any) as no longer current.
void demote_latest(Connection& c, std::string_view bucket, std::string_view key);
// Deletes one row and its segments. If it was the current version, the newest remaining version
// of the key becomes current. Returns the blob ids no segment references any more (remove them
// from the BlobStore after the transaction commits).
std::vector<std::string> delete_object(Connection& c, const ObjectRecord& object);

// Replaces the tag set of one object version.
void set_object_tags(Connection& c, int64_t object_id,
                     const std::vector<std::pair<std::string, std::string>>& tags);
// Replaces the canned or JSON ACL of one object version.
void set_object_acl(Connection& c, int64_t object_id, std::string_view acl);
void set_bucket_versioning(Connection& c, std::string_view name, std::string_view status);
// The bucket's tag set (kept in s3_buckets.config under "tags"); empty when none.
std::vector<std::pair<std::string, std::string>> bucket_tags(Connection& c, std::string_view name);
// Replaces (or, with nullopt, removes) the bucket's tag set. Returns false if it had none.
bool set_bucket_tags(Connection& c, std::string_view name,
                     const std::optional<std::vector<std::pair<std::string, std::string>>>& tags);

// ---- listing --------------------------------------------------------------------------------
// One entry of a listing in key order: an object version, or a common prefix rolled up by the
// delimiter (then `object` is empty and `common_prefix` is set).
struct ListEntry {
  std::optional<ObjectRecord> object;  // without segments
  std::string common_prefix;
};
struct ListPage {
  std::vector<ListEntry> entries;
  bool truncated = false;
  uint64_t rows_examined = 0;  // index rows stepped over (for tests of the skipping)
};
// The current, non-delete-marker objects of the bucket in key order whose keys start with
// `prefix` and are > `after`, rolling keys that contain `delimiter` after the prefix into common
// prefixes (a common prefix <= `after` is skipped). At most max_entries entries (keys plus common
// prefixes). Reads the (bucket, key) WHERE is_latest index in ranges: after a common prefix it
// seeks past every key under it instead of reading them.
ListPage list_objects(Connection& c, std::string_view bucket, std::string_view prefix,
                      std::string_view delimiter, std::string_view after, size_t max_entries);
// Every version and delete marker in key order, newest first within a key, starting after
// (key_marker, version_id_marker): with only key_marker, after every version of that key; with
// both, after that version. Same prefix/delimiter rules as list_objects.
ListPage list_versions(Connection& c, std::string_view bucket, std::string_view prefix,
                       std::string_view delimiter, std::string_view key_marker,
                       std::string_view version_id_marker, size_t max_entries);

// ---- multipart uploads ----------------------------------------------------------------------
// An upload in progress: the object it will become (headers, metadata, ACL, tags; no bytes), the
// checksum algorithm and type the client chose, and its parts.
struct UploadRecord {
  std::string upload_id;
  std::string bucket;
  std::string key;
  EpochMillis initiated_ms = 0;
  ObjectRecord object;  // template: headers, metadata, owner, storage class, acl, tags, sse
  std::optional<std::string> checksum_algorithm;  // "CRC32", ...
  std::optional<std::string> checksum_type;       // "COMPOSITE" / "FULL_OBJECT"
};
struct PartRecord {
  int64_t part_number = 0;
  std::string blob_id;  // empty for an empty part
  uint64_t size = 0;
  std::string etag;  // quoted md5 hex
  std::string md5;   // raw 16 bytes
  std::optional<std::string> checksum;  // base64, of the upload's algorithm
  EpochMillis last_modified_ms = 0;
};
// Inserts the upload; its initiated_ms becomes later than any other upload's of the same key.
void insert_upload(Connection& c, UploadRecord& upload);
std::optional<UploadRecord> find_upload(Connection& c, std::string_view upload_id);
// Deletes the upload and its parts; returns the parts' blob ids except those in `keep`.
std::vector<std::string> delete_upload(Connection& c, std::string_view upload_id,
                                       const std::vector<std::string>& keep = {});
// Inserts or replaces a part; returns the blob id of the part it replaced (to remove).
std::optional<std::string> put_part(Connection& c, std::string_view upload_id,
                                    const PartRecord& part);
std::vector<PartRecord> list_parts(Connection& c, std::string_view upload_id,
                                   int64_t after_part, size_t limit);
// One entry of ListMultipartUploads: an upload, or a common prefix (then `upload` is empty).
struct UploadEntry {
  std::optional<UploadRecord> upload;
  std::string common_prefix;
};
struct UploadPage {
  std::vector<UploadEntry> entries;
  bool truncated = false;
  uint64_t rows_examined = 0;
};
// The bucket's uploads in key order, those of one key in initiation order, after key_marker
// (with upload_id_marker: after that upload of key_marker, else after every upload of it), with
// list_objects' prefix/delimiter rules, at most max_entries entries. Reads the
// (bucket, key, initiated) index in ranges, seeking past common prefixes.
UploadPage list_uploads(Connection& c, std::string_view bucket, std::string_view prefix,
                        std::string_view delimiter, std::string_view key_marker,
                        std::string_view upload_id_marker, size_t max_entries);
bool bucket_has_uploads(Connection& c, std::string_view name);

// Encodes and decodes the JSON text kept in the metadata / tags columns.
std::string pairs_to_json(const std::vector<std::pair<std::string, std::string>>& pairs);
std::vector<std::pair<std::string, std::string>> pairs_from_json(std::string_view json);

}  // namespace nimbus::s3
