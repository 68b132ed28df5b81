// Thread helpers: available_cpus(), and BlockingScope, which marks the calling thread as waiting (on the disk, another thread or the network)
// for the scope's lifetime, so that the concurrency-limited handler pool (server/handler_pool.h)
// can run another task on the CPU meanwhile. On threads outside such a pool it does nothing.
// Put one around every wait that can last longer than a few microseconds inside a request
// handler (the group-commit wait, an fsync, a blocking socket read); a missing one only costs
// concurrency, never correctness.
//
// Thread-safety: per thread; the hook is installed by the pool's own worker threads.
#pragma once

#include <cstddef>

namespace nimbus {

// The CPUs this process may run on (its affinity mask, which taskset and container cpusets
// narrow; std::thread::hardware_concurrency() ignores it), at least 1.
size_t available_cpus();

// What a pool worker does when its thread starts and stops waiting.
class BlockingHook {
 public:
  virtual ~BlockingHook() = default;
  virtual void blocking_begin() = 0;
  virtual void blocking_end() = 0;
};

// The hook of the calling thread (null outside a pool); set by the pool's workers.
BlockingHook*& current_blocking_hook();

class BlockingScope {
 public:
  BlockingScope() : hook_(current_blocking_hook()) {
    if (hook_) hook_->blocking_begin();
  }
  ~BlockingScope() {
    if (hook_) hook_->blocking_end();
  }
  BlockingScope(const BlockingScope&) = delete;
  BlockingScope& operator=(const BlockingScope&) = delete;

 private:
  BlockingHook* hook_;
};

}  // namespace nimbus
