// The PartiQL operations: statements are parsed and planned (partiql.h), then run as the item
// operations of their plans through DynamoDbService::call. A SELECT reads its Query/Scan inputs
// in order, paged by Limit and a NextToken that names the input and its LastEvaluatedKey; a
// write maps its operation's errors to PartiQL's (an INSERT's failed condition is a duplicate);
// a batch reports each statement's error in its response; a transaction is one
// TransactWriteItems or TransactGetItems. See partiql_exec.h.
#include "services/dynamodb/partiql_exec.h"

#include "common/encoding.h"
#include "common/hash.h"
#include "services/dynamodb/dynamodb_service.h"
#include "services/dynamodb/errors.h"
#include "services/dynamodb/partiql.h"

namespace nimbus::ddb::partiql {
namespace {

namespace err = ddb_errors;

constexpr size_t kMaxStatementBytes = 8192;

// One request's access to the service's own operations and tables.
struct Runner {
  DynamoDbService& svc;
  CallContext& call;

  Value run(const char* operation, const Value& input) {
    const Operation* op = svc.model().operation(operation);
    CallContext sub{call.http, *op, call.account, call.region, call.request_id, {}, nullptr,
                    nullptr, true};
    return complete(svc.call(sub, input)).output;  // the whole result, written, now
  }
  TablePtr table(const std::string& name) {
    TablePtr t = svc.find_table(call.account.id, call.region, name);
    if (!t) throw err::table_not_found(name);
    return t;
  }
};

// A statement ready to run: parsed, with its table and plan.
struct Prepared {
  Statement statement;
  TablePtr table;
  Plan plan;
};

std::string statement_text(const Value& in) {
  std::optional<std::string> text = in.get_string("Statement");
  if (!text)
    throw err::validation("1 validation error detected: Value null at 'statement' failed to "
                          "satisfy constraint: Member must not be null");
  if (text->empty())
    throw err::validation("1 validation error detected: Value '' at 'statement' failed to "
                          "satisfy constraint: Member must have length greater than or equal "
                          "to 1");
  if (text->size() > kMaxStatementBytes)
    throw err::validation("1 validation error detected: Value at 'statement' failed to satisfy "
                          "constraint: Member must have length less than or equal to 8192");
  return *text;
}

Prepared prepare(Runner& r, const Value& in) {
  std::string text = statement_text(in);
  std::vector<Attr> params;
  if (const Value* p = in.find("Parameters"); p && p->is_list()) {
    if (p->as_list().empty())
      throw err::validation("1 validation error detected: Value '[]' at 'parameters' failed to "
                            "satisfy constraint: Member must have length greater than or equal "
                            "to 1");
    for (const Value& v : p->as_list()) params.push_back(attr_from_value(v));
  }
  Prepared p;
  p.statement = parse(text, params);
  p.table = r.table(p.statement.table);
  const KeyDef* hash = &p.table->hash;
  const KeyDef* range = &p.table->range;
  if (!p.statement.index.empty()) {
    const IndexInfo* index = p.table->index(p.statement.index);
    if (!index)
      throw err::validation("The table does not have the specified index: " + p.statement.index);
    hash = &index->hash;
    range = &index->range;
  }
  p.plan = plan(p.statement, *hash, *range);
  return p;
}

// The operation a write statement runs as.
const char* write_operation(Statement::Kind kind) {
  switch (kind) {
    case Statement::Kind::Insert: return "PutItem";
    case Statement::Kind::Update: return "UpdateItem";
    case Statement::Kind::Delete: return "DeleteItem";
    default: return "";
  }
}

void copy_member(Value& to, const Value& from, const char* member) {
  if (const Value* v = from.find(member)) to.set(member, *v);
}

// Adds one operation's ConsumedCapacity to the request's (one entry per table).
void add_capacity(Value& list, const Value& output) {
  const Value* c = output.find("ConsumedCapacity");
  if (!c) return;
  std::vector<const Value*> parts;
  if (c->is_list())
    for (const Value& e : c->as_list()) parts.push_back(&e);
  else
    parts.push_back(c);
  for (const Value* part : parts) {
    std::string table = part->string_or("TableName", "");
    double units = part->find("CapacityUnits") ? part->find("CapacityUnits")->as_double() : 0;
    bool merged = false;
    for (Value& e : list.as_list()) {
      if (e.string_or("TableName", "") != table) continue;
      e.set("CapacityUnits", e.find("CapacityUnits")->as_double() + units);
      if (Value* t = e.find("Table")) t->set("CapacityUnits", e.find("CapacityUnits")->as_double());
      merged = true;
    }
    if (!merged) list.push_back(*part);
  }
}

// Runs a write statement; returns the output Items (the RETURNING item, if any).
Value run_write(Runner& r, const Prepared& p, const Value& in, Value& capacity) {
  if (p.statement.kind == Statement::Kind::Exists)
    throw err::validation("EXISTS can only be used in ExecuteTransaction write requests.");
  Value input = p.plan.write;
  copy_member(input, in, "ReturnValuesOnConditionCheckFailure");
  copy_member(input, in, "ReturnConsumedCapacity");
  Value output;
  try {
    output = r.run(write_operation(p.statement.kind), input);
  } catch (const ApiError& e) {
    if (p.statement.kind == Statement::Kind::Insert && e.code == "ConditionalCheckFailedException")
      throw err::duplicate_item();
    throw;
  }
  add_capacity(capacity, output);
  Value items = Value::list();
  if (const Value* a = output.find("Attributes")) items.push_back(*a);
  return items;
}

// SELECT a.b returns b: each projected path under its last name.
Value named_projection(const Value& item, const std::vector<Path>& paths) {
  if (paths.empty()) return item;
  Item in = item_from_value(item), out;
  for (const Path& p : paths)
    if (const Attr* a = resolve(in, p)) out[result_name(p)] = *a;
  return item_to_value(out);
}

// The NextToken of a SELECT: which of its reads to continue and where, bound to the request.
std::string request_digest(const Value& in) {
  const Value* params = in.find("Parameters");
  return sha256_hex(in.string_or("Statement", "") + '\n' +
                    (params ? to_json(*params) : std::string()))
      .substr(0, 32);
}

std::string make_token(const Value& in, size_t read, const Value* start) {
  Value t = Value::map();
  t.set("d", request_digest(in));
  t.set("r", static_cast<int64_t>(read));
  if (start) t.set("k", *start);
  return base64_encode(to_json(t));
}

void read_token(const Value& in, size_t reads, size_t* read, Value* start) {
  std::optional<std::string> token = in.get_string("NextToken");
  if (!token) return;
  std::optional<std::string> json = base64_decode(*token);
  Value t;
  try {
    if (json) t = from_json(*json);
  } catch (const std::exception&) {
    t = Value();
  }
  std::optional<int64_t> r = t.is_map() ? t.get_int("r") : std::nullopt;
  if (!r || *r < 0 || static_cast<size_t>(*r) >= reads || !t.get_string("d"))
    throw err::validation("Invalid NextToken");
  if (*t.get_string("d") != request_digest(in))
    throw err::validation("NextToken does not match request");
  *read = static_cast<size_t>(*r);
  if (const Value* k = t.find("k")) *start = *k;
}

// Runs a SELECT's reads from the NextToken on, within Limit items evaluated.
Value run_select(Runner& r, const Prepared& p, const Value& in, Value& capacity) {
  std::optional<int64_t> limit = in.get_int("Limit");
  if (limit && *limit < 1)
    throw err::validation("1 validation error detected: Value '" + std::to_string(*limit) +
                          "' at 'limit' failed to satisfy constraint: Member must have value "
                          "greater than or equal to 1");
  if (in.get_bool("ConsistentRead").value_or(false) && !p.statement.index.empty() &&
      p.table->index(p.statement.index)->global)
    throw err::validation("Strongly consistent read is not supported on Global Secondary "
                          "Indexes");
  size_t read = 0;
  Value start;
  read_token(in, p.plan.reads.size(), &read, &start);
  Value out = Value::map();
  Value items = Value::list();
  for (; read < p.plan.reads.size(); ++read) {
    Value input = p.plan.reads[read];
    if (limit) input.set("Limit", *limit);
    if (!start.is_null()) input.set("ExclusiveStartKey", start);
    start = Value();
    copy_member(input, in, "ConsistentRead");
    copy_member(input, in, "ReturnConsumedCapacity");
    Value o = r.run(p.plan.query ? "Query" : "Scan", input);
    add_capacity(capacity, o);
    if (const Value* page = o.find("Items"))
      for (const Value& item : page->as_list())
        items.push_back(named_projection(item, p.statement.projection));
    if (const Value* last = o.find("LastEvaluatedKey")) {
      out.set("NextToken", make_token(in, read, last));
      out.set("LastEvaluatedKey", *last);
      break;
    }
    if (limit) {
      *limit -= o.get_int("ScannedCount").value_or(0);
      if (*limit <= 0) {
        if (read + 1 < p.plan.reads.size()) out.set("NextToken", make_token(in, read + 1, nullptr));
        break;
      }
    }
  }
  out.set("Items", std::move(items));
  return out;
}

void set_capacity(Value& out, Value& capacity, bool single) {
  if (capacity.as_list().empty()) return;
  if (single) out.set("ConsumedCapacity", capacity.as_list().front());
  else out.set("ConsumedCapacity", std::move(capacity));
}

// BatchStatementError.Code of an operation's error.
std::string batch_code(const std::string& code) {
  static const std::map<std::string, std::string> codes = {
      {"ConditionalCheckFailedException", "ConditionalCheckFailed"},
      {"ValidationException", "ValidationError"},
      {"ResourceNotFoundException", "ResourceNotFound"},
      {"DuplicateItemException", "DuplicateItem"},
      {"TransactionConflictException", "TransactionConflict"},
      {"ItemCollectionSizeLimitExceededException", "ItemCollectionSizeLimitExceeded"},
      {"ProvisionedThroughputExceededException", "ProvisionedThroughputExceeded"},
      {"RequestLimitExceeded", "RequestLimitExceeded"},
      {"ThrottlingException", "ThrottlingError"},
      {"AccessDeniedException", "AccessDenied"}};
  auto it = codes.find(code);
  return it == codes.end() ? "InternalServerError" : it->second;
}

Value batch_error(const ApiError& e) {
  Value error = Value::map();
  error.set("Code", batch_code(e.code));
  error.set("Message", e.what());
  if (const Value* item = e.extra_json.find("Item")) error.set("Item", *item);
  return Value::map().set("Error", std::move(error));
}

const Value& statement_list(const Value& in, const char* member, const char* wire, size_t max) {
  const Value* list = in.find(member);
  if (!list || !list->is_list())
    throw err::validation(std::string("1 validation error detected: Value null at '") + wire +
                          "' failed to satisfy constraint: Member must not be null");
  if (list->as_list().empty() || list->size() > max)
    throw err::validation(std::string("1 validation error detected: Value at '") + wire +
                          "' failed to satisfy constraint: Member must have length " +
                          (list->as_list().empty() ? "greater than or equal to 1"
                                                   : "less than or equal to " +
                                                         std::to_string(max)));
  return *list;
}

}  // namespace

Result execute_statement(DynamoDbService& svc, CallContext& call, const Value& in) {
  Runner r{svc, call};
  Prepared p = prepare(r, in);
  Value capacity = Value::list();
  Result result;
  if (p.statement.is_read()) {
    result.output = run_select(r, p, in, capacity);
  } else {
    result.output = Value::map().set("Items", run_write(r, p, in, capacity));
  }
  set_capacity(result.output, capacity, true);
  return result;
}

Result batch_execute_statement(DynamoDbService& svc, CallContext& call, const Value& in) {
  Runner r{svc, call};
  const Value& list = statement_list(in, "Statements", "statements", 25);
  struct Entry {
    std::optional<Prepared> prepared;
    Value response;
  };
  std::vector<Entry> entries;
  std::optional<bool> reads;
  for (const Value& s : list.as_list()) {
    Entry e;
    try {
      e.prepared = prepare(r, s);
      if (e.prepared->statement.kind == Statement::Kind::Exists)
        throw err::validation("EXISTS can only be used in ExecuteTransaction write requests.");
    } catch (const ApiError& error) {
      e.prepared.reset();
      e.response = batch_error(error);
    }
    if (e.prepared) {
      bool read = e.prepared->statement.is_read();
      if (reads && *reads != read)
        throw err::validation("Read and write requests together in the same batch is not "
                              "supported.");
      reads = read;
    }
    entries.push_back(std::move(e));
  }
  Value capacity = Value::list();
  Value responses = Value::list();
  for (size_t i = 0; i < entries.size(); ++i) {
    Entry& e = entries[i];
    if (e.prepared) {
      const Prepared& p = *e.prepared;
      try {
        Value response = Value::map();
        response.set("TableName", p.statement.table);
        if (p.statement.is_read()) {
          if (!p.plan.full_key || !p.statement.index.empty())
            throw err::validation("Only single item select is supported");
          Value request = Value::map();
          copy_member(request, list.as_list()[i], "ConsistentRead");
          copy_member(request, in, "ReturnConsumedCapacity");
          Value out = run_select(r, p, request, capacity);
          if (!out.find("Items")->as_list().empty())
            response.set("Item", out.find("Items")->as_list().front());
        } else {
          Value request = list.as_list()[i];
          copy_member(request, in, "ReturnConsumedCapacity");
          run_write(r, p, request, capacity);
        }
        e.response = std::move(response);
      } catch (const ApiError& error) {
        e.response = batch_error(error);
        e.response.set("TableName", p.statement.table);
      }
    }
    responses.push_back(std::move(e.response));
  }
  Result result;
  result.output = Value::map().set("Responses", std::move(responses));
  set_capacity(result.output, capacity, false);
  return result;
}

Result execute_transaction(DynamoDbService& svc, CallContext& call, const Value& in) {
  Runner r{svc, call};
  const Value& list = statement_list(in, "TransactStatements", "transactStatements", 100);
  std::vector<Prepared> statements;
  size_t reads = 0;
  for (const Value& s : list.as_list()) {
    statements.push_back(prepare(r, s));
    const Prepared& p = statements.back();
    if (p.statement.is_read()) ++reads;
    if (!p.statement.returning.empty())
      throw err::validation("Unsupported operation in transaction.");
  }
  if (reads && reads != statements.size())
    throw err::validation("ExecuteTransaction API does not support both read and write "
                          "operations in the same request.");
  Result result;
  result.output = Value::map();
  Value items = Value::list();
  if (reads) {
    for (const Prepared& p : statements) {
      if (!p.statement.index.empty())
        throw err::validation("Reads on indices are not supported within transactions.");
      if (p.plan.get.is_null())
        throw err::validation("Select statements within ExecuteTransaction must specify the "
                              "primary key in the where clause.");
      items.push_back(Value::map().set("Get", p.plan.get));
    }
    Value input = Value::map().set("TransactItems", std::move(items));
    copy_member(input, in, "ReturnConsumedCapacity");
    Value out = r.run("TransactGetItems", input);
    for (size_t i = 0; i < statements.size(); ++i) {
      Value& response = out["Responses"].as_list()[i];
      if (Value* item = response.find("Item"))
        *item = named_projection(*item, statements[i].statement.projection);
    }
    result.output.set("Responses", *out.find("Responses"));
    copy_member(result.output, out, "ConsumedCapacity");
    return result;
  }
  for (size_t i = 0; i < statements.size(); ++i) {
    const Prepared& p = statements[i];
    if (!p.statement.index.empty())
      throw err::validation("Operations on indices are not supported in transactions");
    static const std::map<Statement::Kind, const char*> kinds = {
        {Statement::Kind::Insert, "Put"}, {Statement::Kind::Update, "Update"},
        {Statement::Kind::Delete, "Delete"}, {Statement::Kind::Exists, "ConditionCheck"}};
    Value spec = p.plan.write;
    copy_member(spec, list.as_list()[i], "ReturnValuesOnConditionCheckFailure");
    items.push_back(Value::map().set(kinds.at(p.statement.kind), std::move(spec)));
  }
  Value input = Value::map().set("TransactItems", std::move(items));
  copy_member(input, in, "ClientRequestToken");
  copy_member(input, in, "ReturnConsumedCapacity");
  try {
    copy_member(result.output, r.run("TransactWriteItems", input), "ConsumedCapacity");
  } catch (ApiError& e) {
    Value* reasons = e.extra_json.find("CancellationReasons");
    if (e.code != "TransactionCanceledException" || !reasons) throw;
    // An INSERT whose key exists is a duplicate, not a failed condition.
    std::string joined;
    for (size_t i = 0; i < reasons->size() && i < statements.size(); ++i) {
      Value& reason = reasons->as_list()[i];
      if (statements[i].statement.kind == Statement::Kind::Insert &&
          reason.string_or("Code", "") == "ConditionalCheckFailed") {
        reason.set("Code", "DuplicateItem");
        reason.set("Message", "Duplicate primary key exists in table");
      }
      joined += (i ? ", " : "") + reason.string_or("Code", "None");
    }
    ApiError canceled = err::transaction_canceled(joined);
    canceled.extra_json.set("CancellationReasons", *reasons);
    throw canceled;
  }
  return result;
}

}  // namespace nimbus::ddb::partiql
