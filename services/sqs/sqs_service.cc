// SqsService (services/sqs/sqs_service.h): every operation of the SQS model. Entry points:
// SqsService::call() dispatches by operation name; SqsService::send_messages() is SNS's way in.
//
// Layout of this file: helpers (JSON string maps, names, URLs, receipt handles, validation),
// the Queue record and its attribute rules, the message row and its rendering, then the
// operations in the model's order of concern: queues, attributes, tags and permissions,
// messages, visibility, dead-letter queues and move tasks.
#include "services/sqs/sqs_service.h"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <optional>
#include <unordered_map>
#include <vector>

#include "common/encoding.h"
#include "common/hash.h"
#include "common/ids.h"
#include "common/log.h"
#include "common/scheduler.h"
#include "services/sqs/errors.h"
#include "services/sqs/message_md5.h"
#include "services/sqs/schema.h"
#include "storage/database.h"

namespace nimbus {
namespace {

using StringMap = std::map<std::string, std::string>;

constexpr int kMaxVisibility = 43200;
constexpr int kMaxDelay = 900;
constexpr int kMaxWait = 20;
constexpr int64_t kMaxMessageSize = 1048576;
constexpr int64_t kDedupWindowMs = 5 * 60 * 1000;
constexpr int64_t kPurgeIntervalMs = 60 * 1000;
constexpr int64_t kMoveBatch = 500;  // messages per step of a move task without a rate
constexpr int64_t kAttemptWindowMs = 5 * 60 * 1000;  // ReceiveRequestAttemptId deduplication
constexpr size_t kMaxBatch = 10;
constexpr size_t kMaxTags = 50;
constexpr size_t kMaxMessageAttributes = 10;

// ---- small helpers ------------------------------------------------------------------------

std::string to_json(const StringMap& map) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  w.StartObject();
  for (const auto& [k, v] : map) {
    w.String(k.data(), static_cast<rapidjson::SizeType>(k.size()));
    w.String(v.data(), static_cast<rapidjson::SizeType>(v.size()));
  }
  w.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

StringMap from_json(const std::string& text) {
  StringMap out;
  rapidjson::Document doc;
  doc.Parse(text.data(), text.size());
  if (doc.HasParseError() || !doc.IsObject()) return out;
  for (auto it = doc.MemberBegin(); it != doc.MemberEnd(); ++it)
    if (it->value.IsString())
      out[std::string(it->name.GetString(), it->name.GetStringLength())] =
          std::string(it->value.GetString(), it->value.GetStringLength());
  return out;
}

// Message attributes as stored: {"name": {"DataType": t, "StringValue": s | "BinaryValue": b64}}.
std::string attributes_to_json(const Value& attributes) {
  if (!attributes.is_map() || attributes.size() == 0) return "";
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  auto str = [&](const std::string& s) {
    w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
  };
  w.StartObject();
  for (const auto& [name, v] : attributes.as_map()) {
    str(name);
    w.StartObject();
    w.Key("DataType");
    str(v.string_or("DataType", ""));
    if (auto s = v.get_string("StringValue")) {
      w.Key("StringValue");
      str(*s);
    } else if (auto b = v.get_string("BinaryValue")) {
      w.Key("BinaryValue");
      str(base64_encode(*b));
    }
    w.EndObject();
  }
  w.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

Value attributes_from_json(const std::string& text) {
  Value out = Value::map();
  if (text.empty()) return out;
  rapidjson::Document doc;
  doc.Parse(text.data(), text.size());
  if (doc.HasParseError() || !doc.IsObject()) return out;
  for (auto it = doc.MemberBegin(); it != doc.MemberEnd(); ++it) {
    Value v = Value::map();
    const auto& o = it->value;
    if (!o.IsObject()) continue;
    if (o.HasMember("DataType") && o["DataType"].IsString())
      v.set("DataType", std::string(o["DataType"].GetString(), o["DataType"].GetStringLength()));
    if (o.HasMember("StringValue") && o["StringValue"].IsString())
      v.set("StringValue",
            std::string(o["StringValue"].GetString(), o["StringValue"].GetStringLength()));
    if (o.HasMember("BinaryValue") && o["BinaryValue"].IsString())
      v.set("BinaryValue", base64_decode(std::string(o["BinaryValue"].GetString(),
                                                     o["BinaryValue"].GetStringLength()))
                               .value_or(""));
    out.set(std::string(it->name.GetString(), it->name.GetStringLength()), std::move(v));
  }
  return out;
}

std::optional<int64_t> parse_int(std::string_view text) {
  int64_t n = 0;
  if (text.empty()) return std::nullopt;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return n;
}

bool valid_queue_name(std::string_view name, bool fifo) {
  std::string_view base = name;
  if (fifo) {
    if (!name.ends_with(".fifo")) return false;
    base = name.substr(0, name.size() - 5);
  }
  if (name.empty() || name.size() > 80 || base.empty()) return false;
  return std::all_of(base.begin(), base.end(), [](char ch) {
    return std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '_';
  });
}

bool valid_batch_id(std::string_view id) {
  if (id.empty() || id.size() > 80) return false;
  return std::all_of(id.begin(), id.end(), [](char ch) {
    return std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '_';
  });
}

std::string queue_arn(const std::string& region, const std::string& account,
                      const std::string& name) {
  return "arn:aws:sqs:" + region + ":" + account + ":" + name;
}

struct ArnParts {
  std::string region, account, name;
};
std::optional<ArnParts> parse_arn(std::string_view arn) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (int i = 0; i < 5; ++i) {
    size_t colon = arn.find(':', start);
    if (colon == std::string_view::npos) return std::nullopt;
    parts.emplace_back(arn.substr(start, colon - start));
    start = colon + 1;
  }
  if (parts[0] != "arn" || parts[2] != "sqs") return std::nullopt;
  ArnParts out{parts[3], parts[4], std::string(arn.substr(start))};
  if (out.name.empty() || out.account.empty()) return std::nullopt;
  return out;
}

std::string wait_key(const std::string& account, const std::string& region,
                     const std::string& name) {
  return "sqs/" + account + "/" + region + "/" + name;
}

// Whether the text is valid UTF-8 made only of the characters SQS allows:
// #x9 | #xA | #xD | #x20-#xD7FF | #xE000-#xFFFD | #x10000-#x10FFFF.
bool valid_message_text(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x80) {  // printable ASCII, most bodies: allowed as it is
      ++i;
      continue;
    }
    uint32_t cp;
    size_t n;
    if (c < 0x80) {
      cp = c;
      n = 1;
    } else if ((c & 0xE0) == 0xC0) {
      cp = c & 0x1F;
      n = 2;
    } else if ((c & 0xF0) == 0xE0) {
      cp = c & 0x0F;
      n = 3;
    } else if ((c & 0xF8) == 0xF0) {
      cp = c & 0x07;
      n = 4;
    } else {
      return false;
    }
    if (i + n > s.size()) return false;
    for (size_t k = 1; k < n; ++k) {
      auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000)) return false;
    bool ok = cp == 0x9 || cp == 0xA || cp == 0xD || (cp >= 0x20 && cp <= 0xD7FF) ||
              (cp >= 0xE000 && cp <= 0xFFFD) || (cp >= 0x10000 && cp <= 0x10FFFF);
    if (!ok) return false;
    i += n;
  }
  return true;
}

std::string sequence_text(int64_t n) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%020lld", static_cast<long long>(n));
  return buffer;
}

ApiError invalid_value(const std::string& value, const std::string& parameter,
                       const std::string& reason) {
  return sqs_errors::invalid_parameter_value("Value " + value + " for parameter " + parameter +
                                             " is invalid. Reason: " + reason);
}

// ---- receipt handles --------------------------------------------------------------------------

struct Receipt {
  int64_t queue_id = 0;
  int64_t row = 0;
  std::string nonce;
};

std::string make_receipt(int64_t queue_id, int64_t row, const std::string& nonce,
                         const std::string& message_id) {
  return base64_encode(std::to_string(queue_id) + ":" + std::to_string(row) + ":" + nonce + ":" +
                       message_id);
}

std::optional<Receipt> parse_receipt(const std::string& handle) {
  std::optional<std::string> raw = base64_decode(handle);
  if (!raw) return std::nullopt;
  std::vector<std::string> parts;
  size_t start = 0;
  for (int i = 0; i < 3; ++i) {
    size_t colon = raw->find(':', start);
    if (colon == std::string::npos) return std::nullopt;
    parts.push_back(raw->substr(start, colon - start));
    start = colon + 1;
  }
  Receipt r;
  auto q = parse_int(parts[0]), row = parse_int(parts[1]);
  if (!q || !row || parts[2].size() != 32) return std::nullopt;
  r.queue_id = *q;
  r.row = *row;
  r.nonce = parts[2];
  return r;
}

// ---- batch entry checks -------------------------------------------------------------------

const ValueList& batch_entries(const Value& in) {
  const Value* entries = in.find("Entries");
  if (!entries || !entries->is_list() || entries->as_list().empty())
    throw sqs_errors::empty_batch();
  const ValueList& list = entries->as_list();
  if (list.size() > kMaxBatch) throw sqs_errors::too_many_entries(list.size());
  std::set<std::string> seen;
  for (const Value& e : list) {
    std::string id = e.string_or("Id", "");
    if (!valid_batch_id(id)) throw sqs_errors::invalid_batch_entry_id();
    if (!seen.insert(id).second) throw sqs_errors::batch_ids_not_distinct(id);
  }
  return list;
}

Value failure(const std::string& id, const ApiError& e) {
  Value f = Value::map();
  f.set("Id", id);
  f.set("SenderFault", e.sender_fault);
  f.set("Code", e.query_code.empty() ? e.code : e.query_code);
  f.set("Message", e.message);
  return f;
}

Value ok_entry(const std::string& id) {
  Value v = Value::map();
  v.set("Id", id);
  return v;
}

}  // namespace

// ---- the queue record ---------------------------------------------------------------------------

struct SqsService::Queue {
  int64_t id = 0;
  std::string account, region, name;
  StringMap attributes;  // settable attributes as set (FifoQueue included for FIFO queues)
  StringMap tags;
  EpochMillis created_ms = 0, modified_ms = 0, purged_ms = 0;
  bool fifo = false;

  std::string arn() const { return queue_arn(region, account, name); }
  std::string key() const { return wait_key(account, region, name); }
  int64_t number(const char* attribute, int64_t fallback) const {
    auto it = attributes.find(attribute);
    if (it == attributes.end()) return fallback;
    return parse_int(it->second).value_or(fallback);
  }
  int visibility() const { return static_cast<int>(number("VisibilityTimeout", 30)); }
  int delay() const { return static_cast<int>(number("DelaySeconds", 0)); }
  int64_t retention() const { return number("MessageRetentionPeriod", 345600); }
  int wait() const { return static_cast<int>(number("ReceiveMessageWaitTimeSeconds", 0)); }
  int64_t max_size() const { return number("MaximumMessageSize", kMaxMessageSize); }
  bool flag(const char* attribute) const {
    auto it = attributes.find(attribute);
    return it != attributes.end() && it->second == "true";
  }
  std::string text(const char* attribute, std::string fallback = "") const {
    auto it = attributes.find(attribute);
    return it == attributes.end() ? fallback : it->second;
  }
  // The dead-letter queue's ARN and maxReceiveCount, when a RedrivePolicy is set.
  std::optional<std::pair<std::string, int64_t>> redrive() const {
    auto it = attributes.find("RedrivePolicy");
    if (it == attributes.end() || it->second.empty()) return std::nullopt;
    rapidjson::Document doc;
    doc.Parse(it->second.data(), it->second.size());
    if (doc.HasParseError() || !doc.IsObject() || !doc.HasMember("deadLetterTargetArn"))
      return std::nullopt;
    int64_t max = 10;
    const auto& m = doc["maxReceiveCount"];
    if (m.IsInt64()) max = m.GetInt64();
    if (m.IsString()) max = parse_int(m.GetString()).value_or(10);
    return std::make_pair(std::string(doc["deadLetterTargetArn"].GetString()), max);
  }
};

