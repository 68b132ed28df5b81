// S3 object operations beyond Put/Get/Head/Delete: DeleteObjects (Quiet, at most 1000 keys),
// CopyObject (versioned source, COPY/REPLACE metadata and tagging directives,
// x-amz-copy-source-if-*, copy onto itself), object tagging and GetObjectAttributes. A copy
// shares the source's blob segments (blobs are reference-counted by their segment rows), so no
// file is copied; a small source's inline bytes are copied into the new row.
#include "common/encoding.h"
#include "services/s3/internal.h"
#include "services/s3/s3_service.h"

namespace nimbus {
namespace {

using namespace nimbus::s3;

constexpr size_t kMaxDeleteKeys = 1000;

ApiError malformed_xml() {
  return ApiError(400, "MalformedXML",
                  "The XML you provided was not well-formed or did not validate against our "
                  "published schema");
}

// "bucket/key", "/bucket/key" or with "?versionId=": URL-encoded as x-amz-copy-source carries it.
struct CopySource {
  std::string bucket, key;
  std::optional<std::string> version_id;
};
CopySource parse_copy_source(const std::string& header) {
  std::string text = header;
  CopySource out;
  size_t q = text.find('?');
  if (q != std::string::npos) {
    for (auto& [k, v] : parse_query(std::string_view(text).substr(q + 1)))
      if (k == "versionId") out.version_id = v;
    text.resize(q);
  }
  text = uri_decode(text);
  if (!text.empty() && text.front() == '/') text.erase(0, 1);
  size_t slash = text.find('/');
  if (slash == std::string::npos || slash == 0 || slash + 1 == text.size())
    throw s3_errors::invalid_argument("Invalid copy source object key", "x-amz-copy-source",
                                      header);
  out.bucket = text.substr(0, slash);
  out.key = text.substr(slash + 1);
  return out;
}

std::vector<std::pair<std::string, std::string>> tags_from_tagging(const Value& input) {
  const Value* tagging = input.find("Tagging");
  if (!tagging) throw malformed_xml();
  std::vector<std::pair<std::string, std::string>> tags;
  if (const Value* set = tagging->find("TagSet"); set && set->is_list()) {
    for (const Value& tag : set->as_list()) {
      std::string k = tag.string_or("Key", ""), v = tag.string_or("Value", "");
      if (k.empty() || k.size() > 128)
        throw s3_errors::invalid_tag("The TagKey you have provided is invalid");
      if (v.size() > 256) throw s3_errors::invalid_tag("The TagValue you have provided is invalid");
      for (const auto& existing : tags)
        if (existing.first == k)
          throw s3_errors::invalid_tag("Cannot provide multiple Tags with the same key");
      tags.emplace_back(std::move(k), std::move(v));
    }
  }
  return tags;
}

Value tag_set(const std::vector<std::pair<std::string, std::string>>& tags) {
  ValueList list;
  for (const auto& [k, v] : tags) list.push_back(Value::map().set("Key", k).set("Value", v));
  return Value(std::move(list));
}

}  // namespace

// https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObjects.html
Result S3Service::delete_objects(CallContext& context, const Value& input) {
  std::string bucket_name = bucket_of(input);
  const Value* del = input.find("Delete");
  const Value* objects = del ? del->find("Objects") : nullptr;
  if (!objects || !objects->is_list() || objects->as_list().empty() ||
      objects->as_list().size() > kMaxDeleteKeys)
    throw malformed_xml();
  bool quiet = del->get_bool("Quiet").value_or(false);
  struct Item {
    std::string key;
    std::optional<std::string> version_id;
  };
  std::vector<Item> items;
  for (const Value& o : objects->as_list()) {
    std::optional<std::string> key = o.get_string("Key");
    if (!key) throw malformed_xml();
    items.push_back({*key, o.get_string("VersionId")});
  }
  ValueList deleted, errors_out;
  std::vector<std::string> freed;
  env_.db.write([&](Connection& c) {
    BucketRecord bucket = require_bucket(c, bucket_name, context, input, Access::Write);
    for (const Item& item : items) {
      Value entry = Value::map().set("Key", item.key);
      if (item.key.size() > kMaxKeyBytes) {
        errors_out.push_back(entry.set("Code", "KeyTooLongError").set("Message", "Your key is too long"));
        continue;
      }
      Deletion d = delete_in(c, bucket, item.key, item.version_id, context);
      freed.insert(freed.end(), d.freed.begin(), d.freed.end());
      if (quiet) continue;
      if (item.version_id) entry.set("VersionId", *item.version_id);
      if (d.delete_marker) {
        entry.set("DeleteMarker", true);
        if (d.version_id) entry.set("DeleteMarkerVersionId", *d.version_id);
      }
      deleted.push_back(std::move(entry));
    }
  });
  remove_blobs(freed);
  Result result;
  if (!deleted.empty()) result.output.set("Deleted", Value(std::move(deleted)));
  if (!errors_out.empty()) result.output.set("Errors", Value(std::move(errors_out)));
  return result;
}

// https://docs.aws.amazon.com/AmazonS3/latest/API/API_CopyObject.html
Result S3Service::copy_object(CallContext& context, const Value& input) {
  std::string bucket_name = bucket_of(input);
  std::string key = key_of(input);
  if (key.size() > kMaxKeyBytes) throw s3_errors::key_too_long(key.size(), kMaxKeyBytes);
  CopySource source = parse_copy_source(input.string_or("CopySource", ""));
  std::string metadata_directive = input.string_or("MetadataDirective", "COPY");
  std::string tagging_directive = input.string_or("TaggingDirective", "COPY");
  if (metadata_directive != "COPY" && metadata_directive != "REPLACE")
    throw s3_errors::invalid_argument("Unknown metadata directive.", "x-amz-metadata-directive",
                                      metadata_directive);
  if (tagging_directive != "COPY" && tagging_directive != "REPLACE")
    throw s3_errors::invalid_argument("Unknown tagging directive.", "x-amz-tagging-directive",
                                      tagging_directive);
  check_enum(input, "ACL", "ObjectCannedACL", "x-amz-acl");
  if (std::optional<std::string> storage_class = input.get_string("StorageClass")) {
    const Shape* shape = model_.shape("StorageClass");
    if (shape && std::find(shape->enum_values.begin(), shape->enum_values.end(), *storage_class) ==
                     shape->enum_values.end())
      throw s3_errors::invalid_storage_class(*storage_class);
  }

  struct Outcome {
    ObjectRecord copy;
    std::string source_version;
    std::vector<std::string> freed;
    std::string versioning;
  };
  Outcome outcome = env_.db.write([&](Connection& c) {
    Outcome out;
    Value source_input = Value::map();
    ObjectRecord src = require_object(c, source.bucket, source.key, source.version_id, context,
                                      source_input, Access::Read);
    if (src.delete_marker) {
      if (source.version_id)
        throw s3_errors::invalid_request("The source of a copy request may not specifically "
                                         "refer to a delete marker by version id.");
      throw s3_errors::no_such_key(source.key);
    }
    if (std::optional<int> status = check_conditions(src, input, "CopySource")) {
      (void)status;
      std::string which = input.has("CopySourceIfMatch") ? "x-amz-copy-source-If-Match"
                          : input.has("CopySourceIfUnmodifiedSince")
                              ? "x-amz-copy-source-If-Unmodified-Since"
                          : input.has("CopySourceIfNoneMatch") ? "x-amz-copy-source-If-None-Match"
                                                               : "x-amz-copy-source-If-Modified-Since";
      throw s3_errors::precondition_failed(which);
    }
    BucketRecord bucket = require_bucket(c, bucket_name, context, input, Access::Write);
    out.versioning = bucket.versioning;
    out.source_version = src.version_id;

    ObjectRecord copy = src;
    copy.id = 0;
    copy.bucket = bucket_name;
    copy.key = key;
    copy.owner_id = context.account.id;
    copy.last_modified_ms = env_.clock.now_ms();
    copy.acl = input.get_string("ACL");
    copy.storage_class = input.string_or("StorageClass", "STANDARD");
    copy.website_redirect = input.get_string("WebsiteRedirectLocation");
    copy.sse_algorithm = input.string_or("ServerSideEncryption", "AES256");
    copy.sse_kms_key_id = input.get_string("SSEKMSKeyId");
    if (metadata_directive == "REPLACE") {
      copy.content_type = input.get_string("ContentType");
      copy.content_encoding = stored_content_encoding(input.get_string("ContentEncoding"));
      copy.content_disposition = input.get_string("ContentDisposition");
      copy.content_language = input.get_string("ContentLanguage");
      copy.cache_control = input.get_string("CacheControl");
      copy.expires = input.get_string("Expires");
      copy.metadata.clear();
      if (const Value* metadata = input.find("Metadata"); metadata && metadata->is_map()) {
        size_t total = 0;
        for (const auto& [name, value] : metadata->as_map()) {
          std::string text = value.is_string() ? value.as_string() : std::string();
          total += name.size() + text.size();
          copy.metadata.emplace_back(lower(name), std::move(text));
        }
        if (total > kMaxMetadataBytes) throw s3_errors::metadata_too_large(total, kMaxMetadataBytes);
      }
    }
    if (tagging_directive == "REPLACE")
      copy.tags = parse_tagging(input.string_or("Tagging", ""));
    bool same = source.bucket == bucket_name && source.key == key;
    bool changes = metadata_directive == "REPLACE" || input.has("StorageClass") ||
                   input.has("WebsiteRedirectLocation") || input.has("ServerSideEncryption");
    if (same && !changes)
      throw s3_errors::invalid_request(
          "This copy request is illegal because it is trying to copy an object to itself "
          "without changing the object's metadata, storage class, website redirect location or "
          "encryption attributes.");

    copy.version_id = new_version_id(bucket.versioning);
    copy.is_latest = true;
    if (copy.version_id == kNullVersion) {
      // The copy replaces the "null" version, possibly its own source: blobs the copy shares
      // with the replaced row stay.
      if (auto null_version = s3::find_object(c, bucket_name, key, std::string(kNullVersion))) {
        for (std::string& id : s3::delete_object(c, *null_version)) {
          bool shared = std::any_of(copy.segments.begin(), copy.segments.end(),
                                    [&](const BlobStore::Segment& s) { return s.id == id; });
          if (!shared) out.freed.push_back(std::move(id));
        }
      }
    }
    s3::demote_latest(c, bucket_name, key);
    s3::insert_object(c, copy);
    out.copy = std::move(copy);
    return out;
  });
  remove_blobs(outcome.freed);

  Result result;
  Value copy_result = Value::map();
  copy_result.set("ETag", outcome.copy.etag);
  copy_result.set("LastModified", timestamp_of(outcome.copy.last_modified_ms));
  add_checksums(outcome.copy.checksums, copy_result);
  result.output.set("CopyObjectResult", copy_result);
  if (outcome.source_version != kNullVersion)
    result.output.set("CopySourceVersionId", outcome.source_version);
  if (!outcome.versioning.empty()) result.output.set("VersionId", outcome.copy.version_id);
  result.output.set("ServerSideEncryption", *outcome.copy.sse_algorithm);
  return result;
}

// https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObjectTagging.html
Result S3Service::get_object_tagging(CallContext& context, const Value& input) {
  std::string bucket_name = bucket_of(input), key = key_of(input);
  std::optional<std::string> version_id = input.get_string("VersionId");
  ObjectRecord o = env_.db.read([&](Connection& c) {
    return require_object(c, bucket_name, key, version_id, context, input, Access::Read,
                          &buckets_);
  });
  if (o.delete_marker)
    throw version_id ? s3_errors::method_not_allowed(context.http.method, "DeleteMarker")
                     : s3_errors::no_such_key(key);
  Result result;
  result.output.set("TagSet", tag_set(o.tags));
  if (o.version_id != kNullVersion) result.output.set("VersionId", o.version_id);
  return result;
}

// https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObjectTagging.html
Result S3Service::put_object_tagging(CallContext& context, const Value& input) {
  std::string bucket_name = bucket_of(input), key = key_of(input);
  std::optional<std::string> version_id = input.get_string("VersionId");
  std::vector<std::pair<std::string, std::string>> tags = tags_from_tagging(input);
  if (tags.size() > kMaxTags) throw s3_errors::invalid_tag("Object tags cannot be greater than 10");
  std::string version = env_.db.write([&](Connection& c) {
    ObjectRecord o =
        require_object(c, bucket_name, key, version_id, context, input, Access::Write);
    if (o.delete_marker)
      throw version_id ? s3_errors::method_not_allowed(context.http.method, "DeleteMarker")
                       : s3_errors::no_such_key(key);
    s3::set_object_tags(c, o.id, tags);
    return o.version_id;
  });
  Result result;
  if (version != kNullVersion) result.output.set("VersionId", version);
  return result;
}

// https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObjectTagging.html
Result S3Service::delete_object_tagging(CallContext& context, const Value& input) {
  std::string bucket_name = bucket_of(input), key = key_of(input);
  std::optional<std::string> version_id = input.get_string("VersionId");
  std::string version = env_.db.write([&](Connection& c) {
    ObjectRecord o =
        require_object(c, bucket_name, key, version_id, context, input, Access::Write);
    if (o.delete_marker)
      throw version_id ? s3_errors::method_not_allowed(context.http.method, "DeleteMarker")
                       : s3_errors::no_such_key(key);
    s3::set_object_tags(c, o.id, {});
    return o.version_id;
  });
  Result result;
  if (version != kNullVersion) result.output.set("VersionId", version);
  return result;
}

}  // namespace nimbus

