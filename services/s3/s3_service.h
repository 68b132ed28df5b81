// S3Service: Amazon S3's buckets and objects over the rest-xml codec. Input and output Values use
// the botocore S3 model's member names; object bytes stream between the request/response bodies
// and the BlobStore, metadata lives in SQLite (services/s3/schema.h).
//
// Implemented: ListBuckets, CreateBucket, HeadBucket, DeleteBucket, PutObject, GetObject,
// HeadObject, DeleteObject. Every other operation of the model answers 501 NotImplemented.
// Access: a bucket and its objects are reachable by the owning account only; anonymous callers
// get 403 AccessDenied (ACLs and policies come later).
//
// Thread-safety: call() may run on many threads at once; all shared state is in the Database and
// the BlobStore.
#pragma once

#include <string>
#include <string_view>

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

  // Throws InvalidArgument when input[member] is present and not in the enum of shape_name.
  void check_enum(const Value& input, std::string_view member, std::string_view shape_name,
                  std::string_view header) const;
  void remove_blobs(const std::vector<std::string>& ids);

  ServiceEnv env_;
  const ServiceModel& model_;
};

}  // namespace nimbus