namespace {

using Queue = SqsService::Queue;

constexpr const char* kQueueColumns =
    "id, account, region, name, attributes, tags, created_ms, modified_ms, purged_ms";

Queue queue_from_row(const Statement& s) {
  Queue q;
  q.id = s.column_int(0);
  q.account = s.column_text(1);
  q.region = s.column_text(2);
  q.name = s.column_text(3);
  q.attributes = from_json(s.column_text(4));
  q.tags = from_json(s.column_text(5));
  q.created_ms = s.column_int(6);
  q.modified_ms = s.column_int(7);
  q.purged_ms = s.column_int(8);
  q.fifo = q.flag("FifoQueue");
  return q;
}

std::optional<Queue> find_queue(Connection& c, const std::string& account,
                                const std::string& region, const std::string& name) {
  auto& s = c.prepare(std::string("SELECT ") + kQueueColumns +
                      " FROM sqs_queues WHERE account=? AND region=? AND name=?");
  s.bind_all(account, region, name);
  if (!s.step()) return std::nullopt;
  return queue_from_row(s);
}

std::optional<Queue> find_queue_by_id(Connection& c, int64_t id) {
  auto& s = c.prepare(std::string("SELECT ") + kQueueColumns + " FROM sqs_queues WHERE id=?");
  s.bind_all(id);
  if (!s.step()) return std::nullopt;
  return queue_from_row(s);
}

bool queue_exists(Connection& c, int64_t id) {
  auto& s = c.prepare("SELECT 1 FROM sqs_queues WHERE id=?");
  s.bind_all(id);
  bool found = s.step();
  s.reset();
  return found;
}

std::optional<Queue> find_queue_by_arn(Connection& c, const std::string& arn) {
  auto parts = parse_arn(arn);
  if (!parts) return std::nullopt;
  return find_queue(c, parts->account, parts->region, parts->name);
}

// ---- attribute rules ------------------------------------------------------------------------

const std::vector<std::string>& settable_attributes() {
  static const std::vector<std::string> names = {
      "DelaySeconds",       "MaximumMessageSize",           "MessageRetentionPeriod",
      "Policy",             "ReceiveMessageWaitTimeSeconds", "VisibilityTimeout",
      "RedrivePolicy",      "RedriveAllowPolicy",           "KmsMasterKeyId",
      "KmsDataKeyReusePeriodSeconds", "SqsManagedSseEnabled", "FifoQueue",
      "ContentBasedDeduplication", "DeduplicationScope",    "FifoThroughputLimit"};
  return names;
}

const std::vector<std::string>& readable_attributes() {
  static const std::vector<std::string> names = {
      "Policy", "VisibilityTimeout", "MaximumMessageSize", "MessageRetentionPeriod",
      "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible", "CreatedTimestamp",
      "LastModifiedTimestamp", "QueueArn", "ApproximateNumberOfMessagesDelayed", "DelaySeconds",
      "ReceiveMessageWaitTimeSeconds", "RedrivePolicy", "FifoQueue", "ContentBasedDeduplication",
      "KmsMasterKeyId", "KmsDataKeyReusePeriodSeconds", "DeduplicationScope",
      "FifoThroughputLimit", "RedriveAllowPolicy", "SqsManagedSseEnabled"};
  return names;
}

bool is_fifo_only(const std::string& name) {
  return name == "ContentBasedDeduplication" || name == "DeduplicationScope" ||
         name == "FifoThroughputLimit";
}

void check_range(const std::string& name, const std::string& value, int64_t lo, int64_t hi) {
  auto n = parse_int(value);
  if (!n || *n < lo || *n > hi) throw sqs_errors::invalid_attribute_value(name);
}

bool valid_json_object(const std::string& text, rapidjson::Document& doc) {
  doc.Parse(text.data(), text.size());
  return !doc.HasParseError() && doc.IsObject();
}

// Validates one settable attribute's value (not the cross-queue checks of RedrivePolicy).
// Returns the value as stored (RedrivePolicy normalized).
std::string check_attribute(const std::string& name, const std::string& value, bool fifo) {
  if (name == "DelaySeconds") check_range(name, value, 0, kMaxDelay);
  else if (name == "MaximumMessageSize") check_range(name, value, 1024, kMaxMessageSize);
  else if (name == "MessageRetentionPeriod") check_range(name, value, 60, 1209600);
  else if (name == "ReceiveMessageWaitTimeSeconds") check_range(name, value, 0, kMaxWait);
  else if (name == "VisibilityTimeout") check_range(name, value, 0, kMaxVisibility);
  else if (name == "KmsDataKeyReusePeriodSeconds") check_range(name, value, 60, 86400);
  else if (name == "SqsManagedSseEnabled" || name == "ContentBasedDeduplication" ||
           name == "FifoQueue") {
    if (value != "true" && value != "false") throw sqs_errors::invalid_attribute_value(name);
  } else if (name == "DeduplicationScope") {
    if (value != "messageGroup" && value != "queue")
      throw sqs_errors::invalid_attribute_value(name);
  } else if (name == "FifoThroughputLimit") {
    if (value != "perQueue" && value != "perMessageGroupId")
      throw sqs_errors::invalid_attribute_value(name);
  } else if (name == "Policy") {
    rapidjson::Document doc;
    if (!value.empty() && !valid_json_object(value, doc))
      throw sqs_errors::invalid_attribute_value(name);
  } else if (name == "RedrivePolicy") {
    if (value.empty()) return value;
    rapidjson::Document doc;
    if (!valid_json_object(value, doc))
      throw sqs_errors::invalid_attribute_value(name, "Redrive policy is not a valid JSON map.");
    if (!doc.HasMember("deadLetterTargetArn") || !doc["deadLetterTargetArn"].IsString())
      throw sqs_errors::invalid_attribute_value(
          name, "Redrive policy does not contain mandatory attribute: deadLetterTargetArn.");
    if (!doc.HasMember("maxReceiveCount"))
      throw sqs_errors::invalid_attribute_value(
          name, "Redrive policy does not contain mandatory attribute: maxReceiveCount.");
    const auto& m = doc["maxReceiveCount"];
    std::optional<int64_t> max;
    if (m.IsInt64()) max = m.GetInt64();
    else if (m.IsString()) max = parse_int(m.GetString());
    if (!max || *max < 1 || *max > 1000)
      throw sqs_errors::invalid_attribute_value(
          name, "Invalid value for maxReceiveCount: " +
                    (m.IsString() ? std::string(m.GetString()) : std::string("(not a number)")) +
                    ", valid values are from 1 to 1000 both inclusive.");
    std::string arn = doc["deadLetterTargetArn"].GetString();
    if (!parse_arn(arn))
      throw sqs_errors::invalid_attribute_value(name, "Invalid value for deadLetterTargetArn.");
    return "{\"deadLetterTargetArn\":\"" + arn + "\",\"maxReceiveCount\":" +
           std::to_string(*max) + "}";
  } else if (name == "RedriveAllowPolicy") {
    if (value.empty()) return value;
    rapidjson::Document doc;
    if (!valid_json_object(value, doc) || !doc.HasMember("redrivePermission") ||
        !doc["redrivePermission"].IsString())
      throw sqs_errors::invalid_attribute_value(name);
    std::string permission = doc["redrivePermission"].GetString();
    if (permission != "allowAll" && permission != "denyAll" && permission != "byQueue")
      throw sqs_errors::invalid_attribute_value(
          name, "Invalid value for redrivePermission: " + permission);
    bool has_sources = doc.HasMember("sourceQueueArns");
    if (permission == "byQueue") {
      if (!has_sources || !doc["sourceQueueArns"].IsArray() ||
          doc["sourceQueueArns"].Size() == 0 || doc["sourceQueueArns"].Size() > 10)
        throw sqs_errors::invalid_attribute_value(
            name, "Amount of source queue ARNs must be between 1 and 10.");
    } else if (has_sources) {
      throw sqs_errors::invalid_attribute_value(
          name, "sourceQueueArns can only be specified when redrivePermission is byQueue.");
    }
  }
  (void)fifo;
  return value;
}

// Validates a whole attribute map for a queue of the given kind; returns the values to store.
StringMap check_attributes(const Value* attributes, bool fifo, bool creating) {
  StringMap out;
  if (!attributes || !attributes->is_map()) return out;
  const auto& settable = settable_attributes();
  for (const auto& [name, v] : attributes->as_map()) {
    std::string value = v.is_string() ? v.as_string() : "";
    if (std::find(settable.begin(), settable.end(), name) == settable.end())
      throw sqs_errors::invalid_attribute_name(name);
    if (name == "FifoQueue" && !creating) throw sqs_errors::invalid_attribute_name(name);
    if (is_fifo_only(name) && !fifo) throw sqs_errors::invalid_attribute_name(name);
    out[name] = check_attribute(name, value, fifo);
  }
  std::string scope = out.count("DeduplicationScope") ? out["DeduplicationScope"] : "";
  std::string limit = out.count("FifoThroughputLimit") ? out["FifoThroughputLimit"] : "";
  if (limit == "perMessageGroupId" && scope == "queue")
    throw sqs_errors::invalid_attribute_value(
        "FifoThroughputLimit",
        "The perMessageGroupId value is allowed only when the value for DeduplicationScope is "
        "messageGroup");
  return out;
}

// The value GetQueueAttributes shows for a settable attribute that was never set.
std::string default_attribute(const Queue& q, const std::string& name) {
  if (name == "VisibilityTimeout") return "30";
  if (name == "MaximumMessageSize") return std::to_string(kMaxMessageSize);
  if (name == "MessageRetentionPeriod") return "345600";
  if (name == "DelaySeconds") return "0";
  if (name == "ReceiveMessageWaitTimeSeconds") return "0";
  if (name == "SqsManagedSseEnabled") return q.attributes.count("KmsMasterKeyId") ? "false" : "true";
  if (name == "FifoQueue") return q.fifo ? "true" : "false";
  if (name == "ContentBasedDeduplication") return "false";
  if (name == "DeduplicationScope") return "queue";
  if (name == "FifoThroughputLimit") return "perQueue";
  if (name == "KmsDataKeyReusePeriodSeconds") return "300";
  return "";
}

// ---- access ---------------------------------------------------------------------------------

// Whether a queue policy (as AddPermission writes, or a user's) lets `account` run `action`.
bool policy_allows(const std::string& policy, const std::string& account,
                   std::string_view action) {
  if (policy.empty()) return false;
  rapidjson::Document doc;
  if (!valid_json_object(policy, doc) || !doc.HasMember("Statement")) return false;
  auto matches_any = [](const rapidjson::Value& v, auto&& pred) {
    if (v.IsString()) return pred(std::string(v.GetString()));
    if (v.IsArray())
      for (const auto& e : v.GetArray())
        if (e.IsString() && pred(std::string(e.GetString()))) return true;
    return false;
  };
  const auto& statements = doc["Statement"];
  auto check = [&](const rapidjson::Value& st) {
    if (!st.IsObject()) return false;
    if (!st.HasMember("Effect") || !st["Effect"].IsString() ||
        std::string(st["Effect"].GetString()) != "Allow")
      return false;
    bool principal = false;
    if (st.HasMember("Principal")) {
      const auto& p = st["Principal"];
      auto who = [&](const std::string& s) {
        return s == "*" || s == account || s == "arn:aws:iam::" + account + ":root";
      };
      if (p.IsString()) principal = who(p.GetString());
      else if (p.IsObject() && p.HasMember("AWS")) principal = matches_any(p["AWS"], who);
    }
    if (!principal || !st.HasMember("Action")) return false;
    return matches_any(st["Action"], [&](const std::string& a) {
      std::string lower_a;
      for (char ch : a) lower_a += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      std::string wanted = "sqs:";
      for (char ch : action)
        wanted += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      return lower_a == "*" || lower_a == "sqs:*" || lower_a == wanted;
    });
  };
  if (statements.IsArray()) {
    for (const auto& st : statements.GetArray())
      if (check(st)) return true;
    return false;
  }
  return check(statements);
}

// ---- messages -------------------------------------------------------------------------------

struct MessageRow {
  int64_t row = 0;
  std::string message_id, body, attributes, system_attributes;
  EpochMillis sent_ms = 0, visible_at = 0, first_receive_ms = 0;
  int64_t receive_count = 0;
  std::string nonce;
  std::optional<std::string> group_id, dedup_id, source_arn;
  std::optional<int64_t> sequence;
  std::string sender_id;
};

constexpr const char* kMessageColumns =
    "id, message_id, body, attributes, system_attributes, sent_ms, visible_at, first_receive_ms, "
    "receive_count, receipt_nonce, group_id, dedup_id, source_arn, sequence, sender_id";

MessageRow message_from_row(const Statement& s) {
  MessageRow m;
  m.row = s.column_int(0);
  m.message_id = s.column_text(1);
  m.body = s.column_text(2);
  m.attributes = s.column_text(3);
  m.system_attributes = s.column_text(4);
  m.sent_ms = s.column_int(5);
  m.visible_at = s.column_int(6);
  m.first_receive_ms = s.column_int(7);
  m.receive_count = s.column_int(8);
  m.nonce = s.column_text(9);
  m.group_id = s.column_text_or_null(10);
  m.dedup_id = s.column_text_or_null(11);
  m.source_arn = s.column_text_or_null(12);
  if (!s.column_is_null(13)) m.sequence = s.column_int(13);
  m.sender_id = s.column_text(14);
  return m;
}

// Validates MessageAttributes (or MessageSystemAttributes when `system`); returns their size in
// bytes as SQS counts it toward MaximumMessageSize.
int64_t check_message_attributes(const Value* attributes, bool system) {
  if (!attributes || !attributes->is_map()) return 0;
  const char* kind = system ? "system" : "user";
  if (attributes->size() > kMaxMessageAttributes)
    throw sqs_errors::invalid_parameter_value(
        std::string("Number of message attributes [") + std::to_string(attributes->size()) +
        "] exceeds the allowed maximum [10].");
  int64_t size = 0;
  for (const auto& [name, v] : attributes->as_map()) {
    if (system && name != "AWSTraceHeader")
      throw sqs_errors::invalid_parameter_value("Message system attribute name '" + name +
                                                "' is invalid.");
    std::string lower;
    for (char ch : name) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    bool name_ok = !name.empty() && name.size() <= 256 && name.front() != '.' &&
                   name.back() != '.' && name.find("..") == std::string::npos &&
                   std::all_of(name.begin(), name.end(), [](char ch) {
                     return std::isalnum(static_cast<unsigned char>(ch)) || ch == '_' ||
                            ch == '-' || ch == '.';
                   });
    if (!system && (lower.starts_with("aws.") || lower.starts_with("amazon.")))
      name_ok = false;
    if (!name_ok)
      throw sqs_errors::invalid_parameter_value(std::string("Message (") + kind +
                                                ") attribute name '" + name + "' is invalid.");
    std::string type = v.string_or("DataType", "");
    if (type.empty())
      throw sqs_errors::invalid_parameter_value(std::string("The message (") + kind +
                                                ") attribute '" + name +
                                                "' must contain a non-empty attribute type.");
    std::string base = type.substr(0, type.find('.'));
    if ((base != "String" && base != "Number" && base != "Binary") || type.size() > 256 ||
        (type.size() > base.size() && type.size() == base.size() + 1))
      throw sqs_errors::invalid_parameter_value(
          std::string("The type of message (") + kind + ") attribute '" + name +
          "' is invalid. You must use only the following supported type prefixes: Binary, "
          "Number, String.");
    std::optional<std::string> value =
        base == "Binary" ? v.get_string("BinaryValue") : v.get_string("StringValue");
    if (!value || value->empty())
      throw sqs_errors::invalid_parameter_value(
          std::string("The message (") + kind + ") attribute '" + name +
          "' must contain a non-empty message attribute value for message attribute type '" +
          base + "'.");
    if (base == "Number") {
      std::string t = *value;
      char* end = nullptr;
      std::strtod(t.c_str(), &end);
      if (end != t.c_str() + t.size() || t.size() > 40)
        throw sqs_errors::invalid_parameter_value("Can't cast the value of message (" +
                                                  std::string(kind) + ") attribute '" + name +
                                                  "' to a number.");
    }
    if (base != "Binary" && !valid_message_text(*value))
      throw sqs_errors::invalid_parameter_value(std::string("Message (") + kind +
                                                ") attribute '" + name +
                                                "' contains invalid characters.");
    if (system && name == "AWSTraceHeader" && base != "String")
      throw sqs_errors::invalid_parameter_value(
          "The message system attribute 'AWSTraceHeader' must be of type 'String'.");
    size += static_cast<int64_t>(name.size() + type.size() + value->size());
  }
  return size;
}

// One message to insert, validated.
struct NewMessage {
  std::string body;
  Value attributes;
  Value system_attributes;
  int delay = 0;
  std::optional<std::string> group_id, dedup_id;
  std::string sender_id;
  // Results
  std::string message_id;
  std::optional<int64_t> sequence;
};

// Validates one message for queue q (body, attributes, size, delay, FIFO members) and fills a
// NewMessage; throws the AWS error of the first problem.
NewMessage check_message(const Queue& q, const Value& in, const std::string& sender) {
  NewMessage m;
  const Value* body = in.find("MessageBody");
  if (!body || !body->is_string() || body->as_string().empty())
    throw sqs_errors::missing_parameter("MessageBody");
  m.body = body->as_string();
  if (!valid_message_text(m.body)) throw sqs_errors::invalid_message_contents();
  int64_t size = static_cast<int64_t>(m.body.size());
  size += check_message_attributes(in.find("MessageAttributes"), false);
  check_message_attributes(in.find("MessageSystemAttributes"), true);
  if (size > q.max_size())
    throw sqs_errors::invalid_parameter_value(
        "One or more parameters are invalid. Reason: Message must be shorter than " +
        std::to_string(q.max_size()) + " bytes.");
  if (const Value* a = in.find("MessageAttributes"); a && a->is_map()) m.attributes = *a;
  if (const Value* a = in.find("MessageSystemAttributes"); a && a->is_map())
    m.system_attributes = *a;
  m.delay = q.delay();
  if (auto d = in.get_int("DelaySeconds")) {
    if (q.fifo)
      throw invalid_value(std::to_string(*d), "DelaySeconds",
                          "The request include parameter that is not valid for this queue type.");
    if (*d < 0 || *d > kMaxDelay)
      throw invalid_value(std::to_string(*d), "DelaySeconds",
                          "Must be >= 0 and <= 900, if provided.");
    m.delay = static_cast<int>(*d);
  }
  auto group = in.get_string("MessageGroupId");
  auto dedup = in.get_string("MessageDeduplicationId");
  auto check_token = [](const std::string& value, const char* parameter) {
    bool ok = !value.empty() && value.size() <= 128 &&
              std::all_of(value.begin(), value.end(), [](char ch) {
                return ch >= 0x21 && ch <= 0x7e;
              });
    if (!ok) throw invalid_value(value, parameter, "Must be 1-128 printable ASCII characters.");
  };
  if (q.fifo) {
    if (!group) throw sqs_errors::missing_parameter("MessageGroupId");
    check_token(*group, "MessageGroupId");
    if (dedup) {
      check_token(*dedup, "MessageDeduplicationId");
    } else if (q.flag("ContentBasedDeduplication")) {
      dedup = sha256_hex(m.body);
    } else {
      throw sqs_errors::invalid_parameter_value(
          "The queue should either have ContentBasedDeduplication enabled or "
          "MessageDeduplicationId provided explicitly");
    }
  } else {
    if (dedup)
      throw invalid_value(*dedup, "MessageDeduplicationId",
                          "The request include parameter that is not valid for this queue type.");
    if (group) check_token(*group, "MessageGroupId");
  }
  m.group_id = group;
  m.dedup_id = dedup;
  m.sender_id = sender;
  return m;
}

// Inserts the messages into queue q (one write job's work). FIFO messages already in the
// deduplication window get the original's id and sequence and are not inserted again.
void insert_messages(Connection& c, const Queue& q, std::vector<NewMessage*>& messages,
                     EpochMillis now) {
  if (!queue_exists(c, q.id)) throw sqs_errors::queue_does_not_exist();
  if (q.fifo) c.prepare("DELETE FROM sqs_dedup WHERE queue_id=? AND expires_ms<=?").bind_all(q.id, now).run();
  for (NewMessage* m : messages) {
    std::string scope;
    if (q.fifo) {
      if (q.text("DeduplicationScope") == "messageGroup") scope = *m->group_id;
      auto& s = c.prepare(
          "SELECT message_id, sequence FROM sqs_dedup WHERE queue_id=? AND scope=? AND "
          "dedup_id=?");
      s.bind_all(q.id, scope, *m->dedup_id);
      if (s.step()) {
        m->message_id = s.column_text(0);
        m->sequence = s.column_int(1);
        continue;
      }
      auto& seq = c.prepare(
          "UPDATE sqs_queues SET next_sequence=next_sequence+1 WHERE id=? RETURNING "
          "next_sequence");
      seq.bind_all(q.id);
      seq.step();
      m->sequence = seq.column_int(0);
      seq.reset();
    }
    m->message_id = uuid4();
    auto& ins = c.prepare(
        "INSERT INTO sqs_messages(queue_id, message_id, body, attributes, system_attributes, "
        "sent_ms, visible_at, group_id, dedup_id, sequence, sender_id) "
        "VALUES(?,?,?,?,?,?,?,?,?,?,?)");
    ins.bind_all(q.id, m->message_id, m->body, attributes_to_json(m->attributes),
                 attributes_to_json(m->system_attributes), now,
                 now + static_cast<int64_t>(m->delay) * 1000);
    ins.bind(8, m->group_id).bind(9, m->dedup_id).bind(10, m->sequence).bind(11, m->sender_id);
    ins.run();
    if (q.fifo) {
      c.prepare(
           "INSERT OR REPLACE INTO sqs_dedup(queue_id, scope, dedup_id, message_id, sequence, "
           "expires_ms) VALUES(?,?,?,?,?,?)")
          .bind_all(q.id, scope, *m->dedup_id, m->message_id, *m->sequence, now + kDedupWindowMs)
          .run();
    }
  }
}

Value send_result(const NewMessage& m) {
  Value out = Value::map();
  out.set("MD5OfMessageBody", sqs::md5_of_body(m.body));
  std::string md5a = sqs::md5_of_attributes(m.attributes);
  if (!md5a.empty()) out.set("MD5OfMessageAttributes", md5a);
  std::string md5s = sqs::md5_of_attributes(m.system_attributes);
  if (!md5s.empty()) out.set("MD5OfMessageSystemAttributes", md5s);
  out.set("MessageId", m.message_id);
  if (m.sequence) out.set("SequenceNumber", sequence_text(*m.sequence));
  return out;
}

bool wants(const std::set<std::string>& names, const std::string& name) {
  return names.count("All") || names.count(name);
}

// Whether MessageAttributeNames selects `name`: "All", ".*", the exact name, or "prefix.*".
bool attribute_selected(const Value* names, const std::string& name) {
  if (!names || !names->is_list()) return false;
  for (const Value& v : names->as_list()) {
    if (!v.is_string()) continue;
    const std::string& n = v.as_string();
    if (n == "All" || n == ".*" || n == name) return true;
    if (n.size() > 2 && n.ends_with(".*") && name.starts_with(n.substr(0, n.size() - 1)))
      return true;
  }
  return false;
}

}  // namespace

