// Unit tests for common/time: ISO 8601, amz-date and HTTP date formatting and parsing, and the
// manual clock.
#include <doctest/doctest.h>

#include "common/time.h"

using namespace nimbus;

namespace {
constexpr EpochMillis kT = 1795322117000;  // 2026-11-22T04:35:17Z, a Sunday
}

TEST_CASE("formatters write the documented forms") {
  CHECK(format_iso8601(kT) == "2026-11-22T04:35:17Z");
  CHECK(format_iso8601_ms(kT + 123) == "2026-11-22T04:35:17.123Z");
  CHECK(format_iso8601_ms(kT + 5) == "2026-11-22T04:35:17.005Z");
  CHECK(format_amz_date(kT) == "20261122T043517Z");
  CHECK(format_http_date(kT) == "Sun, 22 Nov 2026 04:35:17 GMT");
  CHECK(format_iso8601(0) == "1970-01-01T00:00:00Z");
  CHECK(format_http_date(0) == "Thu, 01 Jan 1970 00:00:00 GMT");
  CHECK(format_iso8601(951782400000) == "2000-02-29T00:00:00Z");  // leap day
}

TEST_CASE("parse_iso8601 accepts Z, fractions and offsets") {
  CHECK(parse_iso8601("2026-11-22T04:35:17Z") == kT);
  CHECK(parse_iso8601("2026-11-22T04:35:17.123Z") == kT + 123);
  CHECK(parse_iso8601("2026-11-22T04:35:17.1Z") == kT + 100);
  CHECK(parse_iso8601("2026-11-22T04:35:17.123456789Z") == kT + 123);
  CHECK(parse_iso8601("2026-11-22T06:35:17+02:00") == kT);
  CHECK(parse_iso8601("2026-11-22T01:05:17-03:30") == kT);
  CHECK(parse_iso8601("2026-11-22T04:35:17.500+00:00") == kT + 500);
  CHECK(parse_iso8601("2026-11-22T06:35:17+0200") == kT);
  CHECK(parse_iso8601("2026-11-22T04:35:17") == kT);  // no zone: UTC
}

TEST_CASE("parse_iso8601 rejects other text") {
  CHECK_FALSE(parse_iso8601("").has_value());
  CHECK_FALSE(parse_iso8601("2026-11-22").has_value());
  CHECK_FALSE(parse_iso8601("2026-13-22T04:35:17Z").has_value());
  CHECK_FALSE(parse_iso8601("2026-02-29T04:35:17Z").has_value());
  CHECK_FALSE(parse_iso8601("2026-11-22T24:35:17Z").has_value());
  CHECK_FALSE(parse_iso8601("2026-11-22T04:35:17ZX").has_value());
  CHECK_FALSE(parse_iso8601("2026-11-22T04:35:17.Z").has_value());
  CHECK_FALSE(parse_iso8601("20261122T043517Z").has_value());
}

TEST_CASE("parse_amz_date reads SigV4 dates only") {
  CHECK(parse_amz_date("20261122T043517Z") == kT);
  CHECK_FALSE(parse_amz_date("20261122T043517").has_value());
  CHECK_FALSE(parse_amz_date("2026-11-22T04:35:17Z").has_value());
  CHECK_FALSE(parse_amz_date("20261322T043517Z").has_value());
}

TEST_CASE("parse_http_date accepts RFC 1123, RFC 850 and asctime") {
  const EpochMillis t = 784111777000;  // Sun, 06 Nov 1994 08:49:37 GMT
  CHECK(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT") == t);
  CHECK(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT") == t);
  CHECK(parse_http_date("Sun Nov  6 08:49:37 1994") == t);
  CHECK(parse_http_date("Sun, 6 Nov 1994 08:49:37 GMT") == t);
  CHECK(parse_http_date("Sun, 06 Nov 1994 08:49:37 +0000") == t);
  CHECK(parse_http_date(format_http_date(kT)) == kT);
  CHECK_FALSE(parse_http_date("Sun, 06 Nov 1994 08:49:37").has_value());
  CHECK_FALSE(parse_http_date("2026-11-22T04:35:17Z").has_value());
  CHECK_FALSE(parse_http_date("Sun, 31 Feb 1994 08:49:37 GMT").has_value());
}

TEST_CASE("formatting and parsing round-trip across years") {
  const EpochMillis day = 86400000;
  for (EpochMillis t = -day * 365 * 50; t < day * 365 * 200; t += day * 37 + 4321)
    CHECK(parse_iso8601(format_iso8601_ms(t)) == t);
}

TEST_CASE("ManualClock is set and advanced by hand") {
  ManualClock clock(kT);
  CHECK(clock.now_ms() == kT);
  clock.advance(1500);
  CHECK(clock.now_seconds() == doctest::Approx((kT + 1500) / 1000.0));
  clock.set(0);
  CHECK(clock.now_ms() == 0);
  CHECK(SystemClock().now_ms() > kT - 86400000LL * 3650);
}
