// The AWS SDK for JavaScript v3 (@aws-sdk/client-dynamodb and the DocumentClient of
// @aws-sdk/lib-dynamodb, AWS JSON 1.0 protocol) against nimbus, run with `node --test`: tables
// with a GSI and an LSI and the SDK's waiter, item writes with condition and update expressions
// and ReturnValues, paged Query and Scan through the SDK's paginators, batches, transactions
// (TransactionCanceledException with CancellationReasons), the DocumentClient's native JS types,
// and errors as the SDK's exception classes. Each test cites the DynamoDB API page.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import {
  DynamoDBClient, CreateTableCommand, DescribeTableCommand, PutItemCommand, GetItemCommand,
  UpdateItemCommand, DeleteItemCommand, BatchWriteItemCommand, BatchGetItemCommand,
  TransactWriteItemsCommand, waitUntilTableExists, paginateQuery, paginateScan,
  ConditionalCheckFailedException, ResourceNotFoundException, TransactionCanceledException,
  DynamoDBServiceException,
} from "@aws-sdk/client-dynamodb";
import {
  DynamoDBDocumentClient, PutCommand, GetCommand, QueryCommand, UpdateCommand, BatchWriteCommand,
  DeleteCommand, TransactWriteCommand, TransactGetCommand, NumberValue,
} from "@aws-sdk/lib-dynamodb";
import { startNimbus, ACCESS_KEY, SECRET_KEY } from "./harness.mjs";

let server;
let ddb;
let doc;

const tableName = (p) => `${p}-${Math.random().toString(16).slice(2, 14)}`;

const newClient = () => new DynamoDBClient({
  endpoint: server.endpoint, region: "us-east-1", maxAttempts: 1,
  credentials: { accessKeyId: ACCESS_KEY, secretAccessKey: SECRET_KEY },
});

before(async () => {
  server = await startNimbus();
  ddb = newClient();
  doc = DynamoDBDocumentClient.from(ddb);
});
after(async () => { await server.stop(); });

// A table keyed (pk S, sk N) with an LSI on rank (N, ALL) and a GSI on color (S) + sk
// (KEYS_ONLY), created and waited for as an application would.
async function createTable() {
  const TableName = tableName("js");
  const created = await ddb.send(new CreateTableCommand({
    TableName, BillingMode: "PAY_PER_REQUEST",
    AttributeDefinitions: [
      { AttributeName: "pk", AttributeType: "S" }, { AttributeName: "sk", AttributeType: "N" },
      { AttributeName: "rank", AttributeType: "N" }, { AttributeName: "color", AttributeType: "S" },
    ],
    KeySchema: [{ AttributeName: "pk", KeyType: "HASH" },
      { AttributeName: "sk", KeyType: "RANGE" }],
    LocalSecondaryIndexes: [{
      IndexName: "byRank", Projection: { ProjectionType: "ALL" },
      KeySchema: [{ AttributeName: "pk", KeyType: "HASH" },
        { AttributeName: "rank", KeyType: "RANGE" }],
    }],
    GlobalSecondaryIndexes: [{
      IndexName: "byColor", Projection: { ProjectionType: "KEYS_ONLY" },
      KeySchema: [{ AttributeName: "color", KeyType: "HASH" },
        { AttributeName: "sk", KeyType: "RANGE" }],
    }],
  }));
  assert.equal(created.TableDescription.TableName, TableName);
  const waited = await waitUntilTableExists({ client: ddb, maxWaitTime: 60 }, { TableName });
  assert.equal(waited.state, "SUCCESS");
  return TableName;
}

test("CreateTable with a GSI and an LSI, waitUntilTableExists, DescribeTable "
  + "(API_CreateTable, API_DescribeTable)", async () => {
  const TableName = await createTable();
  const { Table } = await ddb.send(new DescribeTableCommand({ TableName }));
  assert.equal(Table.TableStatus, "ACTIVE");
  assert.equal(Table.BillingModeSummary.BillingMode, "PAY_PER_REQUEST");
  assert.ok(Table.CreationDateTime instanceof Date);
  assert.deepEqual(Table.LocalSecondaryIndexes.map((i) => i.IndexName), ["byRank"]);
  assert.deepEqual(Table.GlobalSecondaryIndexes.map((i) => [i.IndexName, i.IndexStatus]),
    [["byColor", "ACTIVE"]]);
  assert.equal(Table.GlobalSecondaryIndexes[0].IndexArn, `${Table.TableArn}/index/byColor`);
});

