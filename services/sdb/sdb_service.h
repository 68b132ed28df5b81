// SdbService: Amazon SimpleDB (API 2009-04-15) over the query codec, signed with SigV2 (boto 2,
// boto3). Input and output Values use the botocore sdb model's member names, plus the legacy
// Query and QueryWithAttributes operations that tools/model_overrides/sdb.json adds.
//
// Implemented: CreateDomain, DeleteDomain, ListDomains, DomainMetadata, PutAttributes,
// BatchPutAttributes, GetAttributes, DeleteAttributes, BatchDeleteAttributes, Select, Query,
// QueryWithAttributes. Domains are per account and region; state is in SQLite
// (services/sdb/schema.h); each call's changes are one Database::write job.
//
// Thread-safety: call() may run on many threads at once; all shared state is in the Database.
#pragma once

#include <string_view>

#include "services/sdb/schema.h"
#include "services/service.h"

namespace nimbus {

class SdbService : public Service {
 public:
  // Applies the "sdb" schema migrations. env must outlive the service.
  explicit SdbService(ServiceEnv& env);

  std::string_view name() const override { return "sdb"; }
  const ServiceModel& model() const override { return model_; }
  Result call(CallContext& context, const Value& input) override;

 private:
  Result create_domain(CallContext& context, const Value& input);
  Result delete_domain(CallContext& context, const Value& input);
  Result list_domains(CallContext& context, const Value& input);
  Result domain_metadata(CallContext& context, const Value& input);
  Result put_attributes(CallContext& context, const Value& input);
  Result batch_put_attributes(CallContext& context, const Value& input);
  Result get_attributes(CallContext& context, const Value& input);
  Result delete_attributes(CallContext& context, const Value& input);
  Result batch_delete_attributes(CallContext& context, const Value& input);
  Result select(CallContext& context, const Value& input);
  Result query(CallContext& context, const Value& input);
  Result query_with_attributes(CallContext& context, const Value& input);

  sdb::DomainRecord require_domain(Connection& c, const CallContext& context,
                                   const std::string& name) const;

  ServiceEnv env_;
  const ServiceModel& model_;
};

}  // namespace nimbus
