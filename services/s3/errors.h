// S3's error codes: one named factory per AWS error, with the HTTP status, the message text and
// the extra <Error> elements (BucketName, Key, ...) that real S3 returns. Codes, statuses and
// messages follow the S3 API reference's "Error responses" list. Every S3 error nimbus raises is
// built here, so the wording lives in one place.
#pragma once

#include <cstdint>
#include <string>

#include "common/error.h"

namespace nimbus::s3_errors {

inline ApiError access_denied(std::string message = "Access Denied") {
  return ApiError(403, "AccessDenied", std::move(message));
}

// ---- buckets ------------------------------------------------------------------------------

inline ApiError no_such_bucket(const std::string& bucket) {
  return ApiError(404, "NoSuchBucket", "The specified bucket does not exist")
      .with("BucketName", bucket);
}
inline ApiError bucket_already_exists(const std::string& bucket) {
  return ApiError(409, "BucketAlreadyExists",
                  "The requested bucket name is not available. The bucket namespace is shared by "
                  "all users of the system. Please select a different name and try again.")
      .with("BucketName", bucket);
}
inline ApiError bucket_already_owned_by_you(const std::string& bucket) {
  return ApiError(409, "BucketAlreadyOwnedByYou",
                  "Your previous request to create the named bucket succeeded and you already "
                  "own it.")
      .with("BucketName", bucket);
}
inline ApiError bucket_not_empty(const std::string& bucket) {
  return ApiError(409, "BucketNotEmpty", "The bucket you tried to delete is not empty")
      .with("BucketName", bucket);
}
inline ApiError invalid_bucket_name(const std::string& bucket) {
  return ApiError(400, "InvalidBucketName", "The specified bucket is not valid.")
      .with("BucketName", bucket);
}
inline ApiError invalid_location_constraint(const std::string& constraint) {
  return ApiError(400, "InvalidLocationConstraint",
                  "The specified location-constraint is not valid")
      .with("LocationConstraint", constraint);
}
// A regional endpoint refuses a bucket for another region (constraint "" means none was sent).
inline ApiError illegal_location_constraint(const std::string& constraint) {
  std::string what = constraint.empty() ? "unspecified" : constraint;
  return ApiError(400, "IllegalLocationConstraintException",
                  "The " + what +
                      " location constraint is incompatible for the region specific endpoint "
                      "this request was sent to.");
}

inline ApiError invalid_bucket_state(std::string message) {
  return ApiError(409, "InvalidBucketState", std::move(message));
}

// ---- objects ------------------------------------------------------------------------------

inline ApiError no_such_key(const std::string& key) {
  return ApiError(404, "NoSuchKey", "The specified key does not exist.").with("Key", key);
}
inline ApiError no_such_version(const std::string& key, const std::string& version_id) {
  return ApiError(404, "NoSuchVersion", "The specified version does not exist.")
      .with("Key", key)
      .with("VersionId", version_id);
}
inline ApiError key_too_long(uint64_t size, uint64_t max_size) {
  return ApiError(400, "KeyTooLongError", "Your key is too long")
      .with("Size", std::to_string(size))
      .with("MaxSizeAllowed", std::to_string(max_size));
}
inline ApiError metadata_too_large(uint64_t size, uint64_t max_size) {
  return ApiError(400, "MetadataTooLarge",
                  "Your metadata headers exceed the maximum allowed metadata size.")
      .with("Size", std::to_string(size))
      .with("MaxSizeAllowed", std::to_string(max_size));
}
inline ApiError entity_too_large(uint64_t size, uint64_t max_size) {
  return ApiError(400, "EntityTooLarge",
                  "Your proposed upload exceeds the maximum allowed object size.")
      .with("ProposedSize", std::to_string(size))
      .with("MaxSizeAllowed", std::to_string(max_size));
}
inline ApiError invalid_digest(const std::string& content_md5) {
  return ApiError(400, "InvalidDigest", "The Content-MD5 you specified was invalid.")
      .with("Content-MD5", content_md5);
}
// Content-MD5 (both digests base64) did not match the received bytes.
inline ApiError bad_digest(const std::string& expected, const std::string& calculated) {
  return ApiError(400, "BadDigest", "The Content-MD5 you specified did not match what we received.")
      .with("ExpectedDigest", expected)
      .with("CalculatedDigest", calculated);
}
// An x-amz-checksum-<algorithm> value did not match; algorithm as S3 names it ("CRC32").
inline ApiError bad_checksum(const std::string& algorithm) {
  return ApiError(400, "BadDigest",
                  "The " + algorithm + " you specified did not match the calculated checksum.");
}
inline ApiError precondition_failed(const std::string& condition) {
  return ApiError(412, "PreconditionFailed",
                  "At least one of the pre-conditions you specified did not hold")
      .with("Condition", condition);
}
// GET/HEAD of a version that is a delete marker.
inline ApiError method_not_allowed(const std::string& method, const std::string& resource_type) {
  return ApiError(405, "MethodNotAllowed",
                  "The specified method is not allowed against this resource.")
      .with("Method", method)
      .with("ResourceType", resource_type);
}
inline ApiError invalid_tag(std::string message) {
  return ApiError(400, "InvalidTag", std::move(message));
}
inline ApiError invalid_request(std::string message) {
  return ApiError(400, "InvalidRequest", std::move(message));
}
inline ApiError invalid_argument(std::string message, const std::string& name,
                                 const std::string& value) {
  return ApiError(400, "InvalidArgument", std::move(message))
      .with("ArgumentName", name)
      .with("ArgumentValue", value);
}
inline ApiError invalid_storage_class(const std::string& requested) {
  return ApiError(400, "InvalidStorageClass", "The storage class you specified is not valid")
      .with("StorageClassRequested", requested);
}
inline ApiError invalid_range(const std::string& requested, uint64_t object_size) {
  return ApiError(416, "InvalidRange", "The requested range is not satisfiable")
      .with("RangeRequested", requested)
      .with("ActualObjectSize", std::to_string(object_size));
}
inline ApiError invalid_part_number(int64_t requested, int64_t part_count) {
  return ApiError(416, "InvalidPartNumber", "The requested partnumber is not satisfiable")
      .with("PartNumberRequested", std::to_string(requested))
      .with("ActualPartCount", std::to_string(part_count));
}

// ---- authentication (Service::auth_error) -------------------------------------------------

inline ApiError invalid_access_key_id(const std::string& access_key) {
  return ApiError(403, "InvalidAccessKeyId",
                  "The AWS Access Key Id you provided does not exist in our records.")
      .with("AWSAccessKeyId", access_key);
}
inline ApiError signature_does_not_match(const std::string& access_key,
                                         const std::string& string_to_sign,
                                         const std::string& canonical_request) {
  ApiError e(403, "SignatureDoesNotMatch",
             "The request signature we calculated does not match the signature you provided. "
             "Check your key and signing method.");
  e.with("AWSAccessKeyId", access_key).with("StringToSign", string_to_sign);
  if (!canonical_request.empty()) e.with("CanonicalRequest", canonical_request);
  return e;
}
inline ApiError request_expired() { return access_denied("Request has expired"); }
inline ApiError request_time_too_skewed() {
  return ApiError(403, "RequestTimeTooSkewed",
                  "The difference between the request time and the current time is too large.")
      .with("MaxAllowedSkewMilliseconds", "900000");
}
inline ApiError authorization_header_malformed(std::string message) {
  return ApiError(400, "AuthorizationHeaderMalformed",
                  "The authorization header is malformed; " + message);
}
inline ApiError content_sha256_mismatch() {
  return ApiError(400, "XAmzContentSHA256Mismatch",
                  "The provided 'x-amz-content-sha256' header does not match what was computed.");
}

}  // namespace nimbus::s3_errors
