// The one place for time formats and the injectable clock. Every timestamp nimbus writes or
// parses goes through these functions; services take a Clock so tests can move time by hand.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace nimbus {

// Milliseconds since the Unix epoch.
using EpochMillis = int64_t;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual EpochMillis now_ms() const = 0;
  double now_seconds() const { return static_cast<double>(now_ms()) / 1000.0; }
};

class SystemClock : public Clock {
 public:
  EpochMillis now_ms() const override;
};

// A clock tests set and advance by hand. Thread-safe.
class ManualClock : public Clock {
 public:
  explicit ManualClock(EpochMillis start) : now_(start) {}
  EpochMillis now_ms() const override { return now_.load(); }
  void set(EpochMillis t) { now_.store(t); }
  void advance(EpochMillis delta) { now_.fetch_add(delta); }

 private:
  std::atomic<EpochMillis> now_;
};

// 2026-11-22T04:35:17.123Z (ISO 8601 with milliseconds, as S3 and SNS write).
std::string format_iso8601_ms(EpochMillis t);
// 2026-11-22T04:35:17Z
std::string format_iso8601(EpochMillis t);
// 20261122T043517Z (SigV4's X-Amz-Date)
std::string format_amz_date(EpochMillis t);
// Sun, 22 Nov 2026 04:35:17 GMT (RFC 1123, HTTP dates: Last-Modified, Date)
std::string format_http_date(EpochMillis t);

// Each returns nullopt for text that is not in its format.
// Accepts ISO 8601 with or without fraction and with Z or a +hh:mm offset.
std::optional<EpochMillis> parse_iso8601(std::string_view text);
std::optional<EpochMillis> parse_amz_date(std::string_view text);
// Accepts RFC 1123, RFC 850 and asctime forms (as HTTP/1.1 requires of recipients).
std::optional<EpochMillis> parse_http_date(std::string_view text);

}  // namespace nimbus
