// DynamoDB Streams storage and record shapes. See streams.h. Entry points: the pure pieces
// (sequence numbers, shard ids, iterators, make_record/record_value), the write-job functions
// enable/disable/append, and trim() for 24-hour retention.
#include "services/dynamodb/streams.h"

#include <algorithm>
#include <charconv>

#include "common/encoding.h"
#include "common/hash.h"
#include "common/ids.h"
#include "services/dynamodb/errors.h"

namespace nimbus::ddb::streams {
namespace {

const std::vector<std::string>& migrations() {
  static const std::vector<std::string> scripts = {
      R"sql(
CREATE TABLE ddb_streams(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  account TEXT NOT NULL,
  region TEXT NOT NULL,
  table_name TEXT NOT NULL,
  table_id INTEGER NOT NULL,
  label TEXT NOT NULL,
  view_type TEXT NOT NULL,
  key_schema TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  disabled_ms INTEGER,
  first_seq INTEGER NOT NULL,
  last_seq INTEGER,
  trimmed_seq INTEGER NOT NULL DEFAULT 0,
  UNIQUE(account, region, table_name, label)
);
CREATE INDEX ddb_streams_open ON ddb_streams(table_id) WHERE disabled_ms IS NULL;
CREATE TABLE ddb_stream_records(
  seq INTEGER PRIMARY KEY,
  stream_id INTEGER NOT NULL,
  created_ms INTEGER NOT NULL,
  event TEXT NOT NULL,
  by_ttl INTEGER NOT NULL,
  event_id TEXT NOT NULL,
  keys BLOB NOT NULL,
  new_image BLOB,
  old_image BLOB,
  size_bytes INTEGER NOT NULL
);
CREATE INDEX ddb_stream_records_stream ON ddb_stream_records(stream_id, seq);
CREATE TABLE ddb_stream_counter(id INTEGER PRIMARY KEY CHECK (id = 1), last_seq INTEGER NOT NULL);
-- Tables whose stream was enabled before streams were recorded get their stream row.
INSERT INTO ddb_streams(account, region, table_name, table_id, label, view_type, key_schema,
                        created_ms, first_seq)
  SELECT account, region, name, id, json_extract(meta, '$.StreamLabel'),
         json_extract(meta, '$.StreamSpecification.StreamViewType'),
         json_extract(meta, '$.KeySchema'),
         CAST(coalesce(json_extract(meta, '$.Created'), 0) * 1000 AS INTEGER), 1
  FROM ddb_tables
  WHERE json_extract(meta, '$.StreamSpecification.StreamViewType') IS NOT NULL
    AND json_extract(meta, '$.StreamLabel') IS NOT NULL;
)sql",
  };
  return scripts;
}

constexpr std::string_view kIteratorKey = "nimbus dynamodb streams shard iterator";
constexpr std::string_view kIteratorSeparator = "|1|";

int64_t next_seq(Connection& c) {
  // An upsert, so the counter also restarts after /_nimbus/reset emptied every table.
  c.prepare("INSERT INTO ddb_stream_counter(id, last_seq) VALUES (1, 1) "
            "ON CONFLICT(id) DO UPDATE SET last_seq = last_seq + 1")
      .run();
  return latest_sequence(c);
}

constexpr const char* kStreamColumns =
    "SELECT id, account, region, table_name, label, view_type, key_schema, created_ms, "
    "disabled_ms, first_seq, last_seq, trimmed_seq FROM ddb_streams ";

StreamInfo stream_from_row(Statement& s) {
  StreamInfo i;
  i.id = s.column_int(0);
  i.account = s.column_text(1);
  i.region = s.column_text(2);
  i.table_name = s.column_text(3);
  i.label = s.column_text(4);
  i.view_type = s.column_text(5);
  i.key_schema = from_json(s.column_text(6));
  i.created_ms = s.column_int(7);
  if (!s.column_is_null(8)) i.disabled_ms = s.column_int(8);
  i.first_seq = s.column_int(9);
  if (!s.column_is_null(10)) i.last_seq = s.column_int(10);
  i.trimmed_seq = s.column_int(11);
  return i;
}

std::optional<int64_t> to_int(std::string_view text) {
  int64_t n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return n;
}

std::string mac(std::string_view payload) {
  return hex_encode(hmac_sha256(kIteratorKey, payload)).substr(0, 16);
}

}  // namespace

// ---- pure pieces ----------------------------------------------------------------------------

std::string format_sequence(int64_t n) {
  std::string digits = std::to_string(n);
  return "1" + std::string(20 - digits.size(), '0') + digits;
}

std::optional<int64_t> parse_sequence(std::string_view text) {
  if (text.size() != 21 || text[0] != '1') return std::nullopt;
  for (char ch : text)
    if (ch < '0' || ch > '9') return std::nullopt;
  return to_int(text.substr(1));
}

