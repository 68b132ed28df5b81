// SnsService: the SNS operations on topics and subscriptions (validation, storage, access checks)
// and the admin endpoints. Publishing and delivery live in services/sns/delivery.cc.
// Entry point: SnsService::call() dispatches by operation name.
#include "services/sns/sns_service.h"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <cctype>
#include <set>

#include "common/encoding.h"
#include "common/ids.h"
#include "common/log.h"
#include "common/scheduler.h"
#include "services/messaging.h"
#include "services/sns/errors.h"
#include "services/sns/sns_internal.h"
#include "storage/database.h"

namespace nimbus {

using sns::StringMap;
using sns::TagList;
using sns::SubscriptionRecord;
using sns::TopicRecord;

namespace sns {

std::string base_url(const HttpRequest& request) {
  std::string host = request.header_or("Host", "localhost");
  return std::string(request.secure ? "https://" : "http://") + host;
}

std::string subscribe_url(const std::string& base, const std::string& topic_arn,
                          const std::string& token) {
  return base + "/?Action=ConfirmSubscription&TopicArn=" + uri_encode(topic_arn) + "&Token=" +
         token + "&Version=2010-03-31";
}

std::string unsubscribe_url(const std::string& base, const std::string& subscription_arn) {
  return base + "/?Action=Unsubscribe&SubscriptionArn=" + uri_encode(subscription_arn) +
         "&Version=2010-03-31";
}

std::string signing_cert_url(const std::string& base) { return base + kCertificatePath; }

std::optional<ArnParts> parse_arn(std::string_view arn, std::string_view service) {
  // arn:aws:<service>:<region>:<account>:<resource>
  std::vector<std::string> parts;
  size_t start = 0;
  for (int i = 0; i < 5; ++i) {
    size_t colon = arn.find(':', start);
    if (colon == std::string_view::npos) return std::nullopt;
    parts.emplace_back(arn.substr(start, colon - start));
    start = colon + 1;
  }
  if (parts[0] != "arn" || parts[1].empty() || parts[2] != service || parts[3].empty() ||
      parts[4].size() != 12)
    return std::nullopt;
  ArnParts out{parts[3], parts[4], std::string(arn.substr(start))};
  if (out.resource.empty()) return std::nullopt;
  return out;
}

std::string json_object(const std::vector<std::pair<std::string, std::string>>& fields) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  w.StartObject();
  for (const auto& [k, v] : fields) {
    w.Key(k.data(), static_cast<rapidjson::SizeType>(k.size()));
    w.String(v.data(), static_cast<rapidjson::SizeType>(v.size()));
  }
  w.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

}  // namespace sns

namespace {

constexpr int kPageSize = 100;
constexpr size_t kMaxTags = 50;

Value topic_arn_entry(const std::string& arn) { return Value(ValueMap{{"TopicArn", Value(arn)}}); }

std::string required(const Value& input, std::string_view member) {
  std::optional<std::string> v = input.get_string(member);
  if (!v || v->empty()) throw sns_errors::invalid_parameter(std::string(member));
  return *v;
}

std::string topic_arn_of(const Value& input, std::string_view member = "TopicArn") {
  std::string arn = required(input, member);
  if (!sns::parse_arn(arn, "sns")) throw sns_errors::invalid_parameter(std::string(member));
  return arn;
}

bool valid_topic_name(std::string_view name, bool fifo) {
  std::string_view base = name;
  if (fifo) {
    if (!name.ends_with(".fifo")) return false;
    base.remove_suffix(5);
  }
  if (base.empty() || name.size() > 256) return false;
  return std::all_of(base.begin(), base.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
  });
}

std::string default_policy(const std::string& arn, const std::string& account) {
  return R"({"Version":"2008-10-17","Id":"__default_policy_ID","Statement":[{"Sid":"__default_statement_ID","Effect":"Allow","Principal":{"AWS":"*"},"Action":["SNS:GetTopicAttributes","SNS:SetTopicAttributes","SNS:AddPermission","SNS:RemovePermission","SNS:DeleteTopic","SNS:Subscribe","SNS:ListSubscriptionsByTopic","SNS:Publish"],"Resource":")" +
         arn + R"(","Condition":{"StringEquals":{"AWS:SourceOwner":")" + account + R"("}}}]})";
}

const char* kDefaultHttpPolicy =
    R"({"http":{"defaultHealthyRetryPolicy":{"minDelayTarget":20,"maxDelayTarget":20,"numRetries":3,"numMaxDelayRetries":0,"numNoDelayRetries":0,"numMinDelayRetries":0,"backoffFunction":"linear"},"disableSubscriptionOverrides":false,"defaultRequestPolicy":{"headerContentType":"text/plain; charset=UTF-8"}}})";

bool is_json_object(const std::string& text) {
  rapidjson::Document d;
  d.Parse(text.c_str());
  return !d.HasParseError() && d.IsObject();
}

