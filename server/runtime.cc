// Runtime implementation: the io_context and its network threads, the handler pool
// (server/handler_pool.h), and the Asio-timer based Scheduler and WaitHub.
#include "server/runtime.h"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/system_timer.hpp>
#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include "common/log.h"
#include "server/handler_pool.h"

namespace net = boost::asio;

namespace nimbus {
namespace {

std::chrono::system_clock::time_point to_time_point(EpochMillis t) {
  return std::chrono::system_clock::time_point(std::chrono::milliseconds(t));
}

using Strand = net::strand<net::io_context::executor_type>;

// Timers are created on, waited on and cancelled through one strand, since an Asio timer must
// not be used from two threads at once.
class AsioScheduler : public Scheduler {
 public:
  AsioScheduler(net::io_context& io, HandlerPool& pool)
      : pool_(pool), strand_(net::make_strand(io)) {}

  TaskId schedule_at(EpochMillis when, std::function<void()> task) override {
    auto timer = std::make_shared<net::system_timer>(strand_, to_time_point(when));
    std::lock_guard<std::mutex> lock(mutex_);
    TaskId id = ++next_id_;
    timers_[id] = timer;
    net::post(strand_, [this, id, timer, task = std::move(task)]() mutable {
      timer->async_wait([this, id, task = std::move(task)](const boost::system::error_code& ec) {
        {
          std::lock_guard<std::mutex> lock(mutex_);
          timers_.erase(id);
        }
        if (ec) return;  // cancelled
        pool_.post(task);  // the pool logs what a task throws
      });
    });
    return id;
  }

  void cancel(TaskId id) override {
    std::shared_ptr<net::system_timer> timer;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      auto it = timers_.find(id);
      if (it == timers_.end()) return;
      timer = it->second;
      timers_.erase(it);
    }
    net::post(strand_, [timer] { timer->cancel(); });
  }

 private:
  HandlerPool& pool_;
  Strand strand_;
  std::mutex mutex_;
  TaskId next_id_ = 0;
  std::unordered_map<TaskId, std::shared_ptr<net::system_timer>> timers_;
};

class AsioWaitHub : public WaitHub {
 public:
  AsioWaitHub(net::io_context& io, HandlerPool& pool)
      : pool_(pool), strand_(net::make_strand(io)) {}

  uint64_t generation(std::string_view key) override {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = generations_.find(std::string(key));
    return it == generations_.end() ? 0 : it->second;
  }

  void wait(std::string key, uint64_t seen, EpochMillis deadline,
            std::function<void(bool)> wake) override {
    auto waiter = std::make_shared<Waiter>();
    waiter->wake = std::move(wake);
    std::lock_guard<std::mutex> lock(mutex_);
    auto g = generations_.find(key);
    if (g != generations_.end() && g->second != seen) {
      fire(waiter, false);
      return;
    }
    waiter->timer = std::make_unique<net::system_timer>(strand_, to_time_point(deadline));
    waiters_[key].push_back(waiter);
    net::post(strand_, [this, key = std::move(key), waiter] {
      waiter->timer->async_wait([this, key, waiter](const boost::system::error_code& ec) {
        if (ec) return;  // woken by notify
        std::lock_guard<std::mutex> lock(mutex_);
        auto it = waiters_.find(key);
        if (it != waiters_.end()) {
          auto& list = it->second;
          list.erase(std::remove(list.begin(), list.end(), waiter), list.end());
          if (list.empty()) waiters_.erase(it);
        }
        fire(waiter, true);
      });
    });
  }

  void notify(std::string_view key_view) override {
    std::string key(key_view);
    std::lock_guard<std::mutex> lock(mutex_);
    ++generations_[key];
    auto it = waiters_.find(key);
    if (it == waiters_.end()) return;
    for (auto& waiter : it->second) {
      net::post(strand_, [waiter] { waiter->timer->cancel(); });
      fire(waiter, false);
    }
    waiters_.erase(it);
  }

 private:
  struct Waiter {
    std::function<void(bool)> wake;
    std::unique_ptr<net::system_timer> timer;
    bool fired = false;
  };
  // Called with mutex_ held; each waiter wakes exactly once.
  void fire(const std::shared_ptr<Waiter>& waiter, bool timed_out) {
    if (waiter->fired) return;
    waiter->fired = true;
    pool_.post([waiter, timed_out] { waiter->wake(timed_out); });
  }

  HandlerPool& pool_;
  Strand strand_;
  std::mutex mutex_;
  std::unordered_map<std::string, uint64_t> generations_;
  std::unordered_map<std::string, std::vector<std::shared_ptr<Waiter>>> waiters_;
};

}  // namespace

struct Runtime::Impl {
  Impl(int network, int handlers)
      : network_threads(network),
        work(net::make_work_guard(io)),
        pool(static_cast<size_t>(handlers)),
        scheduler(io, pool),
        waits(io, pool) {}
  int network_threads;
  net::io_context io;
  net::executor_work_guard<net::io_context::executor_type> work;
  HandlerPool pool;
  AsioScheduler scheduler;
  AsioWaitHub waits;
  std::vector<std::thread> threads;
};

Runtime::Runtime(int network_threads, int handler_threads)
    : impl_(std::make_unique<Impl>(network_threads, handler_threads)) {}

Runtime::~Runtime() { join(); }

void Runtime::join() {
  impl_->work.reset();
  impl_->io.stop();
  for (auto& t : impl_->threads)
    if (t.joinable()) t.join();
  impl_->pool.join();
}

net::io_context& Runtime::io() { return impl_->io; }
void Runtime::post(std::function<void()> task) { impl_->pool.post(std::move(task)); }
Scheduler& Runtime::scheduler() { return impl_->scheduler; }
WaitHub& Runtime::waits() { return impl_->waits; }

void Runtime::start() {
  for (int i = 0; i < impl_->network_threads; ++i)
    impl_->threads.emplace_back([this] {
      for (;;) {
        try {
          impl_->io.run();
          return;
        } catch (const std::exception& e) {
          log::error(std::string("network thread: ") + e.what());
        }
      }
    });
}

}  // namespace nimbus
