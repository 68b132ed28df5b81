// S3's SQLite schema (migrations for component "s3") and the row reads/writes the S3 service
// composes into transactions: buckets, object versions and their blob segments. See
// services/s3/schema.h for the table layout.
#include "services/s3/schema.h"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>

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
      // 2: multipart uploads and their parts (blobs named by the parts until Complete).
      R"sql(
CREATE TABLE s3_uploads(
  upload_id TEXT PRIMARY KEY,
  bucket TEXT NOT NULL,
  key TEXT NOT NULL,
  initiated_ms INTEGER NOT NULL,
  template TEXT NOT NULL,
  checksum_algorithm TEXT,
  checksum_type TEXT
) WITHOUT ROWID;
CREATE INDEX s3_uploads_by_key ON s3_uploads(bucket, key, initiated_ms);
CREATE TABLE s3_parts(
  upload_id TEXT NOT NULL,
  part_number INTEGER NOT NULL,
  blob_id TEXT NOT NULL,
  size INTEGER NOT NULL,
  etag TEXT NOT NULL,
  md5 BLOB NOT NULL,
  checksum TEXT,
  last_modified_ms INTEGER NOT NULL,
  PRIMARY KEY(upload_id, part_number)
) WITHOUT ROWID;
)sql",
      // 3: the parts of a multipart object (number, size, checksum) for GetObjectAttributes.
      "ALTER TABLE s3_objects ADD COLUMN parts TEXT NOT NULL DEFAULT '[]';",
      // 4: small objects' bytes in the row (NULL: in blobs, as every earlier row has them).
      "ALTER TABLE s3_objects ADD COLUMN inline_body BLOB;",
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
    "legal_hold, parts";

// The parts column: [[part_number, size, checksum or null], ...].
std::string parts_to_json(const std::vector<ObjectPart>& parts) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  w.StartArray();
  for (const ObjectPart& p : parts) {
    w.StartArray();
    w.Int64(p.part_number);
    w.Uint64(p.size);
    if (p.checksum)
      w.String(p.checksum->data(), static_cast<rapidjson::SizeType>(p.checksum->size()));
    else
      w.Null();
    w.EndArray();
  }
  w.EndArray();
  return buffer.GetString();
}

std::vector<ObjectPart> parts_from_json(std::string_view json) {
  std::vector<ObjectPart> out;
  rapidjson::Document d;
  d.Parse(json.data(), json.size());
  if (d.HasParseError() || !d.IsArray()) return out;
  for (const auto& entry : d.GetArray()) {
    if (!entry.IsArray() || entry.Size() != 3 || !entry[0].IsInt64() || !entry[1].IsUint64())
      continue;
    ObjectPart p;
    p.part_number = entry[0].GetInt64();
    p.size = entry[1].GetUint64();
    if (entry[2].IsString())
      p.checksum = std::string(entry[2].GetString(), entry[2].GetStringLength());
    out.push_back(std::move(p));
  }
  return out;
}

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
  o.parts = parts_from_json(s.column_text(33));
  return o;
}