// Validates one topic attribute for CreateTopic / SetTopicAttributes.
void check_topic_attribute(const std::string& name, const std::string& value, bool fifo,
                           bool creating) {
  static const std::set<std::string> names = {
      "DeliveryPolicy", "DisplayName", "Policy", "TracingConfig", "KmsMasterKeyId",
      "SignatureVersion", "ContentBasedDeduplication", "FifoTopic", "ArchivePolicy",
      "FifoThroughputScope", "DataProtectionPolicy"};
  bool feedback = name.ends_with("SuccessFeedbackRoleArn") ||
                  name.ends_with("FailureFeedbackRoleArn") ||
                  name.ends_with("SuccessFeedbackSampleRate");
  if (!names.count(name) && !feedback) throw sns_errors::invalid_parameter("AttributeName");
  if (name == "FifoTopic" && !creating) throw sns_errors::invalid_parameter("AttributeName");
  if ((name == "Policy" || name == "DeliveryPolicy") && !is_json_object(value))
    throw sns_errors::invalid_parameter(name + ": " + name + " is not a valid JSON object");
  if (name == "SignatureVersion" && value != "1" && value != "2")
    throw sns_errors::invalid_parameter(
        "Attributes Reason: SignatureVersion: SignatureVersion must be 1 or 2");
  if (name == "ContentBasedDeduplication") {
    if (value != "true" && value != "false")
      throw sns_errors::invalid_parameter("ContentBasedDeduplication");
    if (!fifo && value == "true")
      throw sns_errors::invalid_parameter(
          "ContentBasedDeduplication Reason: Content based deduplication can only be set for "
          "FIFO topics");
  }
  if (name == "TracingConfig" && value != "Active" && value != "PassThrough")
    throw sns_errors::invalid_parameter("TracingConfig");
  if (name == "DisplayName" && value.size() > 100)
    throw sns_errors::invalid_parameter("DisplayName");
}

TagList tags_of(const Value& input) {
  TagList tags;
  if (const Value* list = input.find("Tags"); list && list->is_list()) {
    for (const Value& t : list->as_list()) {
      std::string key = t.string_or("Key", ""), value = t.string_or("Value", "");
      if (key.empty() || key.size() > 128)
        throw sns_errors::invalid_parameter("Tags Reason: Tag key is invalid");
      if (value.size() > 256)
        throw sns_errors::invalid_parameter("Tags Reason: Tag value is invalid");
      auto it = std::find_if(tags.begin(), tags.end(), [&](auto& p) { return p.first == key; });
      if (it != tags.end()) it->second = value;
      else tags.emplace_back(key, value);
    }
  }
  return tags;
}

Value tags_value(const TagList& tags) {
  Value list = Value::list();
  for (const auto& [k, v] : tags) list.push_back(Value(ValueMap{{"Key", Value(k)}, {"Value", Value(v)}}));
  return list;
}

std::string encode_token(const std::string& last) { return base64_encode(last); }
std::string decode_token(const Value& input) {
  std::optional<std::string> token = input.get_string("NextToken");
  if (!token || token->empty()) return "";
  std::optional<std::string> decoded = base64_decode(*token);
  if (!decoded) throw sns_errors::invalid_parameter("NextToken");
  return *decoded;
}

// Whether the topic's policy lets `account` perform SNS:<action>.
bool policy_allows(const TopicRecord& topic, const std::string& account, std::string_view action) {
  rapidjson::Document doc;
  std::string policy = topic.attribute("Policy");
  doc.Parse(policy.c_str());
  if (doc.HasParseError() || !doc.IsObject() || !doc.HasMember("Statement")) return false;
  const auto& statements = doc["Statement"];
  if (!statements.IsArray()) return false;
  std::string wanted = "sns:" + std::string(action);
  std::transform(wanted.begin(), wanted.end(), wanted.begin(), ::tolower);
  for (const auto& s : statements.GetArray()) {
    if (!s.IsObject() || !s.HasMember("Effect") || std::string(s["Effect"].GetString()) != "Allow")
      continue;
    if (s.HasMember("Condition")) continue;  // conditions (SourceOwner, ...) never grant others
    bool principal = false;
    if (s.HasMember("Principal")) {
      const auto& p = s["Principal"];
      auto check = [&](const rapidjson::Value& v) {
        if (!v.IsString()) return;
        std::string who = v.GetString();
        if (who == "*" || who == account || who == "arn:aws:iam::" + account + ":root")
          principal = true;
      };
      if (p.IsString()) check(p);
      if (p.IsObject() && p.HasMember("AWS")) {
        if (p["AWS"].IsArray())
          for (const auto& v : p["AWS"].GetArray()) check(v);
        else
          check(p["AWS"]);
      }
    }
    if (!principal) continue;
    bool allowed = false;
    auto check_action = [&](const rapidjson::Value& v) {
      if (!v.IsString()) return;
      std::string a = v.GetString();
      std::transform(a.begin(), a.end(), a.begin(), ::tolower);
      if (a == "sns:*" || a == "*" || a == wanted) allowed = true;
    };
    if (s.HasMember("Action")) {
      if (s["Action"].IsArray())
        for (const auto& v : s["Action"].GetArray()) check_action(v);
      else
        check_action(s["Action"]);
    }
    if (allowed) return true;
  }
  return false;
}

