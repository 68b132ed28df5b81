// The "sqs" schema migrations (table layout documented in services/sqs/schema.h).
#include "services/sqs/schema.h"

#include <string>
#include <vector>

namespace nimbus::sqs {

void migrate(Database& db) {
  static const std::vector<std::string> scripts = {
      R"sql(
CREATE TABLE sqs_queues(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  account TEXT NOT NULL,
  region TEXT NOT NULL,
  name TEXT NOT NULL,
  attributes TEXT NOT NULL DEFAULT '{}',
  tags TEXT NOT NULL DEFAULT '{}',
  created_ms INTEGER NOT NULL,
  modified_ms INTEGER NOT NULL,
  purged_ms INTEGER NOT NULL DEFAULT 0,
  next_sequence INTEGER NOT NULL DEFAULT 0,
  UNIQUE(account, region, name)
);
CREATE TABLE sqs_messages(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  queue_id INTEGER NOT NULL,
  message_id TEXT NOT NULL,
  body TEXT NOT NULL,
  attributes TEXT NOT NULL DEFAULT '',
  system_attributes TEXT NOT NULL DEFAULT '',
  sent_ms INTEGER NOT NULL,
  visible_at INTEGER NOT NULL,
  receive_count INTEGER NOT NULL DEFAULT 0,
  first_receive_ms INTEGER NOT NULL DEFAULT 0,
  receipt_nonce TEXT NOT NULL DEFAULT '',
  group_id TEXT,
  dedup_id TEXT,
  sequence INTEGER,
  sender_id TEXT NOT NULL DEFAULT '',
  source_arn TEXT
);
CREATE INDEX sqs_messages_visible ON sqs_messages(queue_id, visible_at);
CREATE TABLE sqs_dedup(
  queue_id INTEGER NOT NULL,
  scope TEXT NOT NULL,
  dedup_id TEXT NOT NULL,
  message_id TEXT NOT NULL,
  sequence INTEGER NOT NULL,
  expires_ms INTEGER NOT NULL,
  PRIMARY KEY(queue_id, scope, dedup_id)
) WITHOUT ROWID;
CREATE TABLE sqs_move_tasks(
  handle TEXT PRIMARY KEY,
  source_arn TEXT NOT NULL,
  destination_arn TEXT,
  rate INTEGER,
  status TEXT NOT NULL,
  moved INTEGER NOT NULL DEFAULT 0,
  to_move INTEGER NOT NULL DEFAULT 0,
  started_ms INTEGER NOT NULL,
  failure TEXT
);
)sql",
      // FIFO ReceiveRequestAttemptId deduplication: what one receive attempt returned.
      R"sql(
CREATE TABLE sqs_receive_attempts(
  queue_id INTEGER NOT NULL,
  attempt_id TEXT NOT NULL,
  expires_ms INTEGER NOT NULL,
  messages TEXT NOT NULL,
  PRIMARY KEY(queue_id, attempt_id)
) WITHOUT ROWID;
)sql",
      // Message move tasks run in the background: rows up to last_row, after cursor, remain.
      R"sql(
ALTER TABLE sqs_move_tasks ADD COLUMN last_row INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sqs_move_tasks ADD COLUMN cursor INTEGER NOT NULL DEFAULT 0;
)sql",
  };
  db.migrate("sqs", scripts);
}

}  // namespace nimbus::sqs