std::string shard_id(EpochMillis created_ms, const std::string& stream_arn) {
  std::string ms = std::to_string(created_ms);
  return "shardId-" + std::string(20 - std::min<size_t>(ms.size(), 20), '0') + ms + "-" +
         sha256_hex(stream_arn).substr(0, 8);
}

std::string encode_iterator(const std::string& stream_arn, const IteratorState& state) {
  std::string payload = std::to_string(state.stream_id) + ":" + std::to_string(state.after) +
                        ":" + std::to_string(state.issued_ms);
  payload += ":" + mac(stream_arn + "\n" + payload);
  return stream_arn + std::string(kIteratorSeparator) + base64_encode(payload);
}

std::optional<IteratorState> decode_iterator(std::string_view text, std::string* stream_arn) {
  size_t sep = text.find(kIteratorSeparator);
  if (sep == std::string_view::npos) return std::nullopt;
  std::string arn(text.substr(0, sep));
  std::optional<std::string> payload = base64_decode(text.substr(sep + kIteratorSeparator.size()));
  if (!payload) return std::nullopt;
  size_t last = payload->rfind(':');
  if (last == std::string::npos || payload->substr(last + 1) != mac(arn + "\n" +
                                                                     payload->substr(0, last)))
    return std::nullopt;
  std::string_view fields(payload->data(), last);
  size_t a = fields.find(':'), b = fields.find(':', a == fields.npos ? a : a + 1);
  if (a == fields.npos || b == fields.npos) return std::nullopt;
  std::optional<int64_t> id = to_int(fields.substr(0, a));
  std::optional<int64_t> after = to_int(fields.substr(a + 1, b - a - 1));
  std::optional<int64_t> issued = to_int(fields.substr(b + 1));
  if (!id || !after || !issued) return std::nullopt;
  if (stream_arn) *stream_arn = arn;
  return IteratorState{*id, *after, *issued};
}

std::optional<StreamRecord> make_record(const TableInfo& t, const std::string& view_type,
                                        const std::optional<Item>& old,
                                        const std::optional<Item>& neu, EpochMillis now,
                                        Origin origin) {
  if (!old && !neu) return std::nullopt;
  if (old && neu) {
    Attr a, b;
    a.type = b.type = Type::M;
    a.map = *old;
    b.map = *neu;
    if (equal(a, b)) return std::nullopt;
  }
  StreamRecord r;
  r.created_ms = now;
  r.event_name = !old ? "INSERT" : !neu ? "REMOVE" : "MODIFY";
  r.origin = origin;
  const Item& any = neu ? *neu : *old;
  r.keys[t.hash.name] = any.at(t.hash.name);
  if (t.has_range()) r.keys[t.range.name] = any.at(t.range.name);
  r.size_bytes = static_cast<int64_t>(item_size(r.keys));
  bool both = view_type == "NEW_AND_OLD_IMAGES";
  if (neu && (both || view_type == "NEW_IMAGE")) {
    r.new_image = *neu;
    r.size_bytes += static_cast<int64_t>(item_size(*neu));
  }
  if (old && (both || view_type == "OLD_IMAGE")) {
    r.old_image = *old;
    r.size_bytes += static_cast<int64_t>(item_size(*old));
  }
  return r;
}

Value record_value(const StreamRecord& r, const std::string& region,
                   const std::string& view_type) {
  Value d = Value::map();
  d.set("ApproximateCreationDateTime", Value::timestamp(static_cast<double>(r.created_ms / 1000)));
  d.set("Keys", item_to_value(r.keys));
  if (r.new_image) d.set("NewImage", item_to_value(*r.new_image));
  if (r.old_image) d.set("OldImage", item_to_value(*r.old_image));
  d.set("SequenceNumber", format_sequence(r.seq));
  d.set("SizeBytes", r.size_bytes);
  d.set("StreamViewType", view_type);
  Value v = Value::map();
  v.set("eventID", r.event_id);
  v.set("eventName", r.event_name);
  v.set("eventVersion", "1.1");
  v.set("eventSource", "aws:dynamodb");
  v.set("awsRegion", region);
  v.set("dynamodb", std::move(d));
  if (r.origin == Origin::Ttl)
    v.set("userIdentity", Value::map()
                              .set("Type", "Service")
                              .set("PrincipalId", "dynamodb.amazonaws.com"));
  return v;
}