// Validates subscription attributes (names and values) for `protocol`; returns them normalized.
StringMap check_subscription_attributes(const StringMap& attributes, const std::string& protocol) {
  static const std::set<std::string> names = {"DeliveryPolicy",  "FilterPolicy",
                                              "FilterPolicyScope", "RawMessageDelivery",
                                              "RedrivePolicy",   "SubscriptionRoleArn",
                                              "ReplayPolicy"};
  StringMap out;
  for (const auto& [name, value] : attributes) {
    if (!names.count(name)) throw sns_errors::invalid_parameter("AttributeName");
    if (name == "RawMessageDelivery") {
      std::string v = value;
      std::transform(v.begin(), v.end(), v.begin(), ::tolower);
      if (v != "true" && v != "false")
        throw sns_errors::invalid_parameter("Attributes Reason: RawMessageDelivery: Invalid value [" +
                                            value + "]. Must be true or false.");
      if (v == "true" && protocol != "sqs" && protocol != "http" && protocol != "https" &&
          protocol != "firehose")
        throw sns_errors::invalid_parameter("Attributes Reason: Delivery protocol [" + protocol +
                                            "] does not support raw message delivery.");
      out[name] = v;
      continue;
    }
    if (name == "FilterPolicyScope" && value != "MessageAttributes" && value != "MessageBody")
      throw sns_errors::invalid_parameter("Attributes Reason: FilterPolicyScope: Invalid value [" +
                                          value +
                                          "]. Please use either MessageBody or MessageAttributes");
    if (name == "DeliveryPolicy" && !is_json_object(value))
      throw sns_errors::invalid_parameter("DeliveryPolicy: failed to parse JSON");
    if (name == "RedrivePolicy") {
      rapidjson::Document d;
      d.Parse(value.c_str());
      if (d.HasParseError() || !d.IsObject())
        throw sns_errors::invalid_parameter("RedrivePolicy: failed to parse JSON");
      if (!d.HasMember("deadLetterTargetArn") || !d["deadLetterTargetArn"].IsString())
        throw sns_errors::invalid_parameter(
            "RedrivePolicy: deadLetterTargetArn is missing from the RedrivePolicy");
      if (!sns::parse_arn(d["deadLetterTargetArn"].GetString(), "sqs"))
        throw sns_errors::invalid_parameter("RedrivePolicy: deadLetterTargetArn is an invalid arn");
    }
    out[name] = value;
  }
  // A FilterPolicy is validated under its (possibly new) scope.
  if (out.count("FilterPolicy") && !out["FilterPolicy"].empty()) {
    auto scope = out.count("FilterPolicyScope") && out["FilterPolicyScope"] == "MessageBody"
                     ? sns::FilterPolicy::Scope::MessageBody
                     : sns::FilterPolicy::Scope::MessageAttributes;
    sns::FilterPolicy::parse(out["FilterPolicy"], scope);
  }
  return out;
}

void check_endpoint(const std::string& protocol, const std::string& endpoint) {
  if (protocol == "sqs") {
    if (!sns::parse_arn(endpoint, "sqs")) throw sns_errors::invalid_parameter("SQS endpoint ARN");
  } else if (protocol == "http" || protocol == "https") {
    sns::ParsedUrl url;
    if (!endpoint.starts_with(protocol + "://") || !sns::parse_url(endpoint, url))
      throw sns_errors::invalid_parameter("Endpoint must match the specified protocol");
  } else if (protocol == "email" || protocol == "email-json") {
    auto at = endpoint.find('@');
    if (at == std::string::npos || at == 0 || at + 1 >= endpoint.size() ||
        endpoint.find(' ') != std::string::npos)
      throw sns_errors::invalid_parameter("Email address");
  } else if (protocol == "sms") {
    if (!sns::valid_phone_number(endpoint))
      throw sns_errors::invalid_parameter("Invalid SMS endpoint: " + endpoint);
  } else if (protocol == "lambda" || protocol == "firehose" || protocol == "application") {
    throw sns_errors::invalid_parameter("Protocol: nimbus does not deliver to " + protocol +
                                        " endpoints");
  } else {
    throw sns_errors::invalid_parameter("Amazon SNS does not support this protocol string: " +
                                        protocol);
  }
}

Value subscription_entry(const SubscriptionRecord& s) {
  return Value(ValueMap{{"SubscriptionArn", Value(s.confirmed ? s.arn : "PendingConfirmation")},
                        {"Owner", Value(s.owner)},
                        {"Protocol", Value(s.protocol)},
                        {"Endpoint", Value(s.endpoint)},
                        {"TopicArn", Value(s.topic_arn)}});
}

StringMap attributes_of(const Value& input, std::string_view member = "Attributes") {
  StringMap out;
  if (const Value* m = input.find(member); m && m->is_map())
    for (const auto& [k, v] : m->as_map()) out[k] = v.is_string() ? v.as_string() : "";
  return out;
}

}  // namespace

