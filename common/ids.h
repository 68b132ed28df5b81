// Random identifiers: request ids, message ids, upload ids, receipt-handle nonces. Uses a
// per-thread generator seeded from the OS; not for secrets.
#pragma once

#include <string>

namespace nimbus {

std::string random_hex(size_t bytes);
// 8-4-4-4-12 lower-case UUID v4, the form AWS uses for request and message ids.
std::string uuid4();

}  // namespace nimbus
