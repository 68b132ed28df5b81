// S3Service: the S3 operations of the first slice (ListBuckets, CreateBucket, HeadBucket,
// DeleteBucket, PutObject, GetObject, HeadObject, DeleteObject) on top of the schema in
// services/s3/schema.h and the BlobStore. Entry points: S3Service::call() dispatches by operation
// name; S3Service::auth_error() maps signature failures to S3's error codes.
//
// PutObject streams the body into a blob in 256 KiB chunks while hashing it (MD5 for the ETag,
// one flexible checksum), verifies Content-MD5 and x-amz-checksum-*, commits the blob, then the
// metadata in one write job, and removes the blob an overwrite replaced after that commit. A body
// of at most kMaxInlineBodyBytes skips the blob: its bytes go into the object's row in that same
// write job, and GetObject answers them from memory.
#include "services/s3/s3_service.h"

#include <algorithm>
#include <cctype>
#include <functional>
#include <unordered_map>

#include "common/encoding.h"
#include "common/hash.h"
#include "common/threads.h"
#include "common/ids.h"
#include "services/s3/errors.h"
#include "services/s3/internal.h"
#include "services/s3/rules.h"
#include "storage/blob_store.h"
#include "storage/database.h"

namespace nimbus {
namespace {

using namespace nimbus::s3;  // the shared helpers of services/s3/internal.h

using s3::BucketRecord;
using s3::ObjectRecord;

constexpr int64_t kMaxBucketsLimit = 10000;

// Whether a streamed body of that announced length (nullopt: unknown) is large enough for MD5 on
// a second thread to pay for starting one, and a second CPU is there to run it. Small
// aws-chunked bodies (the JS SDK's every PUT) stay on one thread.
bool worth_parallel_md5(std::optional<uint64_t> announced) {
  constexpr uint64_t kMinBytes = 1024 * 1024;
  // On one CPU a hashing thread would only take turns with this one.
  return (!announced || *announced >= kMinBytes) && available_cpus() > 1;
}

}  // namespace

S3Service::S3Service(ServiceEnv& env) : env_(env), model_(builtin_model("s3")) {
  s3::migrate(env_.db);
}

Result S3Service::call(CallContext& context, const Value& input) {
  using Handler = Result (S3Service::*)(CallContext&, const Value&);
  static const std::unordered_map<std::string_view, Handler> handlers = {
      {"ListBuckets", &S3Service::list_buckets},
      {"CreateBucket", &S3Service::create_bucket},
      {"HeadBucket", &S3Service::head_bucket},
      {"DeleteBucket", &S3Service::delete_bucket},
      {"GetBucketLocation", &S3Service::get_bucket_location},
      {"GetBucketTagging", &S3Service::get_bucket_tagging},
      {"PutBucketTagging", &S3Service::put_bucket_tagging},
      {"DeleteBucketTagging", &S3Service::delete_bucket_tagging},
      {"GetBucketVersioning", &S3Service::get_bucket_versioning},
      {"PutBucketVersioning", &S3Service::put_bucket_versioning},
      {"GetBucketAcl", &S3Service::get_bucket_acl},
      {"PutBucketAcl", &S3Service::put_bucket_acl},
      {"PutObject", &S3Service::put_object},
      {"GetObject", &S3Service::get_object},
      {"HeadObject", &S3Service::head_object},
      {"DeleteObject", &S3Service::delete_object},
      {"DeleteObjects", &S3Service::delete_objects},
      {"CopyObject", &S3Service::copy_object},
      {"GetObjectTagging", &S3Service::get_object_tagging},
      {"GetObjectAttributes", &S3Service::get_object_attributes},
      {"PutObjectTagging", &S3Service::put_object_tagging},
      {"DeleteObjectTagging", &S3Service::delete_object_tagging},
      {"GetObjectAcl", &S3Service::get_object_acl},
      {"PutObjectAcl", &S3Service::put_object_acl},
      {"ListObjects", &S3Service::list_objects},
      {"ListObjectsV2", &S3Service::list_objects_v2},
      {"ListObjectVersions", &S3Service::list_object_versions},
      {"CreateMultipartUpload", &S3Service::create_multipart_upload},
      {"UploadPart", &S3Service::upload_part},
      {"UploadPartCopy", &S3Service::upload_part_copy},
      {"CompleteMultipartUpload", &S3Service::complete_multipart_upload},
      {"AbortMultipartUpload", &S3Service::abort_multipart_upload},
      {"ListParts", &S3Service::list_parts},
      {"ListMultipartUploads", &S3Service::list_multipart_uploads},
  };
  // Anonymous callers reach only what ACLs make public; ListBuckets needs an account.
  if (context.account.anonymous && context.operation.name == "ListBuckets")
    throw s3_errors::access_denied();
  auto it = handlers.find(context.operation.name);
  if (it == handlers.end()) throw errors::not_implemented(context.operation.name);
  return (this->*(it->second))(context, input);
}

ApiError S3Service::auth_error(const AuthError& error) const {
  switch (error.failure) {
    case AuthFailure::MissingAuthentication:
      return s3_errors::access_denied();
    case AuthFailure::InvalidAccessKey:
      return s3_errors::invalid_access_key_id(error.access_key);
    case AuthFailure::SignatureMismatch:
      return s3_errors::signature_does_not_match(error.access_key, error.string_to_sign,
                                                 error.canonical_request);
    case AuthFailure::Expired:
      return s3_errors::request_expired();
    case AuthFailure::TimeTooSkewed:
      return s3_errors::request_time_too_skewed();
    case AuthFailure::Malformed:
      return s3_errors::authorization_header_malformed(error.what());
    case AuthFailure::ContentSha256Mismatch:
      return s3_errors::content_sha256_mismatch();
  }
  return s3_errors::access_denied();
}

void S3Service::check_enum(const Value& input, std::string_view member, std::string_view shape_name,
                           std::string_view header) const {
  std::optional<std::string> value = input.get_string(member);
  if (!value) return;
  const Shape* shape = model_.shape(shape_name);
  if (!shape || shape->enum_values.empty()) return;
  if (std::find(shape->enum_values.begin(), shape->enum_values.end(), *value) ==
      shape->enum_values.end())
    throw s3_errors::invalid_argument("Invalid value for header " + std::string(header) + ".",
                                      std::string(header), *value);
}

void S3Service::remove_blobs(const std::vector<std::string>& ids) {
  for (const std::string& id : ids) {
    try {
      env_.blobs.remove(id);
    } catch (const std::exception&) {
      // An orphaned file wastes space but harms no one; the metadata is already committed.
    }
  }
}

// ---- buckets ----------------------------------------------------------------------------------

Result S3Service::list_buckets(CallContext& context, const Value& input) {
  std::optional<int64_t> max_buckets = input.get_int("MaxBuckets");
  if (max_buckets && (*max_buckets < 1 || *max_buckets > kMaxBucketsLimit))
    throw s3_errors::invalid_argument(
        "Argument max-buckets must be an integer between 1 and 10000.", "max-buckets",
        std::to_string(*max_buckets));
  std::string after;
  if (std::optional<std::string> token = input.get_string("ContinuationToken")) {
    std::optional<std::string> decoded = base64_decode(*token);
    if (!decoded || decoded->empty())
      throw s3_errors::invalid_argument("The continuation token provided is incorrect",
                                        "continuation-token", *token);
    after = *decoded;
  }
  std::string prefix = input.string_or("Prefix", "");
  std::optional<std::string> region = input.get_string("BucketRegion");

  std::vector<BucketRecord> buckets = env_.db.read(
      [&](Connection& c) { return s3::list_buckets(c, context.account.id, prefix, after); });
  if (region) std::erase_if(buckets, [&](const BucketRecord& b) { return b.region != *region; });
  bool truncated = max_buckets && buckets.size() > static_cast<size_t>(*max_buckets);
  if (truncated) buckets.resize(static_cast<size_t>(*max_buckets));

  Result result;
  Value list = Value::list();
  for (const BucketRecord& b : buckets) {
    Value entry = Value::map();
    entry.set("Name", b.name);
    entry.set("CreationDate", timestamp_of(b.created_ms));
    entry.set("BucketRegion", b.region);
    list.push_back(std::move(entry));
  }
  result.output.set("Buckets", std::move(list));
  Value owner = Value::map();
  owner.set("DisplayName", context.account.display_name.empty() ? context.account.id
                                                                : context.account.display_name);
  owner.set("ID", s3::canonical_user_id(context.account.id));
  result.output.set("Owner", std::move(owner));
  if (truncated) result.output.set("ContinuationToken", base64_encode(buckets.back().name));
  if (input.has("Prefix")) result.output.set("Prefix", prefix);
  return result;
}

Result S3Service::create_bucket(CallContext& context, const Value& input) {
  std::string name = bucket_of(input);
  if (!s3::is_valid_bucket_name(name)) throw s3_errors::invalid_bucket_name(name);
  check_enum(input, "ACL", "BucketCannedACL", "x-amz-acl");
  check_enum(input, "ObjectOwnership", "ObjectOwnership", "x-amz-object-ownership");

  std::optional<std::string> constraint;
  if (const Value* config = input.find("CreateBucketConfiguration"))
    constraint = config->get_string("LocationConstraint");
  static const std::vector<std::string> kNone;
  const Shape* constraints = model_.shape("BucketLocationConstraint");
  std::string region = s3::resolve_bucket_region(constraint, context.region,
                                                 constraints ? constraints->enum_values : kNone);

  BucketRecord record;
  record.name = name;
  record.owner_id = context.account.id;
  record.owner_name = context.account.display_name;
  record.region = region;
  record.created_ms = env_.clock.now_ms();
  record.object_lock = input.get_bool("ObjectLockEnabledForBucket").value_or(false);
  // Object Lock needs versioning; S3 enables it with the lock.
  if (record.object_lock) record.versioning = "Enabled";
  record.object_ownership = input.get_string("ObjectOwnership");
  record.acl = requested_acl(input, context.account.id).value_or("private");

  write_bucket(name, [&](Connection& c) {
    std::optional<BucketRecord> existing = s3::find_bucket(c, name);
    if (existing) {
      if (existing->owner_id != record.owner_id) throw s3_errors::bucket_already_exists(name);
      // Legacy us-east-1 behaviour: re-creating your own bucket there answers 200 and resets
      // its ACL; every other region answers BucketAlreadyOwnedByYou.
      if (existing->region == s3::kDefaultRegion && region == s3::kDefaultRegion) {
        s3::set_bucket_acl(c, name, record.acl);
        return;
      }
      throw s3_errors::bucket_already_owned_by_you(name);
    }
    s3::insert_bucket(c, record);
  });

  Result result;
  result.output.set("Location", "/" + name);
  return result;
}

Result S3Service::head_bucket(CallContext& context, const Value& input) {
  std::string name = bucket_of(input);
  BucketRecord bucket =
      env_.db.read([&](Connection& c) {
    return require_bucket(c, name, context, input, Access::Read, &buckets_);
  });
  Result result;
  result.output.set("BucketRegion", bucket.region);
  result.output.set("AccessPointAlias", false);
  return result;
}

Result S3Service::delete_bucket(CallContext& context, const Value& input) {
  std::string name = bucket_of(input);
  std::vector<std::string> freed = write_bucket(name, [&](Connection& c) {
    require_bucket(c, name, context, input);
    if (s3::bucket_has_objects(c, name)) throw s3_errors::bucket_not_empty(name);
    // Uploads still in progress go with the bucket (their parts are nobody's objects).
    std::vector<std::string> parts;
    for (const s3::UploadEntry& e : s3::list_uploads(c, name, "", "", "", "", SIZE_MAX).entries) {
      std::vector<std::string> ids = s3::delete_upload(c, e.upload->upload_id);
      parts.insert(parts.end(), ids.begin(), ids.end());
    }
    s3::delete_bucket(c, name);
    return parts;
  });
  remove_blobs(freed);
  return Result{};
}

// ---- objects ----------------------------------------------------------------------------------

// Reads the request body into a new blob while computing its MD5 and one flexible checksum, and
// verifies Content-MD5, the x-amz-checksum-* header or aws-chunked trailer and
// x-amz-sdk-checksum-algorithm. The checksum algorithm is the client's, else default_algorithm
// (nullptr: none), which also_default computes as well beside a client's other one. precheck
// runs after the headers are validated and before any byte is read.
S3Service::Received S3Service::receive_body(
    CallContext& context, const Value& input,
    const std::function<const s3::ChecksumAlgorithm*()>& precheck, bool also_default,
    bool may_inline) {
  // Content-MD5 must be the base64 of 16 bytes.
  std::optional<std::string> expected_md5;
  if (std::optional<std::string> content_md5 = input.get_string("ContentMD5")) {
    expected_md5 = base64_decode(*content_md5);
    if (!expected_md5 || expected_md5->size() != 16) throw s3_errors::invalid_digest(*content_md5);
  }

  // Flexible checksums: at most one algorithm, sent as a header value or announced as a trailer.
  SentChecksum sent = sent_checksum(input);
  const s3::ChecksumAlgorithm* algorithm = sent.algorithm;
  std::optional<std::string> expected_checksum = std::move(sent.digest);  // raw digest bytes
  const s3::ChecksumAlgorithm* trailer_algorithm = nullptr;
  if (const std::string* trailer = context.http.header("x-amz-trailer")) {
    std::string name = trim(*trailer);
    if (lower(name).starts_with("x-amz-checksum-")) {
      trailer_algorithm = s3::find_checksum_algorithm(name);
      if (!trailer_algorithm) throw errors::not_implemented("the upload with the trailer " + name);
      if (algorithm)
        throw s3_errors::invalid_request(
            "Expecting a single x-amz-checksum- header. Multiple checksum Types are not "
            "allowed.");
      algorithm = trailer_algorithm;
    }
  }
  if (std::optional<std::string> sdk_algorithm = input.get_string("ChecksumAlgorithm")) {
    const s3::ChecksumAlgorithm* declared = s3::find_checksum_algorithm(*sdk_algorithm);
    if (!declared) {
      check_enum(input, "ChecksumAlgorithm", "ChecksumAlgorithm", "x-amz-sdk-checksum-algorithm");
      throw errors::not_implemented("the upload with the checksum algorithm " + *sdk_algorithm);
    }
    if (!algorithm)
      throw s3_errors::invalid_request(
          "x-amz-sdk-checksum-algorithm specified, but no corresponding x-amz-checksum-* or "
          "x-amz-trailer headers were found.");
    if (algorithm != declared) throw s3_errors::bad_checksum(declared->name);
  }
  bool from_client = algorithm != nullptr;
  const s3::ChecksumAlgorithm* default_algorithm = precheck ? precheck() : nullptr;
  if (!algorithm) algorithm = default_algorithm;
  std::optional<Hasher> default_hasher;  // the default algorithm beside the client's
  if (also_default && default_algorithm && default_algorithm != algorithm)
    default_hasher.emplace(default_algorithm->hasher);

  // Stream the body into a blob, hashing as it goes. With may_inline, the first
  // kMaxInlineBodyBytes stay in memory and go to a blob only once the body outgrows them.
  std::unique_ptr<BlobStore::Writer> writer;
  std::string held;  // the whole body so far, while it is small enough to be inline
  Hasher md5_hasher(Hasher::Algorithm::Md5);
  std::optional<BackgroundHasher> md5_background;  // set: MD5 runs there instead
  Hasher checksum_hasher(algorithm ? algorithm->hasher : Hasher::Algorithm::Crc32);
  uint64_t size = 0;
  if (context.body) {
    std::optional<uint64_t> announced = context.body->announced_length();
    if (announced && *announced > s3::kMaxPutBytes)
      throw s3_errors::entity_too_large(*announced, s3::kMaxPutBytes);
  }
  auto consume = [&](std::string_view bytes) {
    if (bytes.empty()) return;
    if (size + bytes.size() > s3::kMaxPutBytes)
      throw s3_errors::entity_too_large(size + bytes.size(), s3::kMaxPutBytes);
    if (!writer && may_inline && size + bytes.size() <= s3::kMaxInlineBodyBytes) {
      held.append(bytes);
    } else {
      if (!writer) {
        writer = env_.blobs.create();
        if (!held.empty()) writer->write(held);
        held = std::string();
      }
      writer->write(bytes);
    }
    if (!md5_background) md5_hasher.update(bytes);
    checksum_hasher.update(bytes);
    if (default_hasher) default_hasher->update(bytes);
    size += bytes.size();
  };
  if (context.body) {
    // A body buffered whole (the usual S3 PUT up to 1 MiB) is hashed and written in place.
    if (std::optional<std::string_view> whole = context.body->take_buffered()) {
      consume(*whole);
    } else if (worth_parallel_md5(context.body->announced_length())) {
      // A large streamed body: MD5, the costliest digest, runs on a second thread while this
      // one reads and verifies (SHA-256, chunk signatures), writes and computes the checksum.
      md5_background.emplace(Hasher::Algorithm::Md5, kChunkBytes, kMd5Buffers);
      for (;;) {
        char* buffer = md5_background->buffer();
        size_t n = context.body->read(buffer, md5_background->buffer_size());
        if (n == 0) break;
        consume(std::string_view(buffer, n));
        md5_background->submit(n);
      }
    } else {
      std::string buffer(kChunkBytes, '\0');
      for (;;) {
        size_t n = context.body->read(buffer.data(), buffer.size());
        if (n == 0) break;
        consume(std::string_view(buffer.data(), n));
      }
    }
  } else if (const Value* body = input.find("Body"); body && body->is_string()) {
    consume(body->as_string());
  }
  if (trailer_algorithm && context.trailers) {
    if (const std::string* value = find_header(*context.trailers, trailer_algorithm->header)) {
      std::optional<std::string> raw = base64_decode(trim(*value));
      if (!raw || raw->size() != trailer_algorithm->digest_bytes)
        throw s3_errors::invalid_request("Value for " + std::string(trailer_algorithm->header) +
                                         " trailing header is invalid.");
      expected_checksum = std::move(raw);
    }
  }

  std::string md5 = md5_background ? md5_background->finish() : md5_hasher.finish();
  if (expected_md5 && *expected_md5 != md5)
    throw s3_errors::bad_digest(base64_encode(*expected_md5), base64_encode(md5));
  std::string checksum = checksum_hasher.finish();
  if (expected_checksum && *expected_checksum != checksum)
    throw s3_errors::bad_checksum(algorithm->name);

  Received received;
  if (writer) received.blob_id = writer->commit();
  else if (size > 0) received.inline_body = std::move(held);
  received.size = size;
  received.md5 = std::move(md5);
  received.algorithm = algorithm;
  if (default_hasher) received.default_checksum = default_hasher->finish();
  else if (default_algorithm && algorithm == default_algorithm)
    received.default_checksum = checksum;
  if (algorithm) received.checksum = std::move(checksum);
  received.from_client = from_client;
  return received;
}


Result S3Service::put_object(CallContext& context, const Value& input) {
  std::string bucket_name = bucket_of(input);
  std::string key = key_of(input);
  if (key.size() > s3::kMaxKeyBytes) throw s3_errors::key_too_long(key.size(), s3::kMaxKeyBytes);
  if (input.has("SSECustomerAlgorithm") || input.has("SSECustomerKey"))
    throw errors::not_implemented("PutObject with customer-provided encryption keys (SSE-C)");
  if (input.has("WriteOffsetBytes"))
    throw errors::not_implemented("PutObject with x-amz-write-offset-bytes");
  if (std::optional<std::string> storage_class = input.get_string("StorageClass")) {
    const Shape* shape = model_.shape("StorageClass");
    if (shape && std::find(shape->enum_values.begin(), shape->enum_values.end(), *storage_class) ==
                     shape->enum_values.end())
      throw s3_errors::invalid_storage_class(*storage_class);
  }
  check_enum(input, "ACL", "ObjectCannedACL", "x-amz-acl");
  check_enum(input, "ServerSideEncryption", "ServerSideEncryption", "x-amz-server-side-encryption");
  check_enum(input, "ObjectLockMode", "ObjectLockMode", "x-amz-object-lock-mode");
  check_enum(input, "ObjectLockLegalHoldStatus", "ObjectLockLegalHoldStatus",
             "x-amz-object-lock-legal-hold");

  ObjectRecord object;
  object.bucket = bucket_name;
  object.key = key;
  object.owner_id = context.account.id;
  object.content_type = input.get_string("ContentType");
  object.content_encoding = stored_content_encoding(input.get_string("ContentEncoding"));
  object.content_disposition = input.get_string("ContentDisposition");
  object.content_language = input.get_string("ContentLanguage");
  object.cache_control = input.get_string("CacheControl");
  object.expires = input.get_string("Expires");
  object.website_redirect = input.get_string("WebsiteRedirectLocation");
  object.storage_class = input.string_or("StorageClass", "STANDARD");
  object.acl = requested_acl(input, context.account.id);
  // S3 encrypts every new object (SSE-S3 unless the request asks for KMS).
  object.sse_algorithm = input.string_or("ServerSideEncryption", "AES256");
  object.sse_kms_key_id = input.get_string("SSEKMSKeyId");
  object.lock_mode = input.get_string("ObjectLockMode");
  if (const Value* until = input.find("ObjectLockRetainUntilDate"); until && until->is_timestamp())
    object.lock_retain_until_ms = static_cast<EpochMillis>(until->as_timestamp() * 1000.0);
  object.legal_hold = input.string_or("ObjectLockLegalHoldStatus", "OFF") == "ON";
  if (object.lock_mode.has_value() != object.lock_retain_until_ms.has_value())
    throw s3_errors::invalid_request(
        "x-amz-object-lock-retain-until-date and x-amz-object-lock-mode must both be supplied");
  bool wants_lock = object.lock_mode || input.has("ObjectLockLegalHoldStatus");
  if (std::optional<std::string> tagging = input.get_string("Tagging"))
    object.tags = parse_tagging(*tagging);

  // User metadata: names are case-insensitive and stored lower-case; the 2 KiB limit counts the
  // UTF-8 bytes of every name and value.
  if (const Value* metadata = input.find("Metadata"); metadata && metadata->is_map()) {
    size_t total = 0;
    for (const auto& [name, value] : metadata->as_map()) {
      std::string text = value.is_string() ? value.as_string() : std::string();
      total += name.size() + text.size();
      std::string lowered = lower(name);
      auto same = std::find_if(object.metadata.begin(), object.metadata.end(),
                               [&](const auto& entry) { return entry.first == lowered; });
      if (same != object.metadata.end())
        same->second += "," + text;  // repeated headers combine, as HTTP does
      else
        object.metadata.emplace_back(std::move(lowered), std::move(text));
    }
    if (total > s3::kMaxMetadataBytes)
      throw s3_errors::metadata_too_large(total, s3::kMaxMetadataBytes);
  }

  Received received = receive_body(
      context, input,
      [&] {
        env_.db.read([&](Connection& c) {
          BucketRecord bucket =
              require_bucket(c, bucket_name, context, input, Access::Write, &buckets_);
          if (wants_lock && !bucket.object_lock)
            throw s3_errors::invalid_request("Bucket is missing Object Lock Configuration");
        });
        return s3::find_checksum_algorithm("CRC64NVME");
      },
      /*also_default=*/false, /*may_inline=*/true);
  // Without a checksum from the client, S3 adds CRC64NVME (the default algorithm above).
  object.size = received.size;
  object.etag = "\"" + hex_encode(received.md5) + "\"";
  *object.checksums.by_member(received.algorithm->member) = base64_encode(received.checksum);
  object.checksums.type = "FULL_OBJECT";
  object.last_modified_ms = env_.clock.now_ms();

  std::string blob_id = received.blob_id;
  if (!blob_id.empty()) object.segments.push_back({blob_id, 0, received.size});
  object.inline_body = std::move(received.inline_body);

  // The write and what follows it, shared: a small object's write finishes after put_object
  // returns (AsyncWrite), when only the request and `input` are still there, not this frame.
  struct Put {
    CallContext context;
    const Value& input;
    ObjectRecord object;
    std::vector<std::string> freed;  // blobs of the version the write replaced
    std::string versioning;
  };
  auto put = std::make_shared<Put>(Put{context, input, std::move(object), {}, {}});
  auto write_object = [put](Connection& c) {
    ObjectRecord& object = put->object;
    const std::string& bucket_name = object.bucket;
    const std::string& key = object.key;
    const Value& input = put->input;
    BucketRecord bucket = require_bucket(c, bucket_name, put->context, input, Access::Write);
    put->versioning = bucket.versioning;
    std::optional<ObjectRecord> current = s3::find_object(c, bucket_name, key, std::nullopt);
    bool exists = current && !current->delete_marker;
    // Conditional writes: If-None-Match: * refuses to overwrite; If-Match needs the ETag.
    if (std::optional<std::string> none_match = input.get_string("IfNoneMatch")) {
      if (trim(*none_match) != "*")
        throw errors::not_implemented("If-None-Match on PutObject with a value other than *");
      if (exists) throw s3_errors::precondition_failed("If-None-Match");
    }
    if (std::optional<std::string> match = input.get_string("IfMatch")) {
      if (!exists) throw s3_errors::no_such_key(key);
      if (!etag_matches(*match, current->etag)) throw s3_errors::precondition_failed("If-Match");
    }
    object.version_id = new_version_id(bucket.versioning);
    if (object.version_id == s3::kNullVersion) {
      // Unversioned (or suspended) buckets keep one "null" version: the new one replaces it.
      std::optional<ObjectRecord> null_version =
          s3::find_object(c, bucket_name, key, std::string(s3::kNullVersion));
      if (null_version) put->freed = s3::delete_object(c, *null_version);
    }
    s3::demote_latest(c, bucket_name, key);
    object.is_latest = true;
    s3::insert_object(c, object);
  };
  auto respond = [this, put](Result& result) {
    remove_blobs(put->freed);
    const ObjectRecord& object = put->object;
    result.output.set("ETag", object.etag);
    add_checksums(object.checksums, result.output);
    result.output.set("ServerSideEncryption", *object.sse_algorithm);
    if (object.sse_kms_key_id) result.output.set("SSEKMSKeyId", *object.sse_kms_key_id);
    if (!put->versioning.empty()) result.output.set("VersionId", object.version_id);
  };
  Result result;
  if (blob_id.empty()) {  // nothing to clean up if it fails: the hot path, written asynchronously
    result.write = AsyncWrite{&env_.db, write_object, respond};
    return result;
  }
  try {
    env_.db.write(write_object);
  } catch (...) {
    remove_blobs({blob_id});
    throw;
  }
  respond(result);
  return result;
}

Result S3Service::get_object(CallContext& context, const Value& input) {
  return read_object(context, input, true);
}

Result S3Service::head_object(CallContext& context, const Value& input) {
  return read_object(context, input, false);
}

Result S3Service::read_object(CallContext& context, const Value& input, bool with_body) {
  std::string bucket_name = bucket_of(input);
  std::string key = key_of(input);
  std::optional<std::string> version_id = input.get_string("VersionId");
  if (input.has("SSECustomerAlgorithm") || input.has("SSECustomerKey"))
    throw errors::not_implemented(context.operation.name +
                                  " with customer-provided encryption keys (SSE-C)");
  std::optional<std::string> range_header = input.get_string("Range");
  std::optional<int64_t> part_number = input.get_int("PartNumber");
  if (range_header && part_number)
    throw s3_errors::invalid_request(
        "Cannot specify both Range header and partNumber query "
        "parameter");
  bool checksum_mode = iequals(input.string_or("ChecksumMode", ""), "ENABLED");

  // A concurrent overwrite may remove the blob between the metadata read and opening it; the
  // metadata read again then names the new blob.
  constexpr int kAttempts = 5;
  for (int attempt = 1;; ++attempt) {
    ObjectRecord object = env_.db.read([&](Connection& c) {
      return require_object(c, bucket_name, key, version_id, context, input, Access::Read,
                            &buckets_);
    });
    if (object.delete_marker) {
      ApiError error = version_id
                           ? s3_errors::method_not_allowed(context.http.method, "DeleteMarker")
                           : s3_errors::no_such_key(key);
      error.headers.push_back({"x-amz-delete-marker", "true"});
      error.headers.push_back({"x-amz-version-id", object.version_id});
      throw error;
    }

    Result result;
    describe_object(object, result.output);
    // Conditional requests (RFC 7232 as S3 applies it, API_GetObject "Conditional requests"):
    // If-Match false is 412 and wins over If-Unmodified-Since; If-None-Match matching is 304 and
    // wins over If-Modified-Since.
    if (std::optional<int> status = check_conditions(object, input, "")) {
      if (*status == 412) throw s3_errors::precondition_failed(
          input.has("IfMatch") ? "If-Match" : "If-Unmodified-Since");
      Result not_modified;
      not_modified.status = 304;
      not_modified.output.set("ETag", object.etag);
      not_modified.output.set("LastModified", timestamp_of(object.last_modified_ms));
      if (object.version_id != s3::kNullVersion)
        not_modified.output.set("VersionId", object.version_id);
      return not_modified;
    }
    uint64_t first = 0, length = object.size;
    if (part_number) {
      int64_t parts = std::max<int64_t>(object.parts_count, 1);
      if (*part_number < 1 || *part_number > parts)
        throw s3_errors::invalid_part_number(*part_number, parts);
      if (object.parts_count > 0) {
        // The segments of part N, found by the part numbers Complete recorded.
        uint64_t offset = 0, part_length = 0;
        bool seen = false;
        for (size_t i = 0; i < object.segments.size(); ++i) {
          int64_t n = i < object.segment_parts.size() ? object.segment_parts[i] : 0;
          if (n < *part_number && !seen) offset += object.segments[i].length;
          if (n == *part_number) {
            seen = true;
            part_length += object.segments[i].length;
          }
        }
        first = offset;
        length = part_length;
        result.status = 206;
        result.output.set("ContentRange", s3::ByteRange{first, length}.content_range(object.size));
        result.output.set("ContentLength", static_cast<int64_t>(length));
      }
      result.output.set("PartsCount", std::max<int64_t>(object.parts_count, 1));
    } else if (range_header) {
      if (std::optional<s3::ByteRange> range = s3::parse_range(*range_header, object.size)) {
        first = range->first;
        length = range->length;
        result.status = 206;
        result.output.set("ContentRange", range->content_range(object.size));
        result.output.set("ContentLength", static_cast<int64_t>(length));
      }
    }
    // Checksums describe the whole object, so a ranged response carries none.
    if (checksum_mode && result.status != 206) add_checksums(object.checksums, result.output);
    if (with_body && !object.tags.empty())
      result.output.set("TagCount", static_cast<int64_t>(object.tags.size()));

    // response-* query parameters override the stored headers.
    static constexpr std::pair<const char*, const char*> kOverrides[] = {
        {"ResponseCacheControl", "CacheControl"},
        {"ResponseContentDisposition", "ContentDisposition"},
        {"ResponseContentEncoding", "ContentEncoding"},
        {"ResponseContentLanguage", "ContentLanguage"},
        {"ResponseContentType", "ContentType"},
    };
    for (const auto& [from, to] : kOverrides)
      if (std::optional<std::string> value = input.get_string(from)) result.output.set(to, *value);
    if (const Value* expires = input.find("ResponseExpires")) {
      if (expires->is_timestamp())
        result.output.set(
            "Expires",
            format_http_date(static_cast<EpochMillis>(expires->as_timestamp() * 1000.0)));
      else if (expires->is_string())
        result.output.set("Expires", expires->as_string());
    }

    if (with_body && length > 0 && object.inline_body) {
      result.output.set("Body", object.inline_body->substr(first, length));
    } else if (with_body && length > 0) {
      try {
        result.stream = env_.blobs.open(slice_segments(object.segments, first, length));
        result.stream_length = length;
      } catch (const std::runtime_error& e) {
        if (attempt < kAttempts) continue;
        throw errors::internal(std::string("The object's data could not be read: ") + e.what());
      }
    }
    return result;
  }
}

S3Service::Deletion S3Service::delete_in(Connection& c, const BucketRecord& bucket,
                                         const std::string& key,
                                         const std::optional<std::string>& version_id,
                                         const CallContext& context) {
  Deletion out;
  if (!version_id && !bucket.versioning.empty()) {
    // Versioned bucket: a delete marker becomes the current version. A suspended bucket's
    // marker is the "null" version and replaces any existing "null" version.
    ObjectRecord marker;
    marker.bucket = bucket.name;
    marker.key = key;
    marker.version_id = new_version_id(bucket.versioning);
    marker.delete_marker = true;
    marker.owner_id = context.account.id;
    marker.last_modified_ms = env_.clock.now_ms();
    marker.sse_algorithm.reset();
    if (marker.version_id == s3::kNullVersion) {
      std::optional<ObjectRecord> null_version =
          s3::find_object(c, bucket.name, key, std::string(s3::kNullVersion));
      if (null_version) out.freed = s3::delete_object(c, *null_version);
    }
    s3::demote_latest(c, bucket.name, key);
    s3::insert_object(c, marker);
    out.version_id = marker.version_id;
    out.delete_marker = true;
    return out;
  }
  std::optional<ObjectRecord> found = s3::find_object(c, bucket.name, key, version_id);
  if (found) {
    out.freed = s3::delete_object(c, *found);
    out.delete_marker = found->delete_marker;
  }
  if (version_id) out.version_id = *version_id;
  return out;
}

Result S3Service::delete_object(CallContext& context, const Value& input) {
  std::string bucket_name = bucket_of(input);
  std::string key = key_of(input);
  std::optional<std::string> version_id = input.get_string("VersionId");
  Deletion outcome = env_.db.write([&](Connection& c) {
    BucketRecord bucket = require_bucket(c, bucket_name, context, input, Access::Write);
    return delete_in(c, bucket, key, version_id, context);
  });
  remove_blobs(outcome.freed);

  Result result;
  if (outcome.delete_marker) result.output.set("DeleteMarker", true);
  if (outcome.version_id) result.output.set("VersionId", *outcome.version_id);
  return result;
}

}  // namespace nimbus
