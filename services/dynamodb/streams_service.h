// DynamoDbStreamsService: Amazon DynamoDB Streams over the json codec (X-Amz-Target
// DynamoDBStreams_20120810.*): ListStreams, DescribeStream, GetShardIterator, GetRecords, read
// from the change log that DynamoDbService writes (services/dynamodb/streams.h). Streams are per
// account and region, as their ARNs say.
//
// Thread-safety: call() runs on many threads; every call is one Database::read, no state of
// its own.
#pragma once

#include <string>

#include "services/service.h"

namespace nimbus {

class DynamoDbStreamsService : public Service {
 public:
  // `dynamodb` answers failed signature checks (the same errors as DynamoDB's); it outlives
  // this service.
  DynamoDbStreamsService(ServiceEnv& env, const Service& dynamodb);
  std::string_view name() const override { return "dynamodbstreams"; }
  const ServiceModel& model() const override { return model_; }
  Result call(CallContext& context, const Value& input) override;
  ApiError auth_error(const AuthError& error) const override;

 private:
  ServiceEnv env_;
  const ServiceModel& model_;
  const Service& dynamodb_;
};

}  // namespace nimbus
