// The list of services nimbus serves: make_services() builds each one, in routing-table order.
// Adding a service is one line here plus its folder under services/.
#include <memory>
#include <vector>

#include "services/s3/s3_service.h"
#include "services/sns/sns_service.h"
#include "services/service.h"

namespace nimbus {

std::vector<std::unique_ptr<Service>> make_services(ServiceEnv& env) {
  std::vector<std::unique_ptr<Service>> services;
  services.push_back(std::make_unique<S3Service>(env));
  services.push_back(std::make_unique<SnsService>(env));
  return services;
}

}  // namespace nimbus
