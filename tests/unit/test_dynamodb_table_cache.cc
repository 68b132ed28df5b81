// Tests for DynamoDbService's table metadata cache (services/dynamodb/dynamodb_service.h): a
// table change made through one call is seen by the next call, even while other threads are
// filling the cache from reads that raced the change.
#include <doctest/doctest.h>

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "common/scheduler.h"
#include "services/dynamodb/dynamodb_service.h"
#include "storage/blob_store.h"
#include "storage/database.h"
#include "tests/unit/temp_dir.h"

using namespace nimbus;

namespace {

class NoTasks : public Scheduler {
 public:
  TaskId schedule_at(EpochMillis, std::function<void()>) override { return 1; }
  void cancel(TaskId) override {}
};

class NoWaits : public WaitHub {
 public:
  uint64_t generation(std::string_view) override { return 0; }
  void wait(std::string, uint64_t, EpochMillis, std::function<void(bool)>) override {}
  void notify(std::string_view) override {}
};

struct TableCacheFixture {
  testing::TempDir dir;
  ManualClock clock{1'700'000'000'000};
  NoTasks scheduler;
  NoWaits waits;
  ServiceSettings settings;
  std::unique_ptr<Database> db;
  std::unique_ptr<BlobStore> blobs;
  std::unique_ptr<ServiceEnv> env;
  std::unique_ptr<DynamoDbService> ddb;
  Account who;

  TableCacheFixture() {
    DatabaseOptions options;
    options.ephemeral = true;
    db = std::make_unique<Database>(options);
    blobs = std::make_unique<BlobStore>(dir.file("blobs"), false);
    env = std::make_unique<ServiceEnv>(ServiceEnv{*db, *blobs, clock, scheduler, waits, settings});
    ddb = std::make_unique<DynamoDbService>(*env);
    who.id = "000000000000";
  }

  // The error code of the call, or "" when it succeeds.
  std::string error(const std::string& operation, const Value& input) {
    const Operation* op = ddb->model().operation(operation);
    REQUIRE(op != nullptr);
    HttpRequest http;
    http.method = op->http_method;
    CallContext context{http, *op, who, "us-east-1", "request-id", ""};
    try {
      ddb->call(context, input);
    } catch (const ApiError& e) {
      return e.code;
    }
    return "";
  }
};

Value create_input(const std::string& table) {
  Value keys = Value::list();
  keys.push_back(Value::map().set("AttributeName", "pk").set("KeyType", "HASH"));
  Value defs = Value::list();
  defs.push_back(Value::map().set("AttributeName", "pk").set("AttributeType", "S"));
  return Value::map()
      .set("TableName", table)
      .set("KeySchema", keys)
      .set("AttributeDefinitions", defs)
      .set("BillingMode", "PAY_PER_REQUEST");
}

}  // namespace

TEST_CASE("dynamodb a deleted table is gone for the next call while other threads read it") {
  TableCacheFixture f;
  Value name = Value::map().set("TableName", "racy");
  Value get = Value::map().set("TableName", "racy").set(
      "Key", Value::map().set("pk", Value::map().set("S", "k")));
  std::atomic<bool> stop{false};
  std::thread reader([&] {
    while (!stop) f.error("DescribeTable", name);
  });
  int stale = 0;
  for (int i = 0; i < 200; ++i) {
    REQUIRE(f.error("CreateTable", create_input("racy")) == "");
    REQUIRE(f.error("DeleteTable", name) == "");
    if (f.error("DescribeTable", name) != "ResourceNotFoundException") ++stale;
    if (f.error("GetItem", get) != "ResourceNotFoundException") ++stale;
  }
  stop = true;
  reader.join();
  CHECK(stale == 0);
}
