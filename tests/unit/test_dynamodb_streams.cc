// DynamoDB Streams: the pure pieces (sequence numbers, shard ids, iterators, record building)
// and, on a manual clock, what takes time: iterator expiry after 15 minutes and the 24-hour
// retention trimmed by the service's scheduler task. Also the table cache both services read
// through: a table change is seen by the next call while other threads race to fill it.
#include <doctest/doctest.h>

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "common/scheduler.h"
#include "services/dynamodb/dynamodb_service.h"
#include "services/dynamodb/streams.h"
#include "services/dynamodb/streams_service.h"
#include "storage/blob_store.h"
#include "storage/database.h"
#include "tests/unit/temp_dir.h"

using namespace nimbus;
using namespace nimbus::ddb;
using namespace nimbus::ddb::streams;

namespace {

TablePtr table_with_range() {
  Value meta = Value::map();
  Value keys = Value::list();
  keys.push_back(Value::map().set("AttributeName", "pk").set("KeyType", "HASH"));
  keys.push_back(Value::map().set("AttributeName", "sk").set("KeyType", "RANGE"));
  Value defs = Value::list();
  defs.push_back(Value::map().set("AttributeName", "pk").set("AttributeType", "S"));
  defs.push_back(Value::map().set("AttributeName", "sk").set("AttributeType", "N"));
  meta.set("KeySchema", keys).set("AttributeDefinitions", defs);
  return make_table(1, 1, "000000000000", "us-east-1", "t", meta);
}

Item item(const std::string& pk, const std::string& sk, const std::string& v) {
  Item i;
  i["pk"] = Attr::str(pk);
  i["sk"] = Attr::num(sk);
  if (!v.empty()) i["v"] = Attr::str(v);
  return i;
}

}  // namespace

TEST_CASE("stream sequence numbers are 21-digit decimals ordered like their numbers") {
  CHECK(format_sequence(1) == "100000000000000000001");
  CHECK(format_sequence(1234567) == "100000000000001234567");
  CHECK(format_sequence(9) < format_sequence(10));
  CHECK(format_sequence(99999) < format_sequence(100000));
  for (int64_t n : {int64_t{0}, int64_t{1}, int64_t{42}, int64_t{9'000'000'000'000'000'000}})
    CHECK(parse_sequence(format_sequence(n)) == n);
  CHECK_FALSE(parse_sequence("10000000000000000001"));      // 20 digits
  CHECK_FALSE(parse_sequence("200000000000000000001"));     // not ours
  CHECK_FALSE(parse_sequence("10000000000000000000x"));
  CHECK_FALSE(parse_sequence("199999999999999999999"));     // beyond int64
  CHECK_FALSE(parse_sequence(""));
}

TEST_CASE("stream shard ids look like AWS's and depend on the stream") {
  std::string a = shard_id(1'414'562'045'508, "arn:a");
  CHECK(a.rfind("shardId-00000001414562045508-", 0) == 0);
  CHECK(a.size() == 37);
  CHECK(a != shard_id(1'414'562'045'508, "arn:b"));
  CHECK(a == shard_id(1'414'562'045'508, "arn:a"));
}

TEST_CASE("shard iterators round-trip and refuse damage") {
  std::string arn = stream_arn("us-east-1", "000000000000", "t", "2020-01-01T00:00:00.000");
  std::string it = encode_iterator(arn, IteratorState{7, 123, 1'700'000'000'000});
  CHECK(it.rfind(arn + "|1|", 0) == 0);
  std::string decoded_arn;
  std::optional<IteratorState> s = decode_iterator(it, &decoded_arn);
  REQUIRE(s);
  CHECK(s->stream_id == 7);
  CHECK(s->after == 123);
  CHECK(s->issued_ms == 1'700'000'000'000);
  CHECK(decoded_arn == arn);

  CHECK_FALSE(decode_iterator("garbage", nullptr));
  CHECK_FALSE(decode_iterator(arn + "|1|", nullptr));
  CHECK_FALSE(decode_iterator(arn + "|1|!!!", nullptr));
  // The same payload under another stream's ARN, or with a changed position, is refused.
  std::string payload = it.substr(arn.size());
  CHECK_FALSE(decode_iterator(arn + "x" + payload, nullptr));
  std::string other = encode_iterator(arn, IteratorState{7, 124, 1'700'000'000'000});
  CHECK(other != it);
  std::string tampered = it;
  tampered[tampered.size() - 6] = tampered[tampered.size() - 6] == 'A' ? 'B' : 'A';
  CHECK_FALSE(decode_iterator(tampered, nullptr));
}

