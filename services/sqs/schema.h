// SQS's SQLite schema (component "sqs"):
//   sqs_queues    one row per queue: (account, region, name) unique; `attributes` is a JSON object
//                 of the settable attributes as strings (only those set), `tags` a JSON object;
//                 purged_ms (last PurgeQueue), next_sequence (FIFO SequenceNumber counter).
//   sqs_messages  one row per message: visible_at (ms; a delayed, in-flight or visible message is
//                 told apart by visible_at vs now and receive_count), receive_count,
//                 first_receive_ms, receipt_nonce (the current receive's; a handle carrying an
//                 older nonce is stale), sent_ms, group/dedup id, sequence, body, and the message
//                 and system attributes as JSON. Indexed on (queue_id, visible_at).
//   sqs_dedup     FIFO deduplication window: (queue_id, scope, dedup_id) -> first message.
//   sqs_move_tasks  message move tasks (StartMessageMoveTask): status RUNNING, CANCELLING,
//                 CANCELLED, COMPLETED or FAILED; the task moves the source's messages with
//                 cursor < id <= last_row (the newest message when it started) in id order,
//                 advancing cursor and moved as it goes; RUNNING/CANCELLING tasks resume at start.
//   sqs_receive_attempts  FIFO ReceiveRequestAttemptId window: (queue_id, attempt_id) -> the
//                 messages that receive returned, as "row:nonce:visible_at" lines, until
//                 expires_ms (5 minutes after the first attempt).
#pragma once

#include "storage/database.h"

namespace nimbus::sqs {

void migrate(Database& db);

}  // namespace nimbus::sqs
