// Tests for SnsService's delivery path (services/sns/delivery.cc) through a test QueueDirectory:
// the SQS envelope and its signature fields, raw delivery with attributes, filter policies,
// FIFO group/dedup ids, dead-letter queues on failure, nothing delivered on bad input, a null
// QueueDirectory handled gracefully, and the HTTP retry schedule arithmetic.
#include <doctest/doctest.h>
#include <rapidjson/document.h>
#include <stdlib.h>

#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/scheduler.h"
#include "services/messaging.h"
#include "services/sns/sns_internal.h"
#include "services/sns/sns_service.h"
#include "storage/blob_store.h"
#include "storage/database.h"

using namespace nimbus;

namespace {

// Records the tasks; run_due() runs those due by the test's clock (nothing runs by itself).
class NoScheduler : public Scheduler {
 public:
  TaskId schedule_at(EpochMillis when, std::function<void()> task) override {
    times.push_back(when);
    tasks.emplace_back(when, std::move(task));
    return 0;
  }
  void cancel(TaskId) override {}
  void run_due(EpochMillis now) {
    std::vector<std::pair<EpochMillis, std::function<void()>>> due;
    for (auto it = tasks.begin(); it != tasks.end();)
      if (it->first <= now) {
        due.push_back(std::move(*it));
        it = tasks.erase(it);
      } else {
        ++it;
      }
    for (auto& [when, task] : due) task();
  }
  std::vector<EpochMillis> times;
  std::vector<std::pair<EpochMillis, std::function<void()>>> tasks;
};

class NoWaits : public WaitHub {
 public:
  uint64_t generation(std::string_view) override { return 0; }
  void wait(std::string, uint64_t, EpochMillis, std::function<void(bool)>) override {}
  void notify(std::string_view) override {}
};

struct Sent {
  std::string queue;
  QueueMessageInput message;
};

class TestQueues : public QueueDirectory {
 public:
  std::vector<QueueSendResult> send_messages(const std::vector<QueueSend>& sends) override {
    calls++;
    std::vector<QueueSendResult> results(sends.size());
    for (size_t i = 0; i < sends.size(); ++i) {
      if (sends[i].queue_arn.ends_with(":missing")) {
        results[i].error = ApiError(400, "AWS.SimpleQueueService.NonExistentQueue", "no queue");
        continue;
      }
      sent.push_back({sends[i].queue_arn, sends[i].message});
      results[i].message_id = "id-" + std::to_string(sent.size());
    }
    return results;
  }
  std::vector<Sent> sent;
  int calls = 0;  // send_messages calls: one per fan-out (plus one for dead letters)
};

Account alice() {
  Account a;
  a.id = "000000000000";
  a.access_key = "AKIAIOSFODNN7EXAMPLE";
  return a;
}

struct SnsFixture {
  std::string dir;
  std::unique_ptr<Database> db;
  std::unique_ptr<BlobStore> blobs;
  ManualClock clock{1'700'000'000'123};
  NoScheduler scheduler;
  NoWaits waits;
  ServiceSettings settings;
  TestQueues queues;
  std::unique_ptr<ServiceEnv> env;
  std::unique_ptr<SnsService> service;

  explicit SnsFixture(bool with_queues = true) {
    std::string pattern = (std::filesystem::temp_directory_path() / "nimbus-sns-XXXXXX").string();
    REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    dir = pattern;
    DatabaseOptions options;
    options.ephemeral = true;
    db = std::make_unique<Database>(options);
    blobs = std::make_unique<BlobStore>(dir + "/blobs", false);
    env = std::make_unique<ServiceEnv>(ServiceEnv{*db, *blobs, clock, scheduler, waits, settings});
    if (with_queues) env->queues = &queues;
    service = std::make_unique<SnsService>(*env);
  }
  ~SnsFixture() {
    service.reset();
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
  }

