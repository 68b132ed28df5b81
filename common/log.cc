// Logging implementation: level filter, timestamp prefix, whole-line writes to stderr.
#include "common/log.h"

#include <exception>

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <mutex>

#include "common/time.h"

namespace nimbus::log {
namespace {
std::atomic<int> g_level{static_cast<int>(Level::Info)};
std::mutex g_mutex;
const char* name_of(Level l) {
  switch (l) {
    case Level::Error: return "ERROR";
    case Level::Warn: return "WARN";
    case Level::Info: return "INFO";
    case Level::Debug: return "DEBUG";
  }
  return "";
}
}  // namespace

void set_level(Level level) { g_level.store(static_cast<int>(level)); }
Level level() { return static_cast<Level>(g_level.load()); }
bool enabled(Level l) { return static_cast<int>(l) <= g_level.load(); }

bool parse_level(std::string_view text, Level& out) {
  if (text == "error") out = Level::Error;
  else if (text == "warn" || text == "warning") out = Level::Warn;
  else if (text == "info") out = Level::Info;
  else if (text == "debug") out = Level::Debug;
  else return false;
  return true;
}

void write(Level l, std::string_view message) {
  if (!enabled(l)) return;
  SystemClock clock;
  std::string line = format_iso8601_ms(clock.now_ms());
  line += ' ';
  line += name_of(l);
  line += ' ';
  line += message;
  line += '\n';
  std::lock_guard<std::mutex> lock(g_mutex);
  ssize_t ignored = ::write(2, line.data(), line.size());
  (void)ignored;
}

void run_guarded(std::string_view what, const std::function<void()>& fn) {
  try {
    fn();
  } catch (const std::exception& e) {
    error(std::string(what) + " failed: " + e.what());
  } catch (...) {
    error(std::string(what) + " failed");
  }
}

}  // namespace nimbus::log
