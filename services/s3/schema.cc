// S3's SQLite schema (migrations for component "s3") and the row reads/writes the S3 service
// composes into transactions: buckets, object versions and their blob segments. See
// services/s3/schema.h for the table layout.
#include "services/s3/schema.h"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace nimbus::s3 {
namespace {

const std::vector<std::string>& migrations() {
  static const std::vector<std::string> scripts = {
      // 1: buckets, object versions, segments.
      R"sql(
CREATE TABLE s3_buckets(
  name TEXT PRIMARY KEY,
  owner_id TEXT NOT NULL,
  owner_name TEXT NOT NULL DEFAULT '',
  region TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  versioning TEXT NOT NULL DEFAULT '',
  mfa_delete INTEGER NOT NULL DEFAULT 0,
  object_lock INTEGER NOT NULL DEFAULT 0,
  object_ownership TEXT,
  acl TEXT NOT NULL DEFAULT 'private',
  config TEXT NOT NULL DEFAULT '{}'
) WITHOUT ROWID;
CREATE INDEX s3_buckets_by_owner ON s3_buckets(owner_id, name);
CREATE TABLE s3_objects(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  bucket TEXT NOT NULL,
  key TEXT NOT NULL,
  version_id TEXT NOT NULL,
  is_latest INTEGER NOT NULL,
  delete_marker INTEGER NOT NULL DEFAULT 0,
  size INTEGER NOT NULL DEFAULT 0,
  etag TEXT NOT NULL DEFAULT '',
  last_modified_ms INTEGER NOT NULL,
  owner_id TEXT NOT NULL,
  content_type TEXT,
  content_encoding TEXT,
  content_disposition TEXT,
  content_language TEXT,
  cache_control TEXT,
  expires TEXT,
  website_redirect TEXT,
  metadata TEXT NOT NULL DEFAULT '{}',
  storage_class TEXT NOT NULL DEFAULT 'STANDARD',
  checksum_crc32 TEXT,
  checksum_crc32c TEXT,
  checksum_crc64nvme TEXT,
  checksum_sha1 TEXT,
  checksum_sha256 TEXT,
  checksum_type TEXT,
  parts_count INTEGER NOT NULL DEFAULT 0,
  acl TEXT,
  tags TEXT NOT NULL DEFAULT '{}',
  sse_algorithm TEXT,
  sse_kms_key_id TEXT,
  lock_mode TEXT,
  lock_retain_until_ms INTEGER,
  legal_hold INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX s3_objects_version ON s3_objects(bucket, key, version_id);
CREATE UNIQUE INDEX s3_objects_latest ON s3_objects(bucket, key) WHERE is_latest = 1;
CREATE TABLE s3_object_segments(
  object_id INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  blob_id TEXT NOT NULL,
  blob_offset INTEGER NOT NULL,
  length INTEGER NOT NULL,
  part_number INTEGER,
  PRIMARY KEY(object_id, seq)
) WITHOUT ROWID;
CREATE INDEX s3_object_segments_by_blob ON s3_object_segments(blob_id);
)sql",
  };
  return scripts;
}

constexpr const char* kBucketColumns =
    "name, owner_id, owner_name, region, created_ms, versioning, object_lock, object_ownership, "
    "acl";

BucketRecord bucket_from_row(const Statement& s) {
  BucketRecord b;
  b.name = s.column_text(0);
  b.owner_id = s.column_text(1);
  b.owner_name = s.column_text(2);
  b.region = s.column_text(3);
  b.created_ms = s.column_int(4);
  b.versioning = s.column_text(5);
  b.object_lock = s.column_int(6) != 0;
  b.object_ownership = s.column_text_or_null(7);
  b.acl = s.column_text(8);
  return b;
}

constexpr const char* kObjectColumns =
    "id, bucket, key, version_id, is_latest, delete_marker, size, etag, last_modified_ms, "
    "owner_id, content_type, content_encoding, content_disposition, content_language, "
    "cache_control, expires, website_redirect, metadata, storage_class, checksum_crc32, "
    "checksum_crc32c, checksum_crc64nvme, checksum_sha1, checksum_sha256, checksum_type, "
    "parts_count, acl, tags, sse_algorithm, sse_kms_key_id, lock_mode, lock_retain_until_ms, "
    "legal_hold";

ObjectRecord object_from_row(const Statement& s) {
  ObjectRecord o;
  o.id = s.column_int(0);
  o.bucket = s.column_text(1);
  o.key = s.column_text(2);
  o.version_id = s.column_text(3);
  o.is_latest = s.column_int(4) != 0;
  o.delete_marker = s.column_int(5) != 0;
  o.size = static_cast<uint64_t>(s.column_int(6));
  o.etag = s.column_text(7);
  o.last_modified_ms = s.column_int(8);
  o.owner_id = s.column_text(9);
  o.content_type = s.column_text_or_null(10);
  o.content_encoding = s.column_text_or_null(11);
  o.content_disposition = s.column_text_or_null(12);
  o.content_language = s.column_text_or_null(13);
  o.cache_control = s.column_text_or_null(14);
  o.expires = s.column_text_or_null(15);
  o.website_redirect = s.column_text_or_null(16);
  o.metadata = pairs_from_json(s.column_text(17));
  o.storage_class = s.column_text(18);
  o.checksums.crc32 = s.column_text_or_null(19);
  o.checksums.crc32c = s.column_text_or_null(20);
  o.checksums.crc64nvme = s.column_text_or_null(21);
  o.checksums.sha1 = s.column_text_or_null(22);
  o.checksums.sha256 = s.column_text_or_null(23);
  o.checksums.type = s.column_text_or_null(24);
  o.parts_count = s.column_int(25);
  o.acl = s.column_text_or_null(26);
  o.tags = pairs_from_json(s.column_text(27));
  o.sse_algorithm = s.column_text_or_null(28);
  o.sse_kms_key_id = s.column_text_or_null(29);
  o.lock_mode = s.column_text_or_null(30);
  if (!s.column_is_null(31)) o.lock_retain_until_ms = s.column_int(31);
  o.legal_hold = s.column_int(32) != 0;
  return o;
}

void load_segments(Connection& c, ObjectRecord& o) {
  Statement& s = c.prepare(
      "SELECT blob_id, blob_offset, length FROM s3_object_segments WHERE object_id = ? "
      "ORDER BY seq");
  s.bind(1, o.id);
  while (s.step()) {
    BlobStore::Segment seg;
    seg.id = s.column_text(0);
    seg.offset = static_cast<uint64_t>(s.column_int(1));
    seg.length = static_cast<uint64_t>(s.column_int(2));
    o.segments.push_back(std::move(seg));
  }
}

}  // namespace

