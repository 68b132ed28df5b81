// Credentials: parses conf/credentials (access key, secret key, account id, display name per
// line) into an immutable lookup table. Entry points: Credentials::load_file, parse, find.
#include "auth/credentials.h"

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace nimbus {
namespace {

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\r'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_blank(s.back())) s.remove_suffix(1);
  return s;
}

// Splits off the next blank-separated field.
std::string_view next_field(std::string_view& rest) {
  rest = trim(rest);
  size_t end = 0;
  while (end < rest.size() && !is_blank(rest[end])) ++end;
  std::string_view field = rest.substr(0, end);
  rest.remove_prefix(end);
  return field;
}

bool is_account_id(std::string_view s) {
  if (s.size() != 12) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

}  // namespace

Credentials Credentials::load_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path + ": cannot open credentials file");
  std::ostringstream text;
  text << in.rdbuf();
  return parse(text.str(), path);
}

Credentials Credentials::parse(std::string_view text, const std::string& origin) {
  Credentials out;
  size_t line_no = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    std::string_view line = trim(text.substr(pos, nl - pos));
    pos = nl + 1;
    ++line_no;
    if (line.empty() || line.front() == '#') continue;
    auto fail = [&](const std::string& why) {
      throw std::runtime_error(origin + ":" + std::to_string(line_no) + ": " + why);
    };
    std::string_view rest = line;
    CredentialEntry e;
    e.access_key = next_field(rest);
    e.secret_key = next_field(rest);
    e.account_id = next_field(rest);
    e.display_name = trim(rest);
    if (e.secret_key.empty() || e.account_id.empty())
      fail("expected '<access-key-id> <secret-access-key> <12-digit account id> [display name]'");
    if (!is_account_id(e.account_id)) fail("account id '" + e.account_id + "' is not 12 digits");
    if (out.find(e.access_key)) fail("access key '" + e.access_key + "' is listed twice");
    out.add(std::move(e));
  }
  return out;
}

void Credentials::add(CredentialEntry entry) {
  std::string key = entry.access_key;
  by_key_[std::move(key)] = std::move(entry);
}

const CredentialEntry* Credentials::find(std::string_view access_key) const {
  auto it = by_key_.find(std::string(access_key));
  return it == by_key_.end() ? nullptr : &it->second;
}

}  // namespace nimbus
