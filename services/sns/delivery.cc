// SNS publishing and delivery: Publish / PublishBatch validation, filter policies, the JSON
// envelope AWS delivers (signed), fan-out to SQS through QueueDirectory, the email/sms outbox,
// and HTTP(S) deliveries persisted in sns_deliveries and attempted from scheduler tasks with the
// delivery policy's retries, then dropped or sent to the dead-letter queue.
// Entry points: SnsService::publish, publish_batch, deliver.
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "common/encoding.h"
#include "common/hash.h"
#include "common/ids.h"
#include "common/log.h"
#include "common/scheduler.h"
#include "services/messaging.h"
#include "services/sns/errors.h"
#include "services/sns/sns_internal.h"
#include "services/sns/sns_service.h"
#include "storage/database.h"

namespace nimbus {

using sns::StringMap;
using sns::SubscriptionRecord;
using sns::TopicRecord;

namespace sns {

std::string effective_delivery_policy(const TopicRecord& topic, const SubscriptionRecord& sub) {
  auto serialize = [](const rapidjson::Value& retry) {
    rapidjson::StringBuffer buffer;
    rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
    w.StartObject();
    w.Key("healthyRetryPolicy");
    retry.Accept(w);
    w.EndObject();
    return std::string(buffer.GetString(), buffer.GetSize());
  };
  rapidjson::Document d;
  std::string own = sub.attribute("DeliveryPolicy");
  d.Parse(own.c_str());
  if (!d.HasParseError() && d.IsObject() && d.HasMember("healthyRetryPolicy") &&
      d["healthyRetryPolicy"].IsObject())
    return serialize(d["healthyRetryPolicy"]);
  std::string topics = topic.attribute("DeliveryPolicy");
  d.Parse(topics.c_str());
  if (!d.HasParseError() && d.IsObject() && d.HasMember("http") && d["http"].IsObject() &&
      d["http"].HasMember("defaultHealthyRetryPolicy") &&
      d["http"]["defaultHealthyRetryPolicy"].IsObject())
    return serialize(d["http"]["defaultHealthyRetryPolicy"]);
  return R"({"healthyRetryPolicy":{"minDelayTarget":20,"maxDelayTarget":20,"numRetries":3,"numMaxDelayRetries":0,"numNoDelayRetries":0,"numMinDelayRetries":0,"backoffFunction":"linear"},"sicklyRetryPolicy":null,"throttlePolicy":null,"guaranteed":false})";
}

RetryPolicy parse_retry_policy(std::string_view json) {
  RetryPolicy p;
  rapidjson::Document d;
  d.Parse(json.data(), json.size());
  if (d.HasParseError() || !d.IsObject() || !d.HasMember("healthyRetryPolicy") ||
      !d["healthyRetryPolicy"].IsObject())
    return p;
  const auto& h = d["healthyRetryPolicy"];
  auto num = [&](const char* k, int& out) {
    if (h.HasMember(k) && h[k].IsNumber()) out = static_cast<int>(h[k].GetDouble());
  };
  num("numRetries", p.num_retries);
  num("minDelayTarget", p.min_delay);
  num("maxDelayTarget", p.max_delay);
  num("numNoDelayRetries", p.num_no_delay);
  num("numMinDelayRetries", p.num_min_delay);
  num("numMaxDelayRetries", p.num_max_delay);
  if (h.HasMember("backoffFunction") && h["backoffFunction"].IsString())
    p.backoff = h["backoffFunction"].GetString();
  p.num_retries = std::clamp(p.num_retries, 0, 100);
  p.min_delay = std::max(0, p.min_delay);
  p.max_delay = std::max(p.min_delay, p.max_delay);
  return p;
}

int retry_delay_seconds(const RetryPolicy& p, int retry) {
  if (retry <= p.num_no_delay) return 0;
  retry -= p.num_no_delay;
  if (retry <= p.num_min_delay) return p.min_delay;
  retry -= p.num_min_delay;
  int backoff = std::max(0, p.num_retries - p.num_no_delay - p.num_min_delay - p.num_max_delay);
  if (retry > backoff) return p.max_delay;
  double f = backoff == 0 ? 1.0 : static_cast<double>(retry) / backoff;
  double lo = p.min_delay, hi = p.max_delay;
  double delay;
  if (p.backoff == "exponential" || p.backoff == "geometric")
    delay = lo <= 0 ? hi * f : lo * std::pow(hi / lo, f);
  else if (p.backoff == "arithmetic")
    delay = lo + (hi - lo) * f * f;
  else
    delay = lo + (hi - lo) * f;
  return static_cast<int>(std::lround(delay));
}

// One message of a Publish or a PublishBatch entry, validated.
struct Prepared {
  std::string batch_id;
  std::string message;
  std::string subject;
  bool structured = false;
  StringMap per_protocol;  // MessageStructure=json: protocol -> text ("default" always present)
  Value attributes;        // SNS MessageAttributes as sent
  std::string group, dedup;
  std::string message_id, sequence;
  bool duplicate = false;