  Result call(const std::string& operation, Value input) {
    const Operation* op = service->model().operation(operation);
    REQUIRE(op != nullptr);
    HttpRequest http;
    http.method = "POST";
    http.headers.push_back({"Host", "localhost:4566"});
    CallContext context{http, *op, alice(), "us-east-1", "request-id", ""};
    return complete(service->call(context, input));
  }

  std::string topic(const std::string& name, Value attributes = Value::map()) {
    return *call("CreateTopic", Value(ValueMap{{"Name", Value(name)}, {"Attributes", attributes}}))
                .output.get_string("TopicArn");
  }
  std::string subscribe(const std::string& topic, const std::string& queue,
                        Value attributes = Value::map()) {
    return *call("Subscribe", Value(ValueMap{{"TopicArn", Value(topic)},
                                             {"Protocol", Value("sqs")},
                                             {"Endpoint", Value(queue)},
                                             {"Attributes", attributes}}))
                .output.get_string("SubscriptionArn");
  }
};

const std::string kQueue = "arn:aws:sqs:us-east-1:000000000000:q1";

Value string_attr(const std::string& v) {
  return Value(ValueMap{{"DataType", Value("String")}, {"StringValue", Value(v)}});
}

}  // namespace

TEST_CASE("sns delivery: the SQS envelope carries AWS's fields in AWS's order") {
  SnsFixture f;
  std::string arn = f.topic("orders");
  std::string sub = f.subscribe(arn, kQueue);
  Result r = f.call("Publish", Value(ValueMap{{"TopicArn", Value(arn)},
                                              {"Message", Value("hello")},
                                              {"Subject", Value("subj")},
                                              {"MessageAttributes",
                                               Value(ValueMap{{"a", string_attr("x")}})}}));
  REQUIRE(f.queues.sent.size() == 1);
  CHECK(f.queues.sent[0].queue == kQueue);
  rapidjson::Document d;
  d.Parse(f.queues.sent[0].message.body.c_str());
  REQUIRE(d.IsObject());
  std::vector<std::string> keys;
  for (auto m = d.MemberBegin(); m != d.MemberEnd(); ++m) keys.push_back(m->name.GetString());
  CHECK(keys == std::vector<std::string>{"Type", "MessageId", "TopicArn", "Subject", "Message",
                                         "Timestamp", "SignatureVersion", "Signature",
                                         "SigningCertURL", "UnsubscribeURL", "MessageAttributes"});
  CHECK(std::string(d["MessageId"].GetString()) == *r.output.get_string("MessageId"));
  CHECK(std::string(d["Timestamp"].GetString()) == "2023-11-14T22:13:20.123Z");
  CHECK(std::string(d["SigningCertURL"].GetString()) ==
        "http://localhost:4566/_nimbus/sns/SimpleNotificationService-nimbus.pem");
  CHECK(std::string(d["UnsubscribeURL"].GetString()).find(sns::unsubscribe_url("", sub).substr(1)) !=
        std::string::npos);
  CHECK(std::string(d["MessageAttributes"]["a"]["Value"].GetString()) == "x");
  CHECK(f.queues.sent[0].message.message_attributes.size() == 0);
}

TEST_CASE("sns delivery: raw delivery passes the body and the attributes as SQS attributes") {
  SnsFixture f;
  std::string arn = f.topic("raw");
  f.subscribe(arn, kQueue, Value(ValueMap{{"RawMessageDelivery", Value("true")}}));
  f.call("Publish", Value(ValueMap{{"TopicArn", Value(arn)}, {"Message", Value("body")},
                                   {"MessageAttributes", Value(ValueMap{{"a", string_attr("x")}})}}));
  REQUIRE(f.queues.sent.size() == 1);
  CHECK(f.queues.sent[0].message.body == "body");
  const Value* a = f.queues.sent[0].message.message_attributes.find("a");
  REQUIRE(a);
  CHECK(a->string_or("DataType", "") == "String");
  CHECK(a->string_or("StringValue", "") == "x");
}

