// Runtime: the Asio-timer Scheduler and the WaitHub that long polls use, driven with real
// timers of a few milliseconds (no test waits more than a second).
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "server/runtime.h"

using namespace std::chrono_literals;
using nimbus::EpochMillis;
using nimbus::Runtime;
using nimbus::SystemClock;

namespace {

// Waits until pred() holds or one second passes.
template <class Pred>
bool eventually(Pred pred) {
  auto deadline = std::chrono::steady_clock::now() + 1s;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(1ms);
  }
  return pred();
}

EpochMillis now_plus(int ms) { return SystemClock().now_ms() + ms; }

}  // namespace

TEST_CASE("a scheduled task runs at its time on a handler thread") {
  Runtime runtime(1, 2);
  runtime.start();
  std::atomic<EpochMillis> ran_at{0};
  EpochMillis due = now_plus(30);
  runtime.scheduler().schedule_at(due, [&] { ran_at = SystemClock().now_ms(); });
  CHECK(eventually([&] { return ran_at.load() != 0; }));
  CHECK(ran_at.load() >= due);
  runtime.join();
}

TEST_CASE("a cancelled task never runs") {
  Runtime runtime(1, 2);
  runtime.start();
  std::atomic<bool> ran{false};
  auto id = runtime.scheduler().schedule_at(now_plus(50), [&] { ran = true; });
  runtime.scheduler().cancel(id);
  std::this_thread::sleep_for(120ms);
  CHECK_FALSE(ran.load());
  runtime.join();
}

TEST_CASE("notify wakes a waiter at once, not at its deadline") {
  Runtime runtime(1, 2);
  runtime.start();
  auto& hub = runtime.waits();
  std::atomic<int> woken{-1};
  auto start = std::chrono::steady_clock::now();
  hub.wait("sqs/q", hub.generation("sqs/q"), now_plus(5000), [&](bool timed_out) {
    woken = timed_out ? 1 : 0;
  });
  std::this_thread::sleep_for(10ms);
  hub.notify("sqs/q");
  CHECK(eventually([&] { return woken.load() != -1; }));
  CHECK(woken.load() == 0);
  CHECK(std::chrono::steady_clock::now() - start < 1s);
  runtime.join();
}

TEST_CASE("a waiter times out at its deadline when nobody notifies") {
  Runtime runtime(1, 2);
  runtime.start();
  auto& hub = runtime.waits();
  std::atomic<int> woken{-1};
  EpochMillis deadline = now_plus(40);
  hub.wait("k", hub.generation("k"), deadline, [&](bool timed_out) { woken = timed_out ? 1 : 0; });
  CHECK(eventually([&] { return woken.load() != -1; }));
  CHECK(woken.load() == 1);
  CHECK(SystemClock().now_ms() >= deadline);
  runtime.join();
}

TEST_CASE("a notify between reading the generation and waiting is not missed") {
  Runtime runtime(1, 2);
  runtime.start();
  auto& hub = runtime.waits();
  uint64_t seen = hub.generation("k");
  hub.notify("k");  // e.g. a send committed after the receiver looked at the queue
  std::atomic<int> woken{-1};
  hub.wait("k", seen, now_plus(5000), [&](bool timed_out) { woken = timed_out ? 1 : 0; });
  CHECK(eventually([&] { return woken.load() != -1; }));
  CHECK(woken.load() == 0);
  runtime.join();
}

TEST_CASE("one notify wakes every waiter of that key and none of another") {
  Runtime runtime(1, 4);
  runtime.start();
  auto& hub = runtime.waits();
  std::atomic<int> woken{0};
  std::atomic<int> other{-1};
  for (int i = 0; i < 50; ++i)
    hub.wait("a", hub.generation("a"), now_plus(5000), [&](bool) { ++woken; });
  hub.wait("b", hub.generation("b"), now_plus(100), [&](bool timed_out) { other = timed_out; });
  hub.notify("a");
  CHECK(eventually([&] { return woken.load() == 50; }));
  CHECK(eventually([&] { return other.load() != -1; }));
  CHECK(other.load() == 1);  // "b" only timed out
  runtime.join();
}
