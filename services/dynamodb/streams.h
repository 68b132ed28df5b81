// DynamoDB Streams: the change log of tables with a StreamSpecification, kept in SQLite
// (component "dynamodbstreams") and read by DynamoDbStreamsService (streams_service.h).
//
//   ddb_streams(id, account, region, table_name, table_id, label, view_type, key_schema,
//               created_ms, disabled_ms, first_seq, last_seq, trimmed_seq)
//   ddb_stream_records(seq, stream_id, created_ms, event, by_ttl, event_id, keys, new_image,
//                      old_image, size_bytes)
//   ddb_stream_counter(id, last_seq)   one row (id 1): the last sequence number handed out
//
// Each stream has one shard. Sequence numbers come from one counter for the whole process, so
// records of every stream are numbered in commit order. append() runs inside the write job of
// the item change (DynamoDbService's store()), so a record exists exactly when its change
// committed. A disabled stream (UpdateTable, DeleteTable) is closed: last_seq is set and it is
// removed with its records 24 hours later; records of any stream are trimmed 24 hours after
// they were written (trim(), on the service's scheduler task), and trimmed_seq remembers the
// trim point for TrimmedDataAccessException.
//
// Thread-safety: pure functions and functions on a Connection the caller owns.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/time.h"
#include "common/value.h"
#include "services/dynamodb/attribute.h"
#include "services/dynamodb/table.h"
#include "storage/database.h"

namespace nimbus::ddb::streams {

constexpr EpochMillis kRetentionMs = 24 * 3600 * 1000;
constexpr EpochMillis kIteratorLifetimeMs = 15 * 60 * 1000;

// Who made a change: a caller's request, or DynamoDB itself (Time to Live deletions, which
// carry userIdentity {Type: Service, PrincipalId: dynamodb.amazonaws.com}).
enum class Origin { User, Ttl };

// ---- pure pieces ----------------------------------------------------------------------------

// Sequence numbers as AWS shapes them: decimal strings of 21 digits ("1" then n in 20 digits),
// increasing with n. parse_sequence returns nullopt for text that is not one of these.
std::string format_sequence(int64_t n);
std::optional<int64_t> parse_sequence(std::string_view text);

// "shardId-<20-digit creation ms>-<8 hex>", as AWS's shard ids look.
std::string shard_id(EpochMillis created_ms, const std::string& stream_arn);

// A shard iterator: "<stream arn>|1|<base64 payload>" like AWS's. The payload holds the stream,
// the position (records with a sequence number above `after` are next) and the issue time,
// with a MAC so a damaged or invented iterator is refused (decode returns nullopt).
struct IteratorState {
  int64_t stream_id = 0;
  int64_t after = 0;
  EpochMillis issued_ms = 0;
};
std::string encode_iterator(const std::string& stream_arn, const IteratorState& state);
std::optional<IteratorState> decode_iterator(std::string_view text, std::string* stream_arn);

// One stream record as stored: images already reduced to what the view type keeps.
struct StreamRecord {
  int64_t seq = 0;
  EpochMillis created_ms = 0;
  std::string event_name;  // INSERT, MODIFY, REMOVE
  Origin origin = Origin::User;
  std::string event_id;
  Item keys;
  std::optional<Item> new_image, old_image;
  int64_t size_bytes = 0;
};

// The record of the change old -> neu of an item of table t under view_type (KEYS_ONLY,
// NEW_IMAGE, OLD_IMAGE, NEW_AND_OLD_IMAGES); nullopt when the change changes nothing (a put of
// an identical item), which AWS does not record. seq and event_id are left for the caller.
std::optional<StreamRecord> make_record(const TableInfo& t, const std::string& view_type,
                                        const std::optional<Item>& old,
                                        const std::optional<Item>& neu, EpochMillis now,
                                        Origin origin);
// The Record shape of the streams model (eventID, eventName, ..., dynamodb{...}).
Value record_value(const StreamRecord& r, const std::string& region,
                   const std::string& view_type);

// "arn:aws:dynamodb:<region>:<account>:table/<name>/stream/<label>".
std::string stream_arn(const std::string& region, const std::string& account,
                       const std::string& table, const std::string& label);

// Validates a StreamSpecification of CreateTable (creating) or UpdateTable: StreamEnabled
// given, StreamViewType given (and known) exactly when enabling. Returns StreamEnabled; throws
// ValidationException with AWS's messages.
bool check_specification(const Value& spec, bool creating);

// ---- storage --------------------------------------------------------------------------------

// Applies the table schema (ddb::migrate) and then the streams schema. Streams of tables
// enabled before this schema existed get their stream row, with no records.
void migrate(Database& db);

// Inside a write job. enable() opens a new stream for table t and returns its label (the
// creation time, made unique among the table's streams); disable() closes t's open stream,
// if any. append() records the change old -> neu when t has an open stream.
std::string enable(Connection& c, const TableInfo& t, const std::string& view_type,
                   EpochMillis now);
void disable(Connection& c, const TableInfo& t, EpochMillis now);
void append(Connection& c, const TableInfo& t, const std::optional<Item>& old,
            const std::optional<Item>& neu, EpochMillis now, Origin origin);

// ---- reading (on any connection) ------------------------------------------------------------

struct StreamInfo {
  int64_t id = 0;
  std::string account, region, table_name, label, view_type;
  Value key_schema;
  EpochMillis created_ms = 0;
  std::optional<EpochMillis> disabled_ms;
  int64_t first_seq = 0;               // the shard's StartingSequenceNumber
  std::optional<int64_t> last_seq;     // its EndingSequenceNumber, once closed
  int64_t trimmed_seq = 0;             // records at or below were trimmed

  std::string arn() const { return stream_arn(region, account, table_name, label); }
  std::string shard() const { return shard_id(created_ms, arn()); }
};

std::optional<StreamInfo> load_stream(Connection& c, int64_t id);
std::optional<StreamInfo> find_stream(Connection& c, const std::string& account,
                                      const std::string& region, const std::string& table,
                                      const std::string& label);
// Streams of an account and region in ARN order after `after_arn` (all when empty), optionally
// of one table; at most `limit`.
std::vector<StreamInfo> list_streams(Connection& c, const std::string& account,
                                     const std::string& region,
                                     const std::optional<std::string>& table,
                                     const std::string& after_arn, int64_t limit);
// The stream's records with seq > after, in order: at most `limit`, and no more than
// `max_bytes` of SizeBytes together (but always the first record there is).
std::vector<StreamRecord> read_records(Connection& c, int64_t stream_id, int64_t after,
                                       int64_t limit, int64_t max_bytes);
// The last sequence number handed out (0 before the first record).
int64_t latest_sequence(Connection& c);

// Retention: removes records older than kRetentionMs and streams disabled longer than that.
// Reads first and writes only when something is due.
void trim(Database& db, EpochMillis now);

}  // namespace nimbus::ddb::streams