// ---- service ------------------------------------------------------------------------------

SqsService::SqsService(ServiceEnv& env) : env_(env), model_(builtin_model("sqs")) {
  sqs::migrate(env_.db);
  std::vector<std::string> unfinished = env_.db.read([](Connection& conn) {
    std::vector<std::string> handles;
    auto& s = conn.prepare(
        "SELECT handle FROM sqs_move_tasks WHERE status IN ('RUNNING','CANCELLING')");
    while (s.step()) handles.push_back(s.column_text(0));
    s.reset();
    return handles;
  });
  EpochMillis now = env_.clock.now_ms();
  for (const std::string& handle : unfinished)
    env_.scheduler.schedule_at(now, [this, handle] { move_step(handle); });
}

void SqsService::reset() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    polls_.clear();
  }
  std::lock_guard<std::mutex> lock(cache_mutex_);
  queues_.clear();
  ++forgotten_;
}

std::optional<SqsService::Queue> SqsService::lookup(const std::string& account,
                                                    const std::string& region,
                                                    const std::string& name) {
  std::string key = wait_key(account, region, name);
  uint64_t forgotten = 0;
  std::shared_ptr<const Queue> cached;
  {
    std::lock_guard<std::mutex> lock(cache_mutex_);
    if (auto it = queues_.find(key); it != queues_.end()) cached = it->second;
    forgotten = forgotten_;
  }
  if (cached) return *cached;
  std::optional<Queue> q =
      env_.db.read([&](Connection& conn) { return find_queue(conn, account, region, name); });
  if (q) {
    std::lock_guard<std::mutex> lock(cache_mutex_);
    if (forgotten == forgotten_) queues_.emplace(key, std::make_shared<const Queue>(*q));
  }
  return q;
}