test("PutItem/GetItem/UpdateItem/DeleteItem with condition and update expressions and "
  + "ReturnValues (API_PutItem, API_UpdateItem, API_DeleteItem)", async () => {
  const TableName = await createTable();
  const Key = { pk: { S: "user#1" }, sk: { N: "1" } };
  const first = await ddb.send(new PutItemCommand({
    TableName, Item: { ...Key, name: { S: "Ada" }, visits: { N: "1" }, tags: { SS: ["a", "b"] } },
    ConditionExpression: "attribute_not_exists(pk)", ReturnValues: "ALL_OLD",
    ReturnItemCollectionMetrics: "SIZE" }));
  assert.equal(first.Attributes, undefined);
  // The table has an LSI, so the write reports its item collection (API_ItemCollectionMetrics).
  assert.deepEqual(first.ItemCollectionMetrics,
    { ItemCollectionKey: { pk: { S: "user#1" } }, SizeEstimateRangeGB: [0, 1] });

  // A second put under the same condition fails with the SDK's exception class, old item in it.
  await assert.rejects(ddb.send(new PutItemCommand({
    TableName, Item: { ...Key, name: { S: "Eve" } },
    ConditionExpression: "attribute_not_exists(pk)",
    ReturnValuesOnConditionCheckFailure: "ALL_OLD" })), (e) => {
    assert.ok(e instanceof ConditionalCheckFailedException);
    assert.equal(e.name, "ConditionalCheckFailedException");
    assert.equal(e.message, "The conditional request failed");
    assert.equal(e.$metadata.httpStatusCode, 400);
    assert.equal(e.Item.name.S, "Ada");
    return true;
  });

  const updated = await ddb.send(new UpdateItemCommand({
    TableName, Key, ReturnValues: "UPDATED_NEW",
    UpdateExpression: "SET #n = :n, lastSeen = if_not_exists(lastSeen, :t) ADD visits :one "
      + "DELETE tags :gone REMOVE absent",
    ConditionExpression: "visits < :limit AND contains(tags, :a)",
    ExpressionAttributeNames: { "#n": "name" },
    ExpressionAttributeValues: { ":n": { S: "Ada L." }, ":t": { N: "1700000000" },
      ":one": { N: "1" }, ":gone": { SS: ["a"] }, ":a": { S: "a" },
      ":limit": { N: "10" } } }));
  assert.deepEqual(updated.Attributes, { name: { S: "Ada L." }, lastSeen: { N: "1700000000" },
    visits: { N: "2" }, tags: { SS: ["b"] } });

  const old = await ddb.send(new UpdateItemCommand({
    TableName, Key, UpdateExpression: "SET visits = visits + :one",
    ExpressionAttributeValues: { ":one": { N: "1" } }, ReturnValues: "UPDATED_OLD" }));
  assert.deepEqual(old.Attributes, { visits: { N: "2" } });

  const got = await ddb.send(new GetItemCommand({
    TableName, Key, ConsistentRead: true, ProjectionExpression: "#n, visits",
    ExpressionAttributeNames: { "#n": "name" }, ReturnConsumedCapacity: "TOTAL" }));
  assert.deepEqual(got.Item, { name: { S: "Ada L." }, visits: { N: "3" } });
  assert.equal(got.ConsumedCapacity.TableName, TableName);
  assert.equal(got.ConsumedCapacity.CapacityUnits, 1);

  await assert.rejects(ddb.send(new DeleteItemCommand({
    TableName, Key, ConditionExpression: "visits = :v",
    ExpressionAttributeValues: { ":v": { N: "99" } } })), ConditionalCheckFailedException);
  const deleted = await ddb.send(new DeleteItemCommand({
    TableName, Key, ConditionExpression: "visits = :v",
    ExpressionAttributeValues: { ":v": { N: "3" } }, ReturnValues: "ALL_OLD" }));
  assert.equal(deleted.Attributes.name.S, "Ada L.");
  assert.deepEqual(deleted.Attributes.tags, { SS: ["b"] });
  const gone = await ddb.send(new GetItemCommand({ TableName, Key }));
  assert.equal(gone.Item, undefined);
});

