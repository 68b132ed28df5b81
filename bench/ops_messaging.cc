// nimbus-bench's SQS and SNS operations. SQS speaks the JSON protocol (X-Amz-Target
// AmazonSQS.*, as boto3 and the AWS CLI do today); SNS speaks the Query protocol (form POST).
//  - sqs-send / sqs-send-batch: SendMessage / SendMessageBatch (10 entries) of --size bodies.
//  - sqs-receive-delete: one cycle = SendMessage + ReceiveMessage + DeleteMessage.
//  - sqs-longpoll-latency: a ReceiveMessage long poll is parked, then a message is sent on a
//    second connection; the unit's latency is send → the poll's answer.
//  - sns-publish: Publish to a topic with --subscribers SQS queues; the latency is publish →
//    the message found in every queue (so it mostly measures SQS receive + delete).
//  - sns-publish-only: Publish alone to a topic with --subscribers SQS queues; at the end every
//    queue must hold exactly one message per successful Publish, or the run is invalid.
#include <chrono>
#include <memory>
#include <thread>

#include <rapidjson/document.h>

#include "bench/bench.h"

namespace nimbus::bench {

namespace {

using Clock = std::chrono::steady_clock;
constexpr std::string_view kJson10 = "application/x-amz-json-1.0";

const ClientResponse& sqs(Session& s, std::string_view action, std::string body) {
  return s.json("sqs", "AmazonSQS." + std::string(action), std::move(body), kJson10);
}

std::string create_queue(Session& s, const std::string& name) {
  const auto& r = sqs(s, "CreateQueue", "{\"QueueName\":" + json_string(name) + "}");
  expect_ok(r, "CreateQueue " + name);
  std::string url = json_member(r.body, "QueueUrl");
  if (url.empty()) throw SetupError(r.status, "CreateQueue answered no QueueUrl: " + r.body);
  return url;
}

struct Received {
  std::string receipt_handle;
  std::string body;
};

// Messages of a ReceiveMessage JSON answer.
std::vector<Received> parse_messages(const std::string& body) {
  std::vector<Received> out;
  rapidjson::Document doc;
  doc.Parse(body.data(), body.size());
  if (doc.HasParseError() || !doc.IsObject()) return out;
  auto it = doc.FindMember("Messages");
  if (it == doc.MemberEnd() || !it->value.IsArray()) return out;
  for (const auto& m : it->value.GetArray()) {
    if (!m.IsObject()) continue;
    Received r;
    if (auto h = m.FindMember("ReceiptHandle"); h != m.MemberEnd() && h->value.IsString())
      r.receipt_handle = h->value.GetString();
    if (auto b = m.FindMember("Body"); b != m.MemberEnd() && b->value.IsString())
      r.body.assign(b->value.GetString(), b->value.GetStringLength());
    out.push_back(std::move(r));
  }
  return out;
}

// "Failed":[...] non-empty in a *Batch answer.
bool batch_failed(const std::string& body) {
  rapidjson::Document doc;
  doc.Parse(body.data(), body.size());
  if (doc.HasParseError() || !doc.IsObject()) return true;
  auto it = doc.FindMember("Failed");
  return it != doc.MemberEnd() && it->value.IsArray() && !it->value.Empty();
}

std::string distinct(const std::string& base, uint64_t n) {
  std::string body = base;
  std::string prefix = std::to_string(n) + "-";
  body.replace(0, std::min(prefix.size(), body.size()), prefix.substr(0, body.size()));
  return body;
}

std::string receive_body(const std::string& url, int max, int wait) {
  return "{\"QueueUrl\":" + json_string(url) + ",\"MaxNumberOfMessages\":" + std::to_string(max) +
         ",\"WaitTimeSeconds\":" + std::to_string(wait) + "}";
}

bool delete_message(Session& s, const std::string& url, const std::string& handle) {
  const auto& r = sqs(s, "DeleteMessage", "{\"QueueUrl\":" + json_string(url) +
                                              ",\"ReceiptHandle\":" + json_string(handle) + "}");
  return ok_status(r.status);
}

class SqsSend : public Operation {
 public:
  SqsSend(const Options& o, int batch) : options_(o), batch_(batch) {}
  void setup(Session& s) override {
    url_ = create_queue(s, options_.name);
    base_ = make_body(options_.size, 0);
  }
  UnitResult run(Session& s, int worker) override {
    if (batch_ == 1) {
      const auto& r = sqs(s, "SendMessage", "{\"QueueUrl\":" + json_string(url_) +
                                                ",\"MessageBody\":" +
                                                json_string(distinct(base_, s.next())) + "}");
      if (!ok_status(r.status) || json_member(r.body, "MessageId").empty()) return failed(r);
    } else {
      std::string body = "{\"QueueUrl\":" + json_string(url_) + ",\"Entries\":[";
      for (int i = 0; i < batch_; ++i) {
        if (i) body += ",";
        body += "{\"Id\":\"m" + std::to_string(i) +
                "\",\"MessageBody\":" + json_string(distinct(base_, s.next())) + "}";
      }
      body += "]}";
      const auto& r = sqs(s, "SendMessageBatch", std::move(body));
      if (!ok_status(r.status) || batch_failed(r.body)) return failed(r);
    }
    UnitResult u;
    u.bytes = options_.size * batch_;
    return u;
  }