TEST_CASE("sns delivery: filter policies pick the subscriptions") {
  SnsFixture f;
  std::string arn = f.topic("filtered");
  f.subscribe(arn, kQueue, Value(ValueMap{{"FilterPolicy", Value(R"({"a": ["x"]})")}}));
  f.subscribe(arn, "arn:aws:sqs:us-east-1:000000000000:all");
  f.call("Publish", Value(ValueMap{{"TopicArn", Value(arn)}, {"Message", Value("m")},
                                   {"MessageAttributes", Value(ValueMap{{"a", string_attr("y")}})}}));
  REQUIRE(f.queues.sent.size() == 1);
  CHECK(f.queues.sent[0].queue.ends_with(":all"));
}

TEST_CASE("sns delivery: bad input delivers nothing") {
  SnsFixture f;
  std::string arn = f.topic("bad");
  f.subscribe(arn, kQueue);
  CHECK_THROWS_AS(f.call("Publish", Value(ValueMap{{"TopicArn", Value(arn)},
                                                   {"Message", Value(std::string(262145, 'x'))}})),
                  ApiError);
  CHECK_THROWS_AS(f.call("Publish", Value(ValueMap{{"TopicArn", Value(arn)},
                                                   {"MessageStructure", Value("json")},
                                                   {"Message", Value("{")}})),
                  ApiError);
  CHECK(f.queues.sent.empty());
}

TEST_CASE("sns delivery: FIFO topics pass group and dedup ids and drop duplicates") {
  SnsFixture f;
  std::string arn = f.topic("t.fifo", Value(ValueMap{{"FifoTopic", Value("true")}}));
  f.subscribe(arn, "arn:aws:sqs:us-east-1:000000000000:q.fifo");
  auto publish = [&](const std::string& dedup) {
    return f.call("Publish", Value(ValueMap{{"TopicArn", Value(arn)}, {"Message", Value("m")},
                                            {"MessageGroupId", Value("g")},
                                            {"MessageDeduplicationId", Value(dedup)}}));
  };
  publish("d1");
  publish("d1");
  publish("d2");
  REQUIRE(f.queues.sent.size() == 2);
  CHECK(f.queues.sent[0].message.message_group_id == "g");
  CHECK(f.queues.sent[0].message.message_deduplication_id == "d1");
  CHECK(f.queues.sent[1].message.message_deduplication_id == "d2");
}

TEST_CASE("sns delivery: a failing queue falls back to the subscription's dead-letter queue") {
  SnsFixture f;
  std::string arn = f.topic("dlq");
  f.subscribe(arn, "arn:aws:sqs:us-east-1:000000000000:missing",
              Value(ValueMap{{"RedrivePolicy",
                              Value(R"({"deadLetterTargetArn": "arn:aws:sqs:us-east-1:000000000000:dead"})")}}));
  f.call("Publish", Value(ValueMap{{"TopicArn", Value(arn)}, {"Message", Value("m")}}));
  REQUIRE(f.queues.sent.size() == 1);
  CHECK(f.queues.sent[0].queue.ends_with(":dead"));
  CHECK(f.queues.calls == 2);
}

TEST_CASE("sns delivery: a fan-out to many queues is one send_messages call") {
  SnsFixture f;
  std::string arn = f.topic("wide");
  for (int i = 0; i < 10; ++i) f.subscribe(arn, kQueue + "-" + std::to_string(i));
  f.call("Publish", Value(ValueMap{{"TopicArn", Value(arn)}, {"Message", Value("m")}}));
  REQUIRE(f.queues.sent.size() == 10);
  CHECK(f.queues.calls == 1);
  rapidjson::Document first, last;
  first.Parse(f.queues.sent[0].message.body.c_str());
  last.Parse(f.queues.sent[9].message.body.c_str());
  REQUIRE((first.IsObject() && last.IsObject()));
  CHECK(std::string(first["UnsubscribeURL"].GetString()) != last["UnsubscribeURL"].GetString());
}