bool check_specification(const Value& spec, bool creating) {
  std::optional<bool> enabled = spec.get_bool("StreamEnabled");
  if (!enabled)
    throw ddb_errors::validation("1 validation error detected: Value null at "
                                 "'streamSpecification.streamEnabled' failed to satisfy "
                                 "constraint: Member must not be null");
  std::optional<std::string> view = spec.get_string("StreamViewType");
  const std::string invalid = "One or more parameter values were invalid: ";
  if (*enabled && !view)
    throw ddb_errors::validation(invalid + (creating ? "Table is being created with a stream "
                                                       "enabled, UpdateViewType is required"
                                                     : "If stream is being enabled then "
                                                       "UpdateViewType is required"));
  if (!*enabled && view)
    throw ddb_errors::validation(invalid + (creating ? "Table is being created with a stream "
                                                       "disabled, UpdateViewType should not be "
                                                       "specified"
                                                     : "If stream is being disabled, then "
                                                       "UpdateViewType must not be specified"));
  if (view && *view != "NEW_IMAGE" && *view != "OLD_IMAGE" && *view != "NEW_AND_OLD_IMAGES" &&
      *view != "KEYS_ONLY")
    throw ddb_errors::validation("1 validation error detected: Value '" + *view +
                                 "' at 'streamSpecification.streamViewType' failed to satisfy "
                                 "constraint: Member must satisfy enum value set: [OLD_IMAGE, "
                                 "KEYS_ONLY, NEW_AND_OLD_IMAGES, NEW_IMAGE]");
  return *enabled;
}

std::string stream_arn(const std::string& region, const std::string& account,
                       const std::string& table, const std::string& label) {
  return "arn:aws:dynamodb:" + region + ":" + account + ":table/" + table + "/stream/" + label;
}

// ---- storage --------------------------------------------------------------------------------

void migrate(Database& db) {
  ddb::migrate(db);  // the streams schema refers to ddb_tables
  db.migrate("dynamodbstreams", migrations());
}

std::string enable(Connection& c, const TableInfo& t, const std::string& view_type,
                   EpochMillis now) {
  std::string label;
  for (EpochMillis at = now;; ++at) {  // two streams of one table never share a label
    label = format_iso8601_ms(at).substr(0, 23);
    Statement& s = c.prepare(
        "SELECT 1 FROM ddb_streams WHERE account = ? AND region = ? AND table_name = ? AND "
        "label = ?");
    s.bind_all(t.account, t.region, t.name, label);
    if (!s.step()) break;
  }
  const Value* schema = t.meta.find("KeySchema");
  c.prepare("INSERT INTO ddb_streams(account, region, table_name, table_id, label, view_type, "
            "key_schema, created_ms, first_seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")
      .bind_all(t.account, t.region, t.name, t.id, label, view_type,
                to_json(schema ? *schema : Value::list()), now, latest_sequence(c) + 1)
      .run();
  return label;
}

void disable(Connection& c, const TableInfo& t, EpochMillis now) {
  c.prepare("UPDATE ddb_streams SET disabled_ms = ?1, last_seq = max(first_seq, trimmed_seq, "
            "coalesce((SELECT max(seq) FROM ddb_stream_records r WHERE r.stream_id = "
            "ddb_streams.id), 0)) WHERE table_id = ?2 AND disabled_ms IS NULL")
      .bind_all(now, t.id)
      .run();
}