 private:
  const Options& options_;
  int batch_;
  std::string url_, base_;
};

class SqsReceiveDelete : public Operation {
 public:
  explicit SqsReceiveDelete(const Options& o) : options_(o) {}
  void setup(Session& s) override {
    url_ = create_queue(s, options_.name + "-rd");
    base_ = make_body(options_.size, 0);
  }
  UnitResult run(Session& s, int worker) override {
    UnitResult u;
    u.http_requests = 2;
    const auto& sent = sqs(s, "SendMessage", "{\"QueueUrl\":" + json_string(url_) +
                                                 ",\"MessageBody\":" +
                                                 json_string(distinct(base_, s.next())) + "}");
    if (!ok_status(sent.status)) return failed(sent);
    const auto& got = sqs(s, "ReceiveMessage", receive_body(url_, 1, 1));
    if (!ok_status(got.status)) return failed(got);
    for (const Received& m : parse_messages(got.body)) {
      ++u.http_requests;
      u.bytes += m.body.size();
      if (!delete_message(s, url_, m.receipt_handle)) return failed(s.last());
    }
    u.bytes += options_.size;
    return u;
  }

 private:
  const Options& options_;
  std::string url_, base_;
};

class SqsLongPoll : public Operation {
 public:
  explicit SqsLongPoll(const Options& o)
      : options_(o), urls_(o.connections), pollers_(o.connections) {}
  void prepare(Session& s, int worker) override {
    urls_[worker] = create_queue(s, options_.name + "-lp-" + std::to_string(worker));
    pollers_[worker] = std::make_unique<Session>(options_, sequence_);
    // Drain what an earlier run may have left.
    for (;;) {
      const auto& r = sqs(s, "ReceiveMessage", receive_body(urls_[worker], 10, 0));
      expect_ok(r, "ReceiveMessage (drain)");
      auto messages = parse_messages(r.body);
      if (messages.empty()) break;
      for (const auto& m : messages) delete_message(s, urls_[worker], m.receipt_handle);
    }
  }
  UnitResult run(Session& s, int worker) override {
    const std::string& url = urls_[worker];
    Session& poller = *pollers_[worker];
    Clock::time_point arrived{};
    UnitResult polled;
    std::vector<Received> messages;
    std::thread receiver([&] {
      try {
        const auto& r = sqs(poller, "ReceiveMessage", receive_body(url, 1, 10));
        arrived = Clock::now();
        if (!ok_status(r.status)) polled = failed(r);
        else messages = parse_messages(r.body);
      } catch (const std::exception& e) {
        polled.ok = false;
        polled.error = e.what();
      }
    });
    // Give the poll time to park at the server before the message is sent.
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    auto t0 = Clock::now();
    const auto& sent = sqs(s, "SendMessage", "{\"QueueUrl\":" + json_string(url) +
                                                 ",\"MessageBody\":" +
                                                 json_string(make_body(options_.size, s.next())) +
                                                 "}");
    bool sent_ok = ok_status(sent.status);
    UnitResult send_failure = sent_ok ? UnitResult{} : failed(sent);
    receiver.join();
    if (!sent_ok) return send_failure;
    if (!polled.ok) return polled;
    if (messages.empty()) {
      UnitResult f;
      f.ok = false;
      f.status = 200;
      f.error = "the long poll answered without the message";
      return f;
    }
    for (const auto& m : messages) delete_message(s, url, m.receipt_handle);
    UnitResult u;
    u.http_requests = 3;
    u.latency = std::chrono::duration<double>(arrived - t0).count();
    u.bytes = options_.size;
    return u;
  }