void load_segments(Connection& c, ObjectRecord& o) {
  Statement& s = c.prepare(
      "SELECT blob_id, blob_offset, length, part_number FROM s3_object_segments "
      "WHERE object_id = ? ORDER BY seq");
  s.bind(1, o.id);
  while (s.step()) {
    BlobStore::Segment seg;
    seg.id = s.column_text(0);
    seg.offset = static_cast<uint64_t>(s.column_int(1));
    seg.length = static_cast<uint64_t>(s.column_int(2));
    o.segments.push_back(std::move(seg));
    if (!s.column_is_null(3)) o.segment_parts.push_back(s.column_int(3));
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
  // kObjectColumns, then inline_body (column 34); listings leave that column out.
  static const std::string by_version = std::string("SELECT ") + kObjectColumns +
                                        ", inline_body FROM s3_objects WHERE bucket = ? AND "
                                        "key = ? AND version_id = ?";
  static const std::string current = std::string("SELECT ") + kObjectColumns +
                                     ", inline_body FROM s3_objects WHERE bucket = ? AND "
                                     "key = ? AND is_latest = 1";
  Statement& s = c.prepare(version_id ? by_version : current);
  s.bind(1, bucket);
  s.bind(2, key);
  if (version_id) s.bind(3, *version_id);
  if (!s.step()) return std::nullopt;
  std::optional<ObjectRecord> found = object_from_row(s);
  if (!s.column_is_null(34)) found->inline_body = s.column_blob(34);
  // Only an object with bytes outside its row has segments. `s` stays unfinished until then:
  // outside a write job that keeps the read transaction, so the segments are this row's even
  // if an overwrite commits meanwhile.
  if (!found->inline_body && found->size > 0) load_segments(c, *found);
  return found;
}

void insert_object(Connection& c, ObjectRecord& o) {
  Statement& s = c.prepare(
      "INSERT INTO s3_objects(bucket, key, version_id, is_latest, delete_marker, size, etag, "
      "last_modified_ms, owner_id, content_type, content_encoding, content_disposition, "
      "content_language, cache_control, expires, website_redirect, metadata, storage_class, "
      "checksum_crc32, checksum_crc32c, checksum_crc64nvme, checksum_sha1, checksum_sha256, "
      "checksum_type, parts_count, acl, tags, sse_algorithm, sse_kms_key_id, lock_mode, "
      "lock_retain_until_ms, legal_hold, parts, inline_body) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, "
      "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  s.bind_all(o.bucket, o.key, o.version_id, static_cast<int64_t>(o.is_latest),
             static_cast<int64_t>(o.delete_marker), static_cast<int64_t>(o.size), o.etag,
             o.last_modified_ms, o.owner_id, o.content_type, o.content_encoding,
             o.content_disposition, o.content_language, o.cache_control, o.expires,
             o.website_redirect, pairs_to_json(o.metadata), o.storage_class, o.checksums.crc32,
             o.checksums.crc32c, o.checksums.crc64nvme, o.checksums.sha1, o.checksums.sha256,
             o.checksums.type, o.parts_count, o.acl, pairs_to_json(o.tags), o.sse_algorithm,
             o.sse_kms_key_id, o.lock_mode, o.lock_retain_until_ms,
             static_cast<int64_t>(o.legal_hold), parts_to_json(o.parts));
  if (o.inline_body) s.bind_blob(34, *o.inline_body);
  s.run();
  o.id = c.last_insert_rowid();
  Statement& seg = c.prepare(
      "INSERT INTO s3_object_segments(object_id, seq, blob_id, blob_offset, length, "
      "part_number) VALUES (?, ?, ?, ?, ?, ?)");
  int64_t seq = 0;
  for (const BlobStore::Segment& segment : o.segments) {
    std::optional<int64_t> part;
    if (static_cast<size_t>(seq) < o.segment_parts.size()) part = o.segment_parts[seq];
    seg.reset();
    seg.bind_all(o.id, seq++, segment.id, static_cast<int64_t>(segment.offset),
                 static_cast<int64_t>(segment.length), part);
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

void set_object_tags(Connection& c, int64_t object_id,
                     const std::vector<std::pair<std::string, std::string>>& tags) {
  c.prepare("UPDATE s3_objects SET tags = ? WHERE id = ?").bind_all(pairs_to_json(tags), object_id)
      .run();
}

void set_object_acl(Connection& c, int64_t object_id, std::string_view acl) {
  c.prepare("UPDATE s3_objects SET acl = ? WHERE id = ?").bind_all(acl, object_id).run();
}

void set_bucket_versioning(Connection& c, std::string_view name, std::string_view status) {
  c.prepare("UPDATE s3_buckets SET versioning = ? WHERE name = ?").bind_all(status, name).run();
}

std::vector<std::pair<std::string, std::string>> bucket_tags(Connection& c,
                                                             std::string_view name) {
  Statement& s = c.prepare(
      "SELECT json_extract(config, '$.tags') FROM s3_buckets WHERE name = ?");
  s.bind(1, name);
  if (!s.step() || s.column_is_null(0)) return {};
  return pairs_from_json(s.column_text(0));
}

bool set_bucket_tags(Connection& c, std::string_view name,
                     const std::optional<std::vector<std::pair<std::string, std::string>>>& tags) {
  bool had = !bucket_tags(c, name).empty();
  if (tags) {
    c.prepare("UPDATE s3_buckets SET config = json_set(config, '$.tags', json(?)) WHERE name = ?")
        .bind_all(pairs_to_json(*tags), name)
        .run();
  } else {
    c.prepare("UPDATE s3_buckets SET config = json_remove(config, '$.tags') WHERE name = ?")
        .bind_all(name)
        .run();
  }
  return had;
}

// ---- listing ----------------------------------------------------------------------------------

namespace {

// Every valid UTF-8 string that starts with p sorts below p + "\xff" (0xFF never occurs in
// UTF-8), so [p, p + "\xff") is exactly the keys under p.
std::string past_prefix(std::string_view p) { return std::string(p) + "\xff"; }

// The common prefix `key` rolls into, or "" when it is listed itself.
std::string common_prefix_of(std::string_view key, std::string_view prefix,
                             std::string_view delimiter) {
  if (delimiter.empty()) return {};
  size_t at = key.find(delimiter, prefix.size());
  if (at == std::string_view::npos) return {};
  return std::string(key.substr(0, at + delimiter.size()));
}

// The walk every listing shares: the rows of `select` ("SELECT ... FROM t WHERE bucket = ?1 AND
// ...") in key order then `order`, keys after `cursor` (at it when `inclusive`) and under
// `prefix`. A key that rolls into a common prefix by `delimiter` is visited once as that prefix
// and the walk then seeks past every key under it instead of reading them; other rows are visited
// with an empty prefix. visit(statement, common_prefix) returns false to stop.
template <typename Visit>
void walk_keys(Connection& c, const std::string& select, const char* order, int key_column,
               std::string_view bucket, std::string_view prefix, std::string_view delimiter,
               std::string cursor, bool inclusive, uint64_t& rows_examined, Visit visit) {
  if (std::string_view(cursor) < prefix) {
    cursor = std::string(prefix);
    inclusive = true;
  }
  std::string end = prefix.empty() ? std::string() : past_prefix(prefix);
  auto sql = [&](const char* op) {
    return select + " AND key " + op + " ?2 " + (end.empty() ? "" : "AND key < ?3 ") +
           "ORDER BY key" + order;
  };
  const std::string sql_gt = sql(">"), sql_ge = sql(">=");
  for (;;) {
    Statement& s = c.prepare(inclusive ? sql_ge : sql_gt);
    s.bind(1, bucket);
    s.bind(2, cursor);
    if (!end.empty()) s.bind(3, end);
    bool reseek = false;
    while (s.step()) {
      ++rows_examined;
      std::string cp = common_prefix_of(s.column_text(key_column), prefix, delimiter);
      bool go_on = visit(s, cp);
      if (!go_on) {
        s.reset();
        return;
      }
      if (!cp.empty()) {
        cursor = past_prefix(cp);
        inclusive = false;
        reseek = true;
        break;
      }
    }
    s.reset();
    if (!reseek) return;
  }
}

// Appends to a page of at most max_entries entries; false (and truncated) once it is full.
// A page of zero entries is complete, not truncated, as AWS answers max-keys=0: there is no last
// entry to continue after, so a truncated one would send paginators round for ever.
template <typename Page, typename Entry>
bool add_entry(Page& page, size_t max_entries, Entry entry) {
  if (page.entries.size() == max_entries) {
    page.truncated = max_entries > 0;
    return false;
  }
  page.entries.push_back(std::move(entry));
  return true;
}

}  // namespace

ListPage list_objects(Connection& c, std::string_view bucket, std::string_view prefix,
                      std::string_view delimiter, std::string_view after, size_t max_entries) {
  ListPage page;
  const std::string select = std::string("SELECT ") + kObjectColumns +
                             " FROM s3_objects WHERE bucket = ?1 AND is_latest = 1";
  walk_keys(c, select, "", 2, bucket, prefix, delimiter, std::string(after), false,
            page.rows_examined, [&](const Statement& s, const std::string& cp) {
              // A common prefix <= after was listed on an earlier page.
              if (!cp.empty())
                return cp <= after || add_entry(page, max_entries, ListEntry{std::nullopt, cp});
              ObjectRecord o = object_from_row(s);
              if (o.delete_marker) return true;
              return add_entry(page, max_entries, ListEntry{std::move(o), {}});
            });
  return page;
}

ListPage list_versions(Connection& c, std::string_view bucket, std::string_view prefix,
                       std::string_view delimiter, std::string_view key_marker,
                       std::string_view version_id_marker, size_t max_entries) {
  ListPage page;
  // Within one key the newest version (highest id) comes first.
  std::optional<int64_t> below_id;  // resume inside key_marker's versions
  if (!key_marker.empty() && !version_id_marker.empty()) {
    Statement& s =
        c.prepare("SELECT id FROM s3_objects WHERE bucket = ? AND key = ? AND version_id = ?");
    s.bind_all(bucket, key_marker, version_id_marker);
    if (s.step()) below_id = s.column_int(0);
    s.reset();
  }
  const std::string select =
      std::string("SELECT ") + kObjectColumns + " FROM s3_objects WHERE bucket = ?1";
  walk_keys(c, select, ", id DESC", 2, bucket, prefix, delimiter, std::string(key_marker),
            below_id.has_value(), page.rows_examined,
            [&](const Statement& s, const std::string& cp) {
              if (!cp.empty())
                return cp <= key_marker ||
                       add_entry(page, max_entries, ListEntry{std::nullopt, cp});
              if (s.column_text(2) == key_marker && s.column_int(0) >= below_id.value_or(INT64_MAX))
                return true;
              return add_entry(page, max_entries, ListEntry{object_from_row(s), {}});
            });
  return page;
}

// ---- multipart uploads ------------------------------------------------------------------------

namespace {

// The template object of an upload as JSON (headers, metadata, tags, owner, acl, sse).
std::string template_to_json(const ObjectRecord& o) {
  std::vector<std::pair<std::string, std::string>> fields;
  auto add = [&](const char* name, const std::optional<std::string>& v) {
    if (v) fields.emplace_back(name, *v);
  };
  add("content_type", o.content_type);
  add("content_encoding", o.content_encoding);
  add("content_disposition", o.content_disposition);
  add("content_language", o.content_language);
  add("cache_control", o.cache_control);
  add("expires", o.expires);
  add("website_redirect", o.website_redirect);
  add("acl", o.acl);
  add("sse_algorithm", o.sse_algorithm);
  add("sse_kms_key_id", o.sse_kms_key_id);
  fields.emplace_back("owner_id", o.owner_id);
  fields.emplace_back("storage_class", o.storage_class);
  fields.emplace_back("metadata", pairs_to_json(o.metadata));
  fields.emplace_back("tags", pairs_to_json(o.tags));
  return pairs_to_json(fields);
}

ObjectRecord template_from_json(std::string_view json) {
  ObjectRecord o;
  o.sse_algorithm.reset();
  for (auto& [name, value] : pairs_from_json(json)) {
    if (name == "content_type") o.content_type = value;
    else if (name == "content_encoding") o.content_encoding = value;
    else if (name == "content_disposition") o.content_disposition = value;
    else if (name == "content_language") o.content_language = value;
    else if (name == "cache_control") o.cache_control = value;
    else if (name == "expires") o.expires = value;
    else if (name == "website_redirect") o.website_redirect = value;
    else if (name == "acl") o.acl = value;
    else if (name == "sse_algorithm") o.sse_algorithm = value;
    else if (name == "sse_kms_key_id") o.sse_kms_key_id = value;
    else if (name == "owner_id") o.owner_id = value;
    else if (name == "storage_class") o.storage_class = value;
    else if (name == "metadata") o.metadata = pairs_from_json(value);
    else if (name == "tags") o.tags = pairs_from_json(value);
  }
  return o;
}

constexpr const char* kUploadColumns =
    "upload_id, bucket, key, initiated_ms, template, checksum_algorithm, checksum_type";

UploadRecord upload_from_row(const Statement& s) {
  UploadRecord u;
  u.upload_id = s.column_text(0);
  u.bucket = s.column_text(1);
  u.key = s.column_text(2);
  u.initiated_ms = s.column_int(3);
  u.object = template_from_json(s.column_text(4));
  u.object.bucket = u.bucket;
  u.object.key = u.key;
  u.checksum_algorithm = s.column_text_or_null(5);
  u.checksum_type = s.column_text_or_null(6);
  return u;
}

}  // namespace

void insert_upload(Connection& c, UploadRecord& u) {
  // Uploads of one key list in initiation order; two started in the same millisecond get
  // consecutive times, so that order is the order they were created in.
  Statement& latest =
      c.prepare("SELECT max(initiated_ms) FROM s3_uploads WHERE bucket = ? AND key = ?");
  latest.bind_all(u.bucket, u.key);
  if (latest.step() && !latest.column_is_null(0))
    u.initiated_ms = std::max(u.initiated_ms, latest.column_int(0) + 1);
  latest.reset();
  c.prepare(std::string("INSERT INTO s3_uploads(") + kUploadColumns +
            ") VALUES (?, ?, ?, ?, ?, ?, ?)")
      .bind_all(u.upload_id, u.bucket, u.key, u.initiated_ms, template_to_json(u.object),
                u.checksum_algorithm, u.checksum_type)
      .run();
}

std::optional<UploadRecord> find_upload(Connection& c, std::string_view upload_id) {
  Statement& s = c.prepare(std::string("SELECT ") + kUploadColumns +
                           " FROM s3_uploads WHERE upload_id = ?");
  s.bind(1, upload_id);
  if (!s.step()) return std::nullopt;
  return upload_from_row(s);
}

std::vector<std::string> delete_upload(Connection& c, std::string_view upload_id,
                                       const std::vector<std::string>& keep) {
  std::vector<std::string> freed;
  {
    Statement& s = c.prepare("SELECT blob_id FROM s3_parts WHERE upload_id = ?");
    s.bind(1, upload_id);
    while (s.step()) {
      std::string id = s.column_text(0);
      if (!id.empty() && std::find(keep.begin(), keep.end(), id) == keep.end())
        freed.push_back(std::move(id));
    }
  }
  c.prepare("DELETE FROM s3_parts WHERE upload_id = ?").bind_all(upload_id).run();
  c.prepare("DELETE FROM s3_uploads WHERE upload_id = ?").bind_all(upload_id).run();
  return freed;
}

std::optional<std::string> put_part(Connection& c, std::string_view upload_id,
                                    const PartRecord& p) {
  std::optional<std::string> replaced;
  {
    Statement& s =
        c.prepare("SELECT blob_id FROM s3_parts WHERE upload_id = ? AND part_number = ?");
    s.bind_all(upload_id, p.part_number);
    if (s.step() && !s.column_text(0).empty()) replaced = s.column_text(0);
  }
  c.prepare(
       "INSERT OR REPLACE INTO s3_parts(upload_id, part_number, blob_id, size, etag, md5, "
       "checksum, last_modified_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
      .bind_all(upload_id, p.part_number, p.blob_id, static_cast<int64_t>(p.size), p.etag, p.md5,
                p.checksum, p.last_modified_ms)
      .run();
  return replaced;
}

std::vector<PartRecord> list_parts(Connection& c, std::string_view upload_id, int64_t after_part,
                                   size_t limit) {
  Statement& s = c.prepare(
      "SELECT part_number, blob_id, size, etag, md5, checksum, last_modified_ms FROM s3_parts "
      "WHERE upload_id = ? AND part_number > ? ORDER BY part_number LIMIT ?");
  s.bind_all(upload_id, after_part, static_cast<int64_t>(limit));
  std::vector<PartRecord> out;
  while (s.step()) {
    PartRecord p;
    p.part_number = s.column_int(0);
    p.blob_id = s.column_text(1);
    p.size = static_cast<uint64_t>(s.column_int(2));
    p.etag = s.column_text(3);
    p.md5 = s.column_text(4);
    p.checksum = s.column_text_or_null(5);
    p.last_modified_ms = s.column_int(6);
    out.push_back(std::move(p));
  }
  return out;
}

UploadPage list_uploads(Connection& c, std::string_view bucket, std::string_view prefix,
                        std::string_view delimiter, std::string_view key_marker,
                        std::string_view upload_id_marker, size_t max_entries) {
  UploadPage page;
  // Resuming inside key_marker's uploads: after the marker's (initiated, id) position, or, for
  // an id that names no upload of the key, after it in id order.
  bool inside = !key_marker.empty() && !upload_id_marker.empty();
  std::optional<int64_t> marker_initiated;
  if (inside) {
    Statement& s = c.prepare(
        "SELECT initiated_ms FROM s3_uploads WHERE upload_id = ? AND bucket = ? AND key = ?");
    s.bind_all(upload_id_marker, bucket, key_marker);
    if (s.step()) marker_initiated = s.column_int(0);
    s.reset();
  }
  auto before_marker = [&](const UploadRecord& u) {
    if (!inside || u.key != key_marker) return false;
    if (!marker_initiated) return u.upload_id <= upload_id_marker;
    return std::make_pair(u.initiated_ms, std::string_view(u.upload_id)) <=
           std::make_pair(*marker_initiated, upload_id_marker);
  };
  // The s3_uploads_by_key index (bucket, key, initiated_ms, and the upload_id key) serves it.
  const std::string select =
      std::string("SELECT ") + kUploadColumns + " FROM s3_uploads WHERE bucket = ?1";
  walk_keys(c, select, ", initiated_ms, upload_id", 2, bucket, prefix, delimiter,
            std::string(key_marker), inside, page.rows_examined,
            [&](const Statement& s, const std::string& cp) {
              if (!cp.empty())
                return cp <= key_marker ||
                       add_entry(page, max_entries, UploadEntry{std::nullopt, cp});
              UploadRecord u = upload_from_row(s);
              return before_marker(u) ||
                     add_entry(page, max_entries, UploadEntry{std::move(u), {}});
            });
  return page;
}

bool bucket_has_uploads(Connection& c, std::string_view name) {
  Statement& s = c.prepare("SELECT 1 FROM s3_uploads WHERE bucket = ? LIMIT 1");
  s.bind(1, name);
  return s.step();
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