bool sns::valid_phone_number(const std::string& number) {
  std::string digits = number.starts_with("+") ? number.substr(1) : number;
  if (digits.size() < 7 || digits.size() > 15) return false;
  return std::all_of(digits.begin(), digits.end(),
                     [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
}

SnsService::SnsService(ServiceEnv& env)
    : env_(env), model_(builtin_model("sns")), signer_(env.db) {
  sns::migrate(env_.db);
  for (const sns::PendingDelivery& d : env_.db.read([](Connection& c) { return sns::all_deliveries(c); }))
    schedule_delivery(d.id, d.next_ms);
  for (const auto& [arn, created_ms] :
       env_.db.read([](Connection& c) { return sns::pending_subscriptions(c); }))
    schedule_expiry(arn, created_ms);
}

void SnsService::schedule_expiry(const std::string& subscription_arn, EpochMillis created_ms) {
  env_.scheduler.schedule_at(created_ms + sns::kPendingLifetimeMs,
                             [this, subscription_arn] { expire_pending(subscription_arn); });
}

void SnsService::expire_pending(const std::string& subscription_arn) {
  std::optional<EpochMillis> not_yet;  // created_ms of one that is not due yet
  try {
    env_.db.write([&](Connection& c) {
      std::optional<SubscriptionRecord> sub = sns::find_subscription(c, subscription_arn);
      if (!sub || sub->confirmed) return;
      if (env_.clock.now_ms() < sub->created_ms + sns::kPendingLifetimeMs) {
        not_yet = sub->created_ms;
        return;
      }
      // Not counted in SubscriptionsDeleted: it never became a subscription.
      sns::delete_subscription(c, subscription_arn);
    });
  } catch (const std::exception& e) {
    log::warn("sns: cannot expire " + subscription_arn + ": " + e.what());
    return;
  }
  if (not_yet) schedule_expiry(subscription_arn, *not_yet);
}

SnsService::~SnsService() = default;

void SnsService::reset() {
  signer_.reset();
  std::lock_guard lock(policies_mutex_);
  policies_.clear();
}

Result SnsService::call(CallContext& context, const Value& input) {
  using Handler = Result (SnsService::*)(CallContext&, const Value&);
  static const std::unordered_map<std::string_view, Handler> handlers = {
      {"CreateTopic", &SnsService::create_topic},
      {"DeleteTopic", &SnsService::delete_topic},
      {"ListTopics", &SnsService::list_topics},
      {"GetTopicAttributes", &SnsService::get_topic_attributes},
      {"SetTopicAttributes", &SnsService::set_topic_attributes},
      {"TagResource", &SnsService::tag_resource},
      {"UntagResource", &SnsService::untag_resource},
      {"ListTagsForResource", &SnsService::list_tags},
      {"AddPermission", &SnsService::add_permission},
      {"RemovePermission", &SnsService::remove_permission},
      {"Subscribe", &SnsService::subscribe},
      {"ConfirmSubscription", &SnsService::confirm_subscription},
      {"Unsubscribe", &SnsService::unsubscribe},
      {"ListSubscriptions", &SnsService::list_subscriptions},
      {"ListSubscriptionsByTopic", &SnsService::list_subscriptions_by_topic},
      {"GetSubscriptionAttributes", &SnsService::get_subscription_attributes},
      {"SetSubscriptionAttributes", &SnsService::set_subscription_attributes},
      {"Publish", &SnsService::publish},
      {"PublishBatch", &SnsService::publish_batch},
  };
  const std::string& op = context.operation.name;
  if (context.account.anonymous && op != "ConfirmSubscription" && op != "Unsubscribe")
    throw auth_error(AuthError(AuthFailure::MissingAuthentication,
                               "Request is missing Authentication Token"));
  auto it = handlers.find(op);
  if (it == handlers.end()) throw errors::not_implemented(op);
  return (this->*(it->second))(context, input);
}

TopicRecord SnsService::require_topic(Connection& c, const CallContext& ctx, const std::string& arn,
                                      std::string_view action) {
  std::optional<TopicRecord> topic = sns::find_topic(c, arn);
  if (!topic) throw sns_errors::not_found();
  if (topic->account != ctx.account.id && !policy_allows(*topic, ctx.account.id, action))
    throw sns_errors::authorization("User: arn:aws:iam::" + ctx.account.id +
                                    ":root is not authorized to perform: SNS:" +
                                    std::string(action) + " on resource: " + arn);
  return *topic;
}

// ---- topics -------------------------------------------------------------------------------

Result SnsService::create_topic(CallContext& ctx, const Value& input) {
  std::string name = input.string_or("Name", "");
  StringMap attributes = attributes_of(input);
  TagList tags = tags_of(input);
  bool fifo = attributes.count("FifoTopic") && attributes["FifoTopic"] == "true";
  if (attributes.count("FifoTopic") && attributes["FifoTopic"] != "true" &&
      attributes["FifoTopic"] != "false")
    throw sns_errors::invalid_parameter("FifoTopic");
  if (fifo && !valid_topic_name(name, true))
    throw sns_errors::invalid_parameter(
        "Fifo Topic names must end with .fifo and must be made up of only uppercase and "
        "lowercase ASCII letters, numbers, underscores, and hyphens, and must be between 1 and "
        "256 characters long.");
  if (!fifo && (!valid_topic_name(name, false)))
    throw sns_errors::invalid_parameter("Topic Name");
  for (const auto& [k, v] : attributes) check_topic_attribute(k, v, fifo, true);
  if (tags.size() > kMaxTags) throw sns_errors::tag_limit_exceeded();
  if (fifo) attributes.emplace("ContentBasedDeduplication", "false");
  attributes.erase("FifoTopic");

  TopicRecord topic;
  topic.arn = "arn:aws:sns:" + ctx.region + ":" + ctx.account.id + ":" + name;
  topic.account = ctx.account.id;
  topic.region = ctx.region;
  topic.name = name;
  topic.attributes = attributes;
  topic.tags = tags;
  topic.created_ms = env_.clock.now_ms();
  env_.db.write([&](Connection& c) {
    std::optional<TopicRecord> existing = sns::find_topic(c, topic.arn);
    if (!existing) {
      if (!topic.attributes.count("Policy"))
        topic.attributes["Policy"] = default_policy(topic.arn, topic.account);
      sns::insert_topic(c, topic);
      return;
    }
    // Idempotent: the same name with the same attributes and tags returns the same ARN.
    for (const auto& [k, v] : attributes)
      if (existing->attribute(k) != v)
        throw sns_errors::invalid_parameter(
            "Attributes Reason: Topic already exists with different attributes");
    for (const auto& [k, v] : tags) {
      auto it = std::find_if(existing->tags.begin(), existing->tags.end(),
                             [&](auto& p) { return p.first == k; });
      if (it == existing->tags.end() || it->second != v)
        throw sns_errors::invalid_parameter("Tags Reason: Topic already exists with different tags");
    }
  });
  Result r;
  r.output.set("TopicArn", topic.arn);
  return r;
}

Result SnsService::delete_topic(CallContext& ctx, const Value& input) {
  std::string arn = topic_arn_of(input);
  env_.db.write([&](Connection& c) {
    if (!sns::find_topic(c, arn)) return;  // deleting a missing topic is not an error
    require_topic(c, ctx, arn, "DeleteTopic");
    sns::delete_topic(c, arn);
  });
  return {};
}

Result SnsService::list_topics(CallContext& ctx, const Value& input) {
  std::string after = decode_token(input);
  auto topics = env_.db.read([&](Connection& c) {
    return sns::list_topics(c, ctx.account.id, ctx.region, after, kPageSize + 1);
  });
  Result r;
  Value list = Value::list();
  for (size_t i = 0; i < topics.size() && i < kPageSize; ++i) list.push_back(topic_arn_entry(topics[i].arn));
  r.output.set("Topics", std::move(list));
  if (topics.size() > kPageSize) r.output.set("NextToken", encode_token(topics[kPageSize - 1].arn));
  return r;
}

Result SnsService::get_topic_attributes(CallContext& ctx, const Value& input) {
  std::string arn = topic_arn_of(input);
  auto [topic, subscriptions] = env_.db.read([&](Connection& c) {
    TopicRecord t = require_topic(c, ctx, arn, "GetTopicAttributes");
    return std::make_pair(t, sns::subscriptions_of_topic(c, arn));
  });
  int64_t confirmed = 0, pending = 0;
  for (const auto& s : subscriptions) (s.confirmed ? confirmed : pending)++;
  StringMap out = topic.attributes;
  out["TopicArn"] = topic.arn;
  out["Owner"] = topic.account;
  out["SubscriptionsConfirmed"] = std::to_string(confirmed);
  out["SubscriptionsPending"] = std::to_string(pending);
  out["SubscriptionsDeleted"] = std::to_string(topic.deleted_count);
  if (!out.count("DisplayName")) out["DisplayName"] = "";
  out["EffectiveDeliveryPolicy"] =
      topic.attributes.count("DeliveryPolicy") ? topic.attributes.at("DeliveryPolicy") : kDefaultHttpPolicy;
  if (topic.fifo()) {
    out["FifoTopic"] = "true";
    if (!out.count("FifoThroughputScope")) out["FifoThroughputScope"] = "Topic";
  }
  Value attributes = Value::map();
  for (const auto& [k, v] : out) attributes.set(k, v);
  Result r;
  r.output.set("Attributes", std::move(attributes));
  return r;
}

Result SnsService::set_topic_attributes(CallContext& ctx, const Value& input) {
  std::string arn = topic_arn_of(input);
  std::string name = required(input, "AttributeName");
  std::string value = input.string_or("AttributeValue", "");
  env_.db.write([&](Connection& c) {
    TopicRecord topic = require_topic(c, ctx, arn, "SetTopicAttributes");
    check_topic_attribute(name, value, topic.fifo(), false);
    if (value.empty() && name != "DisplayName") {
      topic.attributes.erase(name);
      if (name == "Policy") topic.attributes[name] = default_policy(topic.arn, topic.account);
    } else {
      topic.attributes[name] = value;
    }
    sns::update_topic(c, topic);
  });
  return {};
}

Result SnsService::tag_resource(CallContext& ctx, const Value& input) {
  std::string arn = required(input, "ResourceArn");
  TagList tags = tags_of(input);
  env_.db.write([&](Connection& c) {
    if (!sns::find_topic(c, arn)) throw sns_errors::resource_not_found();
    TopicRecord topic = require_topic(c, ctx, arn, "TagResource");
    for (const auto& [k, v] : tags) {
      auto it = std::find_if(topic.tags.begin(), topic.tags.end(), [&](auto& p) { return p.first == k; });
      if (it != topic.tags.end()) it->second = v;
      else topic.tags.emplace_back(k, v);
    }
    if (topic.tags.size() > kMaxTags) throw sns_errors::tag_limit_exceeded();
    sns::update_topic(c, topic);
  });
  return {};
}

Result SnsService::untag_resource(CallContext& ctx, const Value& input) {
  std::string arn = required(input, "ResourceArn");
  std::set<std::string> keys;
  if (const Value* list = input.find("TagKeys"); list && list->is_list())
    for (const Value& k : list->as_list())
      if (k.is_string()) keys.insert(k.as_string());
  env_.db.write([&](Connection& c) {
    if (!sns::find_topic(c, arn)) throw sns_errors::resource_not_found();
    TopicRecord topic = require_topic(c, ctx, arn, "UntagResource");
    std::erase_if(topic.tags, [&](auto& p) { return keys.count(p.first) > 0; });
    sns::update_topic(c, topic);
  });
  return {};
}

Result SnsService::list_tags(CallContext& ctx, const Value& input) {
  std::string arn = required(input, "ResourceArn");
  TopicRecord topic = env_.db.read([&](Connection& c) {
    if (!sns::find_topic(c, arn)) throw sns_errors::resource_not_found();
    return require_topic(c, ctx, arn, "ListTagsForResource");
  });
  Result r;
  r.output.set("Tags", tags_value(topic.tags));
  return r;
}

Result SnsService::add_permission(CallContext& ctx, const Value& input) {
  std::string arn = topic_arn_of(input);
  std::string label = required(input, "Label");
  std::vector<std::string> accounts, actions;
  for (const char* member : {"AWSAccountId", "ActionName"}) {
    const Value* list = input.find(member);
    if (!list || !list->is_list() || list->size() == 0)
      throw sns_errors::invalid_parameter(member);
  }
  for (const Value& v : input.find("AWSAccountId")->as_list())
    if (v.is_string()) accounts.push_back(v.as_string());
  for (const Value& v : input.find("ActionName")->as_list())
    if (v.is_string()) actions.push_back(v.as_string());
  static const std::set<std::string> known = {
      "*", "AddPermission", "DeleteTopic", "GetTopicAttributes", "ListSubscriptionsByTopic",
      "ListTopics", "Publish", "Receive", "RemovePermission", "SetTopicAttributes", "Subscribe"};
  for (const auto& a : actions)
    if (!known.count(a)) throw sns_errors::invalid_parameter("Policy statement action out of service scope!");
  env_.db.write([&](Connection& c) {
    TopicRecord topic = require_topic(c, ctx, arn, "AddPermission");
    rapidjson::Document doc;
    std::string policy = topic.attribute("Policy", default_policy(arn, topic.account));
    doc.Parse(policy.c_str());
    if (doc.HasParseError() || !doc.IsObject()) doc.Parse(default_policy(arn, topic.account).c_str());
    auto& alloc = doc.GetAllocator();
    if (!doc.HasMember("Statement") || !doc["Statement"].IsArray())
      doc.AddMember("Statement", rapidjson::Value(rapidjson::kArrayType), alloc);
    for (const auto& s : doc["Statement"].GetArray())
      if (s.IsObject() && s.HasMember("Sid") && s["Sid"].IsString() && label == s["Sid"].GetString())
        throw sns_errors::invalid_parameter("Statement already exists");
    rapidjson::Value statement(rapidjson::kObjectType);
    statement.AddMember("Sid", rapidjson::Value(label.c_str(), alloc), alloc);
    statement.AddMember("Effect", "Allow", alloc);
    rapidjson::Value principals(rapidjson::kArrayType);
    for (const auto& a : accounts)
      principals.PushBack(rapidjson::Value(("arn:aws:iam::" + a + ":root").c_str(), alloc), alloc);
    rapidjson::Value principal(rapidjson::kObjectType);
    principal.AddMember("AWS", principals, alloc);
    statement.AddMember("Principal", principal, alloc);
    rapidjson::Value action_list(rapidjson::kArrayType);
    for (const auto& a : actions)
      action_list.PushBack(rapidjson::Value(("SNS:" + a).c_str(), alloc), alloc);
    statement.AddMember("Action", action_list, alloc);
    statement.AddMember("Resource", rapidjson::Value(arn.c_str(), alloc), alloc);
    doc["Statement"].PushBack(statement, alloc);
    rapidjson::StringBuffer buffer;
    rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
    doc.Accept(w);
    topic.attributes["Policy"] = std::string(buffer.GetString(), buffer.GetSize());
    sns::update_topic(c, topic);
  });
  return {};
}

Result SnsService::remove_permission(CallContext& ctx, const Value& input) {
  std::string arn = topic_arn_of(input);
  std::string label = required(input, "Label");
  env_.db.write([&](Connection& c) {
    TopicRecord topic = require_topic(c, ctx, arn, "RemovePermission");
    rapidjson::Document doc;
    std::string policy = topic.attribute("Policy");
    doc.Parse(policy.c_str());
    if (doc.HasParseError() || !doc.IsObject() || !doc.HasMember("Statement") ||
        !doc["Statement"].IsArray())
      return;
    auto& list = doc["Statement"];
    for (auto it = list.Begin(); it != list.End();) {
      if (it->IsObject() && it->HasMember("Sid") && (*it)["Sid"].IsString() &&
          label == (*it)["Sid"].GetString())
        it = list.Erase(it);
      else
        ++it;
    }
    rapidjson::StringBuffer buffer;
    rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
    doc.Accept(w);
    topic.attributes["Policy"] = std::string(buffer.GetString(), buffer.GetSize());
    sns::update_topic(c, topic);
  });
  return {};
}

// ---- subscriptions ------------------------------------------------------------------------

Result SnsService::subscribe(CallContext& ctx, const Value& input) {
  std::string arn = topic_arn_of(input);
  std::string protocol = required(input, "Protocol");
  std::string endpoint = input.string_or("Endpoint", "");
  std::transform(protocol.begin(), protocol.end(), protocol.begin(), ::tolower);
  check_endpoint(protocol, endpoint);
  StringMap attributes = check_subscription_attributes(attributes_of(input), protocol);
  bool return_arn = input.get_bool("ReturnSubscriptionArn").value_or(false);
  std::string base = sns::base_url(ctx.http);

  bool immediate = protocol == "sqs" || protocol == "sms";
  // The email-json confirmation is signed inside the write job below, where the signer may not
  // read the database: load (or create) the key first.
  if (protocol == "email-json") signer_.certificate_pem();
  SubscriptionRecord sub;
  bool created = false;
  TopicRecord topic = env_.db.write([&](Connection& c) {
    TopicRecord t = require_topic(c, ctx, arn, "Subscribe");
    if (protocol == "sqs" && !t.fifo() && endpoint.ends_with(".fifo"))
      throw sns_errors::invalid_parameter(
          "Endpoint Reason: FIFO SQS Queues can not be subscribed to standard "
          "SNS topics");
    if (t.fifo() && protocol != "sqs")
      throw sns_errors::invalid_parameter("Invalid protocol type: " + protocol);
    if (std::optional<SubscriptionRecord> existing = sns::find_subscription(c, arn, protocol, endpoint)) {
      for (const auto& [k, v] : attributes)
        if (existing->attribute(k) != v)
          throw sns_errors::invalid_parameter(
              "Attributes Reason: Subscription already exists with different attributes");
      sub = *existing;
      return t;
    }
    sub.arn = arn + ":" + uuid4();
    sub.topic_arn = arn;
    sub.owner = ctx.account.id;
    sub.region = t.region;
    sub.protocol = protocol;
    sub.endpoint = endpoint;
    sub.confirmed = immediate;
    sub.token = random_hex(64);
    sub.attributes = attributes;
    if (sub.attributes.count("FilterPolicy") && !sub.attributes.count("FilterPolicyScope"))
      sub.attributes["FilterPolicyScope"] = "MessageAttributes";
    sub.created_ms = env_.clock.now_ms();
    sns::upsert_subscription(c, sub);
    created = true;
    // email and email-json confirmations go to the outbox in the same transaction.
    if (protocol == "email" || protocol == "email-json") {
      sns::OutboxEntry e;
      e.created_ms = sub.created_ms;
      e.protocol = protocol;
      e.endpoint = endpoint;
      e.topic_arn = arn;
      e.subscription_arn = sub.arn;
      e.type = "SubscriptionConfirmation";
      e.message_id = uuid4();
      std::string url = sns::subscribe_url(base, arn, sub.token);
      if (protocol == "email") {
        e.subject = "AWS Notification - Subscription Confirmation";
        e.body = "You have chosen to subscribe to the topic: \n" + arn +
                 "\n\nTo confirm this subscription, click or visit the link below (If this was in "
                 "error no action is necessary): \n" + url + "\n";
      } else {
        e.body = confirmation_message("SubscriptionConfirmation", t, sub, base);
      }
      sns::insert_outbox(c, e);
    }
    return t;
  });
  if (created && !sub.confirmed) schedule_expiry(sub.arn, sub.created_ms);
  if (created && (protocol == "http" || protocol == "https")) {
    // The SubscriptionConfirmation POST, delivered like any other HTTP message.
    std::string body = confirmation_message("SubscriptionConfirmation", topic, sub, base);
    sns::PendingDelivery d;
    d.subscription_arn = sub.arn;
    d.endpoint = endpoint;
    d.headers = sns::json_object({{"x-amz-sns-message-type", "SubscriptionConfirmation"},
                                  {"x-amz-sns-topic-arn", arn}});
    d.body = body;
    d.next_ms = env_.clock.now_ms();
    d.policy = sns::effective_delivery_policy(topic, sub);
    int64_t id = env_.db.write([&](Connection& c) { return sns::insert_delivery(c, d); });
    schedule_delivery(id, d.next_ms);
  }
  Result r;
  r.output.set("SubscriptionArn", sub.confirmed || return_arn ? sub.arn : "pending confirmation");
  return r;
}

Result SnsService::confirm_subscription(CallContext& ctx, const Value& input) {
  std::string arn = topic_arn_of(input);
  std::string token = required(input, "Token");
  bool authenticate = false;
  if (std::optional<std::string> a = input.get_string("AuthenticateOnUnsubscribe"))
    authenticate = *a == "true" || *a == "True";
  std::string subscription_arn = env_.db.write([&](Connection& c) {
    if (!sns::find_topic(c, arn)) throw sns_errors::not_found();
    auto& s = c.prepare("SELECT arn FROM sns_subscriptions WHERE topic_arn = ? AND token = ?");
    s.bind_all(arn, token);
    if (!s.step()) throw sns_errors::invalid_parameter("Token");
    std::optional<SubscriptionRecord> sub = sns::find_subscription(c, s.column_text(0));
    // Tokens are valid for two days (an unconfirmed subscription is deleted then, but
    // expire_pending may not have run yet).
    if (env_.clock.now_ms() >= sub->created_ms + sns::kPendingLifetimeMs)
      throw sns_errors::invalid_parameter("Token");
    if (!sub->confirmed) {
      sub->confirmed = true;
      sub->authenticated = authenticate && !ctx.account.anonymous;
      sns::upsert_subscription(c, *sub);
    }
    return sub->arn;
  });
  Result r;
  r.output.set("SubscriptionArn", subscription_arn);
  return r;
}

Result SnsService::unsubscribe(CallContext& ctx, const Value& input) {
  std::string arn = required(input, "SubscriptionArn");
  auto parts = sns::parse_arn(arn, "sns");
  if (!parts || parts->resource.find(':') == std::string::npos)
    throw sns_errors::invalid_parameter("SubscriptionArn");
  std::optional<std::pair<TopicRecord, SubscriptionRecord>> removed;
  env_.db.write([&](Connection& c) {
    std::optional<SubscriptionRecord> sub = sns::find_subscription(c, arn);
    if (!sub) throw sns_errors::subscription_not_found();
    if (ctx.account.anonymous && sub->authenticated)
      throw auth_error(AuthError(AuthFailure::MissingAuthentication,
                                 "Request is missing Authentication Token"));
    std::optional<TopicRecord> topic = sns::find_topic(c, sub->topic_arn);
    if (!ctx.account.anonymous && sub->owner != ctx.account.id &&
        (!topic || topic->account != ctx.account.id))
      throw sns_errors::authorization("User: arn:aws:iam::" + ctx.account.id +
                                      ":root is not authorized to perform: SNS:Unsubscribe on "
                                      "resource: " + arn);
    sns::delete_subscription(c, arn);
    if (topic) {
      topic->deleted_count++;
      sns::update_topic(c, *topic);
      removed.emplace(*topic, *sub);
    }
  });
  if (removed && (removed->second.protocol == "http" || removed->second.protocol == "https") &&
      removed->second.confirmed) {
    std::string base = sns::base_url(ctx.http);
    sns::PendingDelivery d;
    d.subscription_arn = arn;
    d.endpoint = removed->second.endpoint;
    d.headers = sns::json_object({{"x-amz-sns-message-type", "UnsubscribeConfirmation"},
                                  {"x-amz-sns-topic-arn", removed->first.arn}});
    d.body = confirmation_message("UnsubscribeConfirmation", removed->first, removed->second, base);
    d.next_ms = env_.clock.now_ms();
    d.policy = sns::effective_delivery_policy(removed->first, removed->second);
    int64_t id = env_.db.write([&](Connection& c) { return sns::insert_delivery(c, d); });
    schedule_delivery(id, d.next_ms);
  }
  return {};
}

Result SnsService::list_subscriptions(CallContext& ctx, const Value& input) {
  std::string after = decode_token(input);
  auto subs = env_.db.read([&](Connection& c) {
    return sns::list_subscriptions(c, ctx.account.id, ctx.region, after, kPageSize + 1);
  });
  Result r;
  Value list = Value::list();
  for (size_t i = 0; i < subs.size() && i < kPageSize; ++i) list.push_back(subscription_entry(subs[i]));
  r.output.set("Subscriptions", std::move(list));
  if (subs.size() > kPageSize) r.output.set("NextToken", encode_token(subs[kPageSize - 1].arn));
  return r;
}

Result SnsService::list_subscriptions_by_topic(CallContext& ctx, const Value& input) {
  std::string arn = topic_arn_of(input);
  std::string after = decode_token(input);
  auto subs = env_.db.read([&](Connection& c) {
    require_topic(c, ctx, arn, "ListSubscriptionsByTopic");
    return sns::subscriptions_of_topic(c, arn, after, kPageSize + 1);
  });
  Result r;
  Value list = Value::list();
  for (size_t i = 0; i < subs.size() && i < kPageSize; ++i) list.push_back(subscription_entry(subs[i]));
  r.output.set("Subscriptions", std::move(list));
  if (subs.size() > kPageSize) r.output.set("NextToken", encode_token(subs[kPageSize - 1].arn));
  return r;
}

Result SnsService::get_subscription_attributes(CallContext& ctx, const Value& input) {
  std::string arn = required(input, "SubscriptionArn");
  auto [sub, topic] = env_.db.read([&](Connection& c) {
    std::optional<SubscriptionRecord> s = sns::find_subscription(c, arn);
    if (!s) throw sns_errors::subscription_not_found();
    std::optional<TopicRecord> t = sns::find_topic(c, s->topic_arn);
    if (s->owner != ctx.account.id && (!t || t->account != ctx.account.id))
      throw sns_errors::authorization("User: arn:aws:iam::" + ctx.account.id +
                                      ":root is not authorized to perform: "
                                      "SNS:GetSubscriptionAttributes on resource: " + arn);
    return std::make_pair(*s, t.value_or(TopicRecord{}));
  });
  StringMap out = sub.attributes;
  out["SubscriptionArn"] = sub.arn;
  out["TopicArn"] = sub.topic_arn;
  out["Owner"] = sub.owner;
  out["Protocol"] = sub.protocol;
  out["Endpoint"] = sub.endpoint;
  out["PendingConfirmation"] = sub.confirmed ? "false" : "true";
  out["ConfirmationWasAuthenticated"] = sub.authenticated || sub.protocol == "sqs" ? "true" : "false";
  if (!out.count("RawMessageDelivery")) out["RawMessageDelivery"] = "false";
  if (sub.protocol == "http" || sub.protocol == "https")
    out["EffectiveDeliveryPolicy"] = sns::effective_delivery_policy(topic, sub);
  Value attributes = Value::map();
  for (const auto& [k, v] : out) attributes.set(k, v);
  Result r;
  r.output.set("Attributes", std::move(attributes));
  return r;
}

Result SnsService::set_subscription_attributes(CallContext& ctx, const Value& input) {
  std::string arn = required(input, "SubscriptionArn");
  std::string name = required(input, "AttributeName");
  std::string value = input.string_or("AttributeValue", "");
  env_.db.write([&](Connection& c) {
    std::optional<SubscriptionRecord> sub = sns::find_subscription(c, arn);
    if (!sub) throw sns_errors::subscription_not_found();
    std::optional<TopicRecord> topic = sns::find_topic(c, sub->topic_arn);
    if (sub->owner != ctx.account.id && (!topic || topic->account != ctx.account.id))
      throw sns_errors::authorization("User: arn:aws:iam::" + ctx.account.id +
                                      ":root is not authorized to perform: "
                                      "SNS:SetSubscriptionAttributes on resource: " + arn);
    StringMap attributes = sub->attributes;
    if (value.empty() && (name == "FilterPolicy" || name == "RedrivePolicy" ||
                          name == "DeliveryPolicy")) {
      check_subscription_attributes({{name, "{}"}}, sub->protocol);
      attributes.erase(name);
      if (name == "FilterPolicy") attributes.erase("FilterPolicyScope");
    } else {
      attributes[name] = value;
      if (name == "FilterPolicy" && !attributes.count("FilterPolicyScope"))
        attributes["FilterPolicyScope"] = "MessageAttributes";
    }
    sub->attributes = check_subscription_attributes(attributes, sub->protocol);
    sns::upsert_subscription(c, *sub);
  });
  return {};
}

// ---- admin --------------------------------------------------------------------------------

std::optional<HttpResponse> SnsService::admin(const HttpRequest& request) {
  HttpResponse r;
  if (request.path == sns::kCertificatePath && request.method == "GET") {
    r.body = signer_.certificate_pem();
    r.set_header("Content-Type", "application/x-pem-file");
    return r;
  }
  if (request.path != "/_nimbus/sns/outbox") return std::nullopt;
  if (request.method == "DELETE") {
    env_.db.write([](Connection& c) { sns::clear_outbox(c); });
    r.status = 204;
    return r;
  }
  if (request.method != "GET") {
    r.status = 405;
    r.body = R"({"error":"use GET or DELETE /_nimbus/sns/outbox"})";
    r.set_header("Content-Type", "application/json");
    return r;
  }
  std::optional<std::string> endpoint = query_param(parse_query(request.query), "endpoint");
  auto entries = env_.db.read([](Connection& c) { return sns::list_outbox(c); });
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  w.StartObject();
  w.Key("messages");
  w.StartArray();
  for (const auto& e : entries) {
    if (endpoint && *endpoint != e.endpoint) continue;
    w.StartObject();
    w.Key("id");
    w.Int64(e.id);
    auto field = [&](const char* k, const std::string& v) {
      w.Key(k);
      w.String(v.data(), static_cast<rapidjson::SizeType>(v.size()));
    };
    field("timestamp", format_iso8601_ms(e.created_ms));
    field("protocol", e.protocol);
    field("endpoint", e.endpoint);
    field("topic_arn", e.topic_arn);
    field("subscription_arn", e.subscription_arn);
    field("type", e.type);
    field("message_id", e.message_id);
    field("subject", e.subject);
    field("body", e.body);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  r.body.assign(buffer.GetString(), buffer.GetSize());
  r.set_header("Content-Type", "application/json");
  return r;
}

}  // namespace nimbus
