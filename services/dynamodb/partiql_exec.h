// The PartiQL operations of DynamoDB (ExecuteStatement, BatchExecuteStatement,
// ExecuteTransaction): each statement is parsed and planned by services/dynamodb/partiql.h and
// its plan runs as the item operations it names (Query, Scan, PutItem, UpdateItem, DeleteItem,
// TransactWriteItems, TransactGetItems) through DynamoDbService::call, so their validation,
// write path, indexes, capacity and idempotency apply as they are.
//
// Thread-safety: as DynamoDbService::call.
#pragma once

#include "common/value.h"
#include "services/service.h"

namespace nimbus {
class DynamoDbService;
}

namespace nimbus::ddb::partiql {

Result execute_statement(DynamoDbService& svc, CallContext& call, const Value& in);
Result batch_execute_statement(DynamoDbService& svc, CallContext& call, const Value& in);
Result execute_transaction(DynamoDbService& svc, CallContext& call, const Value& in);

}  // namespace nimbus::ddb::partiql
