// DynamoDB numbers: parsing with AWS's validation messages, normalized printing, exact
// addition, comparison and the order-preserving key encoding. See number.h.
#include "services/dynamodb/number.h"

#include <algorithm>

namespace nimbus::ddb {
namespace {

constexpr int kMaxDigits = 38;
constexpr int kMinExponent = -129;  // 0.1 x 10^-129 == 1E-130
constexpr int kMaxExponent = 126;   // 0.99.. x 10^126 == 9.99..E+125

void set(std::string* error, const char* message) {
  if (error) *error = message;
}

// Strips leading and trailing zeros of an unnormalized mantissa, adjusting the exponent.
void normalize(Decimal& d) {
  size_t lead = d.digits.find_first_not_of('0');
  if (lead == std::string::npos) {
    d.digits.clear();
    d.exponent = 0;
    d.negative = false;
    return;
  }
  d.digits.erase(0, lead);
  d.exponent -= static_cast<int>(lead);
  size_t last = d.digits.find_last_not_of('0');
  d.digits.erase(last + 1);
}

int compare_magnitude(const Decimal& a, const Decimal& b) {
  if (a.is_zero() || b.is_zero()) return a.is_zero() ? (b.is_zero() ? 0 : -1) : 1;
  if (a.exponent != b.exponent) return a.exponent < b.exponent ? -1 : 1;
  int c = a.digits.compare(b.digits);  // same exponent: digit strings compare lexicographically
  return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

}  // namespace

bool in_range(const Decimal& d, std::string* error) {
  if (d.is_zero()) return true;
  if (static_cast<int>(d.digits.size()) > kMaxDigits) {
    set(error, "Attempting to store more than 38 significant digits in a Number");
    return false;
  }
  if (d.exponent > kMaxExponent) {
    set(error,
        "Number overflow. Attempting to store a number with magnitude larger than supported "
        "range");
    return false;
  }
  if (d.exponent < kMinExponent) {
    set(error,
        "Number underflow. Attempting to store a number with magnitude smaller than supported "
        "range");
    return false;
  }
  return true;
}

std::optional<Decimal> Decimal::parse(std::string_view text, std::string* error) {
  std::string bad = "The parameter cannot be converted to a numeric value: " + std::string(text);
  auto fail = [&]() -> std::optional<Decimal> {
    if (error) *error = bad;
    return std::nullopt;
  };
  Decimal d;
  size_t i = 0;
  if (i < text.size() && (text[i] == '+' || text[i] == '-')) d.negative = text[i++] == '-';
  bool any_digit = false;
  bool dot = false;
  int point = 0;  // digits before the decimal point
  for (; i < text.size(); ++i) {
    char c = text[i];
    if (c >= '0' && c <= '9') {
      any_digit = true;
      d.digits.push_back(c);
      if (!dot) ++point;
    } else if (c == '.' && !dot) {
      dot = true;
    } else {
      break;
    }
  }
  if (!any_digit) return fail();
  long exp = 0;
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    bool exp_negative = false;
    if (i < text.size() && (text[i] == '+' || text[i] == '-')) exp_negative = text[i++] == '-';
    if (i >= text.size()) return fail();
    for (; i < text.size(); ++i) {
      if (text[i] < '0' || text[i] > '9') return fail();
      if (exp < 100000) exp = exp * 10 + (text[i] - '0');
    }
    if (exp_negative) exp = -exp;
  }
  if (i != text.size()) return fail();
  d.exponent = static_cast<int>(point + exp);
  normalize(d);
  if (!in_range(d, error)) return std::nullopt;
  return d;
}

std::string Decimal::str() const {
  if (is_zero()) return "0";
  std::string out = negative ? "-" : "";
  int n = static_cast<int>(digits.size());
  if (exponent <= 0) {
    out += "0.";
    out.append(static_cast<size_t>(-exponent), '0');
    out += digits;
  } else if (exponent >= n) {
    out += digits;
    out.append(static_cast<size_t>(exponent - n), '0');
  } else {
    out += digits.substr(0, static_cast<size_t>(exponent));
    out += '.';
    out += digits.substr(static_cast<size_t>(exponent));
  }
  return out;
}

Decimal Decimal::negated() const {
  Decimal d = *this;
  if (!d.is_zero()) d.negative = !d.negative;
  return d;
}

// Negative numbers: 0x00, inverted exponent byte, inverted digits, terminator 0xFF. Zero: 0x01.
// Positive numbers: 0x02, exponent byte, digits + 1, terminator 0x00. Shorter mantissas sort
// first among positives (terminator 0x00 < any digit) and last among negatives.
std::string Decimal::key_bytes() const {
  std::string out;
  if (is_zero()) return std::string(1, '\x01');
  out.reserve(digits.size() + 3);
  int e = exponent - kMinExponent;  // 0..255
  if (negative) {
    out.push_back('\x00');
    out.push_back(static_cast<char>(255 - e));
    for (char c : digits) out.push_back(static_cast<char>(10 - (c - '0') + 1));
    out.push_back('\xFF');
  } else {
    out.push_back('\x02');
    out.push_back(static_cast<char>(e));
    for (char c : digits) out.push_back(static_cast<char>((c - '0') + 1));
    out.push_back('\x00');
  }
  return out;
}

int compare(const Decimal& a, const Decimal& b) {
  int sa = a.is_zero() ? 0 : (a.negative ? -1 : 1);
  int sb = b.is_zero() ? 0 : (b.negative ? -1 : 1);
  if (sa != sb) return sa < sb ? -1 : 1;
  int m = compare_magnitude(a, b);
  return sa < 0 ? -m : m;
}

std::optional<Decimal> add(const Decimal& a, const Decimal& b, std::string* error) {
  if (a.is_zero()) return b;
  if (b.is_zero()) return a;
  // Align both mantissas to the same scale: value = int(digits) x 10^(exponent - len).
  int low_a = a.exponent - static_cast<int>(a.digits.size());
  int low_b = b.exponent - static_cast<int>(b.digits.size());
  int low = std::min(low_a, low_b);
  int high = std::max(a.exponent, b.exponent);
  int width = high - low;
  auto widen = [&](const Decimal& d) {
    std::string s(static_cast<size_t>(width), '0');
    int start = high - d.exponent;
    for (size_t i = 0; i < d.digits.size(); ++i) s[static_cast<size_t>(start) + i] = d.digits[i];
    return s;
  };
  std::string x = widen(a), y = widen(b);
  Decimal r;
  if (a.negative == b.negative) {
    r.negative = a.negative;
    std::string sum(static_cast<size_t>(width) + 1, '0');
    int carry = 0;
    for (int i = width - 1; i >= 0; --i) {
      int v = (x[i] - '0') + (y[i] - '0') + carry;
      sum[static_cast<size_t>(i) + 1] = static_cast<char>('0' + v % 10);
      carry = v / 10;
    }
    sum[0] = static_cast<char>('0' + carry);
    r.digits = sum;
    r.exponent = high + 1;
  } else {
    // Subtract the smaller magnitude from the larger.
    int m = compare_magnitude(a, b);
    if (m == 0) return Decimal{};
    const std::string& big = m > 0 ? x : y;
    const std::string& small = m > 0 ? y : x;
    r.negative = m > 0 ? a.negative : b.negative;
    std::string diff(static_cast<size_t>(width), '0');
    int borrow = 0;
    for (int i = width - 1; i >= 0; --i) {
      int v = (big[i] - '0') - (small[i] - '0') - borrow;
      borrow = v < 0;
      if (v < 0) v += 10;
      diff[static_cast<size_t>(i)] = static_cast<char>('0' + v);
    }
    r.digits = diff;
    r.exponent = high;
  }
  normalize(r);
  if (!in_range(r, error)) return std::nullopt;
  return r;
}

}  // namespace nimbus::ddb
