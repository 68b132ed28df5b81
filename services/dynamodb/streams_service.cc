// DynamoDbStreamsService: the four DynamoDB Streams operations. Each validates its input with
// AWS's messages, then reads the change log (services/dynamodb/streams.h) in one
// Database::read. Shard iterators carry their own position and issue time, so the service
// keeps no state: an iterator outlives a restart and expires after 15 minutes by the clock.
#include "services/dynamodb/streams_service.h"

#include <algorithm>

#include "services/dynamodb/errors.h"
#include "services/dynamodb/streams.h"
#include "storage/database.h"

namespace nimbus {
namespace {

using namespace ddb::streams;
namespace err = ddb_errors;

constexpr int64_t kMaxPageBytes = 1024 * 1024;  // GetRecords returns at most 1 MB

struct Ctx {
  Database& db;
  CallContext& call;
  const Value& in;
  const Clock& clock;
};

ApiError trimmed() {
  return err::make(400, "TrimmedDataAccessException",
                   "The operation attempted to read past the oldest stream record in a shard.");
}

ApiError stream_not_found(const std::string& arn) {
  return err::resource_not_found("Requested resource not found: Stream: " + arn + " not found");
}

std::string constraint(const std::string& value, const char* member, const std::string& what) {
  return "1 validation error detected: Value '" + value + "' at '" + member +
         "' failed to satisfy constraint: Member must " + what;
}

std::string required_string(const Value& in, const char* name, const char* member) {
  std::optional<std::string> v = in.get_string(name);
  if (!v)
    throw err::validation(std::string("1 validation error detected: Value null at '") + member +
                          "' failed to satisfy constraint: Member must not be null");
  return *v;
}

int64_t limit_of(const Value& in, int64_t max) {
  std::optional<int64_t> limit = in.get_int("Limit");
  if (!limit) return max;
  if (*limit < 1)
    throw err::validation(constraint(std::to_string(*limit), "limit",
                                     "have value greater than or equal to 1"));
  if (*limit > max)
    throw err::validation(constraint(std::to_string(*limit), "limit",
                                     "have value less than or equal to " + std::to_string(max)));
  return *limit;
}

void check_arn_length(const std::string& arn, const char* member) {
  if (arn.size() < 37)
    throw err::validation(constraint(arn, member, "have length greater than or equal to 37"));
  if (arn.size() > 1024)
    throw err::validation(constraint(arn, member, "have length less than or equal to 1024"));
}

// The caller's stream named by ARN "arn:aws:dynamodb:<region>:<account>:table/<t>/stream/<l>".
StreamInfo require_stream(Connection& c, const Ctx& x, const std::string& arn) {
  const std::string prefix = "arn:aws:dynamodb:";
  size_t table_at = arn.find(":table/");
  size_t stream_at = arn.find("/stream/");
  if (arn.rfind(prefix, 0) != 0 || table_at == std::string::npos ||
      stream_at == std::string::npos || stream_at < table_at)
    throw err::validation("Invalid StreamArn: " + arn + " (expected arn:aws:dynamodb:<region>:"
                          "<account>:table/<table name>/stream/<stream label>)");
  std::string scope = arn.substr(prefix.size(), table_at - prefix.size());  // region:account
  std::string table = arn.substr(table_at + 7, stream_at - table_at - 7);
  std::string label = arn.substr(stream_at + 8);
  if (scope != x.call.region + ":" + x.call.account.id) throw stream_not_found(arn);
  std::optional<StreamInfo> s = find_stream(c, x.call.account.id, x.call.region, table, label);
  if (!s) throw stream_not_found(arn);
  return *s;
}

std::string stream_arn_input(const Value& in) {
  std::string arn = required_string(in, "StreamArn", "streamArn");
  check_arn_length(arn, "streamArn");
  return arn;
}

// ---- operations -----------------------------------------------------------------------------

Result list_streams_op(Ctx& x) {
  int64_t limit = limit_of(x.in, 100);
  std::optional<std::string> table = x.in.get_string("TableName");
  std::string start = x.in.string_or("ExclusiveStartStreamArn", "");
  if (!start.empty()) check_arn_length(start, "exclusiveStartStreamArn");
  std::vector<StreamInfo> streams = x.db.read([&](Connection& c) {
    std::vector<StreamInfo> found =
        list_streams(c, x.call.account.id, x.call.region, table, start, limit + 1);
    if (table && found.empty() && start.empty() &&
        !ddb::load_table(c, x.call.account.id, x.call.region, *table))
      throw err::table_not_found(*table);
    return found;
  });
  Result r;
  r.output.set("Streams", Value::list());
  bool more = static_cast<int64_t>(streams.size()) > limit;
  if (more) streams.pop_back();
  for (const StreamInfo& s : streams)
    r.output["Streams"].push_back(Value::map()
                                      .set("StreamArn", s.arn())
                                      .set("TableName", s.table_name)
                                      .set("StreamLabel", s.label));
  if (more) r.output.set("LastEvaluatedStreamArn", streams.back().arn());
  return r;
}

Result describe_stream_op(Ctx& x) {
  std::string arn = stream_arn_input(x.in);
  limit_of(x.in, 100);
  StreamInfo s = x.db.read([&](Connection& c) { return require_stream(c, x, arn); });
  Value d = Value::map();
  d.set("StreamArn", s.arn());
  d.set("StreamLabel", s.label);
  d.set("StreamStatus", s.disabled_ms ? "DISABLED" : "ENABLED");
  d.set("StreamViewType", s.view_type);
  d.set("CreationRequestDateTime", Value::timestamp(static_cast<double>(s.created_ms) / 1000.0));
  d.set("TableName", s.table_name);
  d.set("KeySchema", s.key_schema);
  Value shards = Value::list();
  // One shard per stream: listed unless the caller pages past it or asks for its children.
  std::string start = x.in.string_or("ExclusiveStartShardId", "");
  if (start < s.shard() && !x.in.has("ShardFilter")) {
    Value range = Value::map().set("StartingSequenceNumber", format_sequence(s.first_seq));
    if (s.last_seq) range.set("EndingSequenceNumber", format_sequence(*s.last_seq));
    shards.push_back(Value::map().set("ShardId", s.shard()).set("SequenceNumberRange", range));
  }
  d.set("Shards", std::move(shards));
  Result r;
  r.output.set("StreamDescription", std::move(d));
  return r;
}

Result get_shard_iterator_op(Ctx& x) {
  std::string arn = stream_arn_input(x.in);
  std::string shard = required_string(x.in, "ShardId", "shardId");
  std::string type = required_string(x.in, "ShardIteratorType", "shardIteratorType");
  bool at = type == "AT_SEQUENCE_NUMBER", after_seq = type == "AFTER_SEQUENCE_NUMBER";
  if (!at && !after_seq && type != "TRIM_HORIZON" && type != "LATEST")
    throw err::validation(constraint(type, "shardIteratorType",
                                     "satisfy enum value set: [AFTER_SEQUENCE_NUMBER, "
                                     "AT_SEQUENCE_NUMBER, LATEST, TRIM_HORIZON]"));
  std::optional<int64_t> seq;
  if (at || after_seq) {
    std::optional<std::string> text = x.in.get_string("SequenceNumber");
    if (!text)
      throw err::validation("A SequenceNumber is required when ShardIteratorType is " + type);
    seq = parse_sequence(*text);
    if (!seq) throw err::validation("Invalid SequenceNumber: " + *text);
  }
  std::string iterator = x.db.read([&](Connection& c) {
    StreamInfo s = require_stream(c, x, arn);
    if (shard != s.shard())
      throw err::resource_not_found("Requested resource not found: Shard does not exist");
    int64_t end = s.last_seq ? *s.last_seq : latest_sequence(c);
    int64_t after = 0;
    if (type == "TRIM_HORIZON") {
      after = std::max(s.trimmed_seq, s.first_seq - 1);
    } else if (type == "LATEST") {
      after = end;
    } else {
      if (*seq < s.first_seq || *seq > end)
        throw err::validation("Invalid SequenceNumber: " + format_sequence(*seq) +
                              " is outside the range of shard " + s.shard() + " (" +
                              format_sequence(s.first_seq) + " to " + format_sequence(end) + ")");
      after = at ? *seq - 1 : *seq;
      if (after < s.trimmed_seq) throw trimmed();
    }
    return encode_iterator(s.arn(), IteratorState{s.id, after, x.clock.now_ms()});
  });
  Result r;
  r.output.set("ShardIterator", iterator);
  return r;
}

Result get_records_op(Ctx& x) {
  std::string text = required_string(x.in, "ShardIterator", "shardIterator");
  if (text.empty() || text.size() > 2048) {
    size_t quoted = std::min<size_t>(text.size(), 64);  // cut between UTF-8 characters
    while (quoted > 0 && quoted < text.size() && (text[quoted] & 0xC0) == 0x80) --quoted;
    throw err::validation(constraint(text.substr(0, quoted), "shardIterator",
                                     text.empty() ? "have length greater than or equal to 1"
                                                  : "have length less than or equal to 2048"));
  }
  int64_t limit = limit_of(x.in, 1000);
  std::string arn;
  std::optional<IteratorState> it = decode_iterator(text, &arn);
  if (!it)
    throw err::validation("Invalid ShardIterator: pass a ShardIterator returned by "
                          "GetShardIterator or by GetRecords, unchanged");
  EpochMillis now = x.clock.now_ms();
  if (now - it->issued_ms > kIteratorLifetimeMs)
    throw err::expired_iterator("Iterator expired. The iterator was created at time " +
                                format_iso8601_ms(it->issued_ms) + " while right now it is " +
                                format_iso8601_ms(now) + " which is further in the future "
                                "than the tolerated delay of " +
                                std::to_string(kIteratorLifetimeMs) + " milliseconds.");
  Result r;
  x.db.read([&](Connection& c) {
    std::optional<StreamInfo> s = load_stream(c, it->stream_id);
    if (!s || s->arn() != arn || s->account != x.call.account.id || s->region != x.call.region)
      throw stream_not_found(arn);
    if (it->after < s->trimmed_seq) throw trimmed();
    std::vector<StreamRecord> records = read_records(c, s->id, it->after, limit, kMaxPageBytes);
    r.output.set("Records", Value::list());
    for (const StreamRecord& rec : records)
      r.output["Records"].push_back(record_value(rec, s->region, s->view_type));
    int64_t next = records.empty() ? it->after : records.back().seq;
    // A closed shard read to its end has no next iterator; an open one always has. An empty
    // page of a closed shard is its end (a page holds at least the first record there is).
    if (!s->last_seq || (!records.empty() && next < *s->last_seq))
      r.output.set("NextShardIterator",
                   encode_iterator(s->arn(), IteratorState{s->id, next, now}));
  });
  return r;
}

}  // namespace

DynamoDbStreamsService::DynamoDbStreamsService(ServiceEnv& env, const Service& dynamodb)
    : env_(env), model_(builtin_model("dynamodbstreams")), dynamodb_(dynamodb) {
  migrate(env.db);
}

Result DynamoDbStreamsService::call(CallContext& context, const Value& input) {
  using Handler = Result (*)(Ctx&);
  static const std::unordered_map<std::string_view, Handler> handlers = {
      {"ListStreams", &list_streams_op},
      {"DescribeStream", &describe_stream_op},
      {"GetShardIterator", &get_shard_iterator_op},
      {"GetRecords", &get_records_op},
  };
  auto it = handlers.find(context.operation.name);
  if (it == handlers.end()) throw errors::not_implemented(context.operation.name);
  Ctx x{env_.db, context, input, env_.clock};
  return it->second(x);
}

ApiError DynamoDbStreamsService::auth_error(const AuthError& error) const {
  return dynamodb_.auth_error(error);
}

}  // namespace nimbus
