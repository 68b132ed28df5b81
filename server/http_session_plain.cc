// Instantiates the HTTP session for plain TCP connections (see http_session.h).
#include "server/http_session.h"

namespace nimbus::http_internal {

void start_plain_session(std::shared_ptr<Shared> shared, tcp::socket&& socket) {
  std::make_shared<Session<beast::tcp_stream>>(std::move(shared), std::move(socket))->start();
}

}  // namespace nimbus::http_internal