void migrate(Database& db) { db.migrate("s3", migrations()); }

std::optional<std::string>* Checksums::by_member(std::string_view member) {
  if (member == "ChecksumCRC32") return &crc32;
  if (member == "ChecksumCRC32C") return &crc32c;
  if (member == "ChecksumCRC64NVME") return &crc64nvme;
  if (member == "ChecksumSHA1") return &sha1;
  if (member == "ChecksumSHA256") return &sha256;
  return nullptr;
}

const std::optional<std::string>* Checksums::by_member(std::string_view member) const {
  return const_cast<Checksums*>(this)->by_member(member);
}

// ---- buckets ----------------------------------------------------------------------------------

std::optional<BucketRecord> find_bucket(Connection& c, std::string_view name) {
  Statement& s =
      c.prepare(std::string("SELECT ") + kBucketColumns + " FROM s3_buckets WHERE name = ?");
  s.bind(1, name);
  if (!s.step()) return std::nullopt;
  return bucket_from_row(s);
}

void insert_bucket(Connection& c, const BucketRecord& b) {
  c.prepare(
       "INSERT INTO s3_buckets(name, owner_id, owner_name, region, created_ms, versioning, "
       "object_lock, object_ownership, acl) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")
      .bind_all(b.name, b.owner_id, b.owner_name, b.region, b.created_ms, b.versioning,
                static_cast<int64_t>(b.object_lock), b.object_ownership, b.acl)
      .run();
}

void set_bucket_acl(Connection& c, std::string_view name, std::string_view acl) {
  c.prepare("UPDATE s3_buckets SET acl = ? WHERE name = ?").bind_all(acl, name).run();
}

void delete_bucket(Connection& c, std::string_view name) {
  c.prepare("DELETE FROM s3_buckets WHERE name = ?").bind_all(name).run();
}

bool bucket_has_objects(Connection& c, std::string_view name) {
  Statement& s = c.prepare("SELECT 1 FROM s3_objects WHERE bucket = ? LIMIT 1");
  s.bind(1, name);
  return s.step();
}

std::vector<BucketRecord> list_buckets(Connection& c, std::string_view owner_id,
                                       std::string_view prefix, std::string_view after) {
  Statement& s = c.prepare(std::string("SELECT ") + kBucketColumns +
                           " FROM s3_buckets WHERE owner_id = ? AND name > ? "
                           "AND substr(name, 1, length(?)) = ? ORDER BY name");
  s.bind_all(owner_id, after, prefix, prefix);
  std::vector<BucketRecord> out;
  while (s.step()) out.push_back(bucket_from_row(s));
  return out;
}

// ---- objects ----------------------------------------------------------------------------------

std::optional<ObjectRecord> find_object(Connection& c, std::string_view bucket,
                                        std::string_view key,
                                        const std::optional<std::string>& version_id) {
  std::optional<ObjectRecord> found;
  if (version_id) {
    Statement& s = c.prepare(std::string("SELECT ") + kObjectColumns +
                             " FROM s3_objects WHERE bucket = ? AND key = ? AND version_id = ?");
    s.bind_all(bucket, key, *version_id);
    if (s.step()) found = object_from_row(s);
  } else {
    Statement& s = c.prepare(std::string("SELECT ") + kObjectColumns +
                             " FROM s3_objects WHERE bucket = ? AND key = ? AND is_latest = 1");
    s.bind_all(bucket, key);
    if (s.step()) found = object_from_row(s);
  }
  if (found) load_segments(c, *found);
  return found;
}