namespace nimbus {

// https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObjectAttributes.html
// The attributes named by x-amz-object-attributes. ETag comes without its quotes; a composite
// checksum without its "-N" part count; ObjectParts only for a multipart object, listing the parts
// (after PartNumberMarker, at most MaxParts) only when they carry checksums.
Result S3Service::get_object_attributes(CallContext& context, const Value& input) {
  static constexpr const char* kAttributes[] = {"ETag", "Checksum", "ObjectParts", "StorageClass",
                                                "ObjectSize"};
  std::vector<std::string> wanted;
  if (const Value* list = input.find("ObjectAttributes"); list && list->is_list())
    for (const Value& v : list->as_list())
      if (v.is_string() && !trim(v.as_string()).empty()) wanted.push_back(trim(v.as_string()));
  if (wanted.empty())
    throw s3_errors::invalid_request(
        "The x-amz-object-attributes header specifying the attributes to be retrieved is either "
        "missing or empty");
  for (const std::string& name : wanted)
    if (std::find(std::begin(kAttributes), std::end(kAttributes), name) == std::end(kAttributes))
      throw s3_errors::invalid_argument("Invalid attribute name specified.",
                                        "x-amz-object-attributes", name);
  auto asked = [&](std::string_view name) {
    return std::find(wanted.begin(), wanted.end(), name) != wanted.end();
  };
  if (input.has("SSECustomerAlgorithm") || input.has("SSECustomerKey"))
    throw errors::not_implemented("GetObjectAttributes with customer-provided keys (SSE-C)");
  int64_t max_parts = input.get_int("MaxParts").value_or(1000);
  int64_t marker = input.get_int("PartNumberMarker").value_or(0);
  if (max_parts < 0)
    throw s3_errors::invalid_argument("Argument max-parts must be an integer between 0 and "
                                      "2147483647", "max-parts", std::to_string(max_parts));
  if (marker < 0)
    throw s3_errors::invalid_argument("Argument part-number-marker must be an integer between 0 "
                                      "and 2147483647", "part-number-marker",
                                      std::to_string(marker));

  std::string bucket_name = bucket_of(input), key = key_of(input);
  std::optional<std::string> version_id = input.get_string("VersionId");
  ObjectRecord o = env_.db.read([&](Connection& c) {
    return require_object(c, bucket_name, key, version_id, context, input, Access::Read,
                          &buckets_);
  });
  if (o.delete_marker) {
    ApiError error = version_id ? s3_errors::method_not_allowed(context.http.method, "DeleteMarker")
                                : s3_errors::no_such_key(key);
    error.headers.push_back({"x-amz-delete-marker", "true"});
    error.headers.push_back({"x-amz-version-id", o.version_id});
    throw error;
  }

  Result result;
  result.output.set("LastModified", timestamp_of(o.last_modified_ms));
  if (o.version_id != kNullVersion) result.output.set("VersionId", o.version_id);
  if (asked("ETag")) {
    std::string etag = o.etag;
    if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"')
      etag = etag.substr(1, etag.size() - 2);
    result.output.set("ETag", etag);
  }
  if (asked("Checksum")) {
    Value checksum = Value::map();
    for (const ChecksumAlgorithm& a : checksum_algorithms()) {
      if (const std::optional<std::string>* v = o.checksums.by_member(a.member); v && *v) {
        std::string text = **v;
        if (o.checksums.type == "COMPOSITE")
          if (size_t dash = text.rfind('-'); dash != std::string::npos) text.resize(dash);
        checksum.set(a.member, text);
      }
    }
    if (o.checksums.type) checksum.set("ChecksumType", *o.checksums.type);
    if (!checksum.as_map().empty()) result.output.set("Checksum", std::move(checksum));
  }
  if (asked("ObjectParts") && o.parts_count > 0) {
    const ChecksumAlgorithm* algorithm = nullptr;
    for (const ChecksumAlgorithm& a : checksum_algorithms())
      if (const std::optional<std::string>* v = o.checksums.by_member(a.member); v && *v)
        algorithm = &a;
    Value parts_out = Value::map();
    parts_out.set("TotalPartsCount", o.parts_count);
    parts_out.set("PartNumberMarker", marker);
    parts_out.set("MaxParts", max_parts);
    bool with_checksums = algorithm && !o.parts.empty();
    if (with_checksums) {
      Value list = Value::list();
      int64_t last = marker;
      bool truncated = false;
      for (const ObjectPart& p : o.parts) {
        if (p.part_number <= marker) continue;
        if (static_cast<int64_t>(list.as_list().size()) >= max_parts) {
          truncated = true;
          break;
        }
        Value entry = Value::map();
        entry.set("PartNumber", p.part_number);
        entry.set("Size", static_cast<int64_t>(p.size));
        if (p.checksum) entry.set(algorithm->member, *p.checksum);
        list.push_back(std::move(entry));
        last = p.part_number;
      }
      parts_out.set("IsTruncated", truncated);
      parts_out.set("NextPartNumberMarker", last);
      parts_out.set("Parts", std::move(list));
    } else {
      parts_out.set("IsTruncated", false);
    }
    result.output.set("ObjectParts", std::move(parts_out));
  }
  if (asked("StorageClass")) result.output.set("StorageClass", o.storage_class);
  if (asked("ObjectSize")) result.output.set("ObjectSize", static_cast<int64_t>(o.size));
  return result;
}

}  // namespace nimbus