test("Query and Scan paged with paginateQuery/paginateScan, on the table, the LSI and the GSI "
  + "(API_Query, API_Scan: LastEvaluatedKey, ExclusiveStartKey)", async () => {
  const TableName = await createTable();
  for (let i = 0; i < 7; i++) {
    await ddb.send(new PutItemCommand({ TableName, Item: {
      pk: { S: "p" }, sk: { N: String(i) }, rank: { N: String(100 - i) },
      color: { S: i % 2 ? "red" : "blue" }, body: { S: "x".repeat(10) } } }));
  }
  await ddb.send(new PutItemCommand({ TableName, Item: { pk: { S: "q" }, sk: { N: "0" } } }));

  const pages = [];
  for await (const page of paginateQuery({ client: ddb, pageSize: 3 }, {
    TableName, KeyConditionExpression: "pk = :p AND sk >= :from",
    ExpressionAttributeValues: { ":p": { S: "p" }, ":from": { N: "1" } } })) {
    pages.push(page.Items.map((it) => Number(it.sk.N)));
  }
  assert.deepEqual(pages.flat(), [1, 2, 3, 4, 5, 6]);
  assert.deepEqual(pages[0], [1, 2, 3]);
  assert.ok(pages.length >= 2);

  // The LSI orders by rank; ScanIndexForward=false reverses it.
  const byRank = [];
  for await (const page of paginateQuery({ client: ddb, pageSize: 2 }, {
    TableName, IndexName: "byRank", KeyConditionExpression: "pk = :p",
    ExpressionAttributeValues: { ":p": { S: "p" } }, ScanIndexForward: false })) {
    byRank.push(...page.Items.map((it) => Number(it.rank.N)));
    if (page.LastEvaluatedKey) assert.deepEqual(Object.keys(page.LastEvaluatedKey).sort(),
      ["pk", "rank", "sk"]);
  }
  assert.deepEqual(byRank, [100, 99, 98, 97, 96, 95, 94]);

  // The KEYS_ONLY GSI returns only key attributes.
  const red = [];
  for await (const page of paginateQuery({ client: ddb, pageSize: 1 }, {
    TableName, IndexName: "byColor", KeyConditionExpression: "color = :c",
    ExpressionAttributeValues: { ":c": { S: "red" } } })) {
    for (const it of page.Items) {
      assert.deepEqual(Object.keys(it).sort(), ["color", "pk", "sk"]);
      red.push(Number(it.sk.N));
    }
  }
  assert.deepEqual(red, [1, 3, 5]);

  let scanned = 0;
  let pagesSeen = 0;
  for await (const page of paginateScan({ client: ddb, pageSize: 3 }, {
    TableName, FilterExpression: "attribute_exists(body)" })) {
    scanned += page.Items.length;
    pagesSeen += 1;
    assert.ok(page.ScannedCount <= 3);
  }
  assert.equal(scanned, 7);
  assert.equal(pagesSeen, 3);

  // DescribeTable counts the table's items and each index's (the "q" item has neither index key).
  const { Table } = await ddb.send(new DescribeTableCommand({ TableName }));
  assert.equal(Table.ItemCount, 8);
  assert.equal(Table.LocalSecondaryIndexes[0].ItemCount, 7);
  assert.equal(Table.GlobalSecondaryIndexes[0].ItemCount, 7);
  assert.ok(Table.LocalSecondaryIndexes[0].IndexSizeBytes
    > Table.GlobalSecondaryIndexes[0].IndexSizeBytes);  // ALL holds more than KEYS_ONLY
});

