// Tests for SqsService (services/sqs/): operations called through Service::call with
// model-shaped Values, against an ephemeral (or file) Database, a ManualClock, and a Scheduler /
// WaitHub that record what the service asks of them. Each case names the SQS behaviour it
// proves (SQS API reference and Developer Guide: visibility timeout, long polling, dead-letter
// queues, FIFO delivery logic).
#include <doctest/doctest.h>

#include "tests/unit/temp_dir.h"
#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "common/scheduler.h"
#include "services/sqs/message_md5.h"
#include "services/sqs/sqs_service.h"
#include "storage/blob_store.h"
#include "storage/database.h"

using namespace nimbus;

namespace {

using nimbus::testing::TempDir;

class RecordingScheduler : public Scheduler {
 public:
  TaskId schedule_at(EpochMillis when, std::function<void()> task) override {
    std::lock_guard<std::mutex> lock(mutex);
    tasks.emplace_back(when, std::move(task));
    return tasks.size();
  }
  void cancel(TaskId) override {}
  // Runs the tasks due at or before `now`.
  void run_due(EpochMillis now) {
    std::vector<std::function<void()>> due;
    {
      std::lock_guard<std::mutex> lock(mutex);
      for (auto it = tasks.begin(); it != tasks.end();) {
        if (it->first <= now) {
          due.push_back(std::move(it->second));
          it = tasks.erase(it);
        } else {
          ++it;
        }
      }
    }
    for (auto& t : due) t();
  }
  std::mutex mutex;
  std::vector<std::pair<EpochMillis, std::function<void()>>> tasks;
};

class RecordingWaits : public WaitHub {
 public:
  uint64_t generation(std::string_view key) override {
    std::lock_guard<std::mutex> lock(mutex);
    return generations[std::string(key)];
  }
  void wait(std::string, uint64_t, EpochMillis, std::function<void(bool)>) override {}
  void notify(std::string_view key) override {
    std::lock_guard<std::mutex> lock(mutex);
    ++generations[std::string(key)];
  }
  std::mutex mutex;
  std::map<std::string, uint64_t> generations;
};

Account account(const std::string& id) {
  Account a;
  a.id = id;
  a.display_name = "owner-" + id;
  a.access_key = "AKIA" + id;
  return a;
}
const Account kAlice = account("000000000000");
const Account kBob = account("111111111111");

Value map_of(std::initializer_list<std::pair<const char*, Value>> members) {
  Value v = Value::map();
  for (const auto& [k, val] : members) v.set(k, val);
  return v;
}
Value list_of(std::initializer_list<Value> items) {
  Value v = Value::list();
  for (const auto& i : items) v.push_back(i);
  return v;
}

struct SqsFixture {
  TempDir dir;
  std::unique_ptr<Database> db;
  std::unique_ptr<BlobStore> blobs;
  ManualClock clock{1'700'000'000'000};
  RecordingScheduler scheduler;
  RecordingWaits waits;
  ServiceSettings settings;
  std::unique_ptr<ServiceEnv> env;
  std::unique_ptr<SqsService> service;
  std::atomic<int> request_counter{0};

  explicit SqsFixture(bool file_db = false) { open(file_db); }

  void open(bool file_db) {
    service.reset();
    env.reset();
    blobs.reset();
    db.reset();
    DatabaseOptions options;
    options.ephemeral = !file_db;
    options.path = dir.path + "/nimbus.db";
    db = std::make_unique<Database>(options);
    blobs = std::make_unique<BlobStore>(dir.path + "/blobs", false);
    env = std::make_unique<ServiceEnv>(ServiceEnv{*db, *blobs, clock, scheduler, waits, settings});
    service = std::make_unique<SqsService>(*env);
  }

  Result call(const std::string& operation, Value input, const Account& who = kAlice,
              bool final_attempt = true, std::string request_id = "") {
    const Operation* op = service->model().operation(operation);
    REQUIRE(op != nullptr);
    HttpRequest http;
    http.method = "POST";
    http.headers.push_back({"Host", "localhost:4566"});
    if (request_id.empty()) request_id = "req-" + std::to_string(++request_counter);
    CallContext context{http, *op, who, "us-east-1", request_id, ""};
    context.final_attempt = final_attempt;
    return complete(service->call(context, input));
  }

  std::string error_of(const std::string& operation, Value input, const Account& who = kAlice) {
    try {
      call(operation, std::move(input), who);
    } catch (const ApiError& e) {
      return e.query_code.empty() ? e.code : e.code + "|" + e.query_code;
    }
    return "";
  }

  std::string create(const std::string& name, Value attributes = Value()) {
    Value in = map_of({{"QueueName", name}});
    if (!attributes.is_null()) in.set("Attributes", attributes);
    return call("CreateQueue", in).output.string_or("QueueUrl", "");
  }
  Value send(const std::string& url, const std::string& body, Value extra = Value::map()) {
    extra.set("QueueUrl", url);
    extra.set("MessageBody", body);
    return call("SendMessage", extra).output;
  }
  ValueList receive(const std::string& url, int max = 10, Value extra = Value::map()) {
    extra.set("QueueUrl", url);
    extra.set("MaxNumberOfMessages", max);
    Value out = call("ReceiveMessage", extra).output;
    const Value* m = out.find("Messages");
    return m ? m->as_list() : ValueList{};
  }
  std::string attribute(const std::string& url, const std::string& name) {
    Value out = call("GetQueueAttributes",
                     map_of({{"QueueUrl", url}, {"AttributeNames", list_of({name})}}))
                    .output;
    const Value* attrs = out.find("Attributes");
    return attrs ? attrs->string_or(name, "") : "";
  }
};

}  // namespace

TEST_CASE("sqs md5 of message attributes matches AWS's algorithm") {
  // Reference values computed by moto's independent implementation of AWS's algorithm.
  Value one = map_of({{"a", map_of({{"DataType", "String"}, {"StringValue", "x"}})}});
  CHECK(sqs::md5_of_attributes(one) == "a512aac9938034acb0b3c3d965944bf1");
  Value three = map_of({{"n", map_of({{"DataType", "Number.int"}, {"StringValue", "42"}})},
                        {"b", map_of({{"DataType", "Binary"}, {"BinaryValue", std::string("\x00\x01", 2)}})},
                        {"a", map_of({{"DataType", "String"}, {"StringValue", "x"}})}});
  CHECK(sqs::md5_of_attributes(three) == "cd0157953ba41a36b89795cbed85dd53");
  CHECK(sqs::md5_of_attributes(Value::map()) == "");
  CHECK(sqs::md5_of_body("hello") == "5d41402abc4b2a76b9719d911017c592");
}

