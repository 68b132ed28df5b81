// Scheduler and WaitHub: time-driven work without polling threads. The server implements both on
// Asio timers (server/scheduler.cc); services only see these interfaces, and tests can drive
// them by hand.
//
// Thread-safety: every method may be called from any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "common/time.h"

namespace nimbus {

class Scheduler {
 public:
  using TaskId = uint64_t;
  virtual ~Scheduler() = default;
  // Runs task once, on a worker thread, at or after `when` (by the scheduler's clock).
  virtual TaskId schedule_at(EpochMillis when, std::function<void()> task) = 0;
  // Cancels a task that has not started; harmless for unknown or finished ids.
  virtual void cancel(TaskId id) = 0;
};

// Wake-ups keyed by a string ("sqs/000000000000/us-east-1/orders"): long polls wait on a key,
// writers notify it after they commit. Each key has a generation that notify() increments, so a
// waiter that read the generation before looking at storage cannot miss a notify that happened
// in between: wait() fires at once when the generation has moved on.
class WaitHub {
 public:
  virtual ~WaitHub() = default;
  virtual uint64_t generation(std::string_view key) = 0;
  // Calls wake(false) once, on a worker thread, after a notify(key) later than `seen`
  // generation, or wake(true) at the deadline (by the system clock).
  virtual void wait(std::string key, uint64_t seen, EpochMillis deadline,
                    std::function<void(bool timed_out)> wake) = 0;
  virtual void notify(std::string_view key) = 0;
};

}  // namespace nimbus