test("BatchWriteItem then BatchGetItem (API_BatchWriteItem, API_BatchGetItem)", async () => {
  const TableName = await createTable();
  const puts = Array.from({ length: 25 }, (_, i) => ({ PutRequest: { Item: {
    pk: { S: "b" }, sk: { N: String(i) }, payload: { B: new Uint8Array([i, 255 - i]) } } } }));
  const written = await ddb.send(new BatchWriteItemCommand({
    RequestItems: { [TableName]: puts } }));
  assert.deepEqual(written.UnprocessedItems, {});

  await ddb.send(new BatchWriteItemCommand({ RequestItems: { [TableName]: [
    { DeleteRequest: { Key: { pk: { S: "b" }, sk: { N: "0" } } } }] } }));

  const keys = [0, 1, 24, 30].map((i) => ({ pk: { S: "b" }, sk: { N: String(i) } }));
  const got = await ddb.send(new BatchGetItemCommand({ RequestItems: {
    [TableName]: { Keys: keys, ProjectionExpression: "sk, payload" } } }));
  assert.deepEqual(got.UnprocessedKeys, {});
  const items = got.Responses[TableName].sort((a, b) => Number(a.sk.N) - Number(b.sk.N));
  assert.deepEqual(items.map((it) => it.sk.N), ["1", "24"]);
  assert.ok(items[0].payload.B instanceof Uint8Array);
  assert.deepEqual([...items[1].payload.B], [24, 231]);

  await assert.rejects(ddb.send(new BatchWriteItemCommand({ RequestItems: { [TableName]: [
    { PutRequest: { Item: { pk: { S: "dup" }, sk: { N: "1" } } } },
    { PutRequest: { Item: { pk: { S: "dup" }, sk: { N: "1" } } } }] } })), (e) => {
    assert.equal(e.name, "ValidationException");
    assert.equal(e.message, "Provided list of item keys contains duplicates");
    return true;
  });
});

test("TransactWriteItems commits all or nothing; a cancellation is the SDK's "
  + "TransactionCanceledException with CancellationReasons (API_TransactWriteItems)", async () => {
  const TableName = await createTable();
  await ddb.send(new TransactWriteItemsCommand({ TransactItems: [
    { Put: { TableName, Item: { pk: { S: "acct" }, sk: { N: "1" }, balance: { N: "100" } } } },
    { Put: { TableName, Item: { pk: { S: "acct" }, sk: { N: "2" }, balance: { N: "0" } } } },
  ] }));

  const transfer = (amount) => new TransactWriteItemsCommand({ TransactItems: [
    { Update: { TableName, Key: { pk: { S: "acct" }, sk: { N: "1" } },
      UpdateExpression: "SET balance = balance - :a", ConditionExpression: "balance >= :a",
      ExpressionAttributeValues: { ":a": { N: String(amount) } },
      ReturnValuesOnConditionCheckFailure: "ALL_OLD" } },
    { Update: { TableName, Key: { pk: { S: "acct" }, sk: { N: "2" } },
      UpdateExpression: "SET balance = balance + :a",
      ExpressionAttributeValues: { ":a": { N: String(amount) } } } },
  ] });
  await ddb.send(transfer(60));
  await assert.rejects(ddb.send(transfer(60)), (e) => {
    assert.ok(e instanceof TransactionCanceledException);
    assert.equal(e.message, "Transaction cancelled, please refer cancellation reasons for "
      + "specific reasons [ConditionalCheckFailed, None]");
    assert.equal(e.CancellationReasons.length, 2);
    assert.equal(e.CancellationReasons[0].Code, "ConditionalCheckFailed");
    assert.equal(e.CancellationReasons[0].Message, "The conditional request failed");
    assert.deepEqual(e.CancellationReasons[0].Item.balance, { N: "40" });
    assert.equal(e.CancellationReasons[1].Code, "None");
    return true;
  });
  const balances = await ddb.send(new BatchGetItemCommand({ RequestItems: { [TableName]: {
    Keys: [1, 2].map((i) => ({ pk: { S: "acct" }, sk: { N: String(i) } })) } } }));
  assert.deepEqual(balances.Responses[TableName].map((it) => it.balance.N).sort(), ["40", "60"]);
});

