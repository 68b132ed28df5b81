// HandlerPool: at most `concurrency` tasks run at once unless one waits inside a BlockingScope,
// idle workers are reused last-in first-out, a stalled queue still gets a worker, join()
// runs what is queued, and SNS's blocking HTTP delivery gives up its place while it waits (and
// gives up at its timeout). Waits are bounded (a few seconds at most).
#include <doctest/doctest.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <set>
#include <thread>

#include "common/threads.h"
#include "server/handler_pool.h"
#include "services/sns/http_client.h"

using namespace std::chrono_literals;
using nimbus::BlockingScope;
using nimbus::HandlerPool;

namespace {

// A flag that one task sets and another waits for (at most a second).
struct Flag {
  std::mutex mutex;
  std::condition_variable cv;
  bool set = false;
  void raise() {
    std::lock_guard lock(mutex);
    set = true;
    cv.notify_all();
  }
  bool wait() {
    std::unique_lock lock(mutex);
    return cv.wait_for(lock, 1s, [&] { return set; });
  }
};

}  // namespace

TEST_CASE("with concurrency 1, tasks posted together run one at a time") {
  HandlerPool pool(8, 1);
  std::atomic<int> running{0}, most{0}, done{0};
  for (int i = 0; i < 20; ++i)
    pool.post([&] {
      int now = ++running;
      int seen = most.load();
      while (now > seen && !most.compare_exchange_weak(seen, now)) {
      }
      std::this_thread::sleep_for(1ms);
      --running;
      ++done;
    });
  pool.join();
  CHECK(done.load() == 20);
  CHECK(most.load() == 1);
}

TEST_CASE("with concurrency 2, two tasks run at once") {
  HandlerPool pool(4, 2);
  Flag first_running, second_ran;
  std::atomic<bool> saw_second{false};
  pool.post([&] {
    first_running.raise();
    saw_second = second_ran.wait();  // no BlockingScope: only a second worker can raise it
  });
  REQUIRE(first_running.wait());
  pool.post([&] { second_ran.raise(); });
  pool.join();
  CHECK(saw_second.load());  // raised while the first still ran, not after its wait timed out
}

TEST_CASE("a task waiting inside a BlockingScope lets the next task run") {
  HandlerPool pool(4, 1);
  Flag waiting, answered;
  std::atomic<bool> got_answer{false};
  pool.post([&] {
    BlockingScope scope;
    waiting.raise();
    got_answer = answered.wait();
  });
  REQUIRE(waiting.wait());
  pool.post([&] { answered.raise(); });  // posted at once: no stall, only the scope wakes a worker
  pool.join();
  CHECK(got_answer.load());
}

TEST_CASE("a queue stalled behind a wait without BlockingScope gets a worker on the next post") {
  HandlerPool pool(4, 1);
  Flag waiting, answered;
  std::atomic<bool> got_answer{false};
  pool.post([&] {
    waiting.raise();
    got_answer = answered.wait();
  });
  REQUIRE(waiting.wait());
  pool.post([] {});  // queued behind the waiting task
  std::this_thread::sleep_for(HandlerPool::kStall + 5ms);
  pool.post([&] { answered.raise(); });
  pool.join();
  CHECK(got_answer.load());
}

TEST_CASE("tasks posted one after another reuse the most recently idle worker") {
  HandlerPool pool(8, 2);
  std::this_thread::sleep_for(20ms);  // let every worker start and go idle
  std::set<std::thread::id> threads;
  for (int i = 0; i < 30; ++i) {
    Flag done;
    pool.post([&] {
      threads.insert(std::this_thread::get_id());
      done.raise();
    });
    REQUIRE(done.wait());
    std::this_thread::sleep_for(1ms);  // let the worker go idle
  }
  pool.join();
  CHECK(threads.size() == 1);
}

TEST_CASE("join runs the queued tasks and what they post") {
  std::atomic<int> ran{0};
  {
    HandlerPool pool(2, 1);
    for (int i = 0; i < 10; ++i)
      pool.post([&] {
        ++ran;
        pool.post([&] { ++ran; });
      });
    pool.join();
  }
  CHECK(ran.load() == 20);
}

TEST_CASE("a throwing task does not end its worker") {
  HandlerPool pool(1, 1);
  std::atomic<bool> ran{false};
  pool.post([] { throw std::runtime_error("boom"); });
  pool.post([&] { ran = true; });
  pool.join();
  CHECK(ran.load());
}

// The pool's real blocking callers mark their waits; an unmarked one would hold the only slot.
TEST_CASE("an SNS HTTP delivery to an endpoint that never answers lets the next task run") {
  // A listening socket that is never accepted from: the connection completes (backlog) and the
  // request is sent, but no response ever comes, so http_post waits for its 3 s timeout.
  int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(listener >= 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  REQUIRE(::listen(listener, 4) == 0);
  socklen_t length = sizeof address;
  REQUIRE(::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length) == 0);
  std::string url = "http://127.0.0.1:" + std::to_string(ntohs(address.sin_port)) + "/";

  HandlerPool pool(4, 1);
  Flag delivering, next_ran;
  nimbus::sns::HttpPostResult result;
  result.status = -1;
  pool.post([&] {
    delivering.raise();
    result = nimbus::sns::http_post(url, {}, "{}", 3);
  });
  REQUIRE(delivering.wait());
  pool.post([&] { next_ran.raise(); });
  CHECK(next_ran.wait());  // within a second, while the delivery still waits
  pool.join();
  CHECK(result.status == 0);  // no response: the delivery gave up at its timeout, not never
  CHECK(result.error == "timed out while waiting for the response");
  ::close(listener);
}

TEST_CASE("a worker back from a wait over the limit leaves the queue to the one that replaced it") {
  HandlerPool pool(4, 1);
  Flag a_waiting, a_may_go, b_running, b_may_end, a_done;
  std::atomic<bool> b_active{false}, c_overlapped{false}, c_ran{false};
  pool.post([&] {  // A: wakes a worker, waits in a scope, comes back while B runs
    BlockingScope waiting;
    a_waiting.raise();
    a_may_go.wait();
  });
  REQUIRE(a_waiting.wait());
  pool.post([&] {  // B: runs in A's place
    b_active = true;
    b_running.raise();
    b_may_end.wait();
    b_active = false;
  });
  REQUIRE(b_running.wait());
  a_may_go.raise();
  // A's worker finishes A over the limit; C, posted now, must wait for B's worker.
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  pool.post([&] {
    c_overlapped = b_active.load();
    c_ran = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  CHECK_FALSE(c_ran.load());  // queued behind B (two running would exceed the limit of 1)
  b_may_end.raise();
  pool.join();
  CHECK(c_ran.load());
  CHECK_FALSE(c_overlapped.load());
}
