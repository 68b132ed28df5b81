// SqsService: Amazon SQS over both of its wire protocols (the json codec for boto3, the CLI and
// the JS SDK; the query codec for boto 2). Input and output Values use the botocore SQS model's
// member names. Queues are per account and region; a queue's URL is
// http://<Host the client used>/<account>/<name>, and QueueUrl is accepted back as any URL or
// path ending in /<account>/<name>.
//
// State lives in SQLite (services/sqs/schema.h). Every state change of one call is one
// Database::write job; ReceiveMessage selects, hides and counts its messages (and moves those
// past maxReceiveCount to the dead-letter queue) in one job, so concurrent consumers never get
// the same message inside its visibility timeout. Long polls return a Deferral on the key
// "sqs/<account>/<region>/<name>"; writers notify it after a commit that makes a message
// visible, and messages that become visible later (delays, visibility expiry) are announced by
// a Scheduler task at that time. Every time decision reads env.clock.
//
// Message move tasks (StartMessageMoveTask) run in the background as Scheduler tasks, persisted
// in sqs_move_tasks; the constructor resumes the tasks that were RUNNING or CANCELLING.
//
// Also the QueueDirectory through which SNS delivers to queues.
//
// Queue rows are cached in memory (by account, region and name) for the per-message paths:
// every operation that changes a queue row forgets its entry once its write has committed, and
// reset() forgets them all, so the next call after a change always sees it. A lookup that read
// the database while an entry was being forgotten does not store what it read.
//
// Thread-safety: call() and send_messages() run concurrently on any threads.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "services/messaging.h"
#include "services/service.h"

namespace nimbus {

class SqsService : public Service, public QueueDirectory {
 public:
  // Applies the "sqs" schema migrations. env must outlive the service.
  explicit SqsService(ServiceEnv& env);

  std::string_view name() const override { return "sqs"; }
  const ServiceModel& model() const override { return model_; }
  Result call(CallContext& context, const Value& input) override;
  void reset() override;

  std::vector<QueueSendResult> send_messages(const std::vector<QueueSend>& sends) override;

  struct Queue;  // a queue row with its parsed attributes (sqs_service.cc)

  // Runs one step of the message move task `handle` (a Scheduler task; public for tests): moves
  // its next batch (MaxNumberOfMessagesPerSecond messages, then the next step a second later;
  // without a rate, kMoveBatch messages and the next step at once), or finishes a CANCELLING
  // task as CANCELLED, or marks the task COMPLETED / FAILED. One Database::write job per step.
  void move_step(const std::string& handle);

 private:
  Result create_queue(CallContext& c, const Value& in);
  Result get_queue_url(CallContext& c, const Value& in);
  Result list_queues(CallContext& c, const Value& in);
  Result delete_queue(CallContext& c, const Value& in);
  Result get_queue_attributes(CallContext& c, const Value& in);
  Result set_queue_attributes(CallContext& c, const Value& in);
  Result purge_queue(CallContext& c, const Value& in);
  Result tag_queue(CallContext& c, const Value& in);
  Result untag_queue(CallContext& c, const Value& in);
  Result list_queue_tags(CallContext& c, const Value& in);
  Result add_permission(CallContext& c, const Value& in);
  Result remove_permission(CallContext& c, const Value& in);
  Result list_dead_letter_source_queues(CallContext& c, const Value& in);
  Result send_message_op(CallContext& c, const Value& in);
  Result send_message_batch(CallContext& c, const Value& in);
  Result receive_message(CallContext& c, const Value& in);
  Result delete_message(CallContext& c, const Value& in);
  Result delete_message_batch(CallContext& c, const Value& in);
  Result change_message_visibility(CallContext& c, const Value& in);
  Result change_message_visibility_batch(CallContext& c, const Value& in);
  Result start_message_move_task(CallContext& c, const Value& in);
  Result cancel_message_move_task(CallContext& c, const Value& in);
  Result list_message_move_tasks(CallContext& c, const Value& in);

  // The queue QueueUrl names, if the caller may perform `action` on it; else QueueDoesNotExist.
  Queue resolve(const CallContext& c, const Value& in, std::string_view action);
  // The queue account/region/name, from the cache or else from the database (then cached).
  std::optional<Queue> lookup(const std::string& account, const std::string& region,
                              const std::string& name);
  // Drops q's cache entry; called after a write that changed (or deleted) q's row commits.
  void forget(const Queue& q);
  // Wakes the long polls of `key` at `when` (now or later), through the Scheduler.
  void wake_at(const std::string& key, EpochMillis when);
  // The fixed deadline of a long poll, kept across its attempts (keyed by request id).
  EpochMillis poll_deadline(const std::string& request_id, EpochMillis now, int wait_seconds);
  void forget_poll(const std::string& request_id);

  ServiceEnv env_;
  const ServiceModel& model_;
  std::mutex mutex_;
  std::set<std::pair<std::string, EpochMillis>> scheduled_;  // pending wake_at tasks
  std::map<std::string, EpochMillis> polls_;                  // request id -> deadline
  std::mutex cache_mutex_;  // guards the two members below
  std::unordered_map<std::string, std::shared_ptr<const Queue>> queues_;  // by Queue::key()
  uint64_t forgotten_ = 0;  // bumped by every forget(): a lookup stores only if it is unchanged
};

}  // namespace nimbus