void SqsService::forget(const Queue& q) {
  std::lock_guard<std::mutex> lock(cache_mutex_);
  queues_.erase(q.key());
  ++forgotten_;
}

Result SqsService::call(CallContext& context, const Value& input) {
  using Handler = Result (SqsService::*)(CallContext&, const Value&);
  static const std::unordered_map<std::string_view, Handler> handlers = {
      {"CreateQueue", &SqsService::create_queue},
      {"GetQueueUrl", &SqsService::get_queue_url},
      {"ListQueues", &SqsService::list_queues},
      {"DeleteQueue", &SqsService::delete_queue},
      {"GetQueueAttributes", &SqsService::get_queue_attributes},
      {"SetQueueAttributes", &SqsService::set_queue_attributes},
      {"PurgeQueue", &SqsService::purge_queue},
      {"TagQueue", &SqsService::tag_queue},
      {"UntagQueue", &SqsService::untag_queue},
      {"ListQueueTags", &SqsService::list_queue_tags},
      {"AddPermission", &SqsService::add_permission},
      {"RemovePermission", &SqsService::remove_permission},
      {"ListDeadLetterSourceQueues", &SqsService::list_dead_letter_source_queues},
      {"SendMessage", &SqsService::send_message_op},
      {"SendMessageBatch", &SqsService::send_message_batch},
      {"ReceiveMessage", &SqsService::receive_message},
      {"DeleteMessage", &SqsService::delete_message},
      {"DeleteMessageBatch", &SqsService::delete_message_batch},
      {"ChangeMessageVisibility", &SqsService::change_message_visibility},
      {"ChangeMessageVisibilityBatch", &SqsService::change_message_visibility_batch},
      {"StartMessageMoveTask", &SqsService::start_message_move_task},
      {"CancelMessageMoveTask", &SqsService::cancel_message_move_task},
      {"ListMessageMoveTasks", &SqsService::list_message_move_tasks},
  };
  auto it = handlers.find(context.operation.name);
  if (it == handlers.end()) throw errors::not_implemented(context.operation.name);
  return (this->*(it->second))(context, input);
}

namespace {

// The base URL queues are shown under: the scheme and Host the client used.
std::string url_base(const CallContext& c) {
  std::string host = c.http.header_or("Host", "localhost:4566");
  return std::string(c.http.secure ? "https://" : "http://") + host;
}

std::string queue_url(const CallContext& c, const Queue& q) {
  return url_base(c) + "/" + q.account + "/" + q.name;
}

std::string required_string(const Value& in, const char* name) {
  auto v = in.get_string(name);
  if (!v || v->empty()) throw sqs_errors::missing_parameter(name);
  return *v;
}

}  // namespace

SqsService::Queue SqsService::resolve(const CallContext& c, const Value& in,
                                      std::string_view action) {
  std::string url = required_string(in, "QueueUrl");
  // Strip scheme and host: what remains is a path ending in /<account>/<name>.
  std::string path = url;
  std::string region = c.region;
  if (size_t scheme = path.find("://"); scheme != std::string::npos) {
    size_t slash = path.find('/', scheme + 3);
    std::string host = path.substr(scheme + 3, slash == std::string::npos ? std::string::npos
                                                                          : slash - scheme - 3);
    // sqs.<region>.amazonaws.com and <region>.queue.amazonaws.com name their region.
    if (host.starts_with("sqs.") && host.find(".amazonaws.com") != std::string::npos) {
      std::string r = host.substr(4, host.find('.', 4) - 4);
      if (!r.empty()) region = r;
    } else if (size_t q = host.find(".queue.amazonaws.com"); q != std::string::npos) {
      region = host.substr(0, q);
    }
    path = slash == std::string::npos ? "" : path.substr(slash);
  }
  if (size_t query = path.find('?'); query != std::string::npos) path.resize(query);
  while (!path.empty() && path.back() == '/') path.pop_back();
  std::vector<std::string> segments;
  size_t start = 0;
  while (start < path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string::npos) slash = path.size();
    if (slash > start) segments.push_back(uri_decode(path.substr(start, slash - start)));
    start = slash + 1;
  }
  if (segments.empty()) throw sqs_errors::queue_does_not_exist();
  std::string name = segments.back();
  std::string account = c.account.id;
  if (segments.size() >= 2) {
    const std::string& a = segments[segments.size() - 2];
    if (a.size() == 12 && std::all_of(a.begin(), a.end(), [](char ch) { return ch >= '0' && ch <= '9'; })) account = a;
  }
  std::optional<Queue> q = lookup(account, region, name);
  if (!q) throw sqs_errors::queue_does_not_exist();
  if (q->account != c.account.id && !policy_allows(q->text("Policy"), c.account.id, action))
    throw sqs_errors::queue_does_not_exist();
  return *q;
}

void SqsService::wake_at(const std::string& key, EpochMillis when) {
  EpochMillis now = env_.clock.now_ms();
  if (when <= now) {
    env_.waits.notify(key);
    return;
  }
  // One task per key and 10 ms slot: a burst of receives with one timeout shares its wake-up.
  EpochMillis slot = (when + 9) / 10 * 10;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!scheduled_.emplace(key, slot).second) return;
  }
  env_.scheduler.schedule_at(slot, [this, key, slot] {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      scheduled_.erase({key, slot});
    }
    env_.waits.notify(key);
  });
}

EpochMillis SqsService::poll_deadline(const std::string& request_id, EpochMillis now,
                                      int wait_seconds) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto [it, inserted] = polls_.emplace(request_id, now + wait_seconds * 1000LL);
  return it->second;
}

void SqsService::forget_poll(const std::string& request_id) {
  std::lock_guard<std::mutex> lock(mutex_);
  polls_.erase(request_id);
}

// ---- queues -----------------------------------------------------------------------------------

Result SqsService::create_queue(CallContext& c, const Value& in) {
  std::string name = required_string(in, "QueueName");
  const Value* attributes = in.find("Attributes");
  bool fifo = false;
  if (attributes)
    if (auto f = attributes->get_string("FifoQueue")) fifo = *f == "true";
  if (!valid_queue_name(name, fifo)) {
    if (fifo)
      throw sqs_errors::invalid_parameter_value(
          "The name of a FIFO queue can only include alphanumeric characters, hyphens, or "
          "underscores, must end with .fifo suffix and be 1 to 80 in length.");
    throw sqs_errors::invalid_parameter_value(
        "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length");
  }
  StringMap wanted = check_attributes(attributes, fifo, true);
  if (fifo) wanted["FifoQueue"] = "true";
  else wanted.erase("FifoQueue");
  StringMap tags;
  if (const Value* t = in.find("tags"); t && t->is_map()) {
    if (t->size() > kMaxTags) throw sqs_errors::invalid_parameter_value("Too many tags added for queue " + name + ".");
    for (const auto& [k, v] : t->as_map()) tags[k] = v.is_string() ? v.as_string() : "";
  }
  EpochMillis now = env_.clock.now_ms();
  std::string account = c.account.id, region = c.region;
  Queue q = env_.db.write([&](Connection& conn) {
    if (std::optional<Queue> existing = find_queue(conn, account, region, name)) {
      for (const auto& [k, v] : wanted) {
        std::string current = existing->text(k.c_str(), default_attribute(*existing, k));
        if (current != v) throw sqs_errors::queue_name_exists(k);
      }
      return *existing;
    }
    if (auto it = wanted.find("RedrivePolicy"); it != wanted.end() && !it->second.empty()) {
      Queue probe;
      probe.attributes = wanted;
      auto target = find_queue_by_arn(conn, probe.redrive()->first);
      if (!target || target->account != account)
        throw sqs_errors::invalid_parameter_value(
            "Value " + it->second +
            " for parameter RedrivePolicy is invalid. Reason: Dead letter target does not "
            "exist.");
    }
    conn.prepare(
            "INSERT INTO sqs_queues(account, region, name, attributes, tags, created_ms, "
            "modified_ms) VALUES(?,?,?,?,?,?,?)")
        .bind_all(account, region, name, to_json(wanted), to_json(tags), now, now)
        .run();
    return *find_queue(conn, account, region, name);
  });
  Result r;
  r.output.set("QueueUrl", queue_url(c, q));
  return r;
}

Result SqsService::get_queue_url(CallContext& c, const Value& in) {
  std::string name = required_string(in, "QueueName");
  std::string account = in.string_or("QueueOwnerAWSAccountId", c.account.id);
  if (account.empty()) account = c.account.id;
  std::optional<Queue> q = lookup(account, c.region, name);
  if (!q || (q->account != c.account.id &&
             !policy_allows(q->text("Policy"), c.account.id, "GetQueueUrl")))
    throw sqs_errors::queue_does_not_exist();
  Result r;
  r.output.set("QueueUrl", queue_url(c, *q));
  return r;
}

Result SqsService::list_queues(CallContext& c, const Value& in) {
  std::string prefix = in.string_or("QueueNamePrefix", "");
  std::optional<int64_t> max = in.get_int("MaxResults");
  if (max && (*max < 1 || *max > 1000))
    throw invalid_value(std::to_string(*max), "MaxResults", "MaxResults must be an integer between 1 and 1000.");
  std::string after;
  if (auto token = in.get_string("NextToken"); token && !token->empty()) {
    auto decoded = base64_decode(*token);
    if (!decoded) throw sqs_errors::invalid_parameter_value("Invalid NextToken value.");
    after = *decoded;
  }
  int64_t limit = max.value_or(1000);
  std::vector<std::string> names = env_.db.read([&](Connection& conn) {
    std::vector<std::string> out;
    auto& s = conn.prepare(
        "SELECT name FROM sqs_queues WHERE account=? AND region=? AND name>? AND "
        "substr(name,1,?)=? ORDER BY name LIMIT ?");
    s.bind_all(c.account.id, c.region, after, static_cast<int64_t>(prefix.size()), prefix,
               limit + 1);
    while (s.step()) out.push_back(s.column_text(0));
    return out;
  });
  Result r;
  Value urls = Value::list();
  for (size_t i = 0; i < names.size() && static_cast<int64_t>(i) < limit; ++i)
    urls.push_back(url_base(c) + "/" + c.account.id + "/" + names[i]);
  if (urls.size() > 0) r.output.set("QueueUrls", std::move(urls));
  if (max && static_cast<int64_t>(names.size()) > limit)
    r.output.set("NextToken", base64_encode(names[static_cast<size_t>(limit) - 1]));
  return r;
}

Result SqsService::delete_queue(CallContext& c, const Value& in) {
  Queue q = resolve(c, in, "DeleteQueue");
  env_.db.write([&](Connection& conn) {
    conn.prepare("DELETE FROM sqs_messages WHERE queue_id=?").bind_all(q.id).run();
    conn.prepare("DELETE FROM sqs_dedup WHERE queue_id=?").bind_all(q.id).run();
    conn.prepare("DELETE FROM sqs_receive_attempts WHERE queue_id=?").bind_all(q.id).run();
    conn.prepare("DELETE FROM sqs_queues WHERE id=?").bind_all(q.id).run();
  });
  forget(q);
  env_.waits.notify(q.key());
  return {};
}

