// HandlerPool: the request-handler threads. Unlike a plain thread pool, which wakes a sleeping
// thread for every task, it keeps at most `concurrency` workers (the CPUs the process may use)
// running tasks at once and lets a busy worker take the next task when it finishes, so under
// load the handlers run back to back instead of paying a context switch per request. A worker
// that waits inside a task (the group commit, an fsync, a streamed body: see
// common/threads.h) gives up its place, and an idle worker is woken for the queue, so blocking
// handlers still overlap as before. Idle workers are woken last-in first-out, so the same few
// threads (and their caches) do the work.
//
// A task that waits without a BlockingScope only delays the queue behind it; as a safety net, a
// post() that finds the oldest queued task older than kStall wakes another worker anyway, which
// then works the queue until it is empty. (There is no watchdog thread: with no further post, a
// queue stalled behind such a wait waits for it to end.)
//
// Thread-safety: post() from any thread; join() once, from outside the pool.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace nimbus {

class HandlerPool {
 public:
  static constexpr std::chrono::milliseconds kStall{5};

  // threads: how many workers exist; concurrency: how many may run unblocked at once
  // (0: the number of CPUs this process may run on).
  explicit HandlerPool(size_t threads, size_t concurrency = 0);
  ~HandlerPool();  // join()s
  HandlerPool(const HandlerPool&) = delete;
  HandlerPool& operator=(const HandlerPool&) = delete;

  void post(std::function<void()> task);
  // Runs every queued task (and what those post), then stops the workers. Later posts are dropped.
  void join();

  size_t concurrency() const { return concurrency_; }

 private:
  struct Worker;
  struct Entry {
    std::function<void()> task;
    std::chrono::steady_clock::time_point queued;
  };
  void work(Worker& me);
  // With mutex_ held: takes the most recently idle worker, counts it running, returns it (or null).
  Worker* wake_idle_locked();
  // With mutex_ held: whether the oldest queued task has waited longer than kStall.
  bool stalled_locked() const;
  void blocking_begin();
  void blocking_end();

  const size_t concurrency_;
  std::mutex mutex_;
  std::deque<Entry> queue_;
  std::vector<Worker*> idle_;  // a stack: the back went idle last
  size_t running_ = 0;         // workers taking or running tasks and not inside a BlockingScope
  bool stopping_ = false;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<std::thread> threads_;
};

}  // namespace nimbus
