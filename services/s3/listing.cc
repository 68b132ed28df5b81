// S3 listings: ListObjects (V1: marker, NextMarker), ListObjectsV2 (continuation-token,
// start-after, fetch-owner, KeyCount), ListObjectVersions (key-marker, version-id-marker) and
// ListMultipartUploads (key-marker, upload-id-marker), with prefix, delimiter/CommonPrefixes,
// max-keys / max-uploads and EncodingType=url. The pages come from s3::list_objects,
// s3::list_versions and s3::list_uploads, which read index ranges and skip whole common prefixes.
#include "services/s3/internal.h"
#include "services/s3/s3_service.h"

namespace nimbus {
namespace {

using namespace nimbus::s3;

constexpr int64_t kMaxKeys = 1000;

struct ListParams {
  std::string bucket;
  std::string prefix;
  std::string delimiter;
  size_t max_keys = kMaxKeys;
  bool url = false;  // EncodingType=url
};

// `max_member` is the page-size member ("MaxKeys"), `max_name` its name on the wire.
ListParams list_params(const Value& input, const char* max_member = "MaxKeys",
                       const char* max_name = "maxKeys") {
  ListParams p;
  p.bucket = bucket_of(input);
  p.prefix = input.string_or("Prefix", "");
  p.delimiter = input.string_or("Delimiter", "");
  if (std::optional<int64_t> max = input.get_int(max_member)) {
    if (*max < 0)
      throw s3_errors::invalid_argument("Argument " + std::string(max_name) +
                                        " must be an integer between 0 and 2147483647",
                                        max_name, std::to_string(*max));
    p.max_keys = static_cast<size_t>(std::min(*max, kMaxKeys));
  }
  if (std::optional<std::string> encoding = input.get_string("EncodingType")) {
    if (*encoding != "url")
      throw s3_errors::invalid_argument("Invalid Encoding Method specified in Request",
                                        "encoding-type", *encoding);
    p.url = true;
  }
  return p;
}

// Keys and prefixes as the response carries them: URL-encoded (slashes kept) with
// EncodingType=url, so keys with characters XML 1.0 cannot carry survive.
std::string shown(const ListParams& p, const std::string& text) {
  return p.url ? uri_encode(text, false) : text;
}

Value owner_of(const ObjectRecord& o, const BucketRecord& bucket) {
  Value owner = Value::map();
  if (o.owner_id == bucket.owner_id && !bucket.owner_name.empty())
    owner.set("DisplayName", bucket.owner_name);
  owner.set("ID", canonical_user_id(o.owner_id));
  return owner;
}

void add_checksum_algorithm(const ObjectRecord& o, Value& entry) {
  ValueList algorithms;
  for (const ChecksumAlgorithm& a : checksum_algorithms())
    if (const auto* v = o.checksums.by_member(a.member); v && *v)
      algorithms.push_back(Value(std::string(a.name)));
  if (!algorithms.empty()) entry.set("ChecksumAlgorithm", Value(std::move(algorithms)));
  if (o.checksums.type) entry.set("ChecksumType", *o.checksums.type);
}

// Fills Contents and CommonPrefixes; returns the last entry's key or prefix.
std::string fill_page(const ListPage& page, const ListParams& p, const BucketRecord& bucket,
                      bool with_owner, Value& out) {
  ValueList contents, prefixes;
  std::string last;
  for (const ListEntry& e : page.entries) {
    if (!e.object) {
      prefixes.push_back(Value::map().set("Prefix", shown(p, e.common_prefix)));
      last = e.common_prefix;
      continue;
    }
    const ObjectRecord& o = *e.object;
    Value entry = Value::map();
    entry.set("Key", shown(p, o.key));
    entry.set("LastModified", timestamp_of(o.last_modified_ms));
    entry.set("ETag", o.etag);
    add_checksum_algorithm(o, entry);
    entry.set("Size", static_cast<int64_t>(o.size));
    entry.set("StorageClass", o.storage_class);
    if (with_owner) entry.set("Owner", owner_of(o, bucket));
    contents.push_back(std::move(entry));
    last = o.key;
  }
  if (!contents.empty()) out.set("Contents", Value(std::move(contents)));
  if (!prefixes.empty()) out.set("CommonPrefixes", Value(std::move(prefixes)));
  return last;
}

void common_members(const ListParams& p, const BucketRecord& bucket, Value& out) {
  out.set("Name", bucket.name);
  out.set("Prefix", shown(p, p.prefix));
  if (!p.delimiter.empty()) out.set("Delimiter", shown(p, p.delimiter));
  out.set("MaxKeys", static_cast<int64_t>(p.max_keys));
  if (p.url) out.set("EncodingType", "url");
}

}  // namespace

// https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjects.html
Result S3Service::list_objects(CallContext& context, const Value& input) {
  ListParams p = list_params(input);
  std::string marker = input.string_or("Marker", "");
  auto [bucket, page] = env_.db.read([&](Connection& c) {
    BucketRecord b = require_bucket(c, p.bucket, context, input, Access::Read, &buckets_);
    return std::make_pair(b, s3::list_objects(c, p.bucket, p.prefix, p.delimiter, marker,
                                              p.max_keys));
  });
  Result result;
  Value& out = result.output;
  out.set("IsTruncated", page.truncated);
  out.set("Marker", shown(p, marker));
  std::string last = fill_page(page, p, bucket, true, out);
  // S3 returns NextMarker only with a delimiter; clients use the last key otherwise.
  if (page.truncated && !p.delimiter.empty()) out.set("NextMarker", shown(p, last));
  common_members(p, bucket, out);
  return result;
}

// https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html
Result S3Service::list_objects_v2(CallContext& context, const Value& input) {
  ListParams p = list_params(input);
  std::optional<std::string> token = input.get_string("ContinuationToken");
  std::optional<std::string> start_after = input.get_string("StartAfter");
  std::string after = start_after.value_or("");
  if (token) {
    std::optional<std::string> decoded = base64_decode(*token);
    if (!decoded || decoded->empty() || decoded->front() != 'k')
      throw s3_errors::invalid_argument("The continuation token provided is incorrect",
                                        "continuation-token", *token);
    after = decoded->substr(1);
  }
  bool fetch_owner = input.get_bool("FetchOwner").value_or(false);
  auto [bucket, page] = env_.db.read([&](Connection& c) {
    BucketRecord b = require_bucket(c, p.bucket, context, input, Access::Read, &buckets_);
    return std::make_pair(b, s3::list_objects(c, p.bucket, p.prefix, p.delimiter, after,
                                              p.max_keys));
  });
  Result result;
  Value& out = result.output;
  out.set("IsTruncated", page.truncated);
  std::string last = fill_page(page, p, bucket, fetch_owner, out);
  common_members(p, bucket, out);
  out.set("KeyCount", static_cast<int64_t>(page.entries.size()));
  if (token) out.set("ContinuationToken", *token);
  if (page.truncated) out.set("NextContinuationToken", base64_encode("k" + last));
  if (start_after) out.set("StartAfter", shown(p, *start_after));
  return result;
}

// https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectVersions.html
Result S3Service::list_object_versions(CallContext& context, const Value& input) {
  ListParams p = list_params(input);
  std::string key_marker = input.string_or("KeyMarker", "");
  std::string version_marker = input.string_or("VersionIdMarker", "");
  if (!version_marker.empty() && key_marker.empty())
    throw s3_errors::invalid_argument(
        "A version-id marker cannot be specified without a key marker.", "version-id-marker",
        version_marker);
  auto [bucket, page] = env_.db.read([&](Connection& c) {
    BucketRecord b = require_bucket(c, p.bucket, context, input, Access::Read, &buckets_);
    return std::make_pair(b, s3::list_versions(c, p.bucket, p.prefix, p.delimiter, key_marker,
                                               version_marker, p.max_keys));
  });
  Result result;
  Value& out = result.output;
  out.set("IsTruncated", page.truncated);
  out.set("KeyMarker", shown(p, key_marker));
  out.set("VersionIdMarker", version_marker);
  // Versions and delete markers come in one order (keys ascending, each key's newest first),
  // which the XML keeps by interleaving the two lists (kElementOrder).
  ValueList versions, markers, prefixes, order;
  const ListEntry* last = nullptr;
  for (const ListEntry& e : page.entries) {
    last = &e;
    if (!e.object) {
      prefixes.push_back(Value::map().set("Prefix", shown(p, e.common_prefix)));
      continue;
    }
    const ObjectRecord& o = *e.object;
    Value entry = Value::map();
    entry.set("Owner", owner_of(o, bucket));
    entry.set("Key", shown(p, o.key));
    entry.set("VersionId", o.version_id);
    entry.set("IsLatest", o.is_latest);
    entry.set("LastModified", timestamp_of(o.last_modified_ms));
    order.push_back(Value(o.delete_marker ? "DeleteMarkers" : "Versions"));
    if (o.delete_marker) {
      markers.push_back(std::move(entry));
      continue;
    }
    entry.set("ETag", o.etag);
    add_checksum_algorithm(o, entry);
    entry.set("Size", static_cast<int64_t>(o.size));
    entry.set("StorageClass", o.storage_class);
    versions.push_back(std::move(entry));
  }
  if (!versions.empty()) out.set("Versions", Value(std::move(versions)));
  if (!markers.empty()) out.set("DeleteMarkers", Value(std::move(markers)));
  if (!prefixes.empty()) out.set("CommonPrefixes", Value(std::move(prefixes)));
  if (!order.empty()) out.set(kElementOrder, Value(std::move(order)));
  if (page.truncated && last) {
    if (last->object) {
      out.set("NextKeyMarker", shown(p, last->object->key));
      out.set("NextVersionIdMarker", last->object->version_id);
    } else {
      out.set("NextKeyMarker", shown(p, last->common_prefix));
    }
  }
  common_members(p, bucket, out);
  return result;
}

// https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListMultipartUploads.html
Result S3Service::list_multipart_uploads(CallContext& context, const Value& input) {
  ListParams p = list_params(input, "MaxUploads", "max-uploads");
  std::string key_marker = input.string_or("KeyMarker", "");
  // Without a key marker the upload-id marker is ignored.
  std::string upload_marker = key_marker.empty() ? "" : input.string_or("UploadIdMarker", "");
  UploadPage page = env_.db.read([&](Connection& c) {
    require_bucket(c, p.bucket, context, input, Access::Read, &buckets_);
    return s3::list_uploads(c, p.bucket, p.prefix, p.delimiter, key_marker, upload_marker,
                            p.max_keys);
  });
  Result result;
  Value& out = result.output;
  ValueList uploads, prefixes;
  for (const UploadEntry& e : page.entries) {
    if (!e.upload) {
      prefixes.push_back(Value::map().set("Prefix", shown(p, e.common_prefix)));
      continue;
    }
    const UploadRecord& u = *e.upload;
    Value entry = Value::map()
                      .set("UploadId", u.upload_id)
                      .set("Key", shown(p, u.key))
                      .set("Initiated", timestamp_of(u.initiated_ms))
                      .set("StorageClass", u.object.storage_class)
                      .set("Owner", owner_value(u.object.owner_id))
                      .set("Initiator", owner_value(u.object.owner_id));
    if (u.checksum_algorithm) entry.set("ChecksumAlgorithm", *u.checksum_algorithm);
    if (u.checksum_type) entry.set("ChecksumType", *u.checksum_type);
    uploads.push_back(std::move(entry));
  }
  out.set("Bucket", p.bucket);
  out.set("KeyMarker", shown(p, key_marker));
  out.set("UploadIdMarker", upload_marker);
  if (page.truncated && !page.entries.empty()) {
    // Resume after the last entry: an upload (key and id) or a common prefix (key only).
    const UploadEntry& last = page.entries.back();
    out.set("NextKeyMarker", shown(p, last.upload ? last.upload->key : last.common_prefix));
    if (last.upload) out.set("NextUploadIdMarker", last.upload->upload_id);
  }
  out.set("Prefix", shown(p, p.prefix));
  if (!p.delimiter.empty()) out.set("Delimiter", shown(p, p.delimiter));
  out.set("MaxUploads", static_cast<int64_t>(p.max_keys));
  out.set("IsTruncated", page.truncated);
  if (!uploads.empty()) out.set("Uploads", Value(std::move(uploads)));
  if (!prefixes.empty()) out.set("CommonPrefixes", Value(std::move(prefixes)));
  if (p.url) out.set("EncodingType", "url");
  return result;
}

}  // namespace nimbus