test("DocumentClient: native numbers, strings, sets, Uint8Array, nested maps and lists "
  + "(lib-dynamodb PutCommand, GetCommand, QueryCommand, UpdateCommand, BatchWriteCommand)",
async () => {
  const TableName = await createTable();
  const item = {
    pk: "doc", sk: 1, rank: 7, title: "Notes ✓", price: 12.5, big: 1234567890123,
    negative: -0.001, flag: true, nothing: null, letters: new Set(["x", "y"]),
    primes: new Set([2, 3, 5]), bytes: new Uint8Array([0, 1, 254, 255]),
    nested: { child: { deeper: [1, "two", { three: 3 }, [false]] }, empty: {} }, history: [],
  };
  await doc.send(new PutCommand({ TableName, Item: item,
    ConditionExpression: "attribute_not_exists(pk)" }));
  const { Item } = await doc.send(new GetCommand({ TableName, Key: { pk: "doc", sk: 1 } }));
  assert.deepEqual(Item, item);

  const up = await doc.send(new UpdateCommand({
    TableName, Key: { pk: "doc", sk: 1 }, ReturnValues: "ALL_NEW",
    UpdateExpression: "SET price = price * :dummy, nested.child.deeper[1] = :s, "
      + "history = list_append(history, :more) ADD primes :seven",
    ExpressionAttributeValues: { ":dummy": 1, ":s": "2", ":more": [{ a: 1 }],
      ":seven": new Set([7]) } })).catch((e) => e);
  // SET a = b * c is not an operator DynamoDB has: the expression is rejected.
  assert.equal(up.name, "ValidationException");
  assert.match(up.message, /^Invalid UpdateExpression: Syntax error; token: "\*"/);

  const updated = await doc.send(new UpdateCommand({
    TableName, Key: { pk: "doc", sk: 1 }, ReturnValues: "ALL_NEW",
    UpdateExpression: "SET price = price + :d, nested.child.deeper[1] = :s, "
      + "history = list_append(history, :more) ADD primes :seven REMOVE nothing",
    ExpressionAttributeValues: { ":d": 0.25, ":s": "2", ":more": [{ a: 1 }],
      ":seven": new Set([7]) } }));
  assert.equal(updated.Attributes.price, 12.75);
  assert.deepEqual(updated.Attributes.nested.child.deeper, [1, "2", { three: 3 }, [false]]);
  assert.deepEqual(updated.Attributes.history, [{ a: 1 }]);
  assert.deepEqual(updated.Attributes.primes, new Set([2, 3, 5, 7]));
  assert.equal("nothing" in updated.Attributes, false);

  await doc.send(new BatchWriteCommand({ RequestItems: { [TableName]: [2, 3, 4].map((sk) => ({
    PutRequest: { Item: { pk: "doc", sk, rank: 10 - sk, tags: new Set([`t${sk}`]) } } })) } }));
  const q = await doc.send(new QueryCommand({
    TableName, IndexName: "byRank", KeyConditionExpression: "pk = :p AND #r BETWEEN :lo AND :hi",
    ExpressionAttributeNames: { "#r": "rank" },
    ExpressionAttributeValues: { ":p": "doc", ":lo": 6, ":hi": 8 } }));
  assert.deepEqual(q.Items.map((it) => [it.rank, it.sk]), [[6, 4], [7, 1], [7, 3], [8, 2]]);
  assert.deepEqual(q.Items[2].tags, new Set(["t3"]));
  assert.equal(q.Count, 4);
});