// ---- attributes -------------------------------------------------------------------------------

Result SqsService::get_queue_attributes(CallContext& c, const Value& in) {
  Queue q = resolve(c, in, "GetQueueAttributes");
  std::set<std::string> names;
  if (const Value* list = in.find("AttributeNames"); list && list->is_list()) {
    const auto& readable = readable_attributes();
    for (const Value& v : list->as_list()) {
      std::string n = v.is_string() ? v.as_string() : "";
      if (n != "All" && std::find(readable.begin(), readable.end(), n) == readable.end())
        throw sqs_errors::invalid_attribute_name(n);
      names.insert(n);
    }
  }
  Result r;
  if (names.empty()) return r;
  EpochMillis now = env_.clock.now_ms();
  int64_t visible = 0, invisible = 0, delayed = 0;
  if (wants(names, "ApproximateNumberOfMessages") ||
      wants(names, "ApproximateNumberOfMessagesNotVisible") ||
      wants(names, "ApproximateNumberOfMessagesDelayed")) {
    env_.db.read([&](Connection& conn) {
      auto& s = conn.prepare(
          "SELECT coalesce(sum(visible_at<=?1),0), coalesce(sum(visible_at>?1 AND "
          "receive_count>0),0), coalesce(sum(visible_at>?1 AND receive_count=0),0) FROM "
          "sqs_messages WHERE queue_id=?2 AND sent_ms>=?3");
      s.bind_all(now, q.id, now - q.retention() * 1000);
      if (s.step()) {
        visible = s.column_int(0);
        invisible = s.column_int(1);
        delayed = s.column_int(2);
      }
    });
  }
  Value attrs = Value::map();
  for (const std::string& n : readable_attributes()) {
    if (!wants(names, n)) continue;
    std::string value;
    if (n == "ApproximateNumberOfMessages") value = std::to_string(visible);
    else if (n == "ApproximateNumberOfMessagesNotVisible") value = std::to_string(invisible);
    else if (n == "ApproximateNumberOfMessagesDelayed") value = std::to_string(delayed);
    else if (n == "CreatedTimestamp") value = std::to_string(q.created_ms / 1000);
    else if (n == "LastModifiedTimestamp") value = std::to_string(q.modified_ms / 1000);
    else if (n == "QueueArn") value = q.arn();
    else if (is_fifo_only(n) || n == "FifoQueue") {
      if (!q.fifo) continue;
      value = q.text(n.c_str(), default_attribute(q, n));
    } else if (n == "Policy" || n == "RedrivePolicy" || n == "RedriveAllowPolicy" ||
               n == "KmsMasterKeyId") {
      value = q.text(n.c_str());
      if (value.empty()) continue;
    } else if (n == "KmsDataKeyReusePeriodSeconds") {
      if (!q.attributes.count("KmsMasterKeyId") && !q.attributes.count(n)) continue;
      value = q.text(n.c_str(), default_attribute(q, n));
    } else {
      value = q.text(n.c_str(), default_attribute(q, n));
    }
    attrs.set(n, value);
  }
  r.output.set("Attributes", std::move(attrs));
  return r;
}

Result SqsService::set_queue_attributes(CallContext& c, const Value& in) {
  Queue q = resolve(c, in, "SetQueueAttributes");
  const Value* attributes = in.find("Attributes");
  StringMap changes = check_attributes(attributes, q.fifo, false);
  EpochMillis now = env_.clock.now_ms();
  env_.db.write([&](Connection& conn) {
    std::optional<Queue> current = find_queue_by_id(conn, q.id);
    if (!current) throw sqs_errors::queue_does_not_exist();
    if (auto it = changes.find("RedrivePolicy"); it != changes.end() && !it->second.empty()) {
      Queue probe;
      probe.attributes = changes;
      auto target = find_queue_by_arn(conn, probe.redrive()->first);
      if (!target || target->account != current->account || target->region != current->region)
        throw sqs_errors::invalid_parameter_value(
            "Value " + it->second +
            " for parameter RedrivePolicy is invalid. Reason: Dead letter target does not "
            "exist.");
      if (target->fifo != current->fifo)
        throw sqs_errors::invalid_parameter_value(
            "Value " + it->second +
            " for parameter RedrivePolicy is invalid. Reason: Dead-letter queue must be same "
            "type of queue as the source.");
      // The dead-letter queue's RedriveAllowPolicy decides which sources may use it.
      std::string allow = target->text("RedriveAllowPolicy");
      if (!allow.empty()) {
        rapidjson::Document doc;
        doc.Parse(allow.data(), allow.size());
        std::string permission = doc["redrivePermission"].GetString();
        bool ok = permission == "allowAll";
        if (permission == "byQueue")
          for (const auto& a : doc["sourceQueueArns"].GetArray())
            if (a.IsString() && a.GetString() == current->arn()) ok = true;
        if (!ok)
          throw sqs_errors::invalid_parameter_value(
              "Value " + it->second +
              " for parameter RedrivePolicy is invalid. Reason: Queue " + current->arn() +
              " is not allowed by the RedriveAllowPolicy of the dead-letter queue.");
      }
    }
    StringMap merged = current->attributes;
    for (const auto& [k, v] : changes) {
      if (v.empty() && (k == "RedrivePolicy" || k == "RedriveAllowPolicy" || k == "Policy" ||
                        k == "KmsMasterKeyId"))
        merged.erase(k);
      else
        merged[k] = v;
    }
    conn.prepare("UPDATE sqs_queues SET attributes=?, modified_ms=? WHERE id=?")
        .bind_all(to_json(merged), now, q.id)
        .run();
  });
  forget(q);
  // A shorter delay or wait changes nothing already stored; a receive visible now is notified.
  env_.waits.notify(q.key());
  return {};
}

Result SqsService::purge_queue(CallContext& c, const Value& in) {
  Queue q = resolve(c, in, "PurgeQueue");
  EpochMillis now = env_.clock.now_ms();
  env_.db.write([&](Connection& conn) {
    std::optional<Queue> current = find_queue_by_id(conn, q.id);
    if (!current) throw sqs_errors::queue_does_not_exist();
    if (current->purged_ms && now - current->purged_ms < kPurgeIntervalMs)
      throw sqs_errors::purge_in_progress(q.arn());
    conn.prepare("DELETE FROM sqs_messages WHERE queue_id=?").bind_all(q.id).run();
    conn.prepare("UPDATE sqs_queues SET purged_ms=? WHERE id=?").bind_all(now, q.id).run();
  });
  forget(q);
  return {};
}

// ---- tags and permissions -------------------------------------------------------------------

Result SqsService::tag_queue(CallContext& c, const Value& in) {
  Queue q = resolve(c, in, "TagQueue");
  const Value* tags = in.find("Tags");
  if (!tags || !tags->is_map() || tags->size() == 0) throw sqs_errors::missing_parameter("Tags");
  for (const auto& [k, v] : tags->as_map()) {
    if (k.empty() || k.size() > 128)
      throw sqs_errors::invalid_parameter_value("Tag keys must be between 1 and 128 characters in length.");
    if (v.is_string() && v.as_string().size() > 256)
      throw sqs_errors::invalid_parameter_value("Tag values may only be up to 256 characters in length.");
  }
  env_.db.write([&](Connection& conn) {
    std::optional<Queue> current = find_queue_by_id(conn, q.id);
    if (!current) throw sqs_errors::queue_does_not_exist();
    StringMap merged = current->tags;
    for (const auto& [k, v] : tags->as_map()) merged[k] = v.is_string() ? v.as_string() : "";
    if (merged.size() > kMaxTags)
      throw sqs_errors::invalid_parameter_value("Too many tags added for queue " + q.name + ".");
    conn.prepare("UPDATE sqs_queues SET tags=? WHERE id=?").bind_all(to_json(merged), q.id).run();
  });
  forget(q);
  return {};
}

Result SqsService::untag_queue(CallContext& c, const Value& in) {
  Queue q = resolve(c, in, "UntagQueue");
  const Value* keys = in.find("TagKeys");
  if (!keys || !keys->is_list() || keys->size() == 0)
    throw sqs_errors::missing_parameter("TagKeys");
  env_.db.write([&](Connection& conn) {
    std::optional<Queue> current = find_queue_by_id(conn, q.id);
    if (!current) throw sqs_errors::queue_does_not_exist();
    StringMap merged = current->tags;
    for (const Value& k : keys->as_list())
      if (k.is_string()) merged.erase(k.as_string());
    conn.prepare("UPDATE sqs_queues SET tags=? WHERE id=?").bind_all(to_json(merged), q.id).run();
  });
  forget(q);
  return {};
}

Result SqsService::list_queue_tags(CallContext& c, const Value& in) {
  Queue q = resolve(c, in, "ListQueueTags");
  Result r;
  if (!q.tags.empty()) {
    Value tags = Value::map();
    for (const auto& [k, v] : q.tags) tags.set(k, v);
    r.output.set("Tags", std::move(tags));
  }
  return r;
}

namespace {

const std::set<std::string>& permission_actions() {
  static const std::set<std::string> actions = {
      "*", "SendMessage", "ReceiveMessage", "DeleteMessage", "ChangeMessageVisibility",
      "GetQueueAttributes", "GetQueueUrl", "ListDeadLetterSourceQueues", "PurgeQueue",
      "ListQueueTags", "ListMessageMoveTasks", "StartMessageMoveTask", "CancelMessageMoveTask"};
  return actions;
}

}  // namespace

Result SqsService::add_permission(CallContext& c, const Value& in) {
  Queue q = resolve(c, in, "AddPermission");
  std::string label = required_string(in, "Label");
  if (!valid_batch_id(label))
    throw invalid_value(label, "Label",
                        "Can only include alphanumeric characters, hyphens, or underscores. 1 to "
                        "80 in length");
  const Value* accounts = in.find("AWSAccountIds");
  const Value* actions = in.find("Actions");
  if (!accounts || !accounts->is_list() || accounts->size() == 0)
    throw sqs_errors::missing_parameter("AWSAccountIds");
  if (!actions || !actions->is_list() || actions->size() == 0)
    throw sqs_errors::missing_parameter("Actions");
  for (const Value& a : actions->as_list())
    if (!a.is_string() || !permission_actions().count(a.as_string()))
      throw invalid_value(a.is_string() ? a.as_string() : "", "ActionName",
                          "Only the queue owner is allowed to invoke this action.");
  env_.db.write([&](Connection& conn) {
    std::optional<Queue> current = find_queue_by_id(conn, q.id);
    if (!current) throw sqs_errors::queue_does_not_exist();
    rapidjson::Document doc;
    std::string policy = current->text("Policy");
    if (policy.empty() || !valid_json_object(policy, doc)) {
      doc.SetObject();
      auto& al = doc.GetAllocator();
      doc.AddMember("Version", "2012-10-17", al);
      doc.AddMember("Id", rapidjson::Value((q.arn() + "/SQSDefaultPolicy").c_str(), al), al);
    }
    auto& al = doc.GetAllocator();
    if (!doc.HasMember("Statement") || !doc["Statement"].IsArray()) {
      doc.RemoveMember("Statement");
      doc.AddMember("Statement", rapidjson::Value(rapidjson::kArrayType), al);
    }
    for (const auto& st : doc["Statement"].GetArray())
      if (st.IsObject() && st.HasMember("Sid") && st["Sid"].IsString() &&
          label == st["Sid"].GetString())
        throw invalid_value(label, "Label", "Already exists.");
    rapidjson::Value st(rapidjson::kObjectType);
    st.AddMember("Sid", rapidjson::Value(label.c_str(), al), al);
    st.AddMember("Effect", "Allow", al);
    rapidjson::Value principals(rapidjson::kArrayType);
    for (const Value& a : accounts->as_list())
      principals.PushBack(
          rapidjson::Value(
              ("arn:aws:iam::" + (a.is_string() ? a.as_string() : "") + ":root").c_str(), al),
          al);
    rapidjson::Value principal(rapidjson::kObjectType);
    if (principals.Size() == 1) principal.AddMember("AWS", principals[0], al);
    else principal.AddMember("AWS", principals, al);
    st.AddMember("Principal", principal, al);
    rapidjson::Value action_list(rapidjson::kArrayType);
    for (const Value& a : actions->as_list())
      action_list.PushBack(rapidjson::Value(("SQS:" + a.as_string()).c_str(), al), al);
    if (action_list.Size() == 1) st.AddMember("Action", action_list[0], al);
    else st.AddMember("Action", action_list, al);
    st.AddMember("Resource", rapidjson::Value(q.arn().c_str(), al), al);
    doc["Statement"].PushBack(st, al);
    rapidjson::StringBuffer buffer;
    rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
    doc.Accept(w);
    StringMap merged = current->attributes;
    merged["Policy"] = std::string(buffer.GetString(), buffer.GetSize());
    conn.prepare("UPDATE sqs_queues SET attributes=? WHERE id=?")
        .bind_all(to_json(merged), q.id)
        .run();
  });
  forget(q);
  return {};
}