TEST_CASE("sns delivery: without SQS in the server, publishing still succeeds") {
  SnsFixture f(false);
  std::string arn = f.topic("nosqs");
  f.subscribe(arn, kQueue);
  Result r = f.call("Publish", Value(ValueMap{{"TopicArn", Value(arn)}, {"Message", Value("m")}}));
  CHECK(r.output.get_string("MessageId").has_value());
}

TEST_CASE("sns delivery: http subscriptions queue a confirmation for the scheduler") {
  SnsFixture f;
  std::string arn = f.topic("web");
  Result r = f.call("Subscribe", Value(ValueMap{{"TopicArn", Value(arn)},
                                                {"Protocol", Value("http")},
                                                {"Endpoint", Value("http://127.0.0.1:9/hook")}}));
  CHECK(*r.output.get_string("SubscriptionArn") == "pending confirmation");
  // The confirmation POST now, and the subscription's expiry 48 hours later.
  CHECK(f.scheduler.times ==
        std::vector<EpochMillis>{f.clock.now_ms() + sns::kPendingLifetimeMs, f.clock.now_ms()});
}

namespace {

// An email subscription (pending until confirmed), its ARN and token.
std::pair<std::string, std::string> pending_email(SnsFixture& f, const std::string& topic,
                                                  const std::string& address) {
  Result r = f.call("Subscribe", Value(ValueMap{{"TopicArn", Value(topic)},
                                                {"Protocol", Value("email")},
                                                {"Endpoint", Value(address)},
                                                {"ReturnSubscriptionArn", Value(true)}}));
  std::string arn = *r.output.get_string("SubscriptionArn");
  std::string token = f.db->read([&](Connection& c) { return sns::find_subscription(c, arn)->token; });
  return {arn, token};
}

std::string topic_attribute(SnsFixture& f, const std::string& topic, const std::string& name) {
  Result r = f.call("GetTopicAttributes", Value(ValueMap{{"TopicArn", Value(topic)}}));
  return r.output.find("Attributes")->string_or(name, "?");
}

std::string error_code(SnsFixture& f, const std::string& operation, Value input) {
  try {
    f.call(operation, std::move(input));
  } catch (const ApiError& e) {
    return e.code;
  }
  return "";
}

}  // namespace

TEST_CASE("sns subscriptions: an unconfirmed subscription is deleted after 48 hours") {
  SnsFixture f;
  std::string topic = f.topic("expiring");
  auto [stale, stale_token] = pending_email(f, topic, "late@example.com");
  f.clock.advance(1000);
  auto [kept, kept_token] = pending_email(f, topic, "prompt@example.com");
  CHECK(topic_attribute(f, topic, "SubscriptionsPending") == "2");
  f.call("ConfirmSubscription", Value(ValueMap{{"TopicArn", Value(topic)},
                                               {"Token", Value(kept_token)}}));
  f.clock.advance(sns::kPendingLifetimeMs - 1001);
  f.scheduler.run_due(f.clock.now_ms());  // one millisecond early: nothing goes
  CHECK(topic_attribute(f, topic, "SubscriptionsPending") == "1");
  f.clock.advance(1);
  f.scheduler.run_due(f.clock.now_ms());
  CHECK(topic_attribute(f, topic, "SubscriptionsPending") == "0");
  CHECK(topic_attribute(f, topic, "SubscriptionsConfirmed") == "1");
  CHECK(topic_attribute(f, topic, "SubscriptionsDeleted") == "0");
  CHECK(error_code(f, "GetSubscriptionAttributes",
                   Value(ValueMap{{"SubscriptionArn", Value(stale)}})) == "NotFound");
  CHECK(error_code(f, "ConfirmSubscription", Value(ValueMap{{"TopicArn", Value(topic)},
                                                           {"Token", Value(stale_token)}})) ==
        "InvalidParameter");
  // The confirmed one stays, whatever its expiry task finds.
  f.clock.advance(sns::kPendingLifetimeMs);
  f.scheduler.run_due(f.clock.now_ms());
  CHECK(error_code(f, "GetSubscriptionAttributes",
                   Value(ValueMap{{"SubscriptionArn", Value(kept)}})) == "");
}

