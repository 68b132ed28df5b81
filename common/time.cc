// The one place for time formats: ISO 8601 (with and without milliseconds), SigV4's amz-date,
// HTTP dates (RFC 1123 out; RFC 1123, RFC 850 and asctime in), and the system clock.
// Calendar arithmetic is done here (proleptic Gregorian, UTC) so no libc time zone state is used.
#include "common/time.h"

#include <chrono>
#include <cstdio>
#include <cstring>

namespace nimbus {
namespace {

constexpr int64_t kMsPerDay = 86400000;
constexpr const char* kWeekdays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
constexpr const char* kWeekdaysLong[] = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                         "Thursday", "Friday", "Saturday"};
constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

// Days since 1970-01-01 of a civil date (H. Hinnant's algorithm).
int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

struct Civil {
  int64_t year;
  unsigned month, day, hour, minute, second, millis, weekday;
};

Civil to_civil(EpochMillis t) {
  int64_t days = t / kMsPerDay;
  int64_t ms = t % kMsPerDay;
  if (ms < 0) {
    ms += kMsPerDay;
    --days;
  }
  Civil c{};
  c.weekday = static_cast<unsigned>(((days % 7) + 7 + 4) % 7);  // 1970-01-01 was a Thursday
  const int64_t z = days + 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  c.day = doy - (153 * mp + 2) / 5 + 1;
  c.month = mp < 10 ? mp + 3 : mp - 9;
  c.year = static_cast<int64_t>(yoe) + era * 400 + (c.month <= 2);
  c.hour = static_cast<unsigned>(ms / 3600000);
  c.minute = static_cast<unsigned>(ms / 60000 % 60);
  c.second = static_cast<unsigned>(ms / 1000 % 60);
  c.millis = static_cast<unsigned>(ms % 1000);
  return c;
}

bool leap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }
unsigned days_in_month(int64_t y, unsigned m) {
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && leap(y) ? 29 : kDays[m - 1];
}

std::optional<EpochMillis> make_time(int64_t y, unsigned mo, unsigned d, unsigned h, unsigned mi,
                                     unsigned s, unsigned ms) {
  // Leap second 60 is accepted and folded into the next minute, as most parsers do.
  if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 || s > 60)
    return std::nullopt;
  return (days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s) * 1000 + ms;
}

// A tiny cursor over the text being parsed.
struct Cursor {
  std::string_view s;
  size_t i = 0;
  bool done() const { return i >= s.size(); }
  bool eat(char c) {
    if (i < s.size() && s[i] == c) {
      ++i;
      return true;
    }
    return false;
  }
  // Exactly n digits.
  bool digits(size_t n, unsigned& out) {
    if (i + n > s.size()) return false;
    unsigned v = 0;
    for (size_t k = 0; k < n; ++k) {
      char c = s[i + k];
      if (c < '0' || c > '9') return false;
      v = v * 10 + static_cast<unsigned>(c - '0');
    }
    out = v;
    i += n;
    return true;
  }
  // One or two digits.
  bool digits12(unsigned& out) {
    if (i + 1 < s.size() && s[i + 1] >= '0' && s[i + 1] <= '9') return digits(2, out);
    return digits(1, out);
  }
  void skip_spaces() {
    while (i < s.size() && s[i] == ' ') ++i;
  }
  // Matches one of the names (case-insensitive); returns its index or -1.
  template <size_t N>
  int name(const char* const (&names)[N]) {
    for (size_t k = 0; k < N; ++k) {
      size_t len = std::strlen(names[k]);
      if (i + len <= s.size() && strncasecmp(s.data() + i, names[k], len) == 0) {
        i += len;
        return static_cast<int>(k);
      }
    }
    return -1;
  }
};

bool parse_hms(Cursor& c, unsigned& h, unsigned& mi, unsigned& s) {
  return c.digits(2, h) && c.eat(':') && c.digits(2, mi) && c.eat(':') && c.digits(2, s);
}

std::string format(EpochMillis t, bool with_ms) {
  Civil c = to_civil(t);
  char buf[48];
  if (with_ms)
    std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02u:%02u:%02u.%03uZ",
                  static_cast<long long>(c.year), c.month, c.day, c.hour, c.minute, c.second,
                  c.millis);
  else
    std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02u:%02u:%02uZ",
                  static_cast<long long>(c.year), c.month, c.day, c.hour, c.minute, c.second);
  return buf;
}

}  // namespace

EpochMillis SystemClock::now_ms() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string format_iso8601_ms(EpochMillis t) { return format(t, true); }
std::string format_iso8601(EpochMillis t) { return format(t, false); }

std::string format_amz_date(EpochMillis t) {
  Civil c = to_civil(t);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04lld%02u%02uT%02u%02u%02uZ", static_cast<long long>(c.year),
                c.month, c.day, c.hour, c.minute, c.second);
  return buf;
}

std::string format_http_date(EpochMillis t) {
  Civil c = to_civil(t);
  char buf[48];
  std::snprintf(buf, sizeof buf, "%s, %02u %s %04lld %02u:%02u:%02u GMT", kWeekdays[c.weekday],
                c.day, kMonths[c.month - 1], static_cast<long long>(c.year), c.hour, c.minute,
                c.second);
  return buf;
}