Result SqsService::remove_permission(CallContext& c, const Value& in) {
  Queue q = resolve(c, in, "RemovePermission");
  std::string label = required_string(in, "Label");
  env_.db.write([&](Connection& conn) {
    std::optional<Queue> current = find_queue_by_id(conn, q.id);
    if (!current) throw sqs_errors::queue_does_not_exist();
    rapidjson::Document doc;
    std::string policy = current->text("Policy");
    bool found = false;
    if (!policy.empty() && valid_json_object(policy, doc) && doc.HasMember("Statement") &&
        doc["Statement"].IsArray()) {
      auto& list = doc["Statement"];
      for (auto it = list.Begin(); it != list.End(); ++it) {
        if (it->IsObject() && it->HasMember("Sid") && (*it)["Sid"].IsString() &&
            label == (*it)["Sid"].GetString()) {
          list.Erase(it);
          found = true;
          break;
        }
      }
    }
    if (!found) throw invalid_value(label, "Label", "can't find label on existing policy.");
    StringMap merged = current->attributes;
    if (doc["Statement"].Empty()) {
      merged.erase("Policy");
    } else {
      rapidjson::StringBuffer buffer;
      rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
      doc.Accept(w);
      merged["Policy"] = std::string(buffer.GetString(), buffer.GetSize());
    }
    conn.prepare("UPDATE sqs_queues SET attributes=? WHERE id=?")
        .bind_all(to_json(merged), q.id)
        .run();
  });
  forget(q);
  return {};
}

Result SqsService::list_dead_letter_source_queues(CallContext& c, const Value& in) {
  Queue q = resolve(c, in, "ListDeadLetterSourceQueues");
  std::optional<int64_t> max = in.get_int("MaxResults");
  if (max && (*max < 1 || *max > 1000))
    throw invalid_value(std::to_string(*max), "MaxResults", "MaxResults must be an integer between 1 and 1000.");
  std::string after;
  if (auto token = in.get_string("NextToken"); token && !token->empty())
    after = base64_decode(*token).value_or("");
  std::vector<Queue> all = env_.db.read([&](Connection& conn) {
    std::vector<Queue> out;
    auto& s = conn.prepare(std::string("SELECT ") + kQueueColumns +
                           " FROM sqs_queues WHERE account=? AND region=? AND name>? ORDER BY name");
    s.bind_all(q.account, q.region, after);
    while (s.step()) out.push_back(queue_from_row(s));
    return out;
  });
  Value urls = Value::list();
  std::string last;
  int64_t limit = max.value_or(1000);
  bool more = false;
  for (const Queue& source : all) {
    auto redrive = source.redrive();
    if (!redrive || redrive->first != q.arn()) continue;
    if (static_cast<int64_t>(urls.size()) == limit) {
      more = true;
      break;
    }
    urls.push_back(queue_url(c, source));
    last = source.name;
  }
  Result r;
  r.output.set("queueUrls", std::move(urls));
  if (more && max) r.output.set("NextToken", base64_encode(last));
  return r;
}

// ---- sending ----------------------------------------------------------------------------------

Result SqsService::send_message_op(CallContext& c, const Value& in) {
  Queue q = resolve(c, in, "SendMessage");
  NewMessage m = check_message(q, in, c.account.id);
  EpochMillis now = env_.clock.now_ms();
  // The hot path: written without holding the handler thread (see AsyncWrite).
  auto message = std::make_shared<NewMessage>(std::move(m));
  std::string key = q.key();
  Result r;
  r.write = AsyncWrite{&env_.db,
                       [queue = std::make_shared<Queue>(std::move(q)), message, now](
                           Connection& conn) {
                         std::vector<NewMessage*> batch{message.get()};
                         insert_messages(conn, *queue, batch, now);
                       },
                       [this, key = std::move(key), message, now](Result& done) {
                         wake_at(key, now + message->delay * 1000LL);
                         done.output = send_result(*message);
                       }};
  return r;
}

Result SqsService::send_message_batch(CallContext& c, const Value& in) {
  Queue q = resolve(c, in, "SendMessageBatch");
  const ValueList& entries = batch_entries(in);
  size_t total = 0;
  for (const Value& e : entries) {
    total += e.string_or("MessageBody", "").size();
    if (const Value* a = e.find("MessageAttributes"); a && a->is_map())
      for (const auto& [name, v] : a->as_map())
        total += name.size() + v.string_or("DataType", "").size() +
                 v.string_or("StringValue", v.string_or("BinaryValue", "")).size();
  }
  if (static_cast<int64_t>(total) > kMaxMessageSize)
    throw sqs_errors::batch_request_too_long(total, kMaxMessageSize);
  std::vector<std::optional<NewMessage>> messages(entries.size());
  Value failed = Value::list();
  std::vector<NewMessage*> good;
  for (size_t i = 0; i < entries.size(); ++i) {
    try {
      messages[i] = check_message(q, entries[i], c.account.id);
      good.push_back(&*messages[i]);
    } catch (const ApiError& e) {
      failed.push_back(failure(entries[i].string_or("Id", ""), e));
    }
  }
  EpochMillis now = env_.clock.now_ms();
  if (!good.empty()) {
    env_.db.write([&](Connection& conn) { insert_messages(conn, q, good, now); });
    int min_delay = kMaxDelay;
    for (NewMessage* m : good) min_delay = std::min(min_delay, m->delay);
    wake_at(q.key(), now + min_delay * 1000LL);
    for (NewMessage* m : good)
      if (m->delay != min_delay) wake_at(q.key(), now + m->delay * 1000LL);
  }
  Value successful = Value::list();
  for (size_t i = 0; i < entries.size(); ++i) {
    if (!messages[i]) continue;
    Value v = send_result(*messages[i]);
    Value entry = Value::map();
    entry.set("Id", entries[i].string_or("Id", ""));
    for (auto& [k, val] : v.as_map()) entry.set(k, val);
    successful.push_back(std::move(entry));
  }
  Result r;
  r.output.set("Successful", std::move(successful));
  r.output.set("Failed", std::move(failed));
  return r;
}

std::vector<QueueSendResult> SqsService::send_messages(const std::vector<QueueSend>& sends) {
  std::vector<QueueSendResult> results(sends.size());
  // The queues, each looked up once (a fan-out names a queue once; a retry may name it again).
  std::map<std::string, std::optional<Queue>> queues;
  for (const QueueSend& s : sends) queues.emplace(s.queue_arn, std::nullopt);
  for (auto& [arn, q] : queues)
    if (auto parts = parse_arn(arn)) q = lookup(parts->account, parts->region, parts->name);
  std::vector<std::optional<NewMessage>> messages(sends.size());
  for (size_t i = 0; i < sends.size(); ++i) {
    const std::optional<Queue>& q = queues.at(sends[i].queue_arn);
    try {
      if (!q) throw sqs_errors::queue_does_not_exist();
      const QueueMessageInput& message = sends[i].message;
      Value in = Value::map();
      in.set("MessageBody", message.body);
      if (message.message_attributes.is_map() && message.message_attributes.size() > 0)
        in.set("MessageAttributes", message.message_attributes);
      if (!message.message_group_id.empty()) in.set("MessageGroupId", message.message_group_id);
      if (!message.message_deduplication_id.empty())
        in.set("MessageDeduplicationId", message.message_deduplication_id);
      messages[i] =
          check_message(*q, in, message.sender_id.empty() ? q->account : message.sender_id);
    } catch (const ApiError& e) {
      results[i].error = e;
    }
  }
  if (std::none_of(messages.begin(), messages.end(), [](auto& m) { return m.has_value(); }))
    return results;
  EpochMillis now = env_.clock.now_ms();
  env_.db.write([&](Connection& conn) {
    // Per queue, in the order given (FIFO order within a queue is kept).
    for (auto& [arn, q] : queues) {
      if (!q) continue;
      std::vector<NewMessage*> batch;
      for (size_t i = 0; i < sends.size(); ++i)
        if (messages[i] && sends[i].queue_arn == arn) batch.push_back(&*messages[i]);
      if (batch.empty()) continue;
      try {
        insert_messages(conn, *q, batch, now);
      } catch (const ApiError& e) {  // deleted since the read: nothing of it was inserted
        for (size_t i = 0; i < sends.size(); ++i)
          if (messages[i] && sends[i].queue_arn == arn) {
            results[i].error = e;
            messages[i].reset();
          }
      }
    }
  });
  for (size_t i = 0; i < sends.size(); ++i) {
    if (!messages[i]) continue;
    results[i].message_id = messages[i]->message_id;
    wake_at(queues.at(sends[i].queue_arn)->key(), now + messages[i]->delay * 1000LL);
  }
  return results;
}

// ---- receiving --------------------------------------------------------------------------------