TEST_CASE("sqs create queue is idempotent and refuses different attributes") {
  SqsFixture f;
  std::string url = f.create("orders", map_of({{"VisibilityTimeout", "60"}}));
  CHECK(url == "http://localhost:4566/000000000000/orders");
  CHECK(f.create("orders", map_of({{"VisibilityTimeout", "60"}})) == url);
  CHECK(f.create("orders") == url);
  CHECK(f.error_of("CreateQueue", map_of({{"QueueName", "orders"},
                                          {"Attributes", map_of({{"VisibilityTimeout", "61"}})}})) ==
        "QueueNameExists|QueueAlreadyExists");
  CHECK(f.attribute(url, "VisibilityTimeout") == "60");
  CHECK(f.error_of("CreateQueue", map_of({{"QueueName", "bad name"}})) ==
        "InvalidParameterValue|InvalidParameterValue");
  CHECK(f.error_of("CreateQueue", map_of({{"QueueName", std::string(81, 'a')}})) != "");
  CHECK(f.error_of("CreateQueue", map_of({{"QueueName", "x.fifo"}})) != "");
  CHECK(f.error_of("CreateQueue", map_of({{"QueueName", "q"},
                                          {"Attributes", map_of({{"Bogus", "1"}})}})) ==
        "InvalidAttributeName|InvalidAttributeName");
  CHECK(f.error_of("CreateQueue", map_of({{"QueueName", "q"},
                                          {"Attributes", map_of({{"DelaySeconds", "901"}})}})) ==
        "InvalidAttributeValue|InvalidAttributeValue");
}

TEST_CASE("sqs queue urls are accepted in every client form and are per account") {
  SqsFixture f;
  f.create("jobs");
  f.send("http://localhost:4566/000000000000/jobs", "1");
  f.send("https://sqs.us-east-1.amazonaws.com/000000000000/jobs", "2");
  f.send("/000000000000/jobs", "3");
  f.send("http://other-host:9999/000000000000/jobs", "4");
  CHECK(f.attribute("/000000000000/jobs", "ApproximateNumberOfMessages") == "4");
  // Bob has no queue named jobs, and Alice's is not his to use.
  CHECK(f.error_of("GetQueueUrl", map_of({{"QueueName", "jobs"}}), kBob) ==
        "QueueDoesNotExist|AWS.SimpleQueueService.NonExistentQueue");
  CHECK(f.error_of("SendMessage", map_of({{"QueueUrl", "/000000000000/jobs"},
                                          {"MessageBody", "x"}}),
                   kBob) == "QueueDoesNotExist|AWS.SimpleQueueService.NonExistentQueue");
}

TEST_CASE("sqs add permission lets another account send") {
  SqsFixture f;
  std::string url = f.create("shared");
  f.call("AddPermission", map_of({{"QueueUrl", url}, {"Label", "bob-send"},
                                  {"AWSAccountIds", list_of({"111111111111"})},
                                  {"Actions", list_of({"SendMessage"})}}));
  f.call("SendMessage", map_of({{"QueueUrl", url}, {"MessageBody", "from bob"}}), kBob);
  CHECK(f.error_of("ReceiveMessage", map_of({{"QueueUrl", url}}), kBob) != "");
  CHECK(f.error_of("AddPermission", map_of({{"QueueUrl", url}, {"Label", "bob-send"},
                                            {"AWSAccountIds", list_of({"111111111111"})},
                                            {"Actions", list_of({"SendMessage"})}})) ==
        "InvalidParameterValue|InvalidParameterValue");
  f.call("RemovePermission", map_of({{"QueueUrl", url}, {"Label", "bob-send"}}));
  CHECK(f.error_of("SendMessage", map_of({{"QueueUrl", url}, {"MessageBody", "x"}}), kBob) != "");
  CHECK(f.attribute(url, "ApproximateNumberOfMessages") == "1");
}

TEST_CASE("sqs list queues filters by prefix and pages") {
  SqsFixture f;
  for (const char* n : {"a1", "a2", "a3", "b1"}) f.create(n);
  Value out = f.call("ListQueues", map_of({{"QueueNamePrefix", "a"}, {"MaxResults", 2}})).output;
  CHECK(out.find("QueueUrls")->size() == 2);
  std::string token = out.string_or("NextToken", "");
  REQUIRE(!token.empty());
  Value next = f.call("ListQueues", map_of({{"QueueNamePrefix", "a"}, {"MaxResults", 2},
                                            {"NextToken", token}}))
                   .output;
  CHECK(next.find("QueueUrls")->size() == 1);
  CHECK(!next.has("NextToken"));
  CHECK(f.call("ListQueues", Value::map()).output.find("QueueUrls")->size() == 4);
}

