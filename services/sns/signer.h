// MessageSigner: SNS message signatures ("Verifying the signatures of Amazon SNS messages").
// An RSA-2048 key and a self-signed certificate are generated on first use and kept in SQLite
// (table sns_signing_keys), so signatures stay verifiable across restarts. SignatureVersion 1
// is SHA1withRSA, 2 is SHA256withRSA, over the canonical string built by string_to_sign().
//
// Thread-safety: every method may be called from any thread.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

namespace nimbus {
class Database;
}

namespace nimbus::sns {

// The canonical string AWS signs: "Name\nvalue\n" for each present field, in AWS's order.
// Notification: Message, MessageId, Subject (when present), Timestamp, TopicArn, Type.
// SubscriptionConfirmation / UnsubscribeConfirmation: Message, MessageId, SubscribeURL,
// Timestamp, Token, TopicArn, Type. `fields` holds those names mapped to their values.
std::string string_to_sign(const std::map<std::string, std::string>& fields);

class MessageSigner {
 public:
  explicit MessageSigner(Database& db);
  ~MessageSigner();
  // Base64 signature of `text` (SignatureVersion "1" or "2").
  std::string sign(std::string_view text, std::string_view signature_version);
  std::string certificate_pem();
  // Forgets the key (after /_nimbus/reset wiped its table); a new one is made on next use.
  void reset();

 private:
  struct Key;
  Key& key();  // loads or creates the key; caller holds mutex_
  Database& db_;
  std::mutex mutex_;
  std::unique_ptr<Key> key_;
};

}  // namespace nimbus::sns