 private:
  const Options& options_;
  std::atomic<uint64_t> sequence_{1ull << 40};
  std::vector<std::string> urls_;
  std::vector<std::unique_ptr<Session>> pollers_;
};

const ClientResponse& sns(Session& s, QueryParams params) {
  params.emplace_back("Version", "2010-03-31");
  return s.query("sns", params);
}

// A topic with SQS queues subscribed to it (the JSON envelope, not raw delivery).
struct Fanout {
  std::string topic_arn;
  std::vector<std::string> queue_urls;
};

// Creates topic `topic` and queues `queue_prefix`-0..n-1, each subscribed to it.
Fanout make_fanout(Session& s, const std::string& topic, const std::string& queue_prefix, int n) {
  Fanout f;
  const auto& t = sns(s, {{"Action", "CreateTopic"}, {"Name", topic}});
  expect_ok(t, "CreateTopic");
  f.topic_arn = xml_text(t.body, "TopicArn");
  if (f.topic_arn.empty()) throw SetupError(t.status, "CreateTopic: no TopicArn: " + t.body);
  for (int i = 0; i < n; ++i) {
    std::string url = create_queue(s, queue_prefix + "-" + std::to_string(i));
    const auto& a = sqs(s, "GetQueueAttributes", "{\"QueueUrl\":" + json_string(url) +
                                                     ",\"AttributeNames\":[\"QueueArn\"]}");
    expect_ok(a, "GetQueueAttributes");
    std::string arn = json_member(a.body, "Attributes.QueueArn");
    if (arn.empty()) throw SetupError(a.status, "GetQueueAttributes: no QueueArn: " + a.body);
    const auto& sub = sns(s, {{"Action", "Subscribe"}, {"TopicArn", f.topic_arn},
                              {"Protocol", "sqs"}, {"Endpoint", arn}});
    expect_ok(sub, "Subscribe");
    f.queue_urls.push_back(url);
  }
  return f;
}

class SnsPublish : public Operation {
 public:
  explicit SnsPublish(const Options& o) : options_(o), fanouts_(o.connections) {}
  void prepare(Session& s, int worker) override {
    // Named after the subscriber count too: runs with other counts against the same server
    // (compare.sh's rounds) must not share a topic, or its extra queues would fill up.
    std::string suffix = "-" + std::to_string(options_.subscribers) + "x-" + std::to_string(worker);
    fanouts_[worker] = make_fanout(s, options_.name + suffix, options_.name + "-sns" + suffix,
                                   options_.subscribers);
  }
  UnitResult run(Session& s, int worker) override {
    UnitResult u;
    u.http_requests = 1;
    std::string token = "sns-" + run_id() + "-" + std::to_string(s.next()) + "-";
    std::string message = token + make_body(options_.size > token.size()
                                                ? options_.size - token.size() : 1, 0);
    auto t0 = Clock::now();
    const auto& p = sns(s, {{"Action", "Publish"}, {"TopicArn", fanouts_[worker].topic_arn},
                            {"Message", message}});
    if (!ok_status(p.status)) return failed(p);
    Clock::time_point last_arrival = t0;
    std::vector<std::pair<std::string, std::string>> to_delete;  // url, handle
    for (const std::string& url : fanouts_[worker].queue_urls) {
      bool found = false;
      auto deadline = Clock::now() + std::chrono::seconds(10);
      while (!found && Clock::now() < deadline) {
        const auto& r = sqs(s, "ReceiveMessage", receive_body(url, 10, 5));
        ++u.http_requests;
        if (!ok_status(r.status)) return failed(r);
        auto now = Clock::now();
        for (const auto& m : parse_messages(r.body)) {
          to_delete.emplace_back(url, m.receipt_handle);
          if (m.body.find(token) != std::string::npos) {
            found = true;
            last_arrival = std::max(last_arrival, now);
          }
        }
      }
      if (!found) {
        u.ok = false;
        u.status = 200;
        u.error = "the published message did not arrive in " + url + " within 10 s";
        return u;
      }
    }
    for (const auto& [url, handle] : to_delete) {
      ++u.http_requests;
      if (!delete_message(s, url, handle)) return failed(s.last());
    }
    u.latency = std::chrono::duration<double>(last_arrival - t0).count();
    u.bytes = options_.size * (1 + fanouts_[worker].queue_urls.size());
    return u;
  }