Result SqsService::receive_message(CallContext& c, const Value& in) {
  Queue q = resolve(c, in, "ReceiveMessage");
  int64_t max = in.get_int("MaxNumberOfMessages").value_or(1);
  if (max < 1 || max > 10)
    throw invalid_value(std::to_string(max), "MaxNumberOfMessages",
                        "Must be between 1 and 10, if provided.");
  int64_t visibility = in.get_int("VisibilityTimeout").value_or(q.visibility());
  if (visibility < 0 || visibility > kMaxVisibility)
    throw invalid_value(std::to_string(visibility), "VisibilityTimeout",
                        "Must be >= 0 and <= 43200, if provided.");
  int64_t wait = in.get_int("WaitTimeSeconds").value_or(q.wait());
  if (wait < 0 || wait > kMaxWait)
    throw invalid_value(std::to_string(wait), "WaitTimeSeconds",
                        "Must be >= 0 and <= 20, if provided.");
  std::set<std::string> system_names;
  for (const char* member : {"AttributeNames", "MessageSystemAttributeNames"})
    if (const Value* list = in.find(member); list && list->is_list())
      for (const Value& v : list->as_list())
        if (v.is_string()) system_names.insert(v.as_string());
  const Value* attribute_names = in.find("MessageAttributeNames");

  std::string key = q.key();
  bool may_wait = wait > 0 && !c.final_attempt;
  uint64_t generation = may_wait ? env_.waits.generation(key) : 0;
  EpochMillis now = env_.clock.now_ms();
  std::optional<std::pair<std::string, int64_t>> redrive = q.redrive();

  // FIFO only: a retry with the same ReceiveRequestAttemptId within 5 minutes returns the same
  // messages and receipt handles (resetting their visibility timeout), unless one of them was
  // deleted or had its visibility changed since; then the attempt is a fresh receive.
  std::optional<std::string> attempt_id = in.get_string("ReceiveRequestAttemptId");
  if (attempt_id) {
    if (attempt_id->empty() || attempt_id->size() > 128 ||
        !std::all_of(attempt_id->begin(), attempt_id->end(),
                     [](char ch) { return ch > 0x20 && ch < 0x7f; }))
      throw invalid_value(*attempt_id, "ReceiveRequestAttemptId",
                          "Must be 1 to 128 alphanumeric or punctuation characters.");
    if (!q.fifo) attempt_id.reset();
  }

  std::vector<MessageRow> taken;
  std::vector<std::string> dlq_keys;
  env_.db.write([&](Connection& conn) {
    if (!queue_exists(conn, q.id)) throw sqs_errors::queue_does_not_exist();
    if (attempt_id) {
      conn.prepare("DELETE FROM sqs_receive_attempts WHERE queue_id=? AND expires_ms<=?")
          .bind_all(q.id, now)
          .run();
      auto& a = conn.prepare(
          "SELECT messages FROM sqs_receive_attempts WHERE queue_id=? AND attempt_id=?");
      a.bind_all(q.id, *attempt_id);
      std::optional<std::string> recorded;
      if (a.step()) recorded = a.column_text(0);
      a.reset();
      if (recorded) {
        std::vector<MessageRow> again;
        bool unchanged = true;
        size_t start = 0;
        while (unchanged && start < recorded->size()) {
          size_t end = recorded->find('\n', start);
          if (end == std::string::npos) end = recorded->size();
          std::string line = recorded->substr(start, end - start);
          start = end + 1;
          size_t c1 = line.find(':'), c2 = line.rfind(':');
          auto row = parse_int(line.substr(0, c1));
          auto visible_at = parse_int(line.substr(c2 + 1));
          std::string nonce = line.substr(c1 + 1, c2 - c1 - 1);
          auto& m = conn.prepare(std::string("SELECT ") + kMessageColumns +
                                 " FROM sqs_messages WHERE id=? AND queue_id=?");
          m.bind_all(row.value_or(0), q.id);
          if (m.step()) again.push_back(message_from_row(m));
          m.reset();
          unchanged = row && visible_at && !again.empty() && again.back().row == *row &&
                      again.back().nonce == nonce && again.back().visible_at == *visible_at;
        }
        if (unchanged && !again.empty()) {
          std::string lines;
          for (MessageRow& m : again) {
            m.visible_at = now + visibility * 1000;
            conn.prepare("UPDATE sqs_messages SET visible_at=? WHERE id=?")
                .bind_all(m.visible_at, m.row)
                .run();
            lines += (lines.empty() ? "" : "\n") + std::to_string(m.row) + ":" + m.nonce + ":" +
                     std::to_string(m.visible_at);
          }
          conn.prepare(
                  "UPDATE sqs_receive_attempts SET messages=? WHERE queue_id=? AND attempt_id=?")
              .bind_all(lines, q.id, *attempt_id)
              .run();
          taken = std::move(again);
          return;
        }
      }
    }
    std::optional<Queue> dlq;
    if (redrive) dlq = find_queue_by_arn(conn, redrive->first);
    EpochMillis cutoff = now - q.retention() * 1000;
    const size_t want = static_cast<size_t>(max);
    for (int round = 0; round < 100 && taken.size() < want; ++round) {
      std::vector<MessageRow> candidates;
      const int64_t limit = static_cast<int64_t>(want - taken.size()) + 16;
      Statement& s =
          q.fifo ? conn.prepare(std::string("SELECT ") + kMessageColumns +
                                " FROM sqs_messages WHERE queue_id=?1 AND visible_at<=?2 AND "
                                "group_id NOT IN (SELECT group_id FROM sqs_messages WHERE "
                                "queue_id=?1 AND visible_at>?2 AND receive_count>0) "
                                "ORDER BY sequence LIMIT ?3")
                 : conn.prepare(std::string("SELECT ") + kMessageColumns +
                                " FROM sqs_messages WHERE queue_id=?1 AND visible_at<=?2 "
                                "ORDER BY visible_at LIMIT ?3");
      s.bind_all(q.id, now, limit);
      while (s.step()) candidates.push_back(message_from_row(s));
      s.reset();
      bool progressed = false;
      std::set<std::string> skipped_groups;
      for (MessageRow& m : candidates) {
        if (taken.size() >= want) break;
        if (std::any_of(taken.begin(), taken.end(), [&](const MessageRow& t) { return t.row == m.row; }))
          continue;
        if (q.fifo && m.group_id && skipped_groups.count(*m.group_id)) continue;
        if (m.sent_ms < cutoff) {  // past the retention period: gone
          conn.prepare("DELETE FROM sqs_messages WHERE id=?").bind_all(m.row).run();
          progressed = true;
          continue;
        }
        if (dlq && m.receive_count >= redrive->second) {
          std::optional<int64_t> sequence;
          if (dlq->fifo) {
            auto& seq = conn.prepare(
                "UPDATE sqs_queues SET next_sequence=next_sequence+1 WHERE id=? RETURNING "
                "next_sequence");
            seq.bind_all(dlq->id);
            seq.step();
            sequence = seq.column_int(0);
            seq.reset();
          }
          conn.prepare(
                  "UPDATE sqs_messages SET queue_id=?, visible_at=?, source_arn=?, "
                  "receipt_nonce='', sequence=coalesce(?, sequence) WHERE id=?")
              .bind_all(dlq->id, now, q.arn())
              .bind(4, sequence)
              .bind(5, m.row)
              .run();
          dlq_keys.push_back(dlq->key());
          progressed = true;
          if (q.fifo && m.group_id) skipped_groups.insert(*m.group_id);
          continue;
        }
        m.nonce = random_hex(16);
        m.receive_count += 1;
        if (m.first_receive_ms == 0) m.first_receive_ms = now;
        m.visible_at = now + visibility * 1000;
        conn.prepare(
                "UPDATE sqs_messages SET visible_at=?, receive_count=?, first_receive_ms=?, "
                "receipt_nonce=? WHERE id=?")
            .bind_all(m.visible_at, m.receive_count, m.first_receive_ms, m.nonce, m.row)
            .run();
        taken.push_back(std::move(m));
        progressed = true;
      }
      if (static_cast<int64_t>(candidates.size()) < limit || !progressed) break;
      if (visibility == 0) break;  // taken messages stay visible; a second round would repeat them
    }
    if (attempt_id && !taken.empty()) {
      std::string lines;
      for (const MessageRow& m : taken)
        lines += (lines.empty() ? "" : "\n") + std::to_string(m.row) + ":" + m.nonce + ":" +
                 std::to_string(m.visible_at);
      conn.prepare(
              "INSERT OR REPLACE INTO sqs_receive_attempts(queue_id, attempt_id, expires_ms, "
              "messages) VALUES(?,?,?,?)")
          .bind_all(q.id, *attempt_id, now + kAttemptWindowMs, lines)
          .run();
    }
  });
  for (const std::string& k : dlq_keys) env_.waits.notify(k);

  if (taken.empty() && may_wait) {
    EpochMillis deadline = poll_deadline(c.request_id, now, static_cast<int>(wait));
    if (now < deadline) {
      Result r;
      r.defer = Deferral{key, generation, deadline};
      return r;
    }
  }
  forget_poll(c.request_id);
  if (!taken.empty()) wake_at(key, now + visibility * 1000);

  Value messages = Value::list();
  for (const MessageRow& m : taken) {
    Value out = Value::map();
    out.set("MessageId", m.message_id);
    out.set("ReceiptHandle", make_receipt(q.id, m.row, m.nonce, m.message_id));
    out.set("MD5OfBody", sqs::md5_of_body(m.body));
    out.set("Body", m.body);
    Value attrs = Value::map();
    if (wants(system_names, "SenderId")) attrs.set("SenderId", m.sender_id);
    if (wants(system_names, "SentTimestamp")) attrs.set("SentTimestamp", std::to_string(m.sent_ms));
    if (wants(system_names, "ApproximateReceiveCount"))
      attrs.set("ApproximateReceiveCount", std::to_string(m.receive_count));
    if (wants(system_names, "ApproximateFirstReceiveTimestamp"))
      attrs.set("ApproximateFirstReceiveTimestamp", std::to_string(m.first_receive_ms));
    if (m.sequence && wants(system_names, "SequenceNumber"))
      attrs.set("SequenceNumber", sequence_text(*m.sequence));
    if (q.fifo && m.dedup_id && wants(system_names, "MessageDeduplicationId"))
      attrs.set("MessageDeduplicationId", *m.dedup_id);
    if (m.group_id && wants(system_names, "MessageGroupId"))
      attrs.set("MessageGroupId", *m.group_id);
    if (wants(system_names, "AWSTraceHeader")) {
      Value sys = attributes_from_json(m.system_attributes);
      if (const Value* t = sys.find("AWSTraceHeader"))
        attrs.set("AWSTraceHeader", t->string_or("StringValue", ""));
    }
    if (m.source_arn && wants(system_names, "DeadLetterQueueSourceArn"))
      attrs.set("DeadLetterQueueSourceArn", *m.source_arn);
    if (attrs.size() > 0) out.set("Attributes", std::move(attrs));
    Value user = attributes_from_json(m.attributes);
    Value selected = Value::map();
    if (user.is_map())
      for (const auto& [name, v] : user.as_map())
        if (attribute_selected(attribute_names, name)) selected.set(name, v);
    if (selected.size() > 0) {
      out.set("MD5OfMessageAttributes", sqs::md5_of_attributes(selected));
      out.set("MessageAttributes", std::move(selected));
    }
    messages.push_back(std::move(out));
  }
  Result r;
  if (messages.size() > 0) r.output.set("Messages", std::move(messages));
  return r;
}

// ---- deleting and visibility ------------------------------------------------------------------

namespace {

Receipt check_receipt(const Queue& q, const std::string& handle) {
  std::optional<Receipt> receipt = parse_receipt(handle);
  if (!receipt || receipt->queue_id != q.id) throw sqs_errors::receipt_handle_is_invalid(handle);
  return *receipt;
}

// Deletes the message if the handle is its latest receive's; AWS answers success otherwise too.
void delete_one(Connection& conn, const Receipt& r) {
  conn.prepare("DELETE FROM sqs_messages WHERE id=? AND queue_id=? AND receipt_nonce=?")
      .bind_all(r.row, r.queue_id, r.nonce)
      .run();
}

// Sets the message's visibility; returns the new visible_at.
EpochMillis change_one(Connection& conn, const Receipt& r, const std::string& handle,
                       int64_t timeout, EpochMillis now) {
  auto& s = conn.prepare(
      "SELECT visible_at, receipt_nonce FROM sqs_messages WHERE id=? AND queue_id=?");
  s.bind_all(r.row, r.queue_id);
  if (!s.step() || s.column_text(1) != r.nonce) throw sqs_errors::receipt_handle_expired(handle);
  if (s.column_int(0) <= now) throw sqs_errors::message_not_inflight();
  s.reset();
  EpochMillis visible_at = now + timeout * 1000;
  conn.prepare("UPDATE sqs_messages SET visible_at=? WHERE id=?").bind_all(visible_at, r.row).run();
  return visible_at;
}

void check_timeout(int64_t timeout) {
  if (timeout < 0 || timeout > kMaxVisibility)
    throw invalid_value(std::to_string(timeout), "VisibilityTimeout",
                        "Must be >= 0 and <= 43200, if provided.");
}

}  // namespace

Result SqsService::delete_message(CallContext& c, const Value& in) {
  Queue q = resolve(c, in, "DeleteMessage");
  std::string handle = required_string(in, "ReceiptHandle");
  Receipt r = check_receipt(q, handle);
  Result out;  // written without holding the handler thread (see AsyncWrite)
  out.write = AsyncWrite{&env_.db, [r](Connection& conn) { delete_one(conn, r); }, {}};
  return out;
}

Result SqsService::delete_message_batch(CallContext& c, const Value& in) {
  Queue q = resolve(c, in, "DeleteMessage");
  const ValueList& entries = batch_entries(in);
  Value successful = Value::list(), failed = Value::list();
  std::vector<std::pair<std::string, Receipt>> good;
  for (const Value& e : entries) {
    std::string id = e.string_or("Id", "");
    try {
      good.emplace_back(id, check_receipt(q, e.string_or("ReceiptHandle", "")));
    } catch (const ApiError& err) {
      failed.push_back(failure(id, err));
    }
  }
  env_.db.write([&](Connection& conn) {
    for (const auto& [id, r] : good) delete_one(conn, r);
  });
  for (const auto& [id, r] : good) successful.push_back(ok_entry(id));
  Result out;
  out.output.set("Successful", std::move(successful));
  out.output.set("Failed", std::move(failed));
  return out;
}