TEST_CASE("sns subscriptions: a confirmation token is valid for two days") {
  SnsFixture f;
  std::string topic = f.topic("tokens");
  auto [arn, token] = pending_email(f, topic, "slow@example.com");
  f.clock.advance(sns::kPendingLifetimeMs);  // the expiry task has not run yet
  CHECK(error_code(f, "ConfirmSubscription", Value(ValueMap{{"TopicArn", Value(topic)},
                                                           {"Token", Value(token)}})) ==
        "InvalidParameter");
  Value attributes = f.call("GetSubscriptionAttributes",
                            Value(ValueMap{{"SubscriptionArn", Value(arn)}}))
                         .output.find("Attributes")[0];
  CHECK(attributes.string_or("PendingConfirmation", "") == "true");
}

TEST_CASE("sns subscriptions: expiry of unconfirmed subscriptions survives a restart") {
  SnsFixture f;
  std::string topic = f.topic("restarted");
  EpochMillis created = f.clock.now_ms();
  auto [arn, token] = pending_email(f, topic, "later@example.com");
  // A new service on the same database (the scheduler's tasks are gone with the old one).
  f.service.reset();
  f.scheduler.tasks.clear();
  f.clock.advance(3600 * 1000);
  f.service = std::make_unique<SnsService>(*f.env);
  REQUIRE(f.scheduler.tasks.size() == 1);
  CHECK(f.scheduler.tasks[0].first == created + sns::kPendingLifetimeMs);
  f.clock.advance(sns::kPendingLifetimeMs);
  f.scheduler.run_due(f.clock.now_ms());
  CHECK(topic_attribute(f, topic, "SubscriptionsPending") == "0");
  CHECK(error_code(f, "GetSubscriptionAttributes",
                   Value(ValueMap{{"SubscriptionArn", Value(arn)}})) == "NotFound");
}

TEST_CASE("sns delivery: retry delays follow the delivery policy's phases") {
  sns::RetryPolicy p;
  p.num_retries = 6;
  p.num_no_delay = 1;
  p.num_min_delay = 1;
  p.num_max_delay = 1;
  p.min_delay = 2;
  p.max_delay = 10;
  p.backoff = "linear";
  CHECK(sns::retry_delay_seconds(p, 1) == 0);
  CHECK(sns::retry_delay_seconds(p, 2) == 2);
  CHECK(sns::retry_delay_seconds(p, 3) == 5);   // backoff phase: 3 steps from 2 to 10 (4.67)
  CHECK(sns::retry_delay_seconds(p, 5) == 10);
  CHECK(sns::retry_delay_seconds(p, 6) == 10);  // post-backoff at the max
  sns::RetryPolicy d = sns::parse_retry_policy(
      R"({"healthyRetryPolicy":{"numRetries":5,"minDelayTarget":1,"maxDelayTarget":8,"backoffFunction":"exponential"}})");
  CHECK(d.num_retries == 5);
  CHECK(sns::retry_delay_seconds(d, 5) == 8);
}

TEST_CASE("sns delivery: the string to sign follows AWS's documented order") {
  std::map<std::string, std::string> fields = {{"Type", "Notification"}, {"MessageId", "id"},
                                               {"TopicArn", "arn"}, {"Message", "m"},
                                               {"Timestamp", "t"}};
  CHECK(sns::string_to_sign(fields) ==
        "Message\nm\nMessageId\nid\nTimestamp\nt\nTopicArn\narn\nType\nNotification\n");
  fields["Subject"] = "s";
  CHECK(sns::string_to_sign(fields) ==
        "Message\nm\nMessageId\nid\nSubject\ns\nTimestamp\nt\nTopicArn\narn\nType\nNotification\n");
}
