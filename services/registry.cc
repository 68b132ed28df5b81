// The list of services nimbus serves: make_services() builds each one, in routing-table order.
// Adding a service is one line here plus its folder under services/.
#include <memory>
#include <vector>

#include "services/dynamodb/dynamodb_service.h"
#include "services/dynamodb/streams_service.h"
#include "services/s3/s3_service.h"
#include "services/sdb/sdb_service.h"
#include "services/service.h"
#include "services/sns/sns_service.h"
#include "services/sqs/sqs_service.h"

namespace nimbus {

std::vector<std::unique_ptr<Service>> make_services(ServiceEnv& env) {
  std::vector<std::unique_ptr<Service>> services;
  services.push_back(std::make_unique<S3Service>(env));
  auto sqs = std::make_unique<SqsService>(env);
  env.queues = sqs.get();  // SNS delivers into queues through it
  services.push_back(std::move(sqs));
  services.push_back(std::make_unique<SnsService>(env));
  services.push_back(std::make_unique<SdbService>(env));
  auto dynamodb = std::make_unique<DynamoDbService>(env);
  const Service& tables = *dynamodb;  // Streams answers signature errors as DynamoDB does
  services.push_back(std::move(dynamodb));
  services.push_back(std::make_unique<DynamoDbStreamsService>(env, tables));
  return services;
}

}  // namespace nimbus
