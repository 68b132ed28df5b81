// S3 multipart uploads: CreateMultipartUpload, UploadPart (the body streams into one blob per
// part), UploadPartCopy (a byte range of another object copied into a part's blob),
// CompleteMultipartUpload (the object's segments are the parts' blobs: nothing is copied),
// AbortMultipartUpload and ListParts (ListMultipartUploads is with the listings, listing.cc).
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/mpuoverview.html
#include "common/hash.h"
#include "services/s3/internal.h"
#include "services/s3/s3_service.h"

namespace nimbus {
namespace {

using namespace nimbus::s3;

constexpr uint64_t kMinPartBytes = 5ull << 20;  // every part but the last
constexpr int64_t kMaxPartNumber = 10000;
constexpr int64_t kMaxListed = 1000;  // ListParts

ApiError no_such_upload(const std::string& upload_id) {
  return ApiError(404, "NoSuchUpload",
                  "The specified upload does not exist. The upload ID may be invalid, or the "
                  "upload may have been aborted or completed.")
      .with("UploadId", upload_id);
}

// The upload, checked to belong to bucket/key of a bucket the caller may write to.
UploadRecord require_upload(Connection& c, const std::string& bucket, const std::string& key,
                            const std::string& upload_id, const CallContext& context,
                            const Value& input) {
  require_bucket(c, bucket, context, input, Access::Write);
  std::optional<UploadRecord> u = s3::find_upload(c, upload_id);
  if (!u || u->bucket != bucket || u->key != key) throw no_such_upload(upload_id);
  return std::move(*u);
}

int64_t part_number_of(const Value& input) {
  std::optional<int64_t> n = input.get_int("PartNumber");
  if (!n || *n < 1 || *n > kMaxPartNumber)
    throw s3_errors::invalid_argument("Part number must be an integer between 1 and 10000, "
                                      "inclusive", "partNumber",
                                      n ? std::to_string(*n) : std::string());
  return *n;
}

bool is_crc(const ChecksumAlgorithm& a) {
  return a.hasher == Hasher::Algorithm::Crc32 || a.hasher == Hasher::Algorithm::Crc32c ||
         a.hasher == Hasher::Algorithm::Crc64Nvme;
}

// The algorithm of the upload's part checksums: the one CreateMultipartUpload chose, else S3's
// default, CRC64NVME, whose part CRCs combine into the object's FULL_OBJECT checksum.
// https://docs.aws.amazon.com/AmazonS3/latest/API/API_ObjectPart.html
const ChecksumAlgorithm& part_algorithm(const UploadRecord& u) {
  return *find_checksum_algorithm(u.checksum_algorithm.value_or("CRC64NVME"));
}

// The raw digest of a part's checksum of `algorithm`; none for a part stored without one, or
// with a client's checksum of another algorithm (before uploads had a default).
std::optional<std::string> part_digest(const PartRecord& p, const ChecksumAlgorithm& algorithm) {
  std::optional<std::string> raw = p.checksum ? base64_decode(*p.checksum) : std::nullopt;
  if (!raw || raw->size() != algorithm.digest_bytes) return std::nullopt;
  return raw;
}

ApiError checksum_type_mismatch(const ChecksumAlgorithm* expected,
                                const ChecksumAlgorithm& actual) {
  return s3_errors::invalid_request(
      "Checksum Type mismatch occurred, expected checksum Type: " +
      (expected ? lower(expected->name) : std::string("null")) +
      ", actual checksum Type: " + lower(actual.name));
}

// The checksum CompleteMultipartUpload carries for the whole object; its x-amz-checksum-type and
// algorithm must be the ones CreateMultipartUpload chose (InvalidRequest otherwise).
SentChecksum complete_checksum(const UploadRecord& u, const ChecksumAlgorithm* algorithm,
                               const Value& input) {
  std::optional<std::string> type = input.get_string("ChecksumType");
  if (type && type != u.checksum_type)
    throw s3_errors::invalid_request("The upload was created using the " +
                                     u.checksum_type.value_or("null") +
                                     " checksum mode. The complete request must use the same "
                                     "checksum mode.");
  SentChecksum sent = sent_checksum(input);
  if (sent.algorithm && sent.algorithm != algorithm)
    throw checksum_type_mismatch(algorithm, *sent.algorithm);
  return sent;
}

std::string strip_quotes(std::string s) {
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') return s.substr(1, s.size() - 2);
  return s;
}

}  // namespace

// https://docs.aws.amazon.com/AmazonS3/latest/API/API_CreateMultipartUpload.html
Result S3Service::create_multipart_upload(CallContext& context, const Value& input) {
  std::string bucket_name = bucket_of(input);
  std::string key = key_of(input);
  if (key.size() > kMaxKeyBytes) throw s3_errors::key_too_long(key.size(), kMaxKeyBytes);
  if (input.has("SSECustomerAlgorithm"))
    throw errors::not_implemented("CreateMultipartUpload with SSE-C");
  check_enum(input, "ACL", "ObjectCannedACL", "x-amz-acl");
  if (std::optional<std::string> storage_class = input.get_string("StorageClass")) {
    const Shape* shape = model_.shape("StorageClass");
    if (shape && std::find(shape->enum_values.begin(), shape->enum_values.end(), *storage_class) ==
                     shape->enum_values.end())
      throw s3_errors::invalid_storage_class(*storage_class);
  }
  UploadRecord u;
  u.upload_id = random_hex(24);
  u.bucket = bucket_name;
  u.key = key;
  u.initiated_ms = env_.clock.now_ms();
  ObjectRecord& o = u.object;
  o.bucket = bucket_name;
  o.key = key;
  o.owner_id = context.account.id;
  o.content_type = input.get_string("ContentType");
  o.content_encoding = stored_content_encoding(input.get_string("ContentEncoding"));
  o.content_disposition = input.get_string("ContentDisposition");
  o.content_language = input.get_string("ContentLanguage");
  o.cache_control = input.get_string("CacheControl");
  o.expires = input.get_string("Expires");
  o.website_redirect = input.get_string("WebsiteRedirectLocation");
  o.storage_class = input.string_or("StorageClass", "STANDARD");
  o.sse_algorithm = input.string_or("ServerSideEncryption", "AES256");
  o.sse_kms_key_id = input.get_string("SSEKMSKeyId");
  if (std::optional<std::string> tagging = input.get_string("Tagging"))
    o.tags = parse_tagging(*tagging);
  if (const Value* metadata = input.find("Metadata"); metadata && metadata->is_map()) {
    size_t total = 0;
    for (const auto& [name, value] : metadata->as_map()) {
      std::string text = value.is_string() ? value.as_string() : std::string();
      total += name.size() + text.size();
      o.metadata.emplace_back(lower(name), std::move(text));
    }
    if (total > kMaxMetadataBytes) throw s3_errors::metadata_too_large(total, kMaxMetadataBytes);
  }
  // Checksum types: FULL_OBJECT (a CRC of the whole object, combined from the part CRCs) or
  // COMPOSITE (a checksum of the part checksums); CRC64NVME is always FULL_OBJECT, SHA-1 and
  // SHA-256 always COMPOSITE, CRC32/CRC32C either (COMPOSITE unless asked).
  // https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html
  check_enum(input, "ChecksumType", "ChecksumType", "x-amz-checksum-type");
  std::optional<std::string> type = input.get_string("ChecksumType");
  if (std::optional<std::string> algorithm = input.get_string("ChecksumAlgorithm")) {
    const ChecksumAlgorithm* a = find_checksum_algorithm(*algorithm);
    if (!a) throw s3_errors::invalid_request("Checksum algorithm provided is unsupported.");
    u.checksum_algorithm = a->name;
    bool crc64 = a->hasher == Hasher::Algorithm::Crc64Nvme;
    if (!type) type = crc64 ? "FULL_OBJECT" : "COMPOSITE";
    bool refused = *type == "FULL_OBJECT" ? !is_crc(*a) : crc64;
    if (refused)
      throw s3_errors::invalid_request("The " + *type + " checksum type cannot be used with the " +
                                       lower(a->name) + " checksum algorithm.");
    u.checksum_type = type;
  } else if (type) {
    throw s3_errors::invalid_request("The x-amz-checksum-type header can only be used with the "
                                     "x-amz-checksum-algorithm header.");
  }
  env_.db.write([&](Connection& c) {
    BucketRecord b = require_bucket(c, bucket_name, context, input, Access::Write);
    o.acl = requested_acl(input, context.account.id);
    (void)b;
    s3::insert_upload(c, u);
  });
  Result result;
  result.output.set("Bucket", bucket_name);
  result.output.set("Key", key);
  result.output.set("UploadId", u.upload_id);
  if (u.checksum_algorithm) result.output.set("ChecksumAlgorithm", *u.checksum_algorithm);
  if (u.checksum_type) result.output.set("ChecksumType", *u.checksum_type);
  result.output.set("ServerSideEncryption", *o.sse_algorithm);
  return result;
}

// https://docs.aws.amazon.com/AmazonS3/latest/API/API_UploadPart.html
Result S3Service::upload_part(CallContext& context, const Value& input) {
  std::string bucket_name = bucket_of(input), key = key_of(input);
  std::string upload_id = input.string_or("UploadId", "");
  int64_t part_number = part_number_of(input);
  std::optional<UploadRecord> upload;
  // Every part gets a checksum of the upload's part algorithm, computed here; a client's
  // checksum of another algorithm on an upload created without one is verified, not stored.
  Received received = receive_body(
      context, input,
      [&]() -> const ChecksumAlgorithm* {
        upload = env_.db.read([&](Connection& c) {
          return require_upload(c, bucket_name, key, upload_id, context, input);
        });
        return &part_algorithm(*upload);
      },
      true);
  PartRecord part;
  part.part_number = part_number;
  part.blob_id = received.blob_id;
  part.size = received.size;
  part.md5 = received.md5;
  part.etag = "\"" + hex_encode(received.md5) + "\"";
  part.last_modified_ms = env_.clock.now_ms();
  const ChecksumAlgorithm& algorithm = part_algorithm(*upload);
  if (upload->checksum_algorithm && received.algorithm != &algorithm)
    throw checksum_type_mismatch(&algorithm, *received.algorithm);
  part.checksum = base64_encode(received.default_checksum);
  std::optional<std::string> replaced;
  try {
    replaced = env_.db.write([&](Connection& c) {
      require_upload(c, bucket_name, key, upload_id, context, input);
      return s3::put_part(c, upload_id, part);
    });
  } catch (...) {
    if (!part.blob_id.empty()) remove_blobs({part.blob_id});
    throw;
  }
  if (replaced) remove_blobs({*replaced});
  Result result;
  result.output.set("ETag", part.etag);
  result.output.set(received.algorithm->member, base64_encode(received.checksum));
  result.output.set("ServerSideEncryption", upload->object.sse_algorithm.value_or("AES256"));
  return result;
}

// https://docs.aws.amazon.com/AmazonS3/latest/API/API_UploadPartCopy.html
Result S3Service::upload_part_copy(CallContext& context, const Value& input) {
  std::string bucket_name = bucket_of(input), key = key_of(input);
  std::string upload_id = input.string_or("UploadId", "");
  int64_t part_number = part_number_of(input);
  std::string header = input.string_or("CopySource", "");
  // Same source syntax as CopyObject: [/]bucket/key[?versionId=].
  std::string text = header;
  std::optional<std::string> source_version;
  if (size_t q = text.find('?'); q != std::string::npos) {
    for (auto& [k, v] : parse_query(std::string_view(text).substr(q + 1)))
      if (k == "versionId") source_version = v;
    text.resize(q);
  }
  text = uri_decode(text);
  if (!text.empty() && text.front() == '/') text.erase(0, 1);
  size_t slash = text.find('/');
  if (slash == std::string::npos || slash == 0 || slash + 1 == text.size())
    throw s3_errors::invalid_argument("Invalid copy source object key", "x-amz-copy-source",
                                      header);
  std::string src_bucket = text.substr(0, slash), src_key = text.substr(slash + 1);

  std::optional<UploadRecord> upload;
  ObjectRecord src = env_.db.read([&](Connection& c) {
    upload = require_upload(c, bucket_name, key, upload_id, context, input);
    Value none = Value::map();
    return require_object(c, src_bucket, src_key, source_version, context, none, Access::Read);
  });
  if (src.delete_marker) throw s3_errors::no_such_key(src_key);
  if (check_conditions(src, input, "CopySource"))
    throw s3_errors::precondition_failed("x-amz-copy-source-If");
  uint64_t first = 0, length = src.size;
  if (std::optional<std::string> range = input.get_string("CopySourceRange")) {
    // bytes=first-last, both required, inside the object.
    uint64_t a = 0, b = 0;
    char dash = 0;
    std::string spec = range->starts_with("bytes=") ? range->substr(6) : std::string();
    int consumed = 0;
    if (std::sscanf(spec.c_str(), "%lu%c%lu%n", &a, &dash, &b, &consumed) != 3 || dash != '-' ||
        static_cast<size_t>(consumed) != spec.size() || b < a)
      throw s3_errors::invalid_argument("The x-amz-copy-source-range value must be of the form "
                                        "bytes=first-last where first and last are the "
                                        "zero-based offsets of the first and last bytes to copy",
                                        "x-amz-copy-source-range", *range);
    if (b >= src.size)
      throw s3_errors::invalid_request("The specified copy range is invalid for the source "
                                       "object size");
    first = a;
    length = b - a + 1;
  }
  // Copy the range into the part's own blob.
  std::unique_ptr<BodySource> reader = open_body(env_.blobs, src, first, length);
  std::unique_ptr<BlobStore::Writer> writer = env_.blobs.create();
  Hasher md5_hasher(Hasher::Algorithm::Md5);
  // The part gets a checksum of the upload's part algorithm, as an uploaded part does.
  const ChecksumAlgorithm& algorithm = part_algorithm(*upload);
  Hasher checksum_hasher(algorithm.hasher);
  std::string buffer(kChunkBytes, '\0');
  for (;;) {
    size_t n = reader->read(buffer.data(), buffer.size());
    if (n == 0) break;
    writer->write(std::string_view(buffer.data(), n));
    md5_hasher.update(std::string_view(buffer.data(), n));
    checksum_hasher.update(std::string_view(buffer.data(), n));
  }
  PartRecord part;
  part.checksum = base64_encode(checksum_hasher.finish());
  part.part_number = part_number;
  part.size = length;
  part.md5 = md5_hasher.finish();
  part.etag = "\"" + hex_encode(part.md5) + "\"";
  part.last_modified_ms = env_.clock.now_ms();
  part.blob_id = length > 0 ? writer->commit() : std::string();
  std::optional<std::string> replaced;
  try {
    replaced = env_.db.write([&](Connection& c) {
      require_upload(c, bucket_name, key, upload_id, context, input);
      return s3::put_part(c, upload_id, part);
    });
  } catch (...) {
    if (!part.blob_id.empty()) remove_blobs({part.blob_id});
    throw;
  }
  if (replaced) remove_blobs({*replaced});
  Result result;
  Value copied = Value::map()
                     .set("ETag", part.etag)
                     .set("LastModified", timestamp_of(part.last_modified_ms));
  copied.set(algorithm.member, *part.checksum);
  result.output.set("CopyPartResult", std::move(copied));
  if (src.version_id != kNullVersion) result.output.set("CopySourceVersionId", src.version_id);
  return result;
}

// https://docs.aws.amazon.com/AmazonS3/latest/API/API_CompleteMultipartUpload.html
Result S3Service::complete_multipart_upload(CallContext& context, const Value& input) {
  std::string bucket_name = bucket_of(input), key = key_of(input);
  std::string upload_id = input.string_or("UploadId", "");
  const Value* mpu = input.find("MultipartUpload");
  const Value* parts = mpu ? mpu->find("Parts") : nullptr;
  if (!parts || !parts->is_list() || parts->as_list().empty())
    throw ApiError(400, "MalformedXML",
                   "The XML you provided was not well-formed or did not validate against our "
                   "published schema");
  struct Asked {
    int64_t number;
    std::string etag;
    const Value* entry;  // the CompletedPart, for its Checksum<ALG> member
  };
  std::vector<Asked> asked;
  for (const Value& p : parts->as_list()) {
    std::optional<int64_t> n = p.get_int("PartNumber");
    if (!n) throw ApiError(400, "MalformedXML", "A part needs a PartNumber");
    if (!asked.empty() && *n <= asked.back().number)
      throw ApiError(400, "InvalidPartOrder",
                     "The list of parts was not in ascending order. Parts must be ordered by "
                     "part number.")
          .with("UploadId", upload_id);
    asked.push_back({*n, strip_quotes(p.string_or("ETag", "")), &p});
  }

  struct Outcome {
    ObjectRecord object;
    std::vector<std::string> freed;
    std::string versioning;
  };
  Outcome outcome = env_.db.write([&](Connection& c) {
    Outcome out;
    UploadRecord u = require_upload(c, bucket_name, key, upload_id, context, input);
    BucketRecord bucket = *s3::find_bucket(c, bucket_name);
    out.versioning = bucket.versioning;
    std::vector<PartRecord> stored = s3::list_parts(c, upload_id, 0, kMaxPartNumber);
    ObjectRecord o = u.object;
    std::string md5s;
    std::vector<std::string> used;
    // An upload created without an algorithm gets S3's default, a FULL_OBJECT CRC64NVME; a
    // checksum sent with Complete must still be of the algorithm the client chose.
    SentChecksum sent = complete_checksum(
        u, u.checksum_algorithm ? &part_algorithm(u) : nullptr, input);
    const ChecksumAlgorithm& algorithm = part_algorithm(u);
    bool full_object = !u.checksum_algorithm || u.checksum_type == std::string("FULL_OBJECT");
    std::vector<const PartRecord*> chosen;
    for (size_t i = 0; i < asked.size(); ++i) {
      auto it = std::find_if(stored.begin(), stored.end(),
                             [&](const PartRecord& p) { return p.part_number == asked[i].number; });
      auto invalid_part = [&] {
        return ApiError(400, "InvalidPart",
                        "One or more of the specified parts could not be found.  The part may "
                        "not have been uploaded, or the specified entity tag may not match the "
                        "part's entity tag.")
            .with("UploadId", upload_id)
            .with("PartNumber", std::to_string(asked[i].number))
            .with("ETag", asked[i].etag);
      };
      if (it == stored.end() || strip_quotes(it->etag) != asked[i].etag) throw invalid_part();
      // A COMPOSITE upload's CompletedParts carry the part checksums, numbered 1, 2, ... N
      // (API_CompletedPart); a FULL_OBJECT upload's may. A given one must be the one UploadPart
      // computed (a mismatch is InvalidPart, like a wrong ETag).
      std::optional<std::string> given = asked[i].entry->get_string(algorithm.member);
      if (!full_object && asked[i].number != static_cast<int64_t>(i) + 1)
        throw ApiError(400, "InvalidPartOrder",
                       "The list of parts was not in ascending order. Parts must be ordered by "
                       "part number.")
            .with("UploadId", upload_id);
      if (!full_object && !given)
        throw s3_errors::invalid_request("The upload was created using a " +
                                         lower(algorithm.name) +
                                         " checksum. The complete request must include the "
                                         "checksum for each part. It was missing for part " +
                                         std::to_string(asked[i].number) + " in the request.");
      if (given && it->checksum && *given != *it->checksum) throw invalid_part();
      chosen.push_back(&*it);
    }
    // The object's checksum: COMPOSITE, the checksum of the concatenated part checksums plus
    // "-N"; FULL_OBJECT, the part CRCs combined into the CRC of the whole object.
    std::string composite, combined;
    bool with_checksum = true;  // false: a part of an algorithm-less upload predates the default
    for (size_t i = 0; i < chosen.size(); ++i) {
      const PartRecord* it = chosen[i];
      if (i + 1 < asked.size() && it->size < kMinPartBytes)
        throw ApiError(400, "EntityTooSmall",
                       "Your proposed upload is smaller than the minimum allowed object size.")
            .with("UploadId", upload_id)
            .with("PartNumber", std::to_string(it->part_number))
            .with("ProposedSize", std::to_string(it->size))
            .with("MinSizeAllowed", std::to_string(kMinPartBytes));
      md5s += it->md5;
      // Parts stored before UploadPart computed the part algorithm itself may lack one.
      std::optional<std::string> digest = part_digest(*it, algorithm);
      if (!digest && u.checksum_algorithm)
        throw s3_errors::invalid_request("The upload was created using a " +
                                         lower(algorithm.name) + " checksum. Part " +
                                         std::to_string(it->part_number) +
                                         " has no checksum; upload it again.");
      if (!digest) with_checksum = false;
      else if (!full_object) composite += *digest;
      else if (i == 0) combined = *digest;
      else combined = crc_combine(algorithm.hasher, combined, *digest, it->size);
      o.parts.push_back({it->part_number, it->size, it->checksum});
      if (!it->blob_id.empty()) {
        o.segments.push_back({it->blob_id, 0, it->size});
        o.segment_parts.push_back(it->part_number);
        used.push_back(it->blob_id);
      }
      o.size += it->size;
    }
    if (std::optional<int64_t> size = input.get_int("MpuObjectSize");
        size && *size != static_cast<int64_t>(o.size))
      throw s3_errors::invalid_request("The provided 'x-amz-mp-object-size' header does not "
                                       "match what was computed");
    o.etag = "\"" + hex_encode(md5(md5s)) + "-" + std::to_string(asked.size()) + "\"";
    o.parts_count = static_cast<int64_t>(asked.size());
    if (with_checksum) {
      std::string digest = combined;
      if (!full_object) {
        Hasher h(algorithm.hasher);
        h.update(composite);
        digest = h.finish();
      }
      // A checksum sent with Complete is the client's view of the object's checksum.
      if (sent.digest && *sent.digest != digest) throw s3_errors::bad_checksum(algorithm.name);
      *o.checksums.by_member(algorithm.member) =
          base64_encode(digest) + (full_object ? "" : "-" + std::to_string(asked.size()));
      o.checksums.type = full_object ? "FULL_OBJECT" : "COMPOSITE";
    }
    o.last_modified_ms = env_.clock.now_ms();
    o.version_id = new_version_id(bucket.versioning);
    o.is_latest = true;
    if (o.version_id == kNullVersion) {
      if (auto null_version = s3::find_object(c, bucket_name, key, std::string(kNullVersion)))
        out.freed = s3::delete_object(c, *null_version);
    }
    s3::demote_latest(c, bucket_name, key);
    s3::insert_object(c, o);
    std::vector<std::string> unused = s3::delete_upload(c, upload_id, used);
    out.freed.insert(out.freed.end(), unused.begin(), unused.end());
    out.object = std::move(o);
    return out;
  });
  remove_blobs(outcome.freed);
  Result result;
  const ObjectRecord& o = outcome.object;
  result.output.set("Location", "/" + bucket_name + "/" + uri_encode(key, false));
  result.output.set("Bucket", bucket_name);
  result.output.set("Key", key);
  result.output.set("ETag", o.etag);
  add_checksums(o.checksums, result.output);
  if (!outcome.versioning.empty()) result.output.set("VersionId", o.version_id);
  result.output.set("ServerSideEncryption", o.sse_algorithm.value_or("AES256"));
  return result;
}

// https://docs.aws.amazon.com/AmazonS3/latest/API/API_AbortMultipartUpload.html
Result S3Service::abort_multipart_upload(CallContext& context, const Value& input) {
  std::string bucket_name = bucket_of(input), key = key_of(input);
  std::string upload_id = input.string_or("UploadId", "");
  std::vector<std::string> freed = env_.db.write([&](Connection& c) {
    require_upload(c, bucket_name, key, upload_id, context, input);
    return s3::delete_upload(c, upload_id);
  });
  remove_blobs(freed);
  return Result{};
}

// https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListParts.html
Result S3Service::list_parts(CallContext& context, const Value& input) {
  std::string bucket_name = bucket_of(input), key = key_of(input);
  std::string upload_id = input.string_or("UploadId", "");
  int64_t marker = input.get_int("PartNumberMarker").value_or(0);
  int64_t max_parts = std::clamp<int64_t>(input.get_int("MaxParts").value_or(kMaxListed), 0,
                                          kMaxListed);
  auto [upload, parts] = env_.db.read([&](Connection& c) {
    UploadRecord u = require_upload(c, bucket_name, key, upload_id, context, input);
    return std::make_pair(u, s3::list_parts(c, upload_id, marker,
                                            static_cast<size_t>(max_parts) + 1));
  });
  bool truncated = parts.size() > static_cast<size_t>(max_parts);
  if (truncated) parts.resize(static_cast<size_t>(max_parts));
  const ChecksumAlgorithm& algorithm = part_algorithm(upload);
  ValueList list;
  for (const PartRecord& p : parts) {
    Value entry = Value::map()
                      .set("PartNumber", p.part_number)
                      .set("LastModified", timestamp_of(p.last_modified_ms))
                      .set("ETag", p.etag)
                      .set("Size", static_cast<int64_t>(p.size));
    if (part_digest(p, algorithm)) entry.set(algorithm.member, *p.checksum);
    list.push_back(std::move(entry));
  }
  Result result;
  Value& out = result.output;
  out.set("Bucket", bucket_name).set("Key", key).set("UploadId", upload_id);
  out.set("PartNumberMarker", marker);
  if (!parts.empty()) out.set("NextPartNumberMarker", parts.back().part_number);
  out.set("MaxParts", max_parts);
  out.set("IsTruncated", truncated);
  if (!list.empty()) out.set("Parts", Value(std::move(list)));
  out.set("Initiator", owner_value(upload.object.owner_id));
  out.set("Owner", owner_value(upload.object.owner_id));
  out.set("StorageClass", upload.object.storage_class);
  if (upload.checksum_algorithm) out.set("ChecksumAlgorithm", *upload.checksum_algorithm);
  if (upload.checksum_type) out.set("ChecksumType", *upload.checksum_type);
  return result;
}

}  // namespace nimbus