std::optional<EpochMillis> parse_iso8601(std::string_view text) {
  Cursor c{text};
  unsigned y, mo, d, h, mi, s, ms = 0;
  if (!c.digits(4, y) || !c.eat('-') || !c.digits(2, mo) || !c.eat('-') || !c.digits(2, d))
    return std::nullopt;
  if (!c.eat('T') && !c.eat('t') && !c.eat(' ')) return std::nullopt;
  if (!parse_hms(c, h, mi, s)) return std::nullopt;
  if (c.eat('.') || c.eat(',')) {
    // Any number of fraction digits; milliseconds keep the first three.
    size_t start = c.i;
    unsigned scale = 100;
    while (!c.done() && c.s[c.i] >= '0' && c.s[c.i] <= '9') {
      ms += static_cast<unsigned>(c.s[c.i] - '0') * scale;
      scale /= 10;
      ++c.i;
    }
    if (c.i == start) return std::nullopt;
  }
  int64_t offset_min = 0;
  if (c.eat('Z') || c.eat('z')) {
  } else if (!c.done() && (c.s[c.i] == '+' || c.s[c.i] == '-')) {
    int sign = c.s[c.i] == '-' ? -1 : 1;
    ++c.i;
    unsigned oh, om = 0;
    if (!c.digits(2, oh)) return std::nullopt;
    if (c.eat(':')) {
      if (!c.digits(2, om)) return std::nullopt;
    } else if (!c.done() && !c.digits(2, om)) {
      return std::nullopt;
    }
    if (oh > 23 || om > 59) return std::nullopt;
    offset_min = sign * static_cast<int64_t>(oh * 60 + om);
  }
  // No zone designator: taken as UTC (older clients omit it).
  if (!c.done()) return std::nullopt;
  auto t = make_time(y, mo, d, h, mi, s, ms);
  if (!t) return std::nullopt;
  return *t - offset_min * 60000;
}

std::optional<EpochMillis> parse_amz_date(std::string_view text) {
  Cursor c{text};
  unsigned y, mo, d, h, mi, s;
  if (text.size() != 16 || !c.digits(4, y) || !c.digits(2, mo) || !c.digits(2, d) || !c.eat('T') ||
      !c.digits(2, h) || !c.digits(2, mi) || !c.digits(2, s) || !c.eat('Z'))
    return std::nullopt;
  return make_time(y, mo, d, h, mi, s, 0);
}

std::optional<EpochMillis> parse_http_date(std::string_view text) {
  Cursor c{text};
  c.skip_spaces();
  unsigned y = 0, d = 0, h, mi, s;
  int mo;
  // RFC 850: "Sunday, 06-Nov-94 08:49:37 GMT"
  {
    Cursor r = c;
    if (r.name(kWeekdaysLong) >= 0 && r.eat(',')) {
      r.skip_spaces();
      if (!r.digits12(d) || !r.eat('-') || (mo = r.name(kMonths)) < 0 || !r.eat('-'))
        return std::nullopt;
      if (!r.digits(4, y)) {
        if (!r.digits(2, y)) return std::nullopt;
        y += y < 70 ? 2000 : 1900;
      }
      r.skip_spaces();
      if (!parse_hms(r, h, mi, s)) return std::nullopt;
      r.skip_spaces();
      if (!r.eat('G') || !r.eat('M') || !r.eat('T')) return std::nullopt;
      r.skip_spaces();
      if (!r.done()) return std::nullopt;
      return make_time(y, static_cast<unsigned>(mo) + 1, d, h, mi, s, 0);
    }
  }
  if (c.name(kWeekdays) < 0) return std::nullopt;
  if (c.eat(',')) {
    // RFC 1123: "Sun, 06 Nov 1994 08:49:37 GMT" (also "+0000" in place of GMT).
    c.skip_spaces();
    if (!c.digits12(d)) return std::nullopt;
    c.skip_spaces();
    if ((mo = c.name(kMonths)) < 0) return std::nullopt;
    c.skip_spaces();
    if (!c.digits(4, y)) return std::nullopt;
    c.skip_spaces();
    if (!parse_hms(c, h, mi, s)) return std::nullopt;
    c.skip_spaces();
    if (!(c.eat('G') && c.eat('M') && c.eat('T')) && !(c.eat('U') && c.eat('T') && c.eat('C')) &&
        !(c.eat('+') && c.eat('0') && c.eat('0') && c.eat('0') && c.eat('0')))
      return std::nullopt;
  } else {
    // asctime: "Sun Nov  6 08:49:37 1994"
    c.skip_spaces();
    if ((mo = c.name(kMonths)) < 0) return std::nullopt;
    c.skip_spaces();
    if (!c.digits12(d)) return std::nullopt;
    c.skip_spaces();
    if (!parse_hms(c, h, mi, s)) return std::nullopt;
    c.skip_spaces();
    if (!c.digits(4, y)) return std::nullopt;
  }
  c.skip_spaces();
  if (!c.done()) return std::nullopt;
  return make_time(y, static_cast<unsigned>(mo) + 1, d, h, mi, s, 0);
}

}  // namespace nimbus