void insert_object(Connection& c, ObjectRecord& o) {
  Statement& s = c.prepare(
      "INSERT INTO s3_objects(bucket, key, version_id, is_latest, delete_marker, size, etag, "
      "last_modified_ms, owner_id, content_type, content_encoding, content_disposition, "
      "content_language, cache_control, expires, website_redirect, metadata, storage_class, "
      "checksum_crc32, checksum_crc32c, checksum_crc64nvme, checksum_sha1, checksum_sha256, "
      "checksum_type, parts_count, acl, tags, sse_algorithm, sse_kms_key_id, lock_mode, "
      "lock_retain_until_ms, legal_hold) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
      "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  s.bind_all(o.bucket, o.key, o.version_id, static_cast<int64_t>(o.is_latest),
             static_cast<int64_t>(o.delete_marker), static_cast<int64_t>(o.size), o.etag,
             o.last_modified_ms, o.owner_id, o.content_type, o.content_encoding,
             o.content_disposition, o.content_language, o.cache_control, o.expires,
             o.website_redirect, pairs_to_json(o.metadata), o.storage_class, o.checksums.crc32,
             o.checksums.crc32c, o.checksums.crc64nvme, o.checksums.sha1, o.checksums.sha256,
             o.checksums.type, o.parts_count, o.acl, pairs_to_json(o.tags), o.sse_algorithm,
             o.sse_kms_key_id, o.lock_mode, o.lock_retain_until_ms,
             static_cast<int64_t>(o.legal_hold));
  s.run();
  o.id = c.last_insert_rowid();
  Statement& seg = c.prepare(
      "INSERT INTO s3_object_segments(object_id, seq, blob_id, blob_offset, length) "
      "VALUES (?, ?, ?, ?, ?)");
  int64_t seq = 0;
  for (const BlobStore::Segment& segment : o.segments) {
    seg.reset();
    seg.bind_all(o.id, seq++, segment.id, static_cast<int64_t>(segment.offset),
                 static_cast<int64_t>(segment.length));
    seg.run();
  }
}

void demote_latest(Connection& c, std::string_view bucket, std::string_view key) {
  c.prepare("UPDATE s3_objects SET is_latest = 0 WHERE bucket = ? AND key = ? AND is_latest = 1")
      .bind_all(bucket, key)
      .run();
}

std::vector<std::string> delete_object(Connection& c, const ObjectRecord& o) {
  std::vector<std::string> blob_ids;
  {
    Statement& s = c.prepare("SELECT DISTINCT blob_id FROM s3_object_segments WHERE object_id = ?");
    s.bind(1, o.id);
    while (s.step()) blob_ids.push_back(s.column_text(0));
  }
  c.prepare("DELETE FROM s3_object_segments WHERE object_id = ?").bind_all(o.id).run();
  c.prepare("DELETE FROM s3_objects WHERE id = ?").bind_all(o.id).run();
  if (o.is_latest) {
    c.prepare(
         "UPDATE s3_objects SET is_latest = 1 WHERE id = (SELECT max(id) FROM s3_objects "
         "WHERE bucket = ? AND key = ?)")
        .bind_all(o.bucket, o.key)
        .run();
  }
  std::vector<std::string> unreferenced;
  for (std::string& id : blob_ids) {
    Statement& s = c.prepare("SELECT 1 FROM s3_object_segments WHERE blob_id = ? LIMIT 1");
    s.bind(1, id);
    if (!s.step()) unreferenced.push_back(std::move(id));
  }
  return unreferenced;
}

// ---- JSON columns -----------------------------------------------------------------------------

std::string pairs_to_json(const std::vector<std::pair<std::string, std::string>>& pairs) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  writer.StartObject();
  for (const auto& [name, value] : pairs) {
    writer.String(name.data(), static_cast<rapidjson::SizeType>(name.size()));
    writer.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
  }
  writer.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

std::vector<std::pair<std::string, std::string>> pairs_from_json(std::string_view json) {
  std::vector<std::pair<std::string, std::string>> out;
  rapidjson::Document doc;
  doc.Parse(json.data(), json.size());
  if (doc.HasParseError() || !doc.IsObject()) return out;
  for (auto it = doc.MemberBegin(); it != doc.MemberEnd(); ++it) {
    if (!it->value.IsString()) continue;
    out.emplace_back(std::string(it->name.GetString(), it->name.GetStringLength()),
                     std::string(it->value.GetString(), it->value.GetStringLength()));
  }
  return out;
}

}  // namespace nimbus::s3
