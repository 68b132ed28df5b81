// Self-signed TLS material for the HTTPS port when the user gives none: an EC P-256 key and a
// certificate for localhost / 127.0.0.1 / ::1, generated with OpenSSL in about a millisecond and
// kept in <data-dir>/tls/ so clients can trust it once.
#pragma once

#include <string>

namespace nimbus {

struct TlsMaterial {
  std::string cert_pem;
  std::string key_pem;
};

TlsMaterial generate_self_signed_certificate();
// Reads <dir>/cert.pem and <dir>/key.pem, creating them first when missing. Throws
// std::runtime_error on I/O failure.
TlsMaterial load_or_create_certificate(const std::string& dir);
// Reads the given PEM files. Throws std::runtime_error naming the file that cannot be read.
TlsMaterial load_certificate(const std::string& cert_file, const std::string& key_file);

}  // namespace nimbus
