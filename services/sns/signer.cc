// MessageSigner: creates, persists and uses the RSA key that signs SNS messages, and builds the
// canonical string-to-sign. Entry points: string_to_sign, MessageSigner::sign, certificate_pem.
#include "services/sns/signer.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <ctime>
#include <stdexcept>

#include "common/encoding.h"
#include "storage/database.h"

namespace nimbus::sns {
namespace {

std::string bio_text(BIO* bio) {
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<size_t>(n));
}

}  // namespace

std::string string_to_sign(const std::map<std::string, std::string>& fields) {
  bool notification = fields.count("Type") && fields.at("Type") == "Notification";
  static const char* kNotification[] = {"Message", "MessageId", "Subject", "Timestamp", "TopicArn",
                                        "Type"};
  static const char* kConfirmation[] = {"Message", "MessageId", "SubscribeURL", "Timestamp",
                                        "Token",   "TopicArn",  "Type"};
  std::string out;
  auto add = [&](const char* name) {
    auto it = fields.find(name);
    if (it == fields.end()) return;
    out += name;
    out += '\n';
    out += it->second;
    out += '\n';
  };
  if (notification) {
    for (const char* n : kNotification) add(n);
  } else {
    for (const char* n : kConfirmation) add(n);
  }
  return out;
}

struct MessageSigner::Key {
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> pkey{nullptr, EVP_PKEY_free};
  std::string cert_pem;
};

MessageSigner::MessageSigner(Database& db) : db_(db) {}
MessageSigner::~MessageSigner() = default;

void MessageSigner::reset() {
  std::lock_guard lock(mutex_);
  key_.reset();
}

MessageSigner::Key& MessageSigner::key() {
  if (key_) return *key_;
  auto stored = db_.read([](Connection& c) -> std::optional<std::pair<std::string, std::string>> {
    auto& s = c.prepare("SELECT key_pem, cert_pem FROM sns_signing_keys WHERE id = 1");
    if (!s.step()) return std::nullopt;
    return std::make_pair(s.column_text(0), s.column_text(1));
  });
  auto key = std::make_unique<Key>();
  if (!stored) {
    std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> pkey(EVP_RSA_gen(2048), EVP_PKEY_free);
    if (!pkey) throw std::runtime_error("cannot generate the SNS signing key");
    std::unique_ptr<X509, decltype(&X509_free)> cert(X509_new(), X509_free);
    X509_set_version(cert.get(), 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), static_cast<long>(time(nullptr)));
    X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
    X509_gmtime_adj(X509_getm_notAfter(cert.get()), 10L * 365 * 24 * 3600);
    X509_set_pubkey(cert.get(), pkey.get());
    X509_NAME* name = X509_get_subject_name(cert.get());
    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>("nimbus"), -1, -1, 0);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>("sns.localhost"), -1, -1, 0);
    X509_set_issuer_name(cert.get(), name);
    if (!X509_sign(cert.get(), pkey.get(), EVP_sha256()))
      throw std::runtime_error("cannot sign the SNS certificate");
    std::unique_ptr<BIO, decltype(&BIO_free)> cb(BIO_new(BIO_s_mem()), BIO_free);
    PEM_write_bio_X509(cb.get(), cert.get());
    std::unique_ptr<BIO, decltype(&BIO_free)> kb(BIO_new(BIO_s_mem()), BIO_free);
    PEM_write_bio_PrivateKey(kb.get(), pkey.get(), nullptr, nullptr, 0, nullptr, nullptr);
    std::string key_pem = bio_text(kb.get()), cert_pem = bio_text(cb.get());
    // INSERT OR IGNORE: another process image may have raced us; read back what won.
    db_.write([&](Connection& c) {
      c.prepare("INSERT OR IGNORE INTO sns_signing_keys(id, key_pem, cert_pem) VALUES(1, ?, ?)")
          .bind_all(key_pem, cert_pem)
          .run();
    });
    stored = std::make_pair(key_pem, cert_pem);
  }
  std::unique_ptr<BIO, decltype(&BIO_free)> kb(
      BIO_new_mem_buf(stored->first.data(), static_cast<int>(stored->first.size())), BIO_free);
  key->pkey.reset(PEM_read_bio_PrivateKey(kb.get(), nullptr, nullptr, nullptr));
  if (!key->pkey) throw std::runtime_error("cannot load the SNS signing key");
  key->cert_pem = stored->second;
  key_ = std::move(key);
  return *key_;
}

std::string MessageSigner::sign(std::string_view text, std::string_view signature_version) {
  EVP_PKEY* pkey;
  {
    std::lock_guard lock(mutex_);
    pkey = key().pkey.get();
    EVP_PKEY_up_ref(pkey);
  }
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> owned(pkey, EVP_PKEY_free);
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  const EVP_MD* md = signature_version == "2" ? EVP_sha256() : EVP_sha1();
  size_t length = 0;
  if (EVP_DigestSignInit(ctx.get(), nullptr, md, nullptr, pkey) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &length,
                     reinterpret_cast<const unsigned char*>(text.data()), text.size()) != 1)
    throw std::runtime_error("cannot sign an SNS message");
  std::string signature(length, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &length,
                     reinterpret_cast<const unsigned char*>(text.data()), text.size()) != 1)
    throw std::runtime_error("cannot sign an SNS message");
  signature.resize(length);
  return base64_encode(signature);
}

std::string MessageSigner::certificate_pem() {
  std::lock_guard lock(mutex_);
  return key().cert_pem;
}

}  // namespace nimbus::sns
