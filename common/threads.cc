// available_cpus() and the per-thread BlockingHook slot behind BlockingScope (common/threads.h).
#include "common/threads.h"

#include <sched.h>

#include <algorithm>

namespace nimbus {

size_t available_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) != 0) return 1;
  return static_cast<size_t>(std::max(1, CPU_COUNT(&set)));
}

BlockingHook*& current_blocking_hook() {
  thread_local BlockingHook* hook = nullptr;
  return hook;
}

}  // namespace nimbus
