"""boto3 against nimbus DynamoDB: DescribeTable's ItemCount and IndexSizeBytes of every global
and local secondary index, kept exact through every write path (Time to Live expiry included),
the backfill of a GSI added by UpdateTable, and an upgrade from a database that predates the
per-index counters; and the ItemCollectionMetrics that writes to a table with a local secondary
index return.

References: DynamoDB API reference, DescribeTable ("GlobalSecondaryIndexDescription",
"LocalSecondaryIndexDescription": IndexSizeBytes, ItemCount), the developer guide's "Item sizes
and formats" (the size of an item is the sum of its attribute names' and values' lengths) and
"Projections" of "Improving data access with secondary indexes" (an index item holds the table's
key attributes, the index's key attributes and the projected attributes; an item lacking an
index key attribute is not in that index).
"""
import os
import sqlite3
import time
import unittest

import boto3

from harness import ACCESS_KEY, Nimbus, SECRET_KEY, unique

# name -> (hash, range or None, projection type, non-key attributes)
INDEXES = {
    "byRank": ("pk", "rank", "ALL", []),           # LSI
    "byColor": ("color", None, "KEYS_ONLY", []),    # GSI
    "colorRank": ("color", "rank", "INCLUDE", ["note"]),  # GSI
}
TABLE_KEYS = ("pk", "sk")


def value_size(value):
    (kind, v), = value.items()
    if kind == "S":
        return len(v.encode("utf-8"))
    if kind == "B":
        return len(v)
    if kind == "N":  # the tests use integers without trailing zeros
        digits = len(v.lstrip("-"))
        return (digits + 1) // 2 + 1
    raise AssertionError("size of %s is not modelled here" % kind)


def item_size(item):
    return sum(len(name.encode("utf-8")) + value_size(v) for name, v in item.items())


def expected_stats(items, name, definition=None):
    """(ItemCount, IndexSizeBytes) of index `name` over the modelled items."""
    hash_key, range_key, projection, non_key = definition or INDEXES[name]
    count = size = 0
    for item in items.values():
        if hash_key not in item or (range_key and range_key not in item):
            continue
        if projection == "ALL":
            projected = item
        else:
            keep = set(TABLE_KEYS) | {hash_key, range_key} | set(non_key)
            projected = {k: v for k, v in item.items() if k in keep}
        count += 1
        size += item_size(projected)
    return count, size


class DynamoDbIndexStatsTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Nimbus()
        cls.client = cls.connect()

    @classmethod
    def connect(cls):
        return boto3.client("dynamodb", endpoint_url=cls.server.endpoint,
                            region_name="us-east-1", aws_access_key_id=ACCESS_KEY,
                            aws_secret_access_key=SECRET_KEY)

    @classmethod
    def tearDownClass(cls):
        cls.server.close()

    def create(self, client=None):
        name = unique("stats")
        (client or self.client).create_table(
            TableName=name, BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": a, "AttributeType": t} for a, t in
                                  [("pk", "S"), ("sk", "N"), ("rank", "N"), ("color", "S")]],
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                       {"AttributeName": "sk", "KeyType": "RANGE"}],
            LocalSecondaryIndexes=[{
                "IndexName": "byRank", "Projection": {"ProjectionType": "ALL"},
                "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                              {"AttributeName": "rank", "KeyType": "RANGE"}]}],
            GlobalSecondaryIndexes=[
                {"IndexName": "byColor", "Projection": {"ProjectionType": "KEYS_ONLY"},
                 "KeySchema": [{"AttributeName": "color", "KeyType": "HASH"}]},
                {"IndexName": "colorRank",
                 "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["note"]},
                 "KeySchema": [{"AttributeName": "color", "KeyType": "HASH"},
                               {"AttributeName": "rank", "KeyType": "RANGE"}]}])
        return name

    def index_stats(self, table, client=None):
        desc = (client or self.client).describe_table(TableName=table)["Table"]
        out = {}
        for kind in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
            for i in desc.get(kind, []):
                out[i["IndexName"]] = (i["ItemCount"], i["IndexSizeBytes"])
        return out

    def assertStats(self, table, items, client=None, indexes=None):
        indexes = indexes or INDEXES
        expected = {n: expected_stats(items, n, d) for n, d in indexes.items()}
        self.assertEqual(self.index_stats(table, client), expected)

    @staticmethod
    def key(pk, sk):
        return {"pk": {"S": pk}, "sk": {"N": str(sk)}}

    def test_new_table_reports_empty_indexes(self):
        t = self.create()
        self.assertEqual(self.index_stats(t), {"byRank": (0, 0), "byColor": (0, 0),
                                               "colorRank": (0, 0)})

    def test_every_write_path_keeps_index_counts_and_sizes(self):
        t = self.create()
        items = {}

        def put(item):
            self.client.put_item(TableName=t, Item=item)
            items[(item["pk"]["S"], item["sk"]["N"])] = item

        # PutItem: in every index; only in the LSI (no color); in no index but the table.
        put({**self.key("a", 1), "rank": {"N": "5"}, "color": {"S": "red"},
             "note": {"S": "first ✓"}, "extra": {"B": b"\x00\x01\x02"}})
        put({**self.key("a", 2), "rank": {"N": "123"}, "extra": {"S": "no color"}})
        put({**self.key("b", 1), "note": {"S": "unindexed"}})
        self.assertStats(t, items)
        self.assertEqual(self.index_stats(t)["byColor"][0], 1)

        # PutItem replacing an item: the old index rows leave, the new ones come.
        put({**self.key("a", 2), "rank": {"N": "124"}, "color": {"S": "blue"}})
        self.assertStats(t, items)

        # UpdateItem: a projected attribute grows (INCLUDE and ALL change, KEYS_ONLY not),
        # an index key is removed (the item leaves two indexes), another is added.
        self.client.update_item(TableName=t, Key=self.key("a", 1),
                                UpdateExpression="SET note = :n",
                                ExpressionAttributeValues={":n": {"S": "a much longer note"}})
        items[("a", "1")]["note"] = {"S": "a much longer note"}
        self.assertStats(t, items)
        self.client.update_item(TableName=t, Key=self.key("a", 2), UpdateExpression="REMOVE #r",
                                ExpressionAttributeNames={"#r": "rank"})
        del items[("a", "2")]["rank"]
        self.client.update_item(TableName=t, Key=self.key("b", 1),
                                UpdateExpression="SET color = :c",
                                ExpressionAttributeValues={":c": {"S": "green"}})
        items[("b", "1")]["color"] = {"S": "green"}
        self.assertStats(t, items)

        # A failed conditional write changes nothing.
        with self.assertRaises(self.client.exceptions.ConditionalCheckFailedException):
            self.client.put_item(TableName=t, Item={**self.key("a", 1), "color": {"S": "x"}},
                                 ConditionExpression="attribute_not_exists(pk)")
        self.assertStats(t, items)

        # DeleteItem.
        self.client.delete_item(TableName=t, Key=self.key("a", 1))
        del items[("a", "1")]
        self.assertStats(t, items)

        # BatchWriteItem: puts and a delete.
        batch = [{**self.key("c", n), "rank": {"N": str(n)}, "color": {"S": "c%d" % (n % 3)},
                  "note": {"S": "n" * n}} for n in range(1, 11)]
        self.client.batch_write_item(RequestItems={t: [{"PutRequest": {"Item": i}} for i in batch]
                                     + [{"DeleteRequest": {"Key": self.key("b", 1)}}]})
        for i in batch:
            items[(i["pk"]["S"], i["sk"]["N"])] = i
        del items[("b", "1")]
        self.assertStats(t, items)

        # TransactWriteItems: put, update, delete together.
        self.client.transact_write_items(TransactItems=[
            {"Put": {"TableName": t, "Item": {**self.key("d", 1), "color": {"S": "red"}}}},
            {"Update": {"TableName": t, "Key": self.key("c", 1), "UpdateExpression": "SET #r = :r",
                        "ExpressionAttributeNames": {"#r": "rank"},
                        "ExpressionAttributeValues": {":r": {"N": "99999"}}}},
            {"Delete": {"TableName": t, "Key": self.key("c", 2)}}])
        items[("d", "1")] = {**self.key("d", 1), "color": {"S": "red"}}
        items[("c", "1")]["rank"] = {"N": "99999"}
        del items[("c", "2")]
        self.assertStats(t, items)

        # Emptying the table empties the indexes.
        for pk, sk in list(items):
            self.client.delete_item(TableName=t, Key=self.key(pk, sk))
        self.assertEqual(self.index_stats(t), {n: (0, 0) for n in INDEXES})

    def test_items_expired_by_time_to_live_leave_their_indexes(self):
        t = self.create()
        self.client.update_time_to_live(
            TableName=t, TimeToLiveSpecification={"Enabled": True, "AttributeName": "exp"})
        items = {}
        for n, exp in ((1, time.time() - 100), (2, time.time() + 3600)):
            item = {**self.key("t", n), "rank": {"N": str(n)}, "color": {"S": "c"},
                    "exp": {"N": str(int(exp))}}
            self.client.put_item(TableName=t, Item=item)
            items[("t", str(n))] = item
        self.assertEqual(self.index_stats(t)["byColor"][0], 2)
        del items[("t", "1")]
        deadline = time.time() + 10
        while time.time() < deadline and self.index_stats(t)["byColor"][0] != 1:
            time.sleep(0.25)
        self.assertStats(t, items)

    def test_gsi_added_by_update_table_is_counted_by_its_backfill(self):
        t = self.create()
        items = {}
        for n in range(1, 7):
            item = {**self.key("p", n), "owner": {"S": "o%d" % (n % 2)}, "body": {"S": "b" * n}}
            if n == 6:
                del item["owner"]
            self.client.put_item(TableName=t, Item=item)
            items[("p", str(n))] = item
        self.client.update_table(
            TableName=t, AttributeDefinitions=[{"AttributeName": "owner", "AttributeType": "S"}],
            GlobalSecondaryIndexUpdates=[{"Create": {
                "IndexName": "byOwner", "Projection": {"ProjectionType": "KEYS_ONLY"},
                "KeySchema": [{"AttributeName": "owner", "KeyType": "HASH"}]}}])
        with_owner = dict(INDEXES, byOwner=("owner", None, "KEYS_ONLY", []))
        self.assertStats(t, items, indexes=with_owner)
        self.assertEqual(self.index_stats(t)["byOwner"][0], 5)
        # Later writes keep it up to date; deleting it drops it.
        self.client.put_item(TableName=t, Item={**self.key("p", 9), "owner": {"S": "o9"}})
        items[("p", "9")] = {**self.key("p", 9), "owner": {"S": "o9"}}
        self.assertStats(t, items, indexes=with_owner)
        self.client.update_table(TableName=t,
                                 GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": "byOwner"}}])
        self.assertStats(t, items)

    def test_writes_return_item_collection_metrics_for_tables_with_an_lsi(self):
        # API_PutItem etc., "ItemCollectionMetrics": returned when ReturnItemCollectionMetrics is
        # SIZE and the table has a local secondary index; the key is the partition key.
        t = self.create()
        want = {"ItemCollectionKey": {"pk": {"S": "m"}}, "SizeEstimateRangeGB": [0.0, 1.0]}
        r = self.client.put_item(TableName=t, Item={**self.key("m", 1), "rank": {"N": "1"}},
                                 ReturnItemCollectionMetrics="SIZE")
        self.assertEqual(r["ItemCollectionMetrics"], want)
        r = self.client.update_item(TableName=t, Key=self.key("m", 1),
                                    UpdateExpression="SET a = :a",
                                    ExpressionAttributeValues={":a": {"S": "x"}},
                                    ReturnItemCollectionMetrics="SIZE")
        self.assertEqual(r["ItemCollectionMetrics"], want)
        r = self.client.delete_item(TableName=t, Key=self.key("m", 1),
                                    ReturnItemCollectionMetrics="SIZE")
        self.assertEqual(r["ItemCollectionMetrics"], want)
        r = self.client.put_item(TableName=t, Item=self.key("m", 2))
        self.assertNotIn("ItemCollectionMetrics", r)
        r = self.client.batch_write_item(RequestItems={t: [
            {"PutRequest": {"Item": self.key("m", 3)}},
            {"DeleteRequest": {"Key": self.key("n", 1)}}]}, ReturnItemCollectionMetrics="SIZE")
        self.assertEqual(sorted(m["ItemCollectionKey"]["pk"]["S"]
                                for m in r["ItemCollectionMetrics"][t]), ["m", "n"])
        r = self.client.transact_write_items(TransactItems=[
            {"Put": {"TableName": t, "Item": self.key("o", 1)}},
            {"ConditionCheck": {"TableName": t, "Key": self.key("m", 3),
                                "ConditionExpression": "attribute_exists(pk)"}}],
            ReturnItemCollectionMetrics="SIZE")
        self.assertEqual(r["ItemCollectionMetrics"][t],
                         [{"ItemCollectionKey": {"pk": {"S": "o"}},
                           "SizeEstimateRangeGB": [0.0, 1.0]}])
        # A table without a local secondary index has no item collections to report.
        plain = unique("plain")
        self.client.create_table(TableName=plain, BillingMode="PAY_PER_REQUEST",
                                 KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                                 AttributeDefinitions=[{"AttributeName": "pk",
                                                        "AttributeType": "S"}])
        r = self.client.put_item(TableName=plain, Item={"pk": {"S": "a"}},
                                 ReturnItemCollectionMetrics="SIZE")
        self.assertNotIn("ItemCollectionMetrics", r)
        with self.assertRaises(self.client.exceptions.ClientError) as cm:
            self.client.put_item(TableName=t, Item=self.key("m", 9),
                                 ReturnItemCollectionMetrics="COUNT")
        self.assertEqual(cm.exception.response["Error"]["Message"],
                         "1 validation error detected: Value 'COUNT' at "
                         "'returnItemCollectionMetrics' failed to satisfy constraint: Member must "
                         "satisfy enum value set: [SIZE, NONE]")
        self.assertNotIn("Item", self.client.get_item(TableName=t, Key=self.key("m", 9)))

    def test_counts_survive_a_restart_and_an_upgrade_from_a_database_without_them(self):
        with Nimbus() as server:
            client = boto3.client("dynamodb", endpoint_url=server.endpoint,
                                  region_name="us-east-1", aws_access_key_id=ACCESS_KEY,
                                  aws_secret_access_key=SECRET_KEY)
            t = self.create(client)
            items = {}
            for n in range(1, 5):
                item = {**self.key("u", n), "rank": {"N": str(n)}, "color": {"S": "c"},
                        "note": {"S": "x" * n}}
                client.put_item(TableName=t, Item=item)
                items[("u", str(n))] = item
            self.assertStats(t, items, client)
            server.restart()
            self.assertStats(t, items, client)
            # Make the database look like one written before the per-index counters existed.
            server.stop()
            db = sqlite3.connect(os.path.join(server.data_dir, "nimbus.db"))
            db.execute("DROP TABLE ddb_index_stats")
            db.execute("UPDATE nimbus_schema SET version = 1 WHERE component = 'dynamodb'")
            db.commit()
            db.close()
            server.start()
            self.assertStats(t, items, client)


if __name__ == "__main__":
    unittest.main()
