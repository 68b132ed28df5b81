// DynamoDbService: Amazon DynamoDB over the json codec (X-Amz-Target DynamoDB_20120810.*).
// Tables and items live in SQLite (services/dynamodb/table.h); expressions are parsed and
// evaluated by services/dynamodb/expression.h; every state change of one call is one
// Database::write job, so conditional failures and transactions store nothing partial.
//
// Implemented: CreateTable, DescribeTable, ListTables, UpdateTable (throughput, billing, GSI
// create with backfill / delete, deletion protection), DeleteTable, TagResource, UntagResource,
// ListTagsOfResource, DescribeLimits, DescribeEndpoints, UpdateTimeToLive, DescribeTimeToLive,
// PutItem, GetItem, UpdateItem, DeleteItem, Query, Scan, BatchGetItem, BatchWriteItem,
// TransactWriteItems, TransactGetItems, and PartiQL's ExecuteStatement, BatchExecuteStatement
// and ExecuteTransaction (services/dynamodb/partiql_exec.h). Other operations answer
// NotImplemented.
//
// Time to Live: every kTtlSweepMs a scheduler task deletes the expired items (TTL attribute a
// number of epoch seconds not after now) of tables with TTL enabled, one write job per item;
// the same task trims stream records past their 24-hour retention.
//
// Streams: every item change appends its stream record in the write job that stores it, and
// CreateTable/UpdateTable/DeleteTable open and close streams (services/dynamodb/streams.h).
//
// Thread-safety: call() runs on many threads; table metadata is cached behind a mutex and
// re-validated (by version) inside every write job. A lookup that read the database while an
// entry was forgotten (after a table change commits) does not cache what it read.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

#include "common/scheduler.h"
#include "services/dynamodb/table.h"
#include "services/service.h"

namespace nimbus {

class DynamoDbService : public Service {
 public:
  explicit DynamoDbService(ServiceEnv& env);
  ~DynamoDbService() override;
  static constexpr EpochMillis kTtlSweepMs = 1000;
  std::string_view name() const override { return "dynamodb"; }
  const ServiceModel& model() const override { return model_; }
  Result call(CallContext& context, const Value& input) override;
  ApiError auth_error(const AuthError& error) const override;
  void reset() override;

  // Table lookup through the cache; nullptr when absent.
  ddb::TablePtr find_table(const std::string& account, const std::string& region,
                           const std::string& name);
  void forget_table(const std::string& account, const std::string& region,
                    const std::string& name);

 private:
  ServiceEnv env_;
  const ServiceModel& model_;
  std::mutex cache_mutex_;
  std::unordered_map<std::string, ddb::TablePtr> cache_;
  uint64_t forgotten_ = 0;  // bumped by forget_table/reset: a lookup caches only if unchanged
  void schedule_ttl_sweep();
  std::mutex ttl_mutex_;
  bool stopping_ = false;
  Scheduler::TaskId ttl_task_ = 0;
};

}  // namespace nimbus