 private:
  const Options& options_;
  std::vector<Fanout> fanouts_;
};

// Messages a queue holds (visible + in flight + delayed), from GetQueueAttributes.
uint64_t queue_depth(Session& s, const std::string& url) {
  const auto& r = sqs(s, "GetQueueAttributes",
                      "{\"QueueUrl\":" + json_string(url) +
                          ",\"AttributeNames\":[\"ApproximateNumberOfMessages\","
                          "\"ApproximateNumberOfMessagesNotVisible\","
                          "\"ApproximateNumberOfMessagesDelayed\"]}");
  if (!ok_status(r.status))
    throw std::runtime_error("GetQueueAttributes " + url + ": HTTP " + std::to_string(r.status) +
                             " " + r.body.substr(0, 200));
  uint64_t depth = 0;
  for (const char* name : {"ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible",
                           "ApproximateNumberOfMessagesDelayed"}) {
    std::string value = json_member(r.body, std::string("Attributes.") + name);
    if (value.empty() || value.find_first_not_of("0123456789") != std::string::npos)
      throw std::runtime_error("GetQueueAttributes " + url + " answered no " + name + ": " +
                               r.body.substr(0, 200));
    depth += std::stoull(value);
  }
  return depth;
}

// Publish alone is the unit. Each worker has its own topic and queues (named after this run, so
// no earlier run's messages are counted); finish() waits, at most 10 s, until every queue holds
// one message per successful Publish, re-checks a moment later for late duplicates, then deletes
// the topic and the queues.
class SnsPublishOnly : public Operation {
 public:
  explicit SnsPublishOnly(const Options& o)
      : options_(o), fanouts_(o.connections), published_(o.connections, 0) {}
  void prepare(Session& s, int worker) override {
    std::string suffix = "-po-" + std::to_string(options_.subscribers) + "x-" + run_id() + "-" +
                         std::to_string(worker);
    fanouts_[worker] = make_fanout(s, options_.name + suffix, options_.name + "-sns" + suffix,
                                   options_.subscribers);
    // A topic's first Publish can be far slower than the rest (moto: ~0.5 s with 10
    // subscribers), longer than the warm-up: it happens here, unmeasured.
    if (!publish(s, worker)) {
      expect_ok(s.last(), "Publish");
      throw SetupError(s.last().status, "Publish answered no MessageId: " + s.last().body);
    }
  }
  UnitResult run(Session& s, int worker) override {
    if (!publish(s, worker)) return failed(s.last());
    UnitResult u;
    u.bytes = options_.size;
    return u;
  }
  std::string finish(Session& s, int worker) override {
    std::string problem;
    try {
      problem = check_deliveries(s, fanouts_[worker].queue_urls, published_[worker]);
    } catch (const std::exception& e) {
      problem = std::string("checking the deliveries: ") + e.what();
    }
    try {  // best effort: a leftover queue does not change this run's figures
      sns(s, {{"Action", "DeleteTopic"}, {"TopicArn", fanouts_[worker].topic_arn}});
      for (const std::string& url : fanouts_[worker].queue_urls)
        sqs(s, "DeleteQueue", "{\"QueueUrl\":" + json_string(url) + "}");
    } catch (const std::exception&) {
    }
    return problem;
  }

 private:
  static std::string check_deliveries(Session& s, const std::vector<std::string>& urls,
                                      uint64_t expected) {
    auto deadline = Clock::now() + std::chrono::seconds(10);
    for (const std::string& url : urls) {
      uint64_t depth = queue_depth(s, url);
      while (depth < expected && Clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        depth = queue_depth(s, url);
      }
      if (depth != expected) return mismatch(url, depth, expected, "after 10 s");
    }
    // Settled; a duplicate delivered late would show now.
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    for (const std::string& url : urls)
      if (uint64_t depth = queue_depth(s, url); depth != expected)
        return mismatch(url, depth, expected, "200 ms after settling");
    return {};
  }
  static std::string mismatch(const std::string& url, uint64_t depth, uint64_t expected,
                              const char* when) {
    return "queue " + url + " holds " + std::to_string(depth) + " messages " + when +
           ", expected " + std::to_string(expected) + " (one per successful Publish): " +
           (depth < expected ? "deliveries are missing" : "deliveries are duplicated");
  }

  // One Publish to the worker's topic, counted when it succeeds (warm-up ones too: they are
  // delivered as well).
  bool publish(Session& s, int worker) {
    const auto& p = sns(s, {{"Action", "Publish"}, {"TopicArn", fanouts_[worker].topic_arn},
                            {"Message", make_body(options_.size, s.next())}});
    if (!ok_status(p.status) || xml_text(p.body, "MessageId").empty()) return false;
    ++published_[worker];
    return true;
  }

  const Options& options_;
  std::vector<Fanout> fanouts_;
  std::vector<uint64_t> published_;  // successful Publish calls per worker
};

}  // namespace

std::unique_ptr<Operation> make_messaging_operation(const std::string& name, const Options& o) {
  if (name == "sqs-send") return std::make_unique<SqsSend>(o, 1);
  if (name == "sqs-send-batch") return std::make_unique<SqsSend>(o, 10);
  if (name == "sqs-receive-delete") return std::make_unique<SqsReceiveDelete>(o);
  if (name == "sqs-longpoll-latency") return std::make_unique<SqsLongPoll>(o);
  if (name == "sns-publish") return std::make_unique<SnsPublish>(o);
  if (name == "sns-publish-only") return std::make_unique<SnsPublishOnly>(o);
  return nullptr;
}

}  // namespace nimbus::bench
