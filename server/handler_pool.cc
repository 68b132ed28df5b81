// HandlerPool implementation: one mutex, a FIFO of tasks, a LIFO stack of idle workers each
// sleeping on its own condition variable, and the count of running workers.
#include "server/handler_pool.h"

#include <algorithm>

#include "common/log.h"
#include "common/threads.h"

namespace nimbus {

struct HandlerPool::Worker : BlockingHook {
  explicit Worker(HandlerPool& p) : pool(p) {}
  void blocking_begin() override {
    waited = true;
    pool.blocking_begin();
  }
  void blocking_end() override { pool.blocking_end(); }
  HandlerPool& pool;
  std::condition_variable wake;
  bool woken = false;   // set (with running_ counted) by whoever wakes this worker
  bool waited = false;  // its current task entered a BlockingScope (this thread only)
};

HandlerPool::HandlerPool(size_t threads, size_t concurrency)
    : concurrency_(concurrency ? concurrency : available_cpus()) {
  threads = std::max<size_t>(threads, 1);
  for (size_t i = 0; i < threads; ++i) workers_.push_back(std::make_unique<Worker>(*this));
  for (auto& w : workers_) threads_.emplace_back([this, w = w.get()] { work(*w); });
}

HandlerPool::~HandlerPool() { join(); }

HandlerPool::Worker* HandlerPool::wake_idle_locked() {
  if (idle_.empty()) return nullptr;
  Worker* w = idle_.back();
  idle_.pop_back();
  w->woken = true;
  ++running_;
  return w;
}

bool HandlerPool::stalled_locked() const {
  return !queue_.empty() && std::chrono::steady_clock::now() - queue_.front().queued > kStall;
}

void HandlerPool::post(std::function<void()> task) {
  Worker* woken = nullptr;
  {
    std::lock_guard lock(mutex_);
    queue_.push_back({std::move(task), std::chrono::steady_clock::now()});
    if (running_ < concurrency_ || stalled_locked()) woken = wake_idle_locked();
  }
  if (woken) woken->wake.notify_one();
}

void HandlerPool::blocking_begin() {
  Worker* woken = nullptr;
  {
    std::lock_guard lock(mutex_);
    --running_;
    if (!queue_.empty() && running_ < concurrency_) woken = wake_idle_locked();
  }
  if (woken) woken->wake.notify_one();
}

void HandlerPool::blocking_end() {
  std::lock_guard lock(mutex_);
  ++running_;  // may exceed concurrency_ until this task ends (the worker then goes idle)
}

void HandlerPool::work(Worker& me) {
  current_blocking_hook() = &me;
  std::unique_lock lock(mutex_);
  ++running_;
  // Whoever woke this worker meant it to work the queue: it does so until the queue is empty, or
  // until one of its tasks waits (another worker then took its place).
  bool woken = false;
  for (;;) {
    // Over the limit (a worker came back from a wait) with others running: leave them the queue.
    if (!queue_.empty() && (running_ <= concurrency_ || woken)) {
      std::function<void()> task = std::move(queue_.front().task);
      queue_.pop_front();
      lock.unlock();
      me.waited = false;
      log::run_guarded("handler task", task);
      task = nullptr;  // destroy the captures outside the lock
      lock.lock();
      // A task that waited let another worker take its place: that one has the queue now.
      if (me.waited) woken = false;
      continue;
    }
    --running_;
    if (stopping_) break;
    woken = false;
    idle_.push_back(&me);
    me.wake.wait(lock, [&] { return me.woken || stopping_; });
    if (me.woken) {  // the waker took it off idle_ and counted it running
      me.woken = false;
      woken = true;
    } else {  // join(): leave idle_ and finish like a running worker
      idle_.erase(std::find(idle_.begin(), idle_.end(), &me));
      ++running_;
    }
  }
  current_blocking_hook() = nullptr;
}

void HandlerPool::join() {
  std::vector<Worker*> idle;
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    stopping_ = true;
    idle = idle_;
  }
  for (Worker* w : idle) w->wake.notify_one();
  for (auto& t : threads_)
    if (t.joinable()) t.join();
}

}  // namespace nimbus
