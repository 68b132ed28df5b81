// Credentials: the access key → secret, account id, display name table loaded from
// conf/credentials, and the Account value every authenticated request carries.
//
// File format (documented in README.md): one key pair a line,
//   <access-key-id> <secret-access-key> <12-digit account id> [display name...]
// separated by spaces or tabs; blank lines and lines starting with '#' are ignored.
//
// Thread-safety: immutable after loading; safe to share across threads.
#pragma once

#include <string>
#include <string_view>
#include <unordered_map>

namespace nimbus {

// Who made a request. Anonymous requests have anonymous=true and an empty id.
struct Account {
  std::string id;            // 12-digit account id
  std::string display_name;
  std::string access_key;    // the key the request was signed with
  bool anonymous = false;
};

struct CredentialEntry {
  std::string access_key;
  std::string secret_key;
  std::string account_id;
  std::string display_name;
};

class Credentials {
 public:
  // Throws std::runtime_error naming the file and line of the first malformed entry.
  static Credentials load_file(const std::string& path);
  static Credentials parse(std::string_view text, const std::string& origin = "credentials");

  void add(CredentialEntry entry);
  const CredentialEntry* find(std::string_view access_key) const;
  size_t size() const { return by_key_.size(); }

 private:
  std::unordered_map<std::string, CredentialEntry> by_key_;
};

}  // namespace nimbus
