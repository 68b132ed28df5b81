// Runtime: the process's threads. Network threads run Asio's io_context (sockets, timers);
// handler threads run request handlers, which may block on SQLite or a streamed body. It also
// implements the Scheduler and WaitHub that services use for time-driven work and long polling,
// on Asio timers, so no thread waits per timer or per waiting request.
//
// Thread-safety: every public method may be called from any thread.
#pragma once

#include <functional>
#include <memory>

#include "common/scheduler.h"

namespace boost::asio {
class io_context;
}

namespace nimbus {

class Runtime {
 public:
  Runtime(int network_threads, int handler_threads);
  ~Runtime();  // stops and joins everything

  boost::asio::io_context& io();
  // Runs task on a handler thread.
  void post(std::function<void()> task);
  Scheduler& scheduler();
  WaitHub& waits();

  // Starts the network threads (the handler threads start at construction).
  void start();
  // Stops the network threads and waits for them and for the handler threads to finish their
  // current tasks. Scheduler and WaitHub stay valid (but inert) until destruction.
  void join();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace nimbus
