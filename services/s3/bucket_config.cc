// S3 bucket sub-resources: GetBucketLocation, bucket tagging (Get/Put/Delete, NoSuchTagSet) and
// versioning (Get/PutBucketVersioning: Enabled, Suspended). Bucket ACLs are in acl.cc.
#include "services/s3/internal.h"
#include "services/s3/s3_service.h"

namespace nimbus {

using namespace nimbus::s3;

// https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketLocation.html
Result S3Service::get_bucket_location(CallContext& context, const Value& input) {
  std::string name = bucket_of(input);
  BucketRecord b = env_.db.read(
      [&](Connection& c) { return require_bucket(c, name, context, input, Access::Owner); });
  Result result;
  // us-east-1 is the empty constraint.
  if (b.region != kDefaultRegion) result.output.set("LocationConstraint", b.region);
  return result;
}

// https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketTagging.html
Result S3Service::get_bucket_tagging(CallContext& context, const Value& input) {
  std::string name = bucket_of(input);
  auto tags = env_.db.read([&](Connection& c) {
    require_bucket(c, name, context, input, Access::Owner);
    return s3::bucket_tags(c, name);
  });
  if (tags.empty())
    throw ApiError(404, "NoSuchTagSet", "The TagSet does not exist").with("BucketName", name);
  ValueList list;
  for (const auto& [k, v] : tags) list.push_back(Value::map().set("Key", k).set("Value", v));
  Result result;
  result.output.set("TagSet", Value(std::move(list)));
  return result;
}

// https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketTagging.html
Result S3Service::put_bucket_tagging(CallContext& context, const Value& input) {
  std::string name = bucket_of(input);
  const Value* tagging = input.find("Tagging");
  const Value* set = tagging ? tagging->find("TagSet") : nullptr;
  if (!set || !set->is_list())
    throw ApiError(400, "MalformedXML",
                   "The XML you provided was not well-formed or did not validate against our "
                   "published schema");
  std::vector<std::pair<std::string, std::string>> tags;
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
  if (tags.size() > 50) throw s3_errors::invalid_tag("Bucket tag count cannot be greater than 50");
  write_bucket(name, [&](Connection& c) {
    require_bucket(c, name, context, input, Access::Owner);
    s3::set_bucket_tags(c, name, tags);
  });
  Result result;
  result.status = 204;
  return result;
}

// https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteBucketTagging.html
Result S3Service::delete_bucket_tagging(CallContext& context, const Value& input) {
  std::string name = bucket_of(input);
  write_bucket(name, [&](Connection& c) {
    require_bucket(c, name, context, input, Access::Owner);
    s3::set_bucket_tags(c, name, std::nullopt);
  });
  return Result{};
}

// https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketVersioning.html
Result S3Service::get_bucket_versioning(CallContext& context, const Value& input) {
  std::string name = bucket_of(input);
  BucketRecord b = env_.db.read(
      [&](Connection& c) { return require_bucket(c, name, context, input, Access::Owner); });
  Result result;
  if (!b.versioning.empty()) result.output.set("Status", b.versioning);
  return result;
}

// https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketVersioning.html
Result S3Service::put_bucket_versioning(CallContext& context, const Value& input) {
  std::string name = bucket_of(input);
  const Value* config = input.find("VersioningConfiguration");
  std::string status = config ? config->string_or("Status", "") : "";
  if (status != "Enabled" && status != "Suspended")
    throw ApiError(400, "MalformedXML",
                   "The XML you provided was not well-formed or did not validate against our "
                   "published schema");
  if (config->has("MFADelete") && config->string_or("MFADelete", "") == "Enabled")
    throw errors::not_implemented("PutBucketVersioning with MFA delete");
  write_bucket(name, [&](Connection& c) {
    BucketRecord b = require_bucket(c, name, context, input, Access::Owner);
    if (b.object_lock && status == "Suspended")
      throw s3_errors::invalid_bucket_state(
          "An Object Lock configuration is present on this bucket, so the versioning state "
          "cannot be changed.");
    s3::set_bucket_versioning(c, name, status);
  });
  return Result{};
}

}  // namespace nimbus