test("DocumentClient with wrapNumbers keeps 38-digit numbers exact; TransactWriteCommand, "
  + "TransactGetCommand, DeleteCommand (API_AttributeValue N, API_TransactGetItems)", async () => {
  const TableName = await createTable();
  // Its own base client: DocumentClients made from one client share their translation options.
  const exact = DynamoDBDocumentClient.from(newClient(), {
    marshallOptions: { removeUndefinedValues: true }, unmarshallOptions: { wrapNumbers: true } });
  const big = "12345678901234567890123456789012345678";
  const tiny = "-0.0000000000000000000000000000000000000000000000000000000000000000000000000000"
    + "000000000000000000000000000000000000000000000000001";
  await exact.send(new TransactWriteCommand({ TransactItems: [
    { Put: { TableName, Item: { pk: "n", sk: 1, big: NumberValue.from(big),
      tiny: NumberValue.from(tiny), skipped: undefined } } },
    { Update: { TableName, Key: { pk: "n", sk: 2 }, UpdateExpression: "ADD amount :x",
      ExpressionAttributeValues: { ":x": NumberValue.from("0.1") } } },
  ] }));
  await exact.send(new UpdateCommand({ TableName, Key: { pk: "n", sk: 2 },
    UpdateExpression: "ADD amount :x",
    ExpressionAttributeValues: { ":x": NumberValue.from("0.2") } }));
  const got = await exact.send(new TransactGetCommand({ TransactItems: [
    { Get: { TableName, Key: { pk: "n", sk: 1 } } },
    { Get: { TableName, Key: { pk: "n", sk: 2 }, ProjectionExpression: "amount" } },
    { Get: { TableName, Key: { pk: "n", sk: 3 } } },
  ] }));
  assert.equal(got.Responses[0].Item.big.toString(), big);
  assert.equal(got.Responses[0].Item.tiny.toString(), tiny);
  assert.equal("skipped" in got.Responses[0].Item, false);
  assert.equal(got.Responses[1].Item.amount.toString(), "0.3");  // decimal, not 0.30000000000000004
  assert.equal(got.Responses[2].Item, undefined);
  const deleted = await doc.send(new DeleteCommand({ TableName, Key: { pk: "n", sk: 1 },
    ReturnValues: "ALL_OLD" }));
  assert.equal(deleted.Attributes.sk, 1);
  assert.equal((await doc.send(new GetCommand({ TableName, Key: { pk: "n", sk: 1 } }))).Item,
    undefined);
});

test("errors are the SDK's exception classes with AWS's messages "
  + "(CommonErrors, API_GetItem, API_PutItem)", async () => {
  await assert.rejects(ddb.send(new GetItemCommand({
    TableName: "no-such-table", Key: { pk: { S: "a" } } })), (e) => {
    assert.ok(e instanceof ResourceNotFoundException);
    assert.equal(e.message, "Requested resource not found");
    assert.equal(e.$metadata.httpStatusCode, 400);
    return true;
  });
  const TableName = await createTable();
  const validation = async (command, message) => {
    await assert.rejects(ddb.send(command), (e) => {
      assert.ok(e instanceof DynamoDBServiceException);
      assert.equal(e.name, "ValidationException");
      assert.equal(e.$fault, "client");
      assert.equal(e.$metadata.httpStatusCode, 400);
      assert.equal(e.message, message);
      return true;
    });
  };
  await validation(new GetItemCommand({ TableName, Key: { pk: { S: "a" } } }),
    "The provided key element does not match the schema");
  await validation(new PutItemCommand({ TableName, Item: { pk: { S: "a" }, sk: { S: "1" } } }),
    "One or more parameter values were invalid: Type mismatch for key sk expected: N actual: S");
  await validation(new PutItemCommand({ TableName,
    Item: { pk: { S: "a" }, sk: { N: "1" }, color: { N: "3" } } }),
  "One or more parameter values were invalid: Type mismatch for Index Key color Expected: S "
    + "Actual: N IndexName: byColor");
  await validation(new UpdateItemCommand({ TableName, Key: { pk: { S: "a" }, sk: { N: "1" } },
    UpdateExpression: "SET a = :v" }),
  "Invalid UpdateExpression: An expression attribute value used in expression is not defined; "
    + "attribute value: :v");
  // Nothing was written by the failed calls.
  const got = await ddb.send(new GetItemCommand({ TableName,
    Key: { pk: { S: "a" }, sk: { N: "1" } } }));
  assert.equal(got.Item, undefined);
});