Result SqsService::change_message_visibility(CallContext& c, const Value& in) {
  Queue q = resolve(c, in, "ChangeMessageVisibility");
  std::string handle = required_string(in, "ReceiptHandle");
  auto timeout = in.get_int("VisibilityTimeout");
  if (!timeout) throw sqs_errors::missing_parameter("VisibilityTimeout");
  check_timeout(*timeout);
  Receipt r = check_receipt(q, handle);
  EpochMillis now = env_.clock.now_ms();
  EpochMillis visible_at =
      env_.db.write([&](Connection& conn) { return change_one(conn, r, handle, *timeout, now); });
  wake_at(q.key(), visible_at);
  return {};
}

Result SqsService::change_message_visibility_batch(CallContext& c, const Value& in) {
  Queue q = resolve(c, in, "ChangeMessageVisibility");
  const ValueList& entries = batch_entries(in);
  EpochMillis now = env_.clock.now_ms();
  std::vector<std::optional<ApiError>> errors(entries.size());
  std::vector<EpochMillis> wakes;
  env_.db.write([&](Connection& conn) {
    for (size_t i = 0; i < entries.size(); ++i) {
      const Value& e = entries[i];
      try {
        int64_t timeout = e.get_int("VisibilityTimeout").value_or(0);
        check_timeout(timeout);
        std::string handle = e.string_or("ReceiptHandle", "");
        Receipt r = check_receipt(q, handle);
        wakes.push_back(change_one(conn, r, handle, timeout, now));
      } catch (const ApiError& err) {
        errors[i] = err;
      }
    }
  });
  for (EpochMillis w : wakes) wake_at(q.key(), w);
  Value successful = Value::list(), failed = Value::list();
  for (size_t i = 0; i < entries.size(); ++i) {
    std::string id = entries[i].string_or("Id", "");
    if (errors[i]) failed.push_back(failure(id, *errors[i]));
    else successful.push_back(ok_entry(id));
  }
  Result out;
  out.output.set("Successful", std::move(successful));
  out.output.set("Failed", std::move(failed));
  return out;
}

// ---- message move tasks -----------------------------------------------------------------------

Result SqsService::start_message_move_task(CallContext& c, const Value& in) {
  std::string source_arn = required_string(in, "SourceArn");
  std::optional<std::string> destination_arn = in.get_string("DestinationArn");
  std::optional<int64_t> rate = in.get_int("MaxNumberOfMessagesPerSecond");
  if (rate && (*rate < 1 || *rate > 500))
    throw invalid_value(std::to_string(*rate), "MaxNumberOfMessagesPerSecond",
                        "Must be between 1 and 500.");
  EpochMillis now = env_.clock.now_ms();
  std::string handle;
  env_.db.write([&](Connection& conn) {
    std::optional<Queue> source = find_queue_by_arn(conn, source_arn);
    if (!source || source->account != c.account.id)
      throw sqs_errors::resource_not_found("The resource that you specified for the SourceArn parameter doesn't exist.");
    // The source must be some queue's dead-letter queue.
    bool is_dlq = false;
    {
      auto& s = conn.prepare(std::string("SELECT ") + kQueueColumns +
                             " FROM sqs_queues WHERE account=? AND region=?");
      s.bind_all(source->account, source->region);
      while (s.step()) {
        auto redrive = queue_from_row(s).redrive();
        if (redrive && redrive->first == source_arn) is_dlq = true;
      }
    }
    if (!is_dlq)
      throw sqs_errors::invalid_parameter_value(
          "Source queue must be configured as a Dead Letter Queue.");
    if (destination_arn) {
      std::optional<Queue> destination = find_queue_by_arn(conn, *destination_arn);
      if (!destination || destination->account != c.account.id)
        throw sqs_errors::resource_not_found("The resource that you specified for the DestinationArn parameter doesn't exist.");
    }
    auto& running = conn.prepare(
        "SELECT 1 FROM sqs_move_tasks WHERE source_arn=? AND status IN ('RUNNING','CANCELLING')");
    running.bind_all(source_arn);
    if (running.step())
      throw sqs_errors::unsupported_operation("There is already a task running. Only one active "
                                              "task is allowed for a source queue arn at a given "
                                              "time.");
    running.reset();
    // The task moves the messages in the source now (up to the newest row), not later arrivals.
    auto& s = conn.prepare(
        "SELECT count(*), coalesce(max(id), 0) FROM sqs_messages WHERE queue_id=?");
    s.bind_all(source->id);
    s.step();
    int64_t to_move = s.column_int(0), last_row = s.column_int(1);
    s.reset();
    handle = base64_encode("{\"taskId\":\"" + uuid4() + "\",\"sourceArn\":\"" + source_arn + "\"}");
    conn.prepare(
            "INSERT INTO sqs_move_tasks(handle, source_arn, destination_arn, rate, status, "
            "moved, to_move, started_ms, last_row, cursor) VALUES(?,?,?,?,'RUNNING',0,?,?,?,0)")
        .bind_all(handle, source_arn)
        .bind(3, destination_arn)
        .bind(4, rate)
        .bind(5, to_move)
        .bind(6, now)
        .bind(7, last_row)
        .run();
  });
  env_.scheduler.schedule_at(now, [this, handle] { move_step(handle); });
  Result r;
  r.output.set("TaskHandle", handle);
  return r;
}

void SqsService::move_step(const std::string& handle) {
  EpochMillis now = env_.clock.now_ms();
  std::set<std::string> keys;
  std::optional<EpochMillis> next;
  try {
    env_.db.write([&](Connection& conn) {
      auto& t = conn.prepare(
          "SELECT status, source_arn, destination_arn, rate, last_row, cursor FROM "
          "sqs_move_tasks WHERE handle=?");
      t.bind_all(handle);
      if (!t.step()) return;
      std::string status = t.column_text(0), source_arn = t.column_text(1);
      std::optional<std::string> destination_arn = t.column_text_or_null(2);
      std::optional<int64_t> rate;
      if (!t.column_is_null(3)) rate = t.column_int(3);
      int64_t last_row = t.column_int(4), cursor = t.column_int(5);
      t.reset();
      auto set_status = [&](const char* s, std::optional<std::string> failure) {
        conn.prepare("UPDATE sqs_move_tasks SET status=?, failure=? WHERE handle=?")
            .bind_all(std::string(s))
            .bind(2, failure)
            .bind(3, handle)
            .run();
      };
      if (status == "CANCELLING") return set_status("CANCELLED", std::nullopt);
      if (status != "RUNNING") return;
      std::optional<Queue> source = find_queue_by_arn(conn, source_arn);
      if (!source) return set_status("FAILED", "AWS.SimpleQueueService.NonExistentQueue");
      std::optional<Queue> destination;
      if (destination_arn) {
        destination = find_queue_by_arn(conn, *destination_arn);
        if (!destination) return set_status("FAILED", "AWS.SimpleQueueService.NonExistentQueue");
      }
      const int64_t batch = rate.value_or(kMoveBatch);
      std::vector<std::pair<int64_t, std::string>> rows;
      auto& s = conn.prepare(
          "SELECT id, coalesce(source_arn,'') FROM sqs_messages WHERE queue_id=? AND id>? AND "
          "id<=? ORDER BY id LIMIT ?");
      s.bind_all(source->id, cursor, last_row, batch);
      while (s.step()) rows.emplace_back(s.column_int(0), s.column_text(1));
      s.reset();
      int64_t moved = 0;
      for (const auto& [row, origin] : rows) {
        cursor = row;
        // Each message goes back to its own source queue unless a destination is given.
        std::optional<Queue> target = destination;
        if (!target && !origin.empty()) target = find_queue_by_arn(conn, origin);
        if (!target) continue;
        std::optional<int64_t> sequence;
        if (target->fifo) {
          auto& seq = conn.prepare(
              "UPDATE sqs_queues SET next_sequence=next_sequence+1 WHERE id=? RETURNING "
              "next_sequence");
          seq.bind_all(target->id);
          seq.step();
          sequence = seq.column_int(0);
          seq.reset();
        }
        conn.prepare(
                "UPDATE sqs_messages SET queue_id=?, visible_at=?, receive_count=0, "
                "first_receive_ms=0, receipt_nonce='', source_arn=NULL, "
                "sequence=coalesce(?, sequence) WHERE id=?")
            .bind_all(target->id, now)
            .bind(3, sequence)
            .bind(4, row)
            .run();
        keys.insert(target->key());
        ++moved;
      }
      bool done = static_cast<int64_t>(rows.size()) < batch;
      conn.prepare(
              "UPDATE sqs_move_tasks SET moved=moved+?, cursor=?, "
              "status=CASE WHEN ? THEN 'COMPLETED' ELSE status END WHERE handle=?")
          .bind_all(moved, cursor, done ? 1 : 0, handle)
          .run();
      if (!done) next = rate ? now + 1000 : now;
    });
  } catch (const std::exception& e) {
    log::warn("sqs: message move task step failed, retrying: " + std::string(e.what()));
    next = now + 1000;
  }
  for (const std::string& k : keys) env_.waits.notify(k);
  if (next) env_.scheduler.schedule_at(*next, [this, handle] { move_step(handle); });
}

Result SqsService::cancel_message_move_task(CallContext& c, const Value& in) {
  std::string handle = required_string(in, "TaskHandle");
  (void)c;
  int64_t moved = env_.db.write([&](Connection& conn) -> int64_t {
    auto& s = conn.prepare("SELECT status, moved FROM sqs_move_tasks WHERE handle=?");
    s.bind_all(handle);
    if (!s.step()) throw sqs_errors::resource_not_found("Task does not exist.");
    if (s.column_text(0) != "RUNNING")
      throw sqs_errors::unsupported_operation("Only active tasks can be cancelled.");
    int64_t n = s.column_int(1);
    s.reset();
    // The task's next step sees CANCELLING and ends it as CANCELLED.
    conn.prepare("UPDATE sqs_move_tasks SET status='CANCELLING' WHERE handle=?")
        .bind_all(handle)
        .run();
    return n;
  });
  env_.scheduler.schedule_at(env_.clock.now_ms(), [this, handle] { move_step(handle); });
  Result r;
  r.output.set("ApproximateNumberOfMessagesMoved", moved);
  return r;
}

Result SqsService::list_message_move_tasks(CallContext& c, const Value& in) {
  std::string source_arn = required_string(in, "SourceArn");
  int64_t max = in.get_int("MaxResults").value_or(1);
  if (max < 1 || max > 10)
    throw invalid_value(std::to_string(max), "MaxResults", "Must be between 1 and 10.");
  auto parts = parse_arn(source_arn);
  if (!parts || parts->account != c.account.id)
    throw sqs_errors::resource_not_found("The resource that you specified for the SourceArn parameter doesn't exist.");
  Value results = Value::list();
  env_.db.read([&](Connection& conn) {
    auto& s = conn.prepare(
        "SELECT handle, status, source_arn, destination_arn, rate, moved, to_move, started_ms, "
        "failure FROM sqs_move_tasks WHERE source_arn=? ORDER BY started_ms DESC, rowid DESC "
        "LIMIT ?");
    s.bind_all(source_arn, max);
    while (s.step()) {
      Value t = Value::map();
      std::string status = s.column_text(1);
      if (status == "RUNNING") t.set("TaskHandle", s.column_text(0));
      t.set("Status", status);
      t.set("SourceArn", s.column_text(2));
      if (auto d = s.column_text_or_null(3)) t.set("DestinationArn", *d);
      if (!s.column_is_null(4)) t.set("MaxNumberOfMessagesPerSecond", s.column_int(4));
      t.set("ApproximateNumberOfMessagesMoved", s.column_int(5));
      t.set("ApproximateNumberOfMessagesToMove", s.column_int(6));
      if (auto f = s.column_text_or_null(8)) t.set("FailureReason", *f);
      t.set("StartedTimestamp", s.column_int(7));
      results.push_back(std::move(t));
    }
  });
  Result r;
  r.output.set("Results", std::move(results));
  return r;
}

}  // namespace nimbus