TEST_CASE("make_record names the event and keeps the images of its view type") {
  TablePtr t = table_with_range();
  Item a = item("k", "1", "one"), b = item("k", "1", "two");
  auto insert = make_record(*t, "NEW_AND_OLD_IMAGES", std::nullopt, a, 5'999, Origin::User);
  REQUIRE(insert);
  CHECK(insert->event_name == "INSERT");
  CHECK(insert->keys.size() == 2);
  CHECK(insert->new_image);
  CHECK_FALSE(insert->old_image);
  auto modify = make_record(*t, "NEW_AND_OLD_IMAGES", a, b, 5'999, Origin::User);
  REQUIRE(modify);
  CHECK(modify->event_name == "MODIFY");
  CHECK(modify->old_image->at("v").s == "one");
  CHECK(modify->new_image->at("v").s == "two");
  CHECK(modify->size_bytes ==
        static_cast<int64_t>(item_size(modify->keys) + item_size(a) + item_size(b)));
  auto remove = make_record(*t, "NEW_AND_OLD_IMAGES", b, std::nullopt, 5'999, Origin::Ttl);
  REQUIRE(remove);
  CHECK(remove->event_name == "REMOVE");
  CHECK_FALSE(remove->new_image);

  auto keys_only = make_record(*t, "KEYS_ONLY", a, b, 0, Origin::User);
  CHECK_FALSE(keys_only->new_image);
  CHECK_FALSE(keys_only->old_image);
  CHECK(keys_only->size_bytes == static_cast<int64_t>(item_size(keys_only->keys)));
  CHECK(make_record(*t, "NEW_IMAGE", a, b, 0, Origin::User)->new_image);
  CHECK_FALSE(make_record(*t, "NEW_IMAGE", a, b, 0, Origin::User)->old_image);
  CHECK(make_record(*t, "OLD_IMAGE", a, b, 0, Origin::User)->old_image);
  CHECK_FALSE(make_record(*t, "OLD_IMAGE", a, b, 0, Origin::User)->new_image);

  // A change that changes nothing has no record (set order does not matter).
  CHECK_FALSE(make_record(*t, "KEYS_ONLY", a, a, 0, Origin::User));
  Item s1 = a, s2 = a;
  s1["s"].type = s2["s"].type = Type::SS;
  s1["s"].set = {"x", "y"};
  s2["s"].set = {"y", "x"};
  CHECK_FALSE(make_record(*t, "KEYS_ONLY", s1, s2, 0, Origin::User));

  Value v = record_value(*remove, "eu-west-1", "NEW_AND_OLD_IMAGES");
  CHECK(v.string_or("eventName", "") == "REMOVE");
  CHECK(v.string_or("eventSource", "") == "aws:dynamodb");
  CHECK(v.string_or("awsRegion", "") == "eu-west-1");
  CHECK(v.find("userIdentity")->string_or("Type", "") == "Service");
  CHECK(v.find("userIdentity")->string_or("PrincipalId", "") == "dynamodb.amazonaws.com");
  const Value& d = *v.find("dynamodb");
  CHECK(d.find("ApproximateCreationDateTime")->as_timestamp() == 5.0);  // rounded down
  CHECK(d.has("OldImage"));
  CHECK_FALSE(d.has("NewImage"));
  CHECK_FALSE(record_value(*insert, "eu-west-1", "NEW_AND_OLD_IMAGES").has("userIdentity"));
}

namespace {

// Keeps scheduled tasks so the test runs them when it wants.
class ManualScheduler : public Scheduler {
 public:
  TaskId schedule_at(EpochMillis, std::function<void()> task) override {
    tasks_[++last_] = std::move(task);
    return last_;
  }
  void cancel(TaskId id) override { tasks_.erase(id); }
  void run_all() {
    auto pending = std::move(tasks_);
    tasks_.clear();
    for (auto& [id, task] : pending) task();
  }

 private:
  std::map<TaskId, std::function<void()>> tasks_;
  TaskId last_ = 0;
};

class NoWaits : public WaitHub {
 public:
  uint64_t generation(std::string_view) override { return 0; }
  void wait(std::string, uint64_t, EpochMillis, std::function<void(bool)>) override {}
  void notify(std::string_view) override {}
};

struct StreamsFixture {
  testing::TempDir dir;
  ManualClock clock{1'700'000'000'000};
  ManualScheduler scheduler;
  NoWaits waits;
  ServiceSettings settings;
  std::unique_ptr<Database> db;
  std::unique_ptr<BlobStore> blobs;
  std::unique_ptr<ServiceEnv> env;
  std::unique_ptr<DynamoDbService> ddb;
  std::unique_ptr<DynamoDbStreamsService> streams;
  Account who;

  StreamsFixture() {
    DatabaseOptions options;
    options.ephemeral = true;
    options.path = dir.file("nimbus.db");
    db = std::make_unique<Database>(options);
    blobs = std::make_unique<BlobStore>(dir.file("blobs"), false);
    env = std::make_unique<ServiceEnv>(ServiceEnv{*db, *blobs, clock, scheduler, waits, settings});
    ddb = std::make_unique<DynamoDbService>(*env);
    streams = std::make_unique<DynamoDbStreamsService>(*env, *ddb);
    who.id = "000000000000";
    who.access_key = "AKIAIOSFODNN7EXAMPLE";
  }

  Value call(Service& service, const std::string& operation, const Value& input) {
    const Operation* op = service.model().operation(operation);
    REQUIRE(op != nullptr);
    HttpRequest http;
    http.method = op->http_method;
    CallContext context{http, *op, who, "us-east-1", "request-id", ""};
    return complete(service.call(context, input)).output;
  }
  std::string error(Service& service, const std::string& operation, const Value& input) {
    try {
      call(service, operation, input);
    } catch (const ApiError& e) {
      return e.code;
    }
    return "no error";
  }

  std::string create_table(const std::string& view = "KEYS_ONLY") {
    Value keys = Value::list();
    keys.push_back(Value::map().set("AttributeName", "pk").set("KeyType", "HASH"));
    Value defs = Value::list();
    defs.push_back(Value::map().set("AttributeName", "pk").set("AttributeType", "S"));
    Value in = Value::map()
                   .set("TableName", "events")
                   .set("KeySchema", keys)
                   .set("AttributeDefinitions", defs)
                   .set("BillingMode", "PAY_PER_REQUEST")
                   .set("StreamSpecification", Value::map()
                                                   .set("StreamEnabled", true)
                                                   .set("StreamViewType", view));
    Value out = call(*ddb, "CreateTable", in);
    return out.find("TableDescription")->string_or("LatestStreamArn", "");
  }
  void put(const std::string& pk, const std::string& payload = "") {
    Value item = Value::map().set("pk", Value::map().set("S", pk));
    if (!payload.empty()) item.set("data", Value::map().set("S", payload));
    call(*ddb, "PutItem", Value::map().set("TableName", "events").set("Item", item));
  }
  std::string shard(const std::string& arn) {
    Value d = call(*streams, "DescribeStream", Value::map().set("StreamArn", arn));
    return d.find("StreamDescription")->find("Shards")->as_list().at(0).string_or("ShardId", "");
  }
  Value iterator_input(const std::string& arn, const std::string& type,
                       const std::string& seq = "") {
    Value in = Value::map()
                   .set("StreamArn", arn)
                   .set("ShardId", shard(arn))
                   .set("ShardIteratorType", type);
    if (!seq.empty()) in.set("SequenceNumber", seq);
    return in;
  }
  std::string iterator(const std::string& arn, const std::string& type,
                       const std::string& seq = "") {
    return call(*streams, "GetShardIterator", iterator_input(arn, type, seq))
        .string_or("ShardIterator", "");
  }
  Value records(const std::string& it) {
    return call(*streams, "GetRecords", Value::map().set("ShardIterator", it));
  }
};

constexpr EpochMillis kMinute = 60 * 1000;

}  // namespace

TEST_CASE("a shard iterator expires 15 minutes after it was issued") {
  StreamsFixture f;
  std::string arn = f.create_table();
  f.put("a");
  std::string it = f.iterator(arn, "TRIM_HORIZON");
  f.clock.advance(15 * kMinute);
  Value page = f.records(it);  // exactly 15 minutes: still valid
  CHECK(page.find("Records")->size() == 1);
  f.clock.advance(1);
  CHECK(f.error(*f.streams, "GetRecords", Value::map().set("ShardIterator", it)) ==
        "ExpiredIteratorException");
  // The page's NextShardIterator was issued later and still works.
  CHECK(f.records(page.string_or("NextShardIterator", "")).find("Records")->size() == 0);
}

TEST_CASE("records are trimmed after 24 hours by the scheduler task") {
  StreamsFixture f;
  std::string arn = f.create_table();
  f.put("old");
  std::string old_seq;
  {
    Value page = f.records(f.iterator(arn, "TRIM_HORIZON"));
    old_seq = page.find("Records")->as_list().at(0).find("dynamodb")->string_or(
        "SequenceNumber", "");
  }
  f.clock.advance(23 * 60 * kMinute);
  f.put("young");
  std::string horizon = f.iterator(arn, "TRIM_HORIZON");
  f.scheduler.run_all();  // nothing is due yet
  CHECK(f.records(horizon).find("Records")->size() == 2);

  f.clock.advance(61 * kMinute);  // "old" is now past 24 hours, "young" is not
  horizon = f.iterator(arn, "TRIM_HORIZON");
  f.scheduler.run_all();
  // The iterator pointed before the trim point.
  CHECK(f.error(*f.streams, "GetRecords", Value::map().set("ShardIterator", horizon)) ==
        "TrimmedDataAccessException");
  CHECK(f.error(*f.streams, "GetShardIterator",
                f.iterator_input(arn, "AT_SEQUENCE_NUMBER", old_seq)) ==
        "TrimmedDataAccessException");
  Value page = f.records(f.iterator(arn, "TRIM_HORIZON"));
  REQUIRE(page.find("Records")->size() == 1);
  CHECK(page.find("Records")->as_list()[0].find("dynamodb")->find("Keys")->find("pk")->string_or(
            "S", "") == "young");
  // The task keeps running: it rescheduled itself.
  f.clock.advance(24 * 60 * kMinute);
  f.scheduler.run_all();
  CHECK(f.records(f.iterator(arn, "TRIM_HORIZON")).find("Records")->size() == 0);
}

TEST_CASE("a disabled stream is readable for 24 hours, then gone") {
  StreamsFixture f;
  std::string arn = f.create_table();
  f.put("a");
  f.call(*f.ddb, "UpdateTable",
         Value::map().set("TableName", "events").set(
             "StreamSpecification", Value::map().set("StreamEnabled", false)));
  f.clock.advance(23 * 60 * kMinute);
  f.scheduler.run_all();
  CHECK(f.records(f.iterator(arn, "TRIM_HORIZON")).find("Records")->size() == 1);
  f.clock.advance(61 * kMinute);
  f.scheduler.run_all();
  CHECK(f.error(*f.streams, "DescribeStream", Value::map().set("StreamArn", arn)) ==
        "ResourceNotFoundException");
  CHECK(f.call(*f.streams, "ListStreams", Value::map()).find("Streams")->size() == 0);
}

TEST_CASE("the streams schema adopts streams enabled before it existed") {
  testing::TempDir dir;
  DatabaseOptions options;
  options.ephemeral = true;
  options.path = dir.file("nimbus.db");
  Database db(options);
  ddb::migrate(db);
  db.write([](Connection& c) {
    c.prepare("INSERT INTO ddb_tables(account, region, name, meta) VALUES (?, ?, ?, ?)")
        .bind_all("000000000000", "us-east-1", "old",
                  R"({"KeySchema":[{"AttributeName":"pk","KeyType":"HASH"}],)"
                  R"("Created":1700000000.5,)"
                  R"("StreamSpecification":{"StreamEnabled":true,"StreamViewType":"OLD_IMAGE"},)"
                  R"("StreamLabel":"2023-11-14T22:13:20.500"})")
        .run();
    c.prepare("INSERT INTO ddb_tables(account, region, name, meta) VALUES (?, ?, ?, ?)")
        .bind_all("000000000000", "us-east-1", "plain", R"({"KeySchema":[]})")
        .run();
  });
  streams::migrate(db);
  db.read([](Connection& c) {
    std::optional<StreamInfo> s =
        find_stream(c, "000000000000", "us-east-1", "old", "2023-11-14T22:13:20.500");
    REQUIRE(s);
    CHECK(s->view_type == "OLD_IMAGE");
    CHECK(s->created_ms == 1'700'000'000'500);
    CHECK_FALSE(s->disabled_ms);
    CHECK(s->key_schema.size() == 1);
    CHECK(list_streams(c, "000000000000", "us-east-1", std::nullopt, "", 10).size() == 1);
  });
}

TEST_CASE("streams work again after every table was emptied (/_nimbus/reset)") {
  StreamsFixture f;
  f.create_table();
  f.put("before");
  f.db->wipe();
  f.ddb->reset();
  std::string arn = f.create_table();
  f.put("a");
  f.put("b");
  Value page = f.records(f.iterator(arn, "TRIM_HORIZON"));
  REQUIRE(page.find("Records")->size() == 2);
  const ValueList& r = page.find("Records")->as_list();
  CHECK(r[0].find("dynamodb")->string_or("SequenceNumber", "") <
        r[1].find("dynamodb")->string_or("SequenceNumber", ""));
}

TEST_CASE("a GetRecords page holds at most 1 MB of records") {
  StreamsFixture f;
  std::string arn = f.create_table("NEW_IMAGE");
  for (const char* pk : {"a", "b", "c", "d"}) f.put(pk, std::string(300 * 1024, 'x'));
  Value page = f.records(f.iterator(arn, "TRIM_HORIZON"));
  REQUIRE(page.find("Records")->size() == 3);  // a fourth would pass 1 MB
  int64_t bytes = 0;
  for (const Value& r : page.find("Records")->as_list())
    bytes += r.find("dynamodb")->find("SizeBytes")->as_int();
  CHECK(bytes <= 1024 * 1024);
  page = f.records(page.string_or("NextShardIterator", ""));
  REQUIRE(page.find("Records")->size() == 1);
  CHECK(page.find("Records")->as_list()[0].find("dynamodb")->find("Keys")->find("pk")->string_or(
            "S", "") == "d");
}

TEST_CASE("dynamodb a deleted table is gone for the next call while other threads read it") {
  StreamsFixture f;
  Value name = Value::map().set("TableName", "events");
  Value get = Value::map().set("TableName", "events").set(
      "Key", Value::map().set("pk", Value::map().set("S", "k")));
  std::atomic<bool> stop{false};
  std::thread reader([&] {  // misses right after each create, racing the delete that follows
    while (!stop) f.error(*f.ddb, "DescribeTable", name);
  });
  int stale = 0;
  for (int i = 0; i < 1500; ++i) {
    f.create_table();
    f.call(*f.ddb, "DeleteTable", name);
    if (f.error(*f.ddb, "DescribeTable", name) != "ResourceNotFoundException") ++stale;
    if (f.error(*f.ddb, "GetItem", get) != "ResourceNotFoundException") ++stale;
  }
  stop = true;
  reader.join();
  CHECK(stale == 0);
}
