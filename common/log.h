// Logging: one line per event to stderr, with a process-wide level. The access log (one line per
// request) is written at Info. Lines are written whole under a lock so threads never interleave.
#pragma once

#include <functional>
#include <string>
#include <string_view>

namespace nimbus::log {

enum class Level { Error = 0, Warn = 1, Info = 2, Debug = 3 };

void set_level(Level level);
Level level();
bool enabled(Level level);
// Parses "error", "warn", "info", "debug"; returns false for anything else.
bool parse_level(std::string_view text, Level& out);

void write(Level level, std::string_view message);
inline void error(std::string_view m) { write(Level::Error, m); }
inline void warn(std::string_view m) { write(Level::Warn, m); }
inline void info(std::string_view m) { write(Level::Info, m); }
inline void debug(std::string_view m) {
  if (enabled(Level::Debug)) write(Level::Debug, m);
}

// Runs fn; an exception it throws is logged as "<what> failed: <message>" instead of leaving
// (for worker loops that must outlive a failing task).
void run_guarded(std::string_view what, const std::function<void()>& fn);

}  // namespace nimbus::log