void append(Connection& c, const TableInfo& t, const std::optional<Item>& old,
            const std::optional<Item>& neu, EpochMillis now, Origin origin) {
  if (!t.meta.has("StreamSpecification")) return;  // no stream: no lookup
  Statement& s = c.prepare(
      "SELECT id, view_type FROM ddb_streams WHERE table_id = ? AND disabled_ms IS NULL");
  s.bind(1, t.id);
  if (!s.step()) return;
  int64_t stream = s.column_int(0);
  std::string view_type = s.column_text(1);
  s.reset();
  std::optional<StreamRecord> r = make_record(t, view_type, old, neu, now, origin);
  if (!r) return;
  int64_t seq = next_seq(c);
  Statement& insert = c.prepare(
      "INSERT INTO ddb_stream_records(seq, stream_id, created_ms, event, by_ttl, event_id, "
      "keys, new_image, old_image, size_bytes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  insert.bind(1, seq)
      .bind(2, stream)
      .bind(3, now)
      .bind(4, r->event_name)
      .bind(5, origin == Origin::Ttl)
      .bind(6, random_hex(16))
      .bind_blob(7, encode_item(r->keys))
      .bind_null(8)
      .bind_null(9)
      .bind(10, r->size_bytes);
  if (r->new_image) insert.bind_blob(8, encode_item(*r->new_image));
  if (r->old_image) insert.bind_blob(9, encode_item(*r->old_image));
  insert.run();
}

// ---- reading --------------------------------------------------------------------------------

int64_t latest_sequence(Connection& c) {
  Statement& s = c.prepare("SELECT last_seq FROM ddb_stream_counter");
  return s.step() ? s.column_int(0) : 0;
}

std::optional<StreamInfo> load_stream(Connection& c, int64_t id) {
  Statement& s = c.prepare(std::string(kStreamColumns) + "WHERE id = ?");
  s.bind(1, id);
  if (!s.step()) return std::nullopt;
  return stream_from_row(s);
}

std::optional<StreamInfo> find_stream(Connection& c, const std::string& account,
                                      const std::string& region, const std::string& table,
                                      const std::string& label) {
  Statement& s = c.prepare(std::string(kStreamColumns) +
                           "WHERE account = ? AND region = ? AND table_name = ? AND label = ?");
  s.bind_all(account, region, table, label);
  if (!s.step()) return std::nullopt;
  return stream_from_row(s);
}

std::vector<StreamInfo> list_streams(Connection& c, const std::string& account,
                                     const std::string& region,
                                     const std::optional<std::string>& table,
                                     const std::string& after_arn, int64_t limit) {
  Statement& s = c.prepare(std::string(kStreamColumns) +
                           "WHERE account = ? AND region = ? AND (?3 IS NULL OR table_name = ?3)");
  s.bind_all(account, region, table);
  std::vector<StreamInfo> all;
  while (s.step()) all.push_back(stream_from_row(s));
  std::sort(all.begin(), all.end(),
            [](const StreamInfo& a, const StreamInfo& b) { return a.arn() < b.arn(); });
  std::vector<StreamInfo> out;
  for (StreamInfo& i : all)
    if (i.arn() > after_arn && static_cast<int64_t>(out.size()) < limit)
      out.push_back(std::move(i));
  return out;
}

std::vector<StreamRecord> read_records(Connection& c, int64_t stream_id, int64_t after,
                                       int64_t limit, int64_t max_bytes) {
  Statement& s = c.prepare(
      "SELECT seq, created_ms, event, by_ttl, event_id, keys, new_image, old_image, size_bytes "
      "FROM ddb_stream_records WHERE stream_id = ? AND seq > ? ORDER BY seq LIMIT ?");
  s.bind_all(stream_id, after, limit);
  std::vector<StreamRecord> out;
  int64_t bytes = 0;
  while (s.step()) {
    if (!out.empty() && bytes + s.column_int(8) > max_bytes) break;
    StreamRecord r;
    r.seq = s.column_int(0);
    r.created_ms = s.column_int(1);
    r.event_name = s.column_text(2);
    r.origin = s.column_int(3) ? Origin::Ttl : Origin::User;
    r.event_id = s.column_text(4);
    r.keys = decode_item(s.column_blob(5));
    if (!s.column_is_null(6)) r.new_image = decode_item(s.column_blob(6));
    if (!s.column_is_null(7)) r.old_image = decode_item(s.column_blob(7));
    r.size_bytes = s.column_int(8);
    bytes += r.size_bytes;
    out.push_back(std::move(r));
  }
  s.reset();
  return out;
}

// ---- retention ------------------------------------------------------------------------------

void trim(Database& db, EpochMillis now) {
  EpochMillis cutoff = now - kRetentionMs;
  bool due = db.read([&](Connection& c) {
    Statement& s = c.prepare("SELECT created_ms FROM ddb_stream_records ORDER BY seq LIMIT 1");
    if (s.step() && s.column_int(0) < cutoff) return true;
    Statement& d = c.prepare("SELECT 1 FROM ddb_streams WHERE disabled_ms < ? LIMIT 1");
    d.bind(1, cutoff);
    return d.step();
  });
  if (!due) return;
  db.write([&](Connection& c) {
    // Records are numbered in commit order, so the expired ones are a prefix by seq.
    int64_t boundary = 0;
    Statement& s = c.prepare(
        "SELECT seq, created_ms FROM ddb_stream_records ORDER BY seq LIMIT 10000");
    while (s.step() && s.column_int(1) < cutoff) boundary = s.column_int(0);
    s.reset();
    if (boundary) {
      c.prepare("UPDATE ddb_streams SET trimmed_seq = (SELECT max(seq) FROM ddb_stream_records r "
                "WHERE r.stream_id = ddb_streams.id AND r.seq <= ?1) WHERE id IN (SELECT "
                "stream_id FROM ddb_stream_records WHERE seq <= ?1)")
          .bind(1, boundary)
          .run();
      c.prepare("DELETE FROM ddb_stream_records WHERE seq <= ?").bind(1, boundary).run();
    }
    c.prepare("DELETE FROM ddb_stream_records WHERE stream_id IN (SELECT id FROM ddb_streams "
              "WHERE disabled_ms < ?)")
        .bind(1, cutoff)
        .run();
    c.prepare("DELETE FROM ddb_streams WHERE disabled_ms < ?").bind(1, cutoff).run();
  });
}

}  // namespace nimbus::ddb::streams