TEST_CASE("sqs a received message stays invisible for its timeout, then returns counted") {
  SqsFixture f;
  std::string url = f.create("vis", map_of({{"VisibilityTimeout", "30"}}));
  f.send(url, "hello");
  ValueList first = f.receive(url, 10, map_of({{"AttributeNames", list_of({"All"})}}));
  REQUIRE(first.size() == 1);
  CHECK(first[0].find("Attributes")->string_or("ApproximateReceiveCount", "") == "1");
  CHECK(f.receive(url).empty());
  CHECK(f.attribute(url, "ApproximateNumberOfMessagesNotVisible") == "1");
  f.clock.advance(29'999);
  CHECK(f.receive(url).empty());
  f.clock.advance(1);
  ValueList second = f.receive(url, 10, map_of({{"AttributeNames", list_of({"All"})}}));
  REQUIRE(second.size() == 1);
  CHECK(second[0].find("Attributes")->string_or("ApproximateReceiveCount", "") == "2");
  CHECK(second[0].find("Attributes")->string_or("ApproximateFirstReceiveTimestamp", "") ==
        std::to_string(1'700'000'000'000));
  // The first handle is stale now: changing visibility with it fails as on AWS.
  CHECK(f.error_of("ChangeMessageVisibility",
                   map_of({{"QueueUrl", url},
                           {"ReceiptHandle", first[0].string_or("ReceiptHandle", "")},
                           {"VisibilityTimeout", 10}})) ==
        "InvalidParameterValue|InvalidParameterValue");
  // Deleting with the stale handle succeeds but keeps the message (SQS DeleteMessage docs).
  f.call("DeleteMessage", map_of({{"QueueUrl", url},
                                  {"ReceiptHandle", first[0].string_or("ReceiptHandle", "")}}));
  CHECK(f.attribute(url, "ApproximateNumberOfMessagesNotVisible") == "1");
  f.call("DeleteMessage", map_of({{"QueueUrl", url},
                                  {"ReceiptHandle", second[0].string_or("ReceiptHandle", "")}}));
  CHECK(f.attribute(url, "ApproximateNumberOfMessagesNotVisible") == "0");
  f.clock.advance(60'000);
  CHECK(f.receive(url).empty());
}

TEST_CASE("sqs change message visibility releases at once and schedules wake-ups") {
  SqsFixture f;
  std::string url = f.create("cmv");
  f.send(url, "m");
  ValueList got = f.receive(url);
  REQUIRE(got.size() == 1);
  std::string handle = got[0].string_or("ReceiptHandle", "");
  // The receive scheduled a wake-up at visibility expiry (30 s).
  bool scheduled = false;
  for (auto& t : f.scheduler.tasks) scheduled |= t.first >= f.clock.now_ms() + 30'000;
  CHECK(scheduled);
  uint64_t before = f.waits.generation("sqs/000000000000/us-east-1/cmv");
  f.call("ChangeMessageVisibility",
         map_of({{"QueueUrl", url}, {"ReceiptHandle", handle}, {"VisibilityTimeout", 0}}));
  CHECK(f.waits.generation("sqs/000000000000/us-east-1/cmv") == before + 1);
  CHECK(f.receive(url).size() == 1);
  CHECK(f.error_of("ChangeMessageVisibility",
                   map_of({{"QueueUrl", url}, {"ReceiptHandle", "garbage!"},
                           {"VisibilityTimeout", 0}})) ==
        "ReceiptHandleIsInvalid|ReceiptHandleIsInvalid");
  CHECK(f.error_of("ChangeMessageVisibility",
                   map_of({{"QueueUrl", url}, {"ReceiptHandle", handle},
                           {"VisibilityTimeout", 43201}})) != "");
}

TEST_CASE("sqs visibility expiry of an unreceived message gives MessageNotInflight") {
  SqsFixture f;
  std::string url = f.create("inflight", map_of({{"VisibilityTimeout", "5"}}));
  f.send(url, "m");
  std::string handle = f.receive(url)[0].string_or("ReceiptHandle", "");
  f.clock.advance(6'000);
  CHECK(f.error_of("ChangeMessageVisibility",
                   map_of({{"QueueUrl", url}, {"ReceiptHandle", handle},
                           {"VisibilityTimeout", 10}})) ==
        "MessageNotInflight|AWS.SimpleQueueService.MessageNotInflight");
}

TEST_CASE("sqs receipt handles from another queue are invalid") {
  SqsFixture f;
  std::string a = f.create("qa"), b = f.create("qb");
  f.send(a, "m");
  std::string handle = f.receive(a)[0].string_or("ReceiptHandle", "");
  CHECK(f.error_of("DeleteMessage", map_of({{"QueueUrl", b}, {"ReceiptHandle", handle}})) ==
        "ReceiptHandleIsInvalid|ReceiptHandleIsInvalid");
}

TEST_CASE("sqs long polling defers until a send notifies, with a fixed deadline") {
  SqsFixture f;
  std::string url = f.create("poll");
  Value in = map_of({{"QueueUrl", url}, {"WaitTimeSeconds", 5}});
  Result r = f.call("ReceiveMessage", in, kAlice, false, "poll-1");
  REQUIRE(r.defer.has_value());
  CHECK(r.defer->wait_key == "sqs/000000000000/us-east-1/poll");
  CHECK(r.defer->deadline_ms == f.clock.now_ms() + 5'000);
  CHECK(r.defer->generation == f.waits.generation(r.defer->wait_key));
  f.clock.advance(1'000);
  // Woken without a message: defers again, same deadline.
  Result again = f.call("ReceiveMessage", in, kAlice, false, "poll-1");
  REQUIRE(again.defer.has_value());
  CHECK(again.defer->deadline_ms == r.defer->deadline_ms);
  f.send(url, "arrived");
  CHECK(f.waits.generation(r.defer->wait_key) == r.defer->generation + 1);
  Result got = f.call("ReceiveMessage", in, kAlice, false, "poll-1");
  CHECK(!got.defer);
  CHECK(got.output.find("Messages")->size() == 1);
  // The queue's ReceiveMessageWaitTimeSeconds applies when the request names none.
  f.call("SetQueueAttributes", map_of({{"QueueUrl", url},
                                       {"Attributes", map_of({{"ReceiveMessageWaitTimeSeconds", "3"}})}}));
  Result queue_wait = f.call("ReceiveMessage", map_of({{"QueueUrl", url}}), kAlice, false);
  CHECK(queue_wait.defer.has_value());
  // The final attempt returns empty.
  Result last = f.call("ReceiveMessage", in, kAlice, true);
  CHECK(!last.defer);
  CHECK(!last.output.has("Messages"));
  CHECK(f.error_of("ReceiveMessage", map_of({{"QueueUrl", url}, {"WaitTimeSeconds", 21}})) != "");
}

TEST_CASE("sqs delays hide messages and announce them when due") {
  SqsFixture f;
  std::string url = f.create("delay", map_of({{"DelaySeconds", "10"}}));
  f.send(url, "queue-delay");
  f.send(url, "own-delay", map_of({{"DelaySeconds", 2}}));
  CHECK(f.attribute(url, "ApproximateNumberOfMessagesDelayed") == "2");
  CHECK(f.receive(url).empty());
  uint64_t g = f.waits.generation("sqs/000000000000/us-east-1/delay");
  f.clock.advance(2'000);
  f.scheduler.run_due(f.clock.now_ms());
  CHECK(f.waits.generation("sqs/000000000000/us-east-1/delay") > g);
  ValueList got = f.receive(url);
  REQUIRE(got.size() == 1);
  CHECK(got[0].string_or("Body", "") == "own-delay");
  f.clock.advance(8'000);
  CHECK(f.receive(url).size() == 1);
  CHECK(f.error_of("SendMessage", map_of({{"QueueUrl", url}, {"MessageBody", "x"},
                                          {"DelaySeconds", 901}})) != "");
}

TEST_CASE("sqs messages older than the retention period disappear") {
  SqsFixture f;
  std::string url = f.create("retain", map_of({{"MessageRetentionPeriod", "60"}}));
  f.send(url, "old");
  f.clock.advance(61'000);
  f.send(url, "new");
  CHECK(f.attribute(url, "ApproximateNumberOfMessages") == "1");
  ValueList got = f.receive(url);
  REQUIRE(got.size() == 1);
  CHECK(got[0].string_or("Body", "") == "new");
}

TEST_CASE("sqs bad message input is refused and stores nothing") {
  SqsFixture f;
  std::string url = f.create("bad", map_of({{"MaximumMessageSize", "1024"}}));
  CHECK(f.error_of("SendMessage", map_of({{"QueueUrl", url}, {"MessageBody", std::string(1025, 'x')}})) ==
        "InvalidParameterValue|InvalidParameterValue");
  CHECK(f.error_of("SendMessage", map_of({{"QueueUrl", url}, {"MessageBody", std::string("a\x01b")}})) ==
        "InvalidMessageContents|InvalidMessageContents");
  CHECK(f.error_of("SendMessage", map_of({{"QueueUrl", url}, {"MessageBody", std::string("\xff")}})) ==
        "InvalidMessageContents|InvalidMessageContents");
  CHECK(f.error_of("SendMessage",
                   map_of({{"QueueUrl", url}, {"MessageBody", "x"},
                           {"MessageAttributes",
                            map_of({{"AWS.x", map_of({{"DataType", "String"}, {"StringValue", "v"}})}})}})) != "");
  CHECK(f.error_of("SendMessage",
                   map_of({{"QueueUrl", url}, {"MessageBody", "x"},
                           {"MessageAttributes",
                            map_of({{"n", map_of({{"DataType", "Number"}, {"StringValue", "abc"}})}})}})) != "");
  CHECK(f.error_of("SendMessage",
                   map_of({{"QueueUrl", url}, {"MessageBody", "x"},
                           {"MessageAttributes",
                            map_of({{"n", map_of({{"DataType", "Blob"}, {"StringValue", "abc"}})}})}})) != "");
  CHECK(f.error_of("ReceiveMessage", map_of({{"QueueUrl", url}, {"MaxNumberOfMessages", 11}})) ==
        "InvalidParameterValue|InvalidParameterValue");
  CHECK(f.error_of("ReceiveMessage", map_of({{"QueueUrl", url}, {"MaxNumberOfMessages", 0}})) != "");
  CHECK(f.attribute(url, "ApproximateNumberOfMessages") == "0");
}

TEST_CASE("sqs batch requests validate their entries") {
  SqsFixture f;
  std::string url = f.create("batch");
  auto entry = [](const std::string& id, const std::string& body) {
    return map_of({{"Id", id}, {"MessageBody", body}});
  };
  CHECK(f.error_of("SendMessageBatch", map_of({{"QueueUrl", url}, {"Entries", Value::list()}})) ==
        "EmptyBatchRequest|AWS.SimpleQueueService.EmptyBatchRequest");
  Value eleven = Value::list();
  for (int i = 0; i < 11; ++i) eleven.push_back(entry("e" + std::to_string(i), "b"));
  CHECK(f.error_of("SendMessageBatch", map_of({{"QueueUrl", url}, {"Entries", eleven}})) ==
        "TooManyEntriesInBatchRequest|AWS.SimpleQueueService.TooManyEntriesInBatchRequest");
  CHECK(f.error_of("SendMessageBatch",
                   map_of({{"QueueUrl", url}, {"Entries", list_of({entry("a", "1"), entry("a", "2")})}})) ==
        "BatchEntryIdsNotDistinct|AWS.SimpleQueueService.BatchEntryIdsNotDistinct");
  CHECK(f.error_of("SendMessageBatch",
                   map_of({{"QueueUrl", url}, {"Entries", list_of({entry("bad id", "1")})}})) ==
        "InvalidBatchEntryId|AWS.SimpleQueueService.InvalidBatchEntryId");
  CHECK(f.attribute(url, "ApproximateNumberOfMessages") == "0");
  Value out = f.call("SendMessageBatch",
                     map_of({{"QueueUrl", url},
                             {"Entries", list_of({entry("ok", "fine"), entry("bad", std::string("\x01"))})}}))
                  .output;
  CHECK(out.find("Successful")->size() == 1);
  REQUIRE(out.find("Failed")->size() == 1);
  CHECK(out.find("Failed")->as_list()[0].string_or("Code", "") == "InvalidMessageContents");
  ValueList got = f.receive(url);
  REQUIRE(got.size() == 1);
  Value del = f.call("DeleteMessageBatch",
                     map_of({{"QueueUrl", url},
                             {"Entries", list_of({map_of({{"Id", "x"}, {"ReceiptHandle", got[0].string_or("ReceiptHandle", "")}}),
                                                  map_of({{"Id", "y"}, {"ReceiptHandle", "junk"}})})}}))
                  .output;
  CHECK(del.find("Successful")->size() == 1);
  CHECK(del.find("Failed")->as_list()[0].string_or("Code", "") == "ReceiptHandleIsInvalid");
  CHECK(f.attribute(url, "ApproximateNumberOfMessagesNotVisible") == "0");
}

TEST_CASE("sqs message attributes are filtered by name and prefix on receive") {
  SqsFixture f;
  std::string url = f.create("attrs");
  Value attrs = map_of({{"app.kind", map_of({{"DataType", "String"}, {"StringValue", "k"}})},
                        {"app.n", map_of({{"DataType", "Number"}, {"StringValue", "7"}})},
                        {"other", map_of({{"DataType", "Binary"}, {"BinaryValue", "bin"}})}});
  Value sent = f.send(url, "b", map_of({{"MessageAttributes", attrs}}));
  CHECK(sent.string_or("MD5OfMessageAttributes", "") == sqs::md5_of_attributes(attrs));
  ValueList got = f.receive(url, 1, map_of({{"MessageAttributeNames", list_of({"app.*"})}}));
  REQUIRE(got.size() == 1);
  const Value* ma = got[0].find("MessageAttributes");
  REQUIRE(ma != nullptr);
  CHECK(ma->size() == 2);
  CHECK(got[0].string_or("MD5OfMessageAttributes", "") == sqs::md5_of_attributes(*ma));
  f.call("ChangeMessageVisibility", map_of({{"QueueUrl", url},
                                            {"ReceiptHandle", got[0].string_or("ReceiptHandle", "")},
                                            {"VisibilityTimeout", 0}}));
  got = f.receive(url, 1, map_of({{"MessageAttributeNames", list_of({"All"})}}));
  CHECK(got[0].find("MessageAttributes")->find("other")->string_or("BinaryValue", "") == "bin");
}

TEST_CASE("sqs dead-letter queue receives a message after maxReceiveCount receives") {
  SqsFixture f;
  std::string dlq = f.create("dlq");
  std::string dlq_arn = f.attribute(dlq, "QueueArn");
  std::string src = f.create("src", map_of({{"VisibilityTimeout", "0"}}));
  f.call("SetQueueAttributes",
         map_of({{"QueueUrl", src},
                 {"Attributes", map_of({{"RedrivePolicy", "{\"deadLetterTargetArn\":\"" + dlq_arn +
                                                              "\",\"maxReceiveCount\":\"2\"}"}})}}));
  f.send(src, "poison");
  CHECK(f.receive(src).size() == 1);
  CHECK(f.receive(src).size() == 1);
  CHECK(f.receive(src).empty());  // third receive moves it
  ValueList moved = f.receive(dlq, 1, map_of({{"AttributeNames", list_of({"All"})}}));
  REQUIRE(moved.size() == 1);
  CHECK(moved[0].string_or("Body", "") == "poison");
  CHECK(moved[0].find("Attributes")->string_or("DeadLetterQueueSourceArn", "") ==
        f.attribute(src, "QueueArn"));
  Value sources =
      f.call("ListDeadLetterSourceQueues", map_of({{"QueueUrl", dlq}})).output;
  CHECK(sources.find("queueUrls")->size() == 1);
  // Move it back with a message move task.
  f.clock.advance(1);
  Value task = f.call("StartMessageMoveTask", map_of({{"SourceArn", dlq_arn}})).output;
  CHECK(!task.string_or("TaskHandle", "").empty());
  f.scheduler.run_due(f.clock.now_ms());  // the task's first (and only) step
  CHECK(f.attribute(src, "ApproximateNumberOfMessages") == "1");
  Value tasks = f.call("ListMessageMoveTasks", map_of({{"SourceArn", dlq_arn}})).output;
  CHECK(tasks.find("Results")->as_list()[0].string_or("Status", "") == "COMPLETED");
  // A missing target and a bad maxReceiveCount are refused.
  CHECK(f.error_of("SetQueueAttributes",
                   map_of({{"QueueUrl", src},
                           {"Attributes", map_of({{"RedrivePolicy",
                                                   "{\"deadLetterTargetArn\":\"arn:aws:sqs:us-east-1:000000000000:none\",\"maxReceiveCount\":2}"}})}})) != "");
  CHECK(f.error_of("SetQueueAttributes",
                   map_of({{"QueueUrl", src},
                           {"Attributes", map_of({{"RedrivePolicy", "{\"deadLetterTargetArn\":\"" + dlq_arn +
                                                                       "\",\"maxReceiveCount\":0}"}})}})) ==
        "InvalidAttributeValue|InvalidAttributeValue");
}

TEST_CASE("sqs redrive allow policy denies sources it does not list") {
  SqsFixture f;
  std::string dlq = f.create("closed-dlq", map_of({{"RedriveAllowPolicy", "{\"redrivePermission\":\"denyAll\"}"}}));
  std::string src = f.create("src2");
  CHECK(f.error_of("SetQueueAttributes",
                   map_of({{"QueueUrl", src},
                           {"Attributes", map_of({{"RedrivePolicy", "{\"deadLetterTargetArn\":\"" +
                                                                       f.attribute(dlq, "QueueArn") +
                                                                       "\",\"maxReceiveCount\":3}"}})}})) ==
        "InvalidParameterValue|InvalidParameterValue");
  CHECK(f.attribute(src, "RedrivePolicy") == "");
}

TEST_CASE("sqs purge removes messages and is limited to once a minute") {
  SqsFixture f;
  std::string url = f.create("purge");
  f.send(url, "a");
  f.send(url, "b");
  f.call("PurgeQueue", map_of({{"QueueUrl", url}}));
  CHECK(f.attribute(url, "ApproximateNumberOfMessages") == "0");
  CHECK(f.error_of("PurgeQueue", map_of({{"QueueUrl", url}})) ==
        "PurgeQueueInProgress|AWS.SimpleQueueService.PurgeQueueInProgress");
  f.clock.advance(60'000);
  f.call("PurgeQueue", map_of({{"QueueUrl", url}}));
}

TEST_CASE("sqs tags are added, listed and removed") {
  SqsFixture f;
  std::string url = f.call("CreateQueue", map_of({{"QueueName", "tagged"}, {"tags", map_of({{"team", "a"}})}}))
                        .output.string_or("QueueUrl", "");
  f.call("TagQueue", map_of({{"QueueUrl", url}, {"Tags", map_of({{"env", "dev"}})}}));
  Value tags = f.call("ListQueueTags", map_of({{"QueueUrl", url}})).output;
  CHECK(tags.find("Tags")->size() == 2);
  f.call("UntagQueue", map_of({{"QueueUrl", url}, {"TagKeys", list_of({"team"})}}));
  tags = f.call("ListQueueTags", map_of({{"QueueUrl", url}})).output;
  CHECK(tags.find("Tags")->string_or("env", "") == "dev");
  CHECK(tags.find("Tags")->size() == 1);
}

TEST_CASE("sqs fifo queues deduplicate, order within a group and lock groups in flight") {
  SqsFixture f;
  CHECK(f.error_of("CreateQueue", map_of({{"QueueName", "plain"},
                                          {"Attributes", map_of({{"FifoQueue", "true"}})}})) != "");
  std::string url = f.create("orders.fifo", map_of({{"FifoQueue", "true"},
                                                    {"ContentBasedDeduplication", "true"}}));
  auto send = [&](const std::string& body, const std::string& group) {
    return f.send(url, body, map_of({{"MessageGroupId", group}}));
  };
  Value a1 = send("a1", "A");
  Value dup = send("a1", "A");  // content-based duplicate within 5 minutes
  CHECK(dup.string_or("MessageId", "") == a1.string_or("MessageId", ""));
  CHECK(!a1.string_or("SequenceNumber", "").empty());
  send("a2", "A");
  send("b1", "B");
  CHECK(f.attribute(url, "ApproximateNumberOfMessages") == "3");
  ValueList first = f.receive(url, 1);
  REQUIRE(first.size() == 1);
  CHECK(first[0].string_or("Body", "") == "a1");
  // Group A is locked while a1 is in flight: only B's message comes.
  ValueList next = f.receive(url, 10);
  REQUIRE(next.size() == 1);
  CHECK(next[0].string_or("Body", "") == "b1");
  f.call("DeleteMessage", map_of({{"QueueUrl", url}, {"ReceiptHandle", first[0].string_or("ReceiptHandle", "")}}));
  ValueList after = f.receive(url, 10);
  REQUIRE(after.size() == 1);
  CHECK(after[0].string_or("Body", "") == "a2");
  // After the window the same content is a new message.
  f.clock.advance(5 * 60 * 1000 + 1);
  CHECK(send("a1", "A").string_or("MessageId", "") != a1.string_or("MessageId", ""));
  CHECK(f.error_of("SendMessage", map_of({{"QueueUrl", url}, {"MessageBody", "x"}})) ==
        "MissingParameter|MissingParameter");
  CHECK(f.error_of("SendMessage", map_of({{"QueueUrl", url}, {"MessageBody", "x"},
                                          {"MessageGroupId", "A"}, {"DelaySeconds", 1}})) != "");
  std::string plain = f.create("plain");
  CHECK(f.error_of("SendMessage", map_of({{"QueueUrl", plain}, {"MessageBody", "x"},
                                          {"MessageDeduplicationId", "d"}})) != "");
  CHECK(f.error_of("SetQueueAttributes", map_of({{"QueueUrl", plain},
                                                 {"Attributes", map_of({{"ContentBasedDeduplication", "true"}})}})) ==
        "InvalidAttributeName|InvalidAttributeName");
}

TEST_CASE("sqs queue directory delivers by ARN for SNS") {
  SqsFixture f;
  std::string url = f.create("sub");
  QueueMessageInput m;
  m.body = "{\"Type\":\"Notification\"}";
  m.sender_id = "sns";
  std::string id = f.service->send_message("arn:aws:sqs:us-east-1:000000000000:sub", m);
  ValueList got = f.receive(url, 1, map_of({{"AttributeNames", list_of({"SenderId"})}}));
  REQUIRE(got.size() == 1);
  CHECK(got[0].string_or("MessageId", "") == id);
  CHECK(got[0].find("Attributes")->string_or("SenderId", "") == "sns");
  CHECK_THROWS_AS(f.service->send_message("arn:aws:sqs:us-east-1:000000000000:none", m), ApiError);
}

TEST_CASE("sqs queue directory sends a fan-out in one commit, refusing messages one by one") {
  SqsFixture f;
  std::string a = f.create("fan-a"), b = f.create("fan-b");
  std::string small = f.create("fan-small", map_of({{"MaximumMessageSize", "1024"}}));
  const std::string prefix = "arn:aws:sqs:us-east-1:000000000000:";
  QueueMessageInput m;
  m.body = "note";
  QueueMessageInput big;
  big.body = std::string(2000, 'x');
  uint64_t commits = f.db->commits();
  std::vector<QueueSendResult> r = f.service->send_messages({{prefix + "fan-a", m},
                                                             {prefix + "none", m},
                                                             {prefix + "fan-small", big},
                                                             {prefix + "fan-b", m},
                                                             {prefix + "fan-a", m}});
  CHECK(f.db->commits() - commits == 1);
  REQUIRE(r.size() == 5);
  CHECK((!r[0].error && !r[3].error && !r[4].error));
  REQUIRE((r[1].error && r[2].error));
  CHECK(r[1].error->code == "QueueDoesNotExist");
  CHECK(r[2].error->code == "InvalidParameterValue");
  CHECK(f.receive(a, 10).size() == 2);
  ValueList got = f.receive(b, 10);
  REQUIRE(got.size() == 1);
  CHECK(got[0].string_or("MessageId", "") == r[3].message_id);
  CHECK(f.receive(small, 10).empty());
}

TEST_CASE("sqs queues, messages and visibility survive reopening the database") {
  SqsFixture f(true);
  std::string url = f.create("durable", map_of({{"VisibilityTimeout", "100"}}));
  for (const char* body : {"a", "b", "c"}) f.send(url, body);
  ValueList got = f.receive(url, 2);
  REQUIRE(got.size() == 2);
  std::string deleted = got[0].string_or("Body", "");
  f.call("DeleteMessage", map_of({{"QueueUrl", url}, {"ReceiptHandle", got[0].string_or("ReceiptHandle", "")}}));
  f.open(true);
  CHECK(f.attribute(url, "VisibilityTimeout") == "100");
  CHECK(f.attribute(url, "ApproximateNumberOfMessagesNotVisible") == "1");
  CHECK(f.attribute(url, "ApproximateNumberOfMessages") == "1");
  f.clock.advance(100'000);
  std::set<std::string> bodies;
  for (const Value& m : f.receive(url, 10, map_of({{"AttributeNames", list_of({"All"})}}))) {
    bodies.insert(m.string_or("Body", ""));
    if (m.string_or("Body", "") == got[1].string_or("Body", ""))
      CHECK(m.find("Attributes")->string_or("ApproximateReceiveCount", "") == "2");
  }
  CHECK(bodies.size() == 2);
  CHECK(!bodies.count(deleted));
}

TEST_CASE("sqs concurrent receivers never get a message twice within its visibility timeout") {
  // The issue asks for 100,000 messages; CI uses 5,000 to stay quick on two shared cores, and
  // NIMBUS_SQS_STRESS_MESSAGES=100000 runs the full size.
  SqsFixture f(true);
  std::string url = f.create("busy", map_of({{"VisibilityTimeout", "600"}}));
  const char* wanted = std::getenv("NIMBUS_SQS_STRESS_MESSAGES");
  const int kMessages = wanted ? std::max(10, std::atoi(wanted)) / 10 * 10 : 5000;
  for (int i = 0; i < kMessages; i += 10) {
    Value entries = Value::list();
    for (int k = 0; k < 10; ++k)
      entries.push_back(map_of({{"Id", "e" + std::to_string(k)}, {"MessageBody", std::to_string(i + k)}}));
    f.call("SendMessageBatch", map_of({{"QueueUrl", url}, {"Entries", entries}}));
  }
  std::mutex mutex;
  std::multiset<std::string> seen;
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (;;) {
        ValueList got = f.receive(url, 10);
        if (got.empty()) return;
        std::lock_guard<std::mutex> lock(mutex);
        for (const Value& m : got) seen.insert(m.string_or("Body", ""));
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(seen.size() == static_cast<size_t>(kMessages));
  std::set<std::string> distinct(seen.begin(), seen.end());
  CHECK(distinct.size() == static_cast<size_t>(kMessages));
}

TEST_CASE("sqs fifo receive request attempt id replays the same receive for 5 minutes") {
  SqsFixture f;
  std::string url = f.create("attempts.fifo", map_of({{"FifoQueue", "true"},
                                                      {"ContentBasedDeduplication", "true"},
                                                      {"VisibilityTimeout", "30"}}));
  for (const char* body : {"a1", "a2", "b1"})
    f.send(url, body, map_of({{"MessageGroupId", std::string(1, body[0])}}));
  auto receive = [&](const std::string& attempt, int max = 10) {
    return f.receive(url, max, map_of({{"ReceiveRequestAttemptId", attempt},
                                       {"AttributeNames", list_of({"All"})}}));
  };
  auto handles = [](const ValueList& got) {
    std::vector<std::string> out;
    for (const Value& m : got) out.push_back(m.string_or("ReceiptHandle", ""));
    return out;
  };
  ValueList first = receive("try-1", 2);
  REQUIRE(first.size() == 2);
  // The retry (say, after a lost response) gets the same messages and receipt handles, not
  // nothing (their groups are locked) and not a new receive count.
  f.clock.advance(10'000);
  ValueList retry = receive("try-1", 2);
  CHECK(handles(retry) == handles(first));
  CHECK(retry[0].find("Attributes")->string_or("ApproximateReceiveCount", "") == "1");
  // ... and the retry reset the visibility timeout: still hidden 25 s later (35 s after the
  // first receive), visible after 30 s from the retry.
  f.clock.advance(25'000);
  CHECK(f.attribute(url, "ApproximateNumberOfMessagesNotVisible") == "2");
  // A different attempt id is a new receive: group a (a1, a2) is in flight, so only b1.
  ValueList other = receive("try-2");
  REQUIRE(other.size() == 1);
  CHECK(other[0].string_or("Body", "") == "b1");
  // Once a returned message is deleted, the attempt id no longer replays.
  f.call("DeleteMessage", map_of({{"QueueUrl", url}, {"ReceiptHandle", handles(first)[0]}}));
  ValueList after_delete = receive("try-1");
  CHECK(handles(after_delete) != handles(first));
  // Changing visibility also ends the replay.
  std::string url2 = f.create("attempts2.fifo", map_of({{"FifoQueue", "true"},
                                                        {"ContentBasedDeduplication", "true"}}));
  f.send(url2, "x", map_of({{"MessageGroupId", "g"}}));
  auto receive2 = [&](const std::string& attempt) {
    return f.receive(url2, 1, map_of({{"ReceiveRequestAttemptId", attempt}}));
  };
  ValueList x = receive2("r");
  REQUIRE(x.size() == 1);
  CHECK(handles(receive2("r")) == handles(x));
  f.call("ChangeMessageVisibility", map_of({{"QueueUrl", url2},
                                            {"ReceiptHandle", handles(x)[0]},
                                            {"VisibilityTimeout", 0}}));
  ValueList fresh = receive2("r");
  REQUIRE(fresh.size() == 1);
  CHECK(handles(fresh) != handles(x));
  CHECK(fresh[0].string_or("Body", "") == "x");
  // After 5 minutes the attempt id is forgotten: a retry is a fresh receive.
  CHECK(handles(receive2("r")) == handles(fresh));
  f.clock.advance(5 * 60 * 1000 + 1);
  ValueList late = receive2("r");
  REQUIRE(late.size() == 1);
  CHECK(handles(late) != handles(fresh));
  // Bad attempt ids are refused; standard queues ignore the parameter.
  CHECK(f.error_of("ReceiveMessage", map_of({{"QueueUrl", url2},
                                             {"ReceiveRequestAttemptId", "has space"}})) ==
        "InvalidParameterValue|InvalidParameterValue");
  std::string plain = f.create("attempts-plain", map_of({{"VisibilityTimeout", "0"}}));
  f.send(plain, "p");
  ValueList p1 = f.receive(plain, 1, map_of({{"ReceiveRequestAttemptId", "s"}}));
  ValueList p2 = f.receive(plain, 1, map_of({{"ReceiveRequestAttemptId", "s"}}));
  REQUIRE(p1.size() == 1);
  REQUIRE(p2.size() == 1);
  CHECK(handles(p1) != handles(p2));
}

TEST_CASE("sqs message move tasks run over time at their rate, are cancellable and resume") {
  SqsFixture f(true);
  std::string dlq = f.create("slow-dlq");
  std::string dlq_arn = f.attribute(dlq, "QueueArn");
  std::string src = f.create("slow-src", map_of({{"VisibilityTimeout", "0"}}));
  std::string other = f.create("slow-other");
  std::string other_arn = f.attribute(other, "QueueArn");
  f.call("SetQueueAttributes",
         map_of({{"QueueUrl", src},
                 {"Attributes",
                  map_of({{"RedrivePolicy", "{\"deadLetterTargetArn\":\"" + dlq_arn +
                                                "\",\"maxReceiveCount\":\"1\"}"}})}}));
  for (int i = 0; i < 7; ++i) f.send(dlq, "m" + std::to_string(i));
  auto task = [&]() {
    Value out = f.call("ListMessageMoveTasks", map_of({{"SourceArn", dlq_arn}})).output;
    return out.find("Results")->as_list().at(0);
  };
  auto step = [&](int64_t ms) {
    f.clock.advance(ms);
    f.scheduler.run_due(f.clock.now_ms());
  };
  // 2 messages a second into another queue: RUNNING while it moves.
  std::string handle = f.call("StartMessageMoveTask",
                              map_of({{"SourceArn", dlq_arn}, {"DestinationArn", other_arn},
                                      {"MaxNumberOfMessagesPerSecond", 2}}))
                           .output.string_or("TaskHandle", "");
  CHECK(task().string_or("Status", "") == "RUNNING");
  CHECK(task().string_or("TaskHandle", "") == handle);
  CHECK(task().get_int("ApproximateNumberOfMessagesToMove") == 7);
  CHECK(task().get_int("ApproximateNumberOfMessagesMoved") == 0);
  CHECK(task().get_int("MaxNumberOfMessagesPerSecond") == 2);
  step(0);
  CHECK(task().get_int("ApproximateNumberOfMessagesMoved") == 2);
  CHECK(f.attribute(other, "ApproximateNumberOfMessages") == "2");
  step(500);  // not a second yet
  CHECK(task().get_int("ApproximateNumberOfMessagesMoved") == 2);
  step(500);
  CHECK(task().get_int("ApproximateNumberOfMessagesMoved") == 4);
  // Only one active task per source.
  CHECK(f.error_of("StartMessageMoveTask", map_of({{"SourceArn", dlq_arn}})) ==
        "UnsupportedOperation|AWS.SimpleQueueService.UnsupportedOperation");
  // A restart (a new scheduler, the database and the service reopened) resumes the task.
  f.scheduler.tasks.clear();
  f.open(true);
  CHECK(task().string_or("Status", "") == "RUNNING");
  step(0);
  CHECK(task().get_int("ApproximateNumberOfMessagesMoved") == 6);
  // Cancel: CANCELLING until the task's next step, then CANCELLED; nothing more moves.
  Value cancelled = f.call("CancelMessageMoveTask", map_of({{"TaskHandle", handle}})).output;
  CHECK(cancelled.get_int("ApproximateNumberOfMessagesMoved") == 6);
  CHECK(task().string_or("Status", "") == "CANCELLING");
  CHECK(f.error_of("CancelMessageMoveTask", map_of({{"TaskHandle", handle}})) != "");
  step(2000);
  CHECK(task().string_or("Status", "") == "CANCELLED");
  CHECK(task().find("TaskHandle") == nullptr);
  CHECK(task().get_int("ApproximateNumberOfMessagesMoved") == 6);
  CHECK(f.attribute(dlq, "ApproximateNumberOfMessages") == "1");
  CHECK(f.attribute(other, "ApproximateNumberOfMessages") == "6");
  CHECK(f.error_of("CancelMessageMoveTask", map_of({{"TaskHandle", handle}})) ==
        "UnsupportedOperation|AWS.SimpleQueueService.UnsupportedOperation");
  // Without a rate the rest moves at once (to its origin queue here: sent directly to the DLQ,
  // it has none, so it stays), and messages sent after the start are not part of the task.
  f.call("StartMessageMoveTask", map_of({{"SourceArn", dlq_arn}, {"DestinationArn", other_arn}}));
  f.send(dlq, "late");
  step(0);
  CHECK(task().string_or("Status", "") == "COMPLETED");
  CHECK(task().get_int("ApproximateNumberOfMessagesToMove") == 1);
  CHECK(task().get_int("ApproximateNumberOfMessagesMoved") == 1);
  CHECK(f.attribute(other, "ApproximateNumberOfMessages") == "7");
  CHECK(f.attribute(dlq, "ApproximateNumberOfMessages") == "1");
  // A source deleted under a running task fails it.
  f.call("StartMessageMoveTask", map_of({{"SourceArn", dlq_arn},
                                         {"MaxNumberOfMessagesPerSecond", 1}}));
  f.call("DeleteQueue", map_of({{"QueueUrl", dlq}}));
  step(0);
  Value failed = f.call("ListMessageMoveTasks", map_of({{"SourceArn", dlq_arn}})).output;
  CHECK(failed.find("Results")->as_list().at(0).string_or("Status", "") == "FAILED");
}

// Queue rows are cached for the send path: each change below is made through one operation and
// must be seen by the very next send (or read) of the queue.
TEST_CASE("sqs a queue change is seen at once by the next send") {
  SqsFixture f;
  std::string url = f.create("cached");
  std::string big(2000, 'x');
  f.send(url, big);  // the queue is now cached
  const std::string too_long = "InvalidParameterValue|InvalidParameterValue";

  SUBCASE("SetQueueAttributes") {
    f.call("SetQueueAttributes",
           map_of({{"QueueUrl", url}, {"Attributes", map_of({{"MaximumMessageSize", "1024"}})}}));
    CHECK(f.error_of("SendMessage", map_of({{"QueueUrl", url}, {"MessageBody", big}})) ==
          too_long);
    f.call("SetQueueAttributes",
           map_of({{"QueueUrl", url}, {"Attributes", map_of({{"DelaySeconds", "5"}})}}));
    f.send(url, "later");
    CHECK(f.attribute(url, "ApproximateNumberOfMessagesDelayed") == "1");
  }
  SUBCASE("DeleteQueue, and a new queue of the same name") {
    f.call("DeleteQueue", map_of({{"QueueUrl", url}}));
    CHECK(f.error_of("SendMessage", map_of({{"QueueUrl", url}, {"MessageBody", "x"}})) ==
          "QueueDoesNotExist|AWS.SimpleQueueService.NonExistentQueue");
    f.create("cached", map_of({{"MaximumMessageSize", "1024"}}));
    CHECK(f.error_of("SendMessage", map_of({{"QueueUrl", url}, {"MessageBody", big}})) ==
          too_long);
    f.send(url, "small");
    CHECK(f.attribute(url, "ApproximateNumberOfMessages") == "1");
  }
  SUBCASE("AddPermission and RemovePermission") {
    Value bob_send = map_of({{"QueueUrl", url}, {"MessageBody", "from bob"}});
    CHECK(f.error_of("SendMessage", bob_send, kBob) != "");
    f.call("AddPermission", map_of({{"QueueUrl", url}, {"Label", "bob"},
                                    {"AWSAccountIds", list_of({"111111111111"})},
                                    {"Actions", list_of({"SendMessage"})}}));
    CHECK(f.error_of("SendMessage", bob_send, kBob) == "");
    f.call("RemovePermission", map_of({{"QueueUrl", url}, {"Label", "bob"}}));
    CHECK(f.error_of("SendMessage", bob_send, kBob) ==
          "QueueDoesNotExist|AWS.SimpleQueueService.NonExistentQueue");
  }
  SUBCASE("TagQueue and UntagQueue") {
    f.call("TagQueue", map_of({{"QueueUrl", url}, {"Tags", map_of({{"env", "dev"}})}}));
    f.send(url, "a");
    Value tags = f.call("ListQueueTags", map_of({{"QueueUrl", url}})).output;
    CHECK(tags.find("Tags")->string_or("env", "") == "dev");
    f.call("UntagQueue", map_of({{"QueueUrl", url}, {"TagKeys", list_of({"env"})}}));
    f.send(url, "b");
    CHECK(!f.call("ListQueueTags", map_of({{"QueueUrl", url}})).output.has("Tags"));
  }
  SUBCASE("PurgeQueue") {
    f.call("PurgeQueue", map_of({{"QueueUrl", url}}));
    f.send(url, "after");
    CHECK(f.attribute(url, "ApproximateNumberOfMessages") == "1");
    CHECK(f.error_of("PurgeQueue", map_of({{"QueueUrl", url}})) ==
          "PurgeQueueInProgress|AWS.SimpleQueueService.PurgeQueueInProgress");
  }
  SUBCASE("reset, then a new queue of the same name (row ids start again)") {
    f.db->wipe();
    f.service->reset();
    CHECK(f.error_of("SendMessage", map_of({{"QueueUrl", url}, {"MessageBody", "x"}})) ==
          "QueueDoesNotExist|AWS.SimpleQueueService.NonExistentQueue");
    f.create("cached", map_of({{"MaximumMessageSize", "1024"}}));
    CHECK(f.error_of("SendMessage", map_of({{"QueueUrl", url}, {"MessageBody", big}})) ==
          too_long);
  }
  SUBCASE("SNS delivery by ARN sees a deleted queue") {
    std::string arn = f.attribute(url, "QueueArn");
    QueueSend send;
    send.queue_arn = arn;
    send.message.body = "fan-out";
    CHECK(!f.service->send_messages({send})[0].error);
    f.call("DeleteQueue", map_of({{"QueueUrl", url}}));
    auto results = f.service->send_messages({send});
    REQUIRE(results[0].error);
    CHECK(results[0].error->code == "QueueDoesNotExist");
  }
}

TEST_CASE("sqs cached queues stay consistent across threads") {
  SqsFixture f;
  const std::string url = "http://localhost:4566/000000000000/shared-cache";
  const std::string gone = "QueueDoesNotExist|AWS.SimpleQueueService.NonExistentQueue";
  std::atomic<bool> stop{false};
  std::thread sender([&] {
    while (!stop) f.error_of("SendMessage", map_of({{"QueueUrl", url}, {"MessageBody", "m"}}));
  });
  // The sender's lookups race each change; the next call on this thread still sees it.
  int stale = 0;
  for (int i = 0; i < 200; ++i) {
    f.create("shared-cache");
    f.call("DeleteQueue", map_of({{"QueueUrl", url}}));
    if (f.error_of("SendMessage", map_of({{"QueueUrl", url}, {"MessageBody", "x"}})) != gone)
      ++stale;
  }
  stop = true;
  sender.join();
  CHECK(stale == 0);
}
