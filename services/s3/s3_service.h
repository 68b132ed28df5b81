// S3Service: Amazon S3's buckets and objects over the rest-xml codec. Input and output Values use
// the botocore S3 model's member names; object bytes stream between the request/response bodies
// and the BlobStore, metadata lives in SQLite (services/s3/schema.h).
//
// Implemented: buckets (List/Create/Head/Delete, location, tagging, versioning, ACL), objects
// (Put/Get/Head/Delete, DeleteObjects, CopyObject, tagging, ACL), listing (ListObjects,
// ListObjectsV2, ListObjectVersions) and multipart uploads. Every other operation of the model
// answers 501 NotImplemented. Access: the owner may do anything; others, anonymous included, only
// what the bucket's or object's ACL grants (services/s3/acl.cc).
//
// Thread-safety: call() may run on many threads at once; all shared state is in the Database and
// the BlobStore, except the BucketCache of committed bucket rows (services/s3/bucket_cache.h).
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "services/s3/bucket_cache.h"
#include "services/s3/rules.h"
#include "services/s3/schema.h"
#include "services/service.h"

namespace nimbus {

class S3Service : public Service {
 public:
  // Applies the "s3" schema migrations. env must outlive the service.
  explicit S3Service(ServiceEnv& env);

  std::string_view name() const override { return "s3"; }
  const ServiceModel& model() const override { return model_; }
  Result call(CallContext& context, const Value& input) override;
  ApiError auth_error(const AuthError& error) const override;
  bool allows_anonymous() const override { return true; }
  void reset() override { buckets_.clear(); }

 private:
  Result list_buckets(CallContext& context, const Value& input);
  Result create_bucket(CallContext& context, const Value& input);
  Result head_bucket(CallContext& context, const Value& input);
  Result delete_bucket(CallContext& context, const Value& input);
  Result put_object(CallContext& context, const Value& input);
  Result get_object(CallContext& context, const Value& input);
  Result head_object(CallContext& context, const Value& input);
  Result delete_object(CallContext& context, const Value& input);
  Result read_object(CallContext& context, const Value& input, bool with_body);
  // listing.cc
  Result list_objects(CallContext& context, const Value& input);
  Result list_objects_v2(CallContext& context, const Value& input);
  Result list_object_versions(CallContext& context, const Value& input);
  // object_ops.cc
  Result delete_objects(CallContext& context, const Value& input);
  Result copy_object(CallContext& context, const Value& input);
  Result get_object_tagging(CallContext& context, const Value& input);
  Result get_object_attributes(CallContext& context, const Value& input);
  Result put_object_tagging(CallContext& context, const Value& input);
  Result delete_object_tagging(CallContext& context, const Value& input);
  // bucket_config.cc
  Result get_bucket_location(CallContext& context, const Value& input);
  Result get_bucket_tagging(CallContext& context, const Value& input);
  Result put_bucket_tagging(CallContext& context, const Value& input);
  Result delete_bucket_tagging(CallContext& context, const Value& input);
  Result get_bucket_versioning(CallContext& context, const Value& input);
  Result put_bucket_versioning(CallContext& context, const Value& input);
  // multipart.cc
  Result create_multipart_upload(CallContext& context, const Value& input);
  Result upload_part(CallContext& context, const Value& input);
  Result upload_part_copy(CallContext& context, const Value& input);
  Result complete_multipart_upload(CallContext& context, const Value& input);
  Result abort_multipart_upload(CallContext& context, const Value& input);
  Result list_parts(CallContext& context, const Value& input);
  Result list_multipart_uploads(CallContext& context, const Value& input);
  // acl.cc
  Result get_bucket_acl(CallContext& context, const Value& input);
  Result put_bucket_acl(CallContext& context, const Value& input);
  Result get_object_acl(CallContext& context, const Value& input);
  Result put_object_acl(CallContext& context, const Value& input);

  // One DeleteObject inside the caller's write job: deletes a version or adds a delete marker.
  struct Deletion {
    std::vector<std::string> freed;
    std::optional<std::string> version_id;  // reported in x-amz-version-id
    bool delete_marker = false;
  };
  Deletion delete_in(Connection& c, const s3::BucketRecord& bucket, const std::string& key,
                     const std::optional<std::string>& version_id, const CallContext& context);

  struct Received {
    std::string blob_id;  // committed; empty for an empty or an inline body
    std::optional<std::string> inline_body;  // with may_inline: a body of 1..kMaxInlineBodyBytes
    uint64_t size = 0;
    std::string md5;  // raw digest
    const s3::ChecksumAlgorithm* algorithm = nullptr;
    std::string checksum;  // raw digest of `algorithm`
    bool from_client = false;
    std::string default_checksum;  // raw digest of precheck's algorithm, when computed
  };
  // `precheck` runs once the headers are validated, before the body is read; it returns the
  // algorithm to compute when the client sends no checksum (nullptr: none). With also_default
  // that algorithm is computed too when the client sends a checksum of another one. With
  // may_inline a small body is returned in inline_body instead of being written to a blob.
  Received receive_body(CallContext& context, const Value& input,
                        const std::function<const s3::ChecksumAlgorithm*()>& precheck,
                        bool also_default = false, bool may_inline = false);

  // Throws InvalidArgument when input[member] is present and not in the enum of shape_name.
  void check_enum(const Value& input, std::string_view member, std::string_view shape_name,
                  std::string_view header) const;
  void remove_blobs(const std::vector<std::string>& ids);
  // Runs a write job that may change the row of bucket `name` (create, delete, ACL, versioning,
  // config), then drops the cached row, whether the job committed or threw.
  template <class F>
  auto write_bucket(const std::string& name, F&& fn) {
    struct Invalidate {
      s3::BucketCache& cache;
      const std::string& name;
      ~Invalidate() { cache.invalidate(name); }
    } invalidate{buckets_, name};
    return env_.db.write(std::forward<F>(fn));
  }

  ServiceEnv env_;
  const ServiceModel& model_;
  // Committed bucket rows for the read paths (read() jobs only).
  s3::BucketCache buckets_;
};

}  // namespace nimbus