  const std::string& text_for(const std::string& protocol) const {
    if (!structured) return message;
    auto it = per_protocol.find(protocol);
    return it != per_protocol.end() ? it->second : per_protocol.at("default");
  }
};

// One message for one SQS subscription, and where it goes when its queue refuses it.
struct SqsSend {
  std::string queue_arn, dead_letter_arn;
  QueueMessageInput message;
};

}  // namespace sns

namespace {

using sns::Prepared;

void check_attributes(const Value& attributes, size_t& size) {
  if (!attributes.is_map()) return;
  if (attributes.size() > 10)
    throw sns_errors::invalid_parameter(
        "MessageAttributes Reason: Number of message attributes [" +
        std::to_string(attributes.size()) + "] exceeds the allowed maximum [10].");
  for (const auto& [name, v] : attributes.as_map()) {
    if (name.empty() || name.size() > 256 || name.starts_with("AWS.") ||
        name.starts_with("Amazon.") || name.front() == '.' || name.back() == '.' ||
        name.find("..") != std::string::npos ||
        !std::all_of(name.begin(), name.end(), [](char c) {
          return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
        }))
      throw sns_errors::invalid_parameter("MessageAttributes Reason: Invalid attribute name: " + name);
    std::string type = v.string_or("DataType", "");
    if (type.empty())
      throw sns_errors::invalid_parameter_value("The message attribute '" + name +
                                                "' must contain non-empty message attribute type.");
    bool binary = type == "Binary" || type.starts_with("Binary.");
    bool number = type == "Number" || type.starts_with("Number.");
    bool string = type == "String" || type.starts_with("String.");
    if (!binary && !number && !string)
      throw sns_errors::invalid_parameter_value(
          "The message attribute '" + name +
          "' has an invalid message attribute type, the set of supported type prefixes is "
          "Binary, Number, and String.");
    std::string value = binary ? v.string_or("BinaryValue", "") : v.string_or("StringValue", "");
    if ((binary && !v.has("BinaryValue")) || (!binary && !v.has("StringValue")) ||
        (!binary && value.empty()))
      throw sns_errors::invalid_parameter_value(
          "The message attribute '" + name +
          "' must contain non-empty message attribute value for message attribute type '" + type +
          "'.");
    if (number) {
      char* end = nullptr;
      std::strtod(value.c_str(), &end);
      if (!end || *end != '\0')
        throw sns_errors::invalid_parameter_value("Could not cast message attribute '" + name +
                                                  "' value to number.");
    }
    if (type == "String.Array") {
      rapidjson::Document d;
      d.Parse(value.c_str());
      if (d.HasParseError() || !d.IsArray())
        throw sns_errors::invalid_parameter(
            "MessageAttributes Reason: Invalid String.Array value for attribute " + name);
    }
    size += name.size() + type.size() + value.size();
  }
}

bool valid_fifo_id(const std::string& id) {
  return !id.empty() && id.size() <= 128 && std::all_of(id.begin(), id.end(), [](char c) {
    return c >= '!' && c <= '~';
  });
}

// Validates one message against its topic (null topic: a direct SMS) and fills `p`.
void prepare(Prepared& p, const Value& in, const TopicRecord* topic) {
  std::optional<std::string> message = in.get_string("Message");
  if (!message) throw sns_errors::invalid_parameter("Message");
  if (message->empty()) throw sns_errors::invalid_parameter("Empty message");
  p.message = *message;
  if (std::optional<std::string> subject = in.get_string("Subject")) {
    bool bad = subject->empty() || subject->size() >= 100 ||
               std::any_of(subject->begin(), subject->end(),
                           [](char c) { return static_cast<unsigned char>(c) < 0x20; });
    if (bad) throw sns_errors::invalid_parameter("Subject");
    p.subject = *subject;
  }
  if (std::optional<std::string> structure = in.get_string("MessageStructure")) {
    if (*structure != "json")
      throw sns_errors::invalid_parameter("MessageStructure");
    rapidjson::Document d;
    d.Parse(p.message.c_str());
    if (d.HasParseError() || !d.IsObject())
      throw sns_errors::invalid_parameter("Message Structure - JSON message body failed to parse");
    for (auto m = d.MemberBegin(); m != d.MemberEnd(); ++m)
      if (m->value.IsString())
        p.per_protocol[m->name.GetString()] =
            std::string(m->value.GetString(), m->value.GetStringLength());
    if (!p.per_protocol.count("default"))
      throw sns_errors::invalid_parameter("Message Structure - No default entry in JSON message body");
    p.structured = true;
  }
  size_t size = p.message.size();
  if (const Value* a = in.find("MessageAttributes")) {
    check_attributes(*a, size);
    p.attributes = *a;
  }
  if (size > sns::kMaxMessageBytes) throw sns_errors::invalid_parameter("Message too long");
  p.group = in.string_or("MessageGroupId", "");
  p.dedup = in.string_or("MessageDeduplicationId", "");
  bool fifo = topic && topic->fifo();
  if (fifo) {
    if (p.group.empty())
      throw sns_errors::invalid_parameter("The MessageGroupId parameter is required for FIFO topics");
    if (!valid_fifo_id(p.group)) throw sns_errors::invalid_parameter("MessageGroupId");
    if (p.dedup.empty()) {
      if (topic->attribute("ContentBasedDeduplication") != "true")
        throw sns_errors::invalid_parameter(
            "The topic should either have ContentBasedDeduplication enabled or "
            "MessageDeduplicationId provided explicitly");
      p.dedup = sha256_hex(p.message);
    } else if (!valid_fifo_id(p.dedup)) {
      throw sns_errors::invalid_parameter("MessageDeduplicationId");
    }
  } else {
    if (!p.dedup.empty())
      throw sns_errors::invalid_parameter(
          "MessageDeduplicationId Reason: The request includes MessageDeduplicationId parameter "
          "that is not valid for this topic type");
    if (!p.group.empty() && !valid_fifo_id(p.group))
      throw sns_errors::invalid_parameter("MessageGroupId");
  }
  p.message_id = uuid4();
}

// SQS MessageAttributes (the SQS model's shape) for a raw delivery.
Value sqs_attributes(const Value& sns_attributes) {
  Value out = Value::map();
  if (!sns_attributes.is_map()) return out;
  for (const auto& [name, v] : sns_attributes.as_map()) {
    std::string type = v.string_or("DataType", "String");
    Value a = Value::map();
    a.set("DataType", type);
    if (type.starts_with("Binary")) a.set("BinaryValue", v.string_or("BinaryValue", ""));
    else a.set("StringValue", v.string_or("StringValue", ""));
    out.set(name, std::move(a));
  }
  return out;
}

struct SignedFields {
  std::string type, message_id, topic_arn, subject, message, timestamp, signature_version,
      signature, cert_url, unsubscribe_url, sequence;
  const Value* attributes = nullptr;
};

std::string notification_json(const SignedFields& f) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  auto field = [&](const char* k, const std::string& v) {
    w.Key(k);
    w.String(v.data(), static_cast<rapidjson::SizeType>(v.size()));
  };
  w.StartObject();
  field("Type", f.type);
  field("MessageId", f.message_id);
  if (!f.sequence.empty()) field("SequenceNumber", f.sequence);
  field("TopicArn", f.topic_arn);
  if (!f.subject.empty()) field("Subject", f.subject);
  field("Message", f.message);
  field("Timestamp", f.timestamp);
  field("SignatureVersion", f.signature_version);
  field("Signature", f.signature);
  field("SigningCertURL", f.cert_url);
  field("UnsubscribeURL", f.unsubscribe_url);
  if (f.attributes && f.attributes->is_map() && f.attributes->size() > 0) {
    w.Key("MessageAttributes");
    w.StartObject();
    for (const auto& [name, v] : f.attributes->as_map()) {
      std::string type = v.string_or("DataType", "String");
      w.Key(name.data(), static_cast<rapidjson::SizeType>(name.size()));
      w.StartObject();
      field("Type", type);
      field("Value", type.starts_with("Binary") ? base64_encode(v.string_or("BinaryValue", ""))
                                                : v.string_or("StringValue", ""));
      w.EndObject();
    }
    w.EndObject();
  }
  w.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

std::string dead_letter_of(const SubscriptionRecord& s) {
  rapidjson::Document d;
  std::string policy = s.attribute("RedrivePolicy");
  d.Parse(policy.c_str());
  if (d.HasParseError() || !d.IsObject() || !d.HasMember("deadLetterTargetArn") ||
      !d["deadLetterTargetArn"].IsString())
    return "";
  return d["deadLetterTargetArn"].GetString();
}

std::string email_body(const std::string& text, const std::string& unsubscribe) {
  return text +
         "\n\n--\nIf you wish to stop receiving notifications from this topic, please click or "
         "visit the link below to unsubscribe:\n" + unsubscribe +
         "\n\nPlease do not reply directly to this email. If you have any questions or comments "
         "regarding this email, please contact us at https://aws.amazon.com/support\n";
}

}  // namespace

std::string SnsService::sign(const std::string& text, const std::string& version) {
  return signer_.sign(text, version);
}

std::shared_ptr<const sns::FilterPolicy> SnsService::filter_policy(const SubscriptionRecord& s) {
  std::string policy = s.attribute("FilterPolicy");
  if (policy.empty()) return nullptr;
  std::string scope = s.attribute("FilterPolicyScope", "MessageAttributes");
  std::string key = scope + "\n" + policy;
  std::lock_guard lock(policies_mutex_);
  auto it = policies_.find(key);
  if (it != policies_.end()) return it->second;
  if (policies_.size() > 4096) policies_.clear();
  auto parsed = std::make_shared<const sns::FilterPolicy>(sns::FilterPolicy::parse(
      policy, scope == "MessageBody" ? sns::FilterPolicy::Scope::MessageBody
                                     : sns::FilterPolicy::Scope::MessageAttributes));
  policies_[key] = parsed;
  return parsed;
}

std::string SnsService::confirmation_message(const std::string& type, const TopicRecord& topic,
                                             const SubscriptionRecord& s, const std::string& base) {
  std::string message =
      type == "SubscriptionConfirmation"
          ? "You have chosen to subscribe to the topic " + topic.arn +
                ".\nTo confirm the subscription, visit the SubscribeURL included in this message."
          : "You have chosen to deactivate subscription " + s.arn +
                ".\nTo cancel this operation and restore the subscription, visit the SubscribeURL "
                "included in this message.";
  std::map<std::string, std::string> fields = {
      {"Type", type},
      {"MessageId", uuid4()},
      {"Token", s.token},
      {"TopicArn", topic.arn},
      {"Message", message},
      {"SubscribeURL", sns::subscribe_url(base, topic.arn, s.token)},
      {"Timestamp", format_iso8601_ms(env_.clock.now_ms())}};
  std::string version = topic.attribute("SignatureVersion", "1");
  std::string signature = sign(sns::string_to_sign(fields), version);
  return sns::json_object({{"Type", type},
                           {"MessageId", fields["MessageId"]},
                           {"Token", s.token},
                           {"TopicArn", topic.arn},
                           {"Message", message},
                           {"SubscribeURL", fields["SubscribeURL"]},
                           {"Timestamp", fields["Timestamp"]},
                           {"SignatureVersion", version},
                           {"Signature", signature},
                           {"SigningCertURL", sns::signing_cert_url(base)}});
}

void SnsService::send_to_queues(const std::vector<sns::SqsSend>& sends) {
  if (sends.empty()) return;
  if (!env_.queues) {
    log::warn("sns: cannot deliver to " + sends[0].queue_arn +
              ": SQS is not available in this server");
    return;
  }
  std::vector<QueueSend> batch, dead_letters;
  for (const sns::SqsSend& s : sends) batch.push_back({s.queue_arn, s.message});
  std::vector<QueueSendResult> results;
  try {
    results = env_.queues->send_messages(batch);
  } catch (const std::exception& e) {
    log::warn(std::string("sns: delivery to SQS failed: ") + e.what());
    return;
  }
  for (size_t i = 0; i < sends.size(); ++i) {
    if (!results[i].error) continue;
    log::warn("sns: delivery to " + sends[i].queue_arn + " failed: " + results[i].error->message);
    if (!sends[i].dead_letter_arn.empty())
      dead_letters.push_back({sends[i].dead_letter_arn, sends[i].message});
  }
  if (dead_letters.empty()) return;
  try {
    results = env_.queues->send_messages(dead_letters);
  } catch (const std::exception& e) {
    log::warn(std::string("sns: dead-letter delivery failed: ") + e.what());
    return;
  }
  for (size_t i = 0; i < dead_letters.size(); ++i)
    if (results[i].error)
      log::warn("sns: dead-letter delivery to " + dead_letters[i].queue_arn +
                " failed: " + results[i].error->message);
}

void SnsService::schedule_delivery(int64_t id, EpochMillis when) {
  env_.scheduler.schedule_at(when, [this, id] { deliver(id); });
}

// Publishes `entries` (already prepared) to `topic`: FIFO deduplication and sequence numbers,
// outbox rows and pending HTTP deliveries in one write job, then the SQS sends and the HTTP
// tasks. Fills message_id / sequence / duplicate of each entry.
struct SnsService::Outgoing {
  std::vector<sns::SqsSend> sqs;
  std::vector<sns::PendingDelivery> http;
  std::vector<sns::OutboxEntry> outbox;
};

namespace {

// Builds every delivery of one message to the topic's confirmed subscriptions.
template <class Signer, class Filter>
void render(const Prepared& p, const TopicRecord& topic,
            const std::vector<SubscriptionRecord>& subscriptions, const std::string& base,
            EpochMillis now, Signer&& sign, Filter&& filter_for,
            std::vector<sns::SqsSend>& sqs, std::vector<sns::PendingDelivery>& http,
            std::vector<sns::OutboxEntry>& outbox) {
  std::string version = topic.attribute("SignatureVersion", "1");
  std::string timestamp = format_iso8601_ms(now);
  std::string cert_url = sns::signing_cert_url(base);
  std::map<std::string, std::string> signatures;  // text -> signature (one per distinct text)
  for (const SubscriptionRecord& s : subscriptions) {
    if (!s.confirmed) continue;
    if (auto policy = filter_for(s)) {
      bool body_scope = s.attribute("FilterPolicyScope") == "MessageBody";
      bool pass = body_scope ? policy->matches_body(p.message)
                             : policy->matches_attributes(p.attributes);
      if (!pass) continue;
    }
    const std::string& text = p.text_for(s.protocol);
    bool raw = s.attribute("RawMessageDelivery") == "true";
    std::string unsubscribe = sns::unsubscribe_url(base, s.arn);
    auto envelope = [&] {
      auto it = signatures.find(text);
      if (it == signatures.end()) {
        std::map<std::string, std::string> fields = {{"Type", "Notification"},
                                                     {"MessageId", p.message_id},
                                                     {"TopicArn", topic.arn},
                                                     {"Message", text},
                                                     {"Timestamp", timestamp}};
        if (!p.subject.empty()) fields["Subject"] = p.subject;
        it = signatures.emplace(text, sign(sns::string_to_sign(fields), version)).first;
      }
      SignedFields f{"Notification", p.message_id, topic.arn, p.subject, text, timestamp,
                     version, it->second, cert_url, unsubscribe, p.sequence, &p.attributes};
      return notification_json(f);
    };
    if (s.protocol == "sqs") {
      sns::SqsSend send;
      send.queue_arn = s.endpoint;
      send.dead_letter_arn = dead_letter_of(s);
      send.message.body = raw ? text : envelope();
      send.message.message_attributes = raw ? sqs_attributes(p.attributes) : Value::map();
      if (topic.fifo()) {
        send.message.message_group_id = p.group;
        send.message.message_deduplication_id = p.dedup;
      }
      send.message.sender_id = topic.account;
      sqs.push_back(std::move(send));
    } else if (s.protocol == "http" || s.protocol == "https") {
      sns::PendingDelivery d;
      d.subscription_arn = s.arn;
      d.endpoint = s.endpoint;
      std::vector<std::pair<std::string, std::string>> headers = {
          {"x-amz-sns-message-type", "Notification"},
          {"x-amz-sns-message-id", p.message_id},
          {"x-amz-sns-topic-arn", topic.arn},
          {"x-amz-sns-subscription-arn", s.arn}};
      if (raw) headers.emplace_back("x-amz-sns-rawdelivery", "true");
      d.headers = sns::json_object(headers);
      d.body = raw ? text : envelope();
      d.next_ms = now;
      d.policy = sns::effective_delivery_policy(topic, s);
      d.dead_letter_arn = dead_letter_of(s);
      http.push_back(std::move(d));
    } else {
      sns::OutboxEntry e;
      e.created_ms = now;
      e.protocol = s.protocol;
      e.endpoint = s.endpoint;
      e.topic_arn = topic.arn;
      e.subscription_arn = s.arn;
      e.type = "Notification";
      e.message_id = p.message_id;
      if (s.protocol == "email") {
        e.subject = p.subject.empty() ? "AWS Notification Message" : p.subject;
        e.body = email_body(text, unsubscribe);
      } else if (s.protocol == "email-json") {
        e.subject = p.subject;
        e.body = envelope();
      } else {
        std::string display = topic.attribute("DisplayName");
        e.body = display.empty() ? text : display + "> " + text;
      }
      outbox.push_back(std::move(e));
    }
  }
}

}  // namespace

Result SnsService::publish(CallContext& ctx, const Value& input) {
  std::optional<std::string> topic_arn = input.get_string("TopicArn");
  std::optional<std::string> target_arn = input.get_string("TargetArn");
  std::optional<std::string> phone = input.get_string("PhoneNumber");
  int targets = (topic_arn ? 1 : 0) + (target_arn ? 1 : 0) + (phone ? 1 : 0);
  if (targets == 0)
    throw sns_errors::invalid_parameter(
        "TopicArn or TargetArn Reason: no value for required parameter");
  if (targets > 1)
    throw sns_errors::invalid_parameter(
        "TopicArn or TargetArn Reason: Only one of TopicArn, TargetArn or PhoneNumber may be "
        "specified");
  if (phone) {
    if (!sns::valid_phone_number(*phone))
      throw sns_errors::invalid_parameter("PhoneNumber Reason: " + *phone +
                                          " is not valid to publish to");
    Prepared p;
    prepare(p, input, nullptr);
    sns::OutboxEntry e;
    e.created_ms = env_.clock.now_ms();
    e.protocol = "sms";
    e.endpoint = *phone;
    e.type = "Notification";
    e.message_id = p.message_id;
    e.body = p.text_for("sms");
    env_.db.write([&](Connection& c) { sns::insert_outbox(c, e); });
    Result r;
    r.output.set("MessageId", p.message_id);
    return r;
  }
  std::string arn = topic_arn ? *topic_arn : *target_arn;
  if (!sns::parse_arn(arn, "sns"))
    throw sns_errors::invalid_parameter(topic_arn ? "TopicArn" : "TargetArn");
  if (target_arn && std::count(arn.begin(), arn.end(), ':') != 5)
    throw sns_errors::not_found("Endpoint does not exist");
  std::vector<Prepared> entries(1);
  auto [topic, subscriptions] = env_.db.read([&](Connection& c) {
    TopicRecord t = require_topic(c, ctx, arn, "Publish");
    return std::make_pair(t, sns::subscriptions_of_topic(c, arn));
  });
  prepare(entries[0], input, &topic);
  fan_out(ctx, topic, subscriptions, entries);
  Result r;
  r.output.set("MessageId", entries[0].message_id);
  if (!entries[0].sequence.empty()) r.output.set("SequenceNumber", entries[0].sequence);
  return r;
}

Result SnsService::publish_batch(CallContext& ctx, const Value& input) {
  std::string arn = required_topic(input);
  const Value* list = input.find("PublishBatchRequestEntries");
  if (!list || !list->is_list() || list->size() == 0) throw sns_errors::empty_batch();
  if (list->size() > 10) throw sns_errors::too_many_entries();
  std::set<std::string> ids;
  size_t total = 0;
  for (const Value& e : list->as_list()) {
    std::string id = e.string_or("Id", "");
    if (id.empty() || id.size() > 80 ||
        !std::all_of(id.begin(), id.end(), [](char c) {
          return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
        }))
      throw sns_errors::invalid_batch_entry_id();
    if (!ids.insert(id).second) throw sns_errors::batch_ids_not_distinct();
    total += e.string_or("Message", "").size();
  }
  if (total > sns::kMaxMessageBytes) throw sns_errors::batch_too_long();
  auto [topic, subscriptions] = env_.db.read([&](Connection& c) {
    TopicRecord t = require_topic(c, ctx, arn, "Publish");
    return std::make_pair(t, sns::subscriptions_of_topic(c, arn));
  });
  std::vector<Prepared> entries;
  Value failed = Value::list();
  for (const Value& e : list->as_list()) {
    Prepared p;
    p.batch_id = e.string_or("Id", "");
    try {
      prepare(p, e, &topic);
      entries.push_back(std::move(p));
    } catch (const ApiError& error) {
      failed.push_back(Value(ValueMap{{"Id", Value(p.batch_id)},
                                      {"Code", Value(error.code)},
                                      {"Message", Value(error.message)},
                                      {"SenderFault", Value(true)}}));
    }
  }
  if (!entries.empty()) fan_out(ctx, topic, subscriptions, entries);
  Value successful = Value::list();
  for (const Prepared& p : entries) {
    Value entry(ValueMap{{"Id", Value(p.batch_id)}, {"MessageId", Value(p.message_id)}});
    if (!p.sequence.empty()) entry.set("SequenceNumber", p.sequence);
    successful.push_back(std::move(entry));
  }
  Result r;
  r.output.set("Successful", std::move(successful));
  r.output.set("Failed", std::move(failed));
  return r;
}

std::string SnsService::required_topic(const Value& input) {
  std::optional<std::string> arn = input.get_string("TopicArn");
  if (!arn || arn->empty() || !sns::parse_arn(*arn, "sns"))
    throw sns_errors::invalid_parameter("TopicArn");
  return *arn;
}

void SnsService::fan_out(CallContext& ctx, const TopicRecord& topic,
                         const std::vector<SubscriptionRecord>& subscriptions,
                         std::vector<Prepared>& entries) {
  std::string base = sns::base_url(ctx.http);
  EpochMillis now = env_.clock.now_ms();
  // FIFO topics keep order end to end: one publish at a time per service for them.
  std::unique_lock<std::mutex> fifo_lock(fifo_mutex_, std::defer_lock);
  if (topic.fifo()) fifo_lock.lock();
  if (topic.fifo()) {
    env_.db.write([&](Connection& c) {
      std::optional<TopicRecord> fresh = sns::find_topic(c, topic.arn);
      if (!fresh) throw sns_errors::not_found();
      c.prepare("DELETE FROM sns_fifo_dedup WHERE topic_arn = ? AND expires_ms <= ?")
          .bind_all(topic.arn, now)
          .run();
      for (Prepared& p : entries) {
        auto& s = c.prepare("SELECT message_id, sequence FROM sns_fifo_dedup WHERE topic_arn = ? "
                            "AND dedup_id = ?");
        s.bind_all(topic.arn, p.dedup);
        if (s.step()) {
          p.message_id = s.column_text(0);
          p.sequence = s.column_text(1);
          p.duplicate = true;
          continue;
        }
        fresh->sequence++;
        char digits[32];
        std::snprintf(digits, sizeof digits, "1%019lld", static_cast<long long>(fresh->sequence));
        p.sequence = digits;
        c.prepare("INSERT INTO sns_fifo_dedup(topic_arn, dedup_id, message_id, sequence, "
                  "expires_ms) VALUES(?, ?, ?, ?, ?)")
            .bind_all(topic.arn, p.dedup, p.message_id, p.sequence, now + 5 * 60 * 1000)
            .run();
      }
      sns::update_topic(c, *fresh);
    });
  }
  Outgoing out;
  auto signer = [this](const std::string& text, const std::string& version) {
    return sign(text, version);
  };
  auto filters = [this](const SubscriptionRecord& s) { return filter_policy(s); };
  for (const Prepared& p : entries)
    if (!p.duplicate)
      render(p, topic, subscriptions, base, now, signer, filters, out.sqs, out.http, out.outbox);
  std::vector<int64_t> ids;
  if (!out.http.empty() || !out.outbox.empty()) {
    ids = env_.db.write([&](Connection& c) {
      std::vector<int64_t> inserted;
      for (const auto& e : out.outbox) sns::insert_outbox(c, e);
      for (const auto& d : out.http) inserted.push_back(sns::insert_delivery(c, d));
      return inserted;
    });
  }
  send_to_queues(out.sqs);
  for (int64_t id : ids) schedule_delivery(id, now);
}

void SnsService::deliver(int64_t id) {
  std::optional<sns::PendingDelivery> d;
  bool subscribed = true;
  try {
    env_.db.read([&](Connection& c) {
      d = sns::find_delivery(c, id);
      if (d) subscribed = sns::find_subscription(c, d->subscription_arn).has_value();
    });
  } catch (const std::exception& e) {
    log::warn(std::string("sns: cannot read delivery: ") + e.what());
    return;
  }
  if (!d) return;
  StringMap header_map = sns::parse_string_map(d->headers);
  bool notification = header_map["x-amz-sns-message-type"] == "Notification";
  if (notification && !subscribed) {  // unsubscribed since: nothing to deliver
    env_.db.write([&](Connection& c) { sns::delete_delivery(c, id); });
    return;
  }
  Headers headers;
  for (const auto& [k, v] : header_map) headers.push_back({k, v});
  headers.push_back({"Content-Type", "text/plain; charset=UTF-8"});
  headers.push_back({"User-Agent", "Amazon Simple Notification Service Agent"});
  sns::HttpPostResult result = sns::http_post(d->endpoint, headers, d->body);
  if (result.status >= 200 && result.status < 300) {
    env_.db.write([&](Connection& c) { sns::delete_delivery(c, id); });
    return;
  }
  bool permanent = result.status >= 400 && result.status < 500 && result.status != 429;
  sns::RetryPolicy policy = sns::parse_retry_policy(d->policy);
  int64_t attempts = d->attempts + 1;
  if (!permanent && attempts <= policy.num_retries) {
    EpochMillis next =
        env_.clock.now_ms() + 1000LL * sns::retry_delay_seconds(policy, static_cast<int>(attempts));
    env_.db.write([&](Connection& c) { sns::reschedule_delivery(c, id, attempts, next); });
    schedule_delivery(id, next);
    return;
  }
  env_.db.write([&](Connection& c) { sns::delete_delivery(c, id); });
  log::warn("sns: giving up on delivery to " + d->endpoint + " after " +
            std::to_string(attempts) + " attempt(s): " +
            (result.status ? "HTTP " + std::to_string(result.status) : result.error));
  if (notification && !d->dead_letter_arn.empty()) {
    sns::SqsSend dead;
    dead.queue_arn = d->dead_letter_arn;
    dead.message.body = d->body;
    dead.message.message_attributes = Value::map();
    send_to_queues({dead});
  }
}

}  // namespace nimbus
