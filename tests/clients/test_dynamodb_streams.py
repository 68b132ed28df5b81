"""boto3 against nimbus DynamoDB Streams: records of every write operation in commit order, the
four view types, the four shard-iterator types, paging, Time to Live deletions as service
records, disabling and re-enabling a stream, deleting its table, restart survival, and errors.

References: DynamoDB Streams API reference (ListStreams, DescribeStream, GetShardIterator,
GetRecords, Record, StreamRecord, Identity), and the developer guide's "Change data capture for
DynamoDB Streams" ("no stream record when an item is not modified", "24 hours", "disabling a
stream") and "Working with TTL" ("userIdentity" of TTL deletions).
"""
import threading
import time
import unittest
from datetime import datetime

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from harness import (ACCESS_KEY, ACCOUNT_ID, dynamodb_keys, Nimbus, SECOND_ACCESS_KEY,
                     SECOND_SECRET_KEY, SECRET_KEY, unique)


class DynamoDbStreamsTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Nimbus()
        cls.ddb = cls.make("dynamodb")
        cls.streams = cls.make("dynamodbstreams")
        # Without client-side validation, so bad input reaches the server.
        cls.raw = cls.make("dynamodbstreams", config=Config(parameter_validation=False))

    @classmethod
    def make(cls, service, key=ACCESS_KEY, secret=SECRET_KEY, region="us-east-1", config=None):
        return boto3.client(service, endpoint_url=cls.server.endpoint, region_name=region,
                            aws_access_key_id=key, aws_secret_access_key=secret, config=config)

    @classmethod
    def tearDownClass(cls):
        cls.server.close()

    # -- helpers ---------------------------------------------------------------------------
    def create(self, view="NEW_AND_OLD_IMAGES", range_key=False):
        name = unique("str")
        keys, defs = dynamodb_keys("N" if range_key else None)
        r = self.ddb.create_table(TableName=name, KeySchema=keys, AttributeDefinitions=defs,
                                  BillingMode="PAY_PER_REQUEST",
                                  StreamSpecification={"StreamEnabled": True,
                                                       "StreamViewType": view})
        return name, r["TableDescription"]["LatestStreamArn"]

    def shard(self, arn):
        shards = self.streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
        self.assertEqual(len(shards), 1)
        return shards[0]["ShardId"]

    def iterator(self, arn, kind="TRIM_HORIZON", seq=None):
        kwargs = {"SequenceNumber": seq} if seq else {}
        return self.streams.get_shard_iterator(StreamArn=arn, ShardId=self.shard(arn),
                                               ShardIteratorType=kind, **kwargs)["ShardIterator"]

    def records(self, arn, kind="TRIM_HORIZON", seq=None):
        r = self.streams.get_records(ShardIterator=self.iterator(arn, kind, seq))
        return r["Records"]

    def events(self, records):
        return [(r["eventName"], r["dynamodb"]["Keys"]["pk"]["S"]) for r in records]

    def error(self, fn, **kwargs):
        with self.assertRaises(ClientError) as cm:
            fn(**kwargs)
        return cm.exception.response["Error"]

    def put(self, table, pk, **attrs):
        item = {"pk": {"S": pk}}
        item.update(attrs)
        self.ddb.put_item(TableName=table, Item=item)

    # -- records ---------------------------------------------------------------------------
    def test_partiql_writes_are_recorded(self):
        # PartiQL statements are item writes like any other: each one that changes an item is
        # a stream record, a failed one (a duplicate INSERT) none.
        table, arn = self.create()
        self.ddb.execute_statement(Statement='INSERT INTO "%s" VALUE {\'pk\': \'p\'}' % table)
        with self.assertRaises(ClientError):
            self.ddb.execute_statement(
                Statement='INSERT INTO "%s" VALUE {\'pk\': \'p\'}' % table)
        self.ddb.execute_statement(Statement='UPDATE "%s" SET v = 2 WHERE pk = ?' % table,
                                   Parameters=[{"S": "p"}])
        self.ddb.execute_transaction(TransactStatements=[
            {"Statement": 'DELETE FROM "%s" WHERE pk = \'p\'' % table},
            {"Statement": 'INSERT INTO "%s" VALUE {\'pk\': \'q\'}' % table}])
        records = self.records(arn)
        self.assertEqual(self.events(records),
                         [("INSERT", "p"), ("MODIFY", "p"), ("REMOVE", "p"), ("INSERT", "q")])
        self.assertEqual(records[1]["dynamodb"]["NewImage"]["v"], {"N": "2"})

    def test_every_write_operation_in_commit_order(self):
        table, arn = self.create()
        self.put(table, "a", v={"N": "1"})
        self.ddb.update_item(TableName=table, Key={"pk": {"S": "a"}},
                             UpdateExpression="SET v = v + :one",
                             ExpressionAttributeValues={":one": {"N": "1"}})
        self.ddb.update_item(TableName=table, Key={"pk": {"S": "b"}},  # upsert: an INSERT
                             UpdateExpression="SET v = :one",
                             ExpressionAttributeValues={":one": {"N": "1"}})
        self.ddb.delete_item(TableName=table, Key={"pk": {"S": "a"}})
        self.ddb.batch_write_item(RequestItems={table: [
            {"PutRequest": {"Item": {"pk": {"S": "c"}}}},
            {"DeleteRequest": {"Key": {"pk": {"S": "b"}}}},
        ]})
        self.ddb.transact_write_items(TransactItems=[
            {"Put": {"TableName": table, "Item": {"pk": {"S": "d"}}}},
            {"Update": {"TableName": table, "Key": {"pk": {"S": "c"}},
                        "UpdateExpression": "SET w = :x",
                        "ExpressionAttributeValues": {":x": {"S": "x"}}}},
        ])
        records = self.records(arn)
        self.assertEqual(self.events(records), [
            ("INSERT", "a"), ("MODIFY", "a"), ("INSERT", "b"), ("REMOVE", "a"),
            ("INSERT", "c"), ("REMOVE", "b"), ("INSERT", "d"), ("MODIFY", "c")])
        seqs = [r["dynamodb"]["SequenceNumber"] for r in records]
        for s in seqs:
            self.assertRegex(s, r"^[0-9]{21,40}$")
        self.assertEqual([int(s) for s in seqs], sorted(int(s) for s in seqs))
        self.assertEqual(len(set(seqs)), len(seqs))
        self.assertEqual(len({r["eventID"] for r in records}), len(records))
        first = records[0]
        self.assertEqual(first["eventSource"], "aws:dynamodb")
        self.assertEqual(first["awsRegion"], "us-east-1")
        self.assertEqual(first["eventVersion"], "1.1")
        self.assertNotIn("userIdentity", first)
        self.assertIsInstance(first["dynamodb"]["ApproximateCreationDateTime"], datetime)
        self.assertGreater(first["dynamodb"]["SizeBytes"], 0)
        self.assertEqual(first["dynamodb"]["StreamViewType"], "NEW_AND_OLD_IMAGES")
        modify = records[1]["dynamodb"]
        self.assertEqual(modify["OldImage"], {"pk": {"S": "a"}, "v": {"N": "1"}})
        self.assertEqual(modify["NewImage"], {"pk": {"S": "a"}, "v": {"N": "2"}})

    def test_concurrent_writers_are_recorded_in_commit_order(self):
        # "Change data capture for DynamoDB Streams": records of one item appear in the order
        # of its modifications. Counters bumped from several threads at once must give records
        # whose images count 1, 2, 3, ... with each OldImage the previous NewImage.
        table, arn = self.create()
        writers, each = 4, 25

        def bump():
            client = self.make("dynamodb")
            for _ in range(each):
                client.update_item(TableName=table, Key={"pk": {"S": "n"}},
                                   UpdateExpression="ADD n :one",
                                   ExpressionAttributeValues={":one": {"N": "1"}})
        threads = [threading.Thread(target=bump) for _ in range(writers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        records = self.streams.get_records(ShardIterator=self.iterator(arn))["Records"]
        new = [int(r["dynamodb"]["NewImage"]["n"]["N"]) for r in records]
        old = [int(r["dynamodb"].get("OldImage", {"n": {"N": "0"}})["n"]["N"]) for r in records]
        self.assertEqual(new, list(range(1, writers * each + 1)))
        self.assertEqual(old, [n - 1 for n in new])

    def test_view_types_keep_what_they_name(self):
        expected = {"KEYS_ONLY": (False, False), "NEW_IMAGE": (True, False),
                    "OLD_IMAGE": (False, True), "NEW_AND_OLD_IMAGES": (True, True)}
        for view, (new, old) in expected.items():
            with self.subTest(view=view):
                table, arn = self.create(view, range_key=True)
                key = {"pk": {"S": "k"}, "sk": {"N": "7"}}
                self.ddb.put_item(TableName=table, Item=dict(key, v={"S": "one"}))
                self.ddb.put_item(TableName=table, Item=dict(key, v={"S": "two"}))
                self.ddb.delete_item(TableName=table, Key=key)
                insert, modify, remove = [r["dynamodb"] for r in self.records(arn)]
                for d in (insert, modify, remove):
                    self.assertEqual(d["Keys"], key)
                    self.assertEqual(d["StreamViewType"], view)
                self.assertEqual("NewImage" in insert, new)
                self.assertNotIn("OldImage", insert)
                self.assertEqual("NewImage" in modify, new)
                self.assertEqual("OldImage" in modify, old)
                self.assertNotIn("NewImage", remove)
                self.assertEqual("OldImage" in remove, old)
                if new:
                    self.assertEqual(modify["NewImage"]["v"], {"S": "two"})
                if old:
                    self.assertEqual(modify["OldImage"]["v"], {"S": "one"})
                    self.assertEqual(remove["OldImage"]["v"], {"S": "two"})
                # Images add to the record's size.
                self.assertEqual(modify["SizeBytes"] > insert["SizeBytes"] - 1, True)
                if view == "KEYS_ONLY":
                    self.assertEqual(insert["SizeBytes"], modify["SizeBytes"])

    def test_no_record_for_a_write_that_changes_nothing(self):
        table, arn = self.create()
        self.put(table, "a", s={"SS": ["x", "y"]})
        self.put(table, "a", s={"SS": ["y", "x"]})  # the same item
        self.ddb.delete_item(TableName=table, Key={"pk": {"S": "missing"}})
        with self.assertRaises(ClientError):
            self.ddb.put_item(TableName=table, Item={"pk": {"S": "a"}},
                              ConditionExpression="attribute_not_exists(pk)")
        with self.assertRaises(ClientError):
            self.ddb.transact_write_items(TransactItems=[
                {"Put": {"TableName": table, "Item": {"pk": {"S": "t"}}}},
                {"ConditionCheck": {"TableName": table, "Key": {"pk": {"S": "a"}},
                                    "ConditionExpression": "attribute_not_exists(pk)"}}])
        self.assertEqual(self.events(self.records(arn)), [("INSERT", "a")])

    def test_writes_to_a_table_without_stream_are_not_recorded_elsewhere(self):
        table, arn = self.create()
        plain = unique("plain")
        self.ddb.create_table(TableName=plain,
                              KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                              AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                              BillingMode="PAY_PER_REQUEST")
        self.put(plain, "p")
        self.put(table, "t")
        self.assertEqual(self.events(self.records(arn)), [("INSERT", "t")])
        self.assertEqual(self.streams.list_streams(TableName=plain)["Streams"], [])

    # -- iterators and paging --------------------------------------------------------------
    def test_iterator_types(self):
        table, arn = self.create()
        for pk in "abc":
            self.put(table, pk)
        seqs = [r["dynamodb"]["SequenceNumber"] for r in self.records(arn)]
        latest = self.iterator(arn, "LATEST")
        self.assertEqual(self.events(self.records(arn, "AT_SEQUENCE_NUMBER", seqs[1])),
                         [("INSERT", "b"), ("INSERT", "c")])
        self.assertEqual(self.events(self.records(arn, "AFTER_SEQUENCE_NUMBER", seqs[1])),
                         [("INSERT", "c")])
        self.assertEqual(self.records(arn, "AFTER_SEQUENCE_NUMBER", seqs[2]), [])
        r = self.streams.get_records(ShardIterator=latest)
        self.assertEqual(r["Records"], [])
        self.put(table, "d")
        r = self.streams.get_records(ShardIterator=r["NextShardIterator"])
        self.assertEqual(self.events(r["Records"]), [("INSERT", "d")])
        # An iterator can be used again: it names a position, not a cursor.
        self.assertEqual(self.events(self.streams.get_records(ShardIterator=latest)["Records"]),
                         [("INSERT", "d")])

    def test_paging_with_limit_and_empty_pages(self):
        table, arn = self.create("KEYS_ONLY")
        for pk in "abcde":
            self.put(table, pk)
        it, pages = self.iterator(arn), []
        for _ in range(4):
            r = self.streams.get_records(ShardIterator=it, Limit=2)
            pages.append([k for _, k in self.events(r["Records"])])
            it = r["NextShardIterator"]  # the shard is open: always a next iterator
        self.assertEqual(pages, [["a", "b"], ["c", "d"], ["e"], []])
        self.put(table, "f")
        self.assertEqual(self.events(self.streams.get_records(ShardIterator=it)["Records"]),
                         [("INSERT", "f")])

    # -- Time to Live ----------------------------------------------------------------------
    def test_ttl_deletions_are_service_records(self):
        table, arn = self.create("NEW_AND_OLD_IMAGES")
        self.ddb.update_time_to_live(TableName=table, TimeToLiveSpecification={
            "Enabled": True, "AttributeName": "expires"})
        self.put(table, "gone", expires={"N": str(int(time.time()) - 60)})
        self.put(table, "kept", expires={"N": str(int(time.time()) + 3600)})
        self.put(table, "mine")
        self.ddb.delete_item(TableName=table, Key={"pk": {"S": "mine"}})
        deadline = time.time() + 10
        while time.time() < deadline:
            records = self.records(arn)
            if len(records) == 5:
                break
            time.sleep(0.2)
        self.assertEqual(self.events(records), [("INSERT", "gone"), ("INSERT", "kept"),
                                                ("INSERT", "mine"), ("REMOVE", "mine"),
                                                ("REMOVE", "gone")])
        self.assertNotIn("userIdentity", records[3])
        ttl = records[4]
        self.assertEqual(ttl["userIdentity"], {"Type": "Service",
                                               "PrincipalId": "dynamodb.amazonaws.com"})
        self.assertEqual(ttl["dynamodb"]["OldImage"]["pk"], {"S": "gone"})

    # -- stream lifecycle ------------------------------------------------------------------
    def test_disable_keeps_the_old_stream_readable_and_reenable_makes_a_new_one(self):
        table, old_arn = self.create()
        self.put(table, "a")
        self.ddb.update_table(TableName=table, StreamSpecification={"StreamEnabled": False})
        # DescribeTable still names the (now disabled) latest stream, without a specification.
        described = self.ddb.describe_table(TableName=table)["Table"]
        self.assertEqual(described["LatestStreamArn"], old_arn)
        self.assertNotIn("StreamSpecification", described)
        self.put(table, "b")  # no stream: not recorded anywhere
        d = self.streams.describe_stream(StreamArn=old_arn)["StreamDescription"]
        self.assertEqual(d["StreamStatus"], "DISABLED")
        shard = d["Shards"][0]
        self.assertIn("EndingSequenceNumber", shard["SequenceNumberRange"])
        r = self.streams.get_records(ShardIterator=self.iterator(old_arn))
        self.assertEqual(self.events(r["Records"]), [("INSERT", "a")])
        # The closed shard read to its end has no next iterator.
        self.assertNotIn("NextShardIterator", r)
        self.assertEqual(shard["SequenceNumberRange"]["EndingSequenceNumber"],
                         r["Records"][0]["dynamodb"]["SequenceNumber"])

        r = self.ddb.update_table(TableName=table, StreamSpecification={
            "StreamEnabled": True, "StreamViewType": "KEYS_ONLY"})
        new_arn = r["TableDescription"]["LatestStreamArn"]
        self.assertNotEqual(new_arn, old_arn)
        self.assertNotEqual(r["TableDescription"]["LatestStreamLabel"], d["StreamLabel"])
        self.put(table, "c")
        self.assertEqual(self.events(self.records(new_arn)), [("INSERT", "c")])
        self.assertEqual(self.events(self.records(old_arn)), [("INSERT", "a")])
        listed = self.streams.list_streams(TableName=table)["Streams"]
        self.assertEqual(sorted(s["StreamArn"] for s in listed), sorted([old_arn, new_arn]))
        new = self.streams.describe_stream(StreamArn=new_arn)["StreamDescription"]
        self.assertEqual((new["StreamStatus"], new["StreamViewType"]), ("ENABLED", "KEYS_ONLY"))
        self.assertNotIn("EndingSequenceNumber", new["Shards"][0]["SequenceNumberRange"])

    def test_a_closed_shard_without_records_ends_at_once(self):
        # GetRecords: "If set to null, the shard has been closed and the requested iterator
        # does not return any more data." A consumer of a shard closed before any write must
        # not be handed iterators for ever.
        for kind in ("TRIM_HORIZON", "LATEST"):
            table, arn = self.create()
            shard = self.shard(arn)
            self.ddb.update_table(TableName=table, StreamSpecification={"StreamEnabled": False})
            it = self.streams.get_shard_iterator(StreamArn=arn, ShardId=shard,
                                                 ShardIteratorType=kind)["ShardIterator"]
            r = self.streams.get_records(ShardIterator=it)
            self.assertEqual(r["Records"], [])
            self.assertNotIn("NextShardIterator", r, kind)

    def test_stream_specification_errors_name_the_problem(self):
        # AWS's messages for StreamSpecification shapes CreateTable and UpdateTable refuse; the
        # refused request changes nothing.
        raw = self.make("dynamodb", config=Config(parameter_validation=False))
        invalid = "One or more parameter values were invalid: "
        null = ("1 validation error detected: Value null at 'streamSpecification.streamEnabled' "
                "failed to satisfy constraint: Member must not be null")
        name = unique("spec")
        for spec, message in [
                ({"StreamViewType": "KEYS_ONLY"}, null),
                ({"StreamEnabled": True}, invalid + "Table is being created with a stream "
                                                    "enabled, UpdateViewType is required"),
                ({"StreamEnabled": False, "StreamViewType": "NEW_IMAGE"},
                 invalid + "Table is being created with a stream disabled, UpdateViewType "
                           "should not be specified")]:
            with self.subTest(spec=spec):
                e = self.error(raw.create_table, TableName=name,
                               KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                               AttributeDefinitions=[{"AttributeName": "pk",
                                                      "AttributeType": "S"}],
                               BillingMode="PAY_PER_REQUEST", StreamSpecification=spec)
                self.assertEqual((e["Code"], e["Message"]), ("ValidationException", message))
        self.assertNotIn(name, self.ddb.list_tables()["TableNames"])

        table, arn = self.create()
        for spec, message in [
                ({"StreamViewType": "KEYS_ONLY"}, null),
                ({"StreamEnabled": True}, invalid + "If stream is being enabled then "
                                                    "UpdateViewType is required"),
                ({"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"},
                 "Table already has an enabled stream: TableName: " + table),
                ({"StreamEnabled": False, "StreamViewType": "KEYS_ONLY"},
                 invalid + "If stream is being disabled, then UpdateViewType must not be "
                           "specified")]:
            with self.subTest(spec=spec):
                e = self.error(raw.update_table, TableName=table, StreamSpecification=spec)
                self.assertEqual((e["Code"], e["Message"]), ("ValidationException", message))
        self.assertEqual(self.streams.describe_stream(StreamArn=arn)["StreamDescription"]
                         ["StreamStatus"], "ENABLED")
        self.ddb.update_table(TableName=table, StreamSpecification={"StreamEnabled": False})
        e = self.error(raw.update_table, TableName=table,
                       StreamSpecification={"StreamEnabled": False})
        self.assertEqual(e["Message"], "Table has no stream to disable: TableName: " + table)

    def test_deleting_the_table_disables_its_stream(self):
        table, arn = self.create()
        self.put(table, "a")
        self.ddb.delete_table(TableName=table)
        d = self.streams.describe_stream(StreamArn=arn)["StreamDescription"]
        self.assertEqual(d["StreamStatus"], "DISABLED")
        self.assertEqual(self.events(self.records(arn)), [("INSERT", "a")])
        # A new table of the same name starts a new stream.
        _, again = self.create()
        self.assertNotEqual(again, arn)

    def test_describe_stream(self):
        table, arn = self.create("NEW_IMAGE", range_key=True)
        d = self.streams.describe_stream(StreamArn=arn)["StreamDescription"]
        self.assertEqual(d["StreamArn"], arn)
        self.assertEqual(d["TableName"], table)
        self.assertEqual(d["StreamStatus"], "ENABLED")
        self.assertEqual(d["StreamViewType"], "NEW_IMAGE")
        self.assertEqual(d["KeySchema"], [{"AttributeName": "pk", "KeyType": "HASH"},
                                          {"AttributeName": "sk", "KeyType": "RANGE"}])
        self.assertIsInstance(d["CreationRequestDateTime"], datetime)
        self.assertTrue(arn.endswith("/stream/" + d["StreamLabel"]))
        self.assertRegex(d["StreamLabel"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}$")
        self.assertRegex(arn, r"^arn:aws:dynamodb:us-east-1:%s:table/%s/stream/" %
                         (ACCOUNT_ID, table))
        shard = d["Shards"][0]
        self.assertRegex(shard["ShardId"], r"^shardId-\d{20}-[0-9a-f]{8}$")
        self.assertRegex(shard["SequenceNumberRange"]["StartingSequenceNumber"], r"^\d{21,40}$")
        self.ddb.put_item(TableName=table, Item={"pk": {"S": "a"}, "sk": {"N": "1"}})
        first = self.records(arn)[0]["dynamodb"]["SequenceNumber"]
        self.assertLessEqual(int(shard["SequenceNumberRange"]["StartingSequenceNumber"]),
                             int(first))
        paged = self.streams.describe_stream(StreamArn=arn, Limit=1,
                                             ExclusiveStartShardId=shard["ShardId"])
        self.assertEqual(paged["StreamDescription"]["Shards"], [])

    def test_list_streams_filter_paging_and_scope(self):
        tables = [self.create() for _ in range(3)]
        arns = {arn for _, arn in tables}
        seen, start = [], None
        while True:
            kwargs = {"ExclusiveStartStreamArn": start} if start else {}
            r = self.streams.list_streams(Limit=1, **kwargs)
            self.assertLessEqual(len(r["Streams"]), 1)
            seen += [s["StreamArn"] for s in r["Streams"]]
            start = r.get("LastEvaluatedStreamArn")
            if not start:
                break
        self.assertTrue(arns <= set(seen))
        self.assertEqual(len(seen), len(set(seen)))
        name, arn = tables[0]
        self.assertEqual(self.streams.list_streams(TableName=name)["Streams"],
                         [{"StreamArn": arn, "TableName": name,
                           "StreamLabel": arn.split("/stream/")[1]}])
        # Per account and region.
        other = self.make("dynamodbstreams", SECOND_ACCESS_KEY, SECOND_SECRET_KEY)
        self.assertFalse(arns & {s["StreamArn"] for s in other.list_streams()["Streams"]})
        west = self.make("dynamodbstreams", region="us-west-2")
        self.assertFalse(arns & {s["StreamArn"] for s in west.list_streams()["Streams"]})
        e = self.error(other.describe_stream, StreamArn=arn)
        self.assertEqual(e["Code"], "ResourceNotFoundException")

    # -- durability ------------------------------------------------------------------------
    def test_records_and_iterators_survive_restart_and_kill9(self):
        table, arn = self.create()
        self.put(table, "a")
        it = self.iterator(arn)
        self.server.restart()
        self.put(table, "b")
        r = self.streams.get_records(ShardIterator=it)
        self.assertEqual(self.events(r["Records"]), [("INSERT", "a"), ("INSERT", "b")])
        self.put(table, "c")
        self.server.kill9()
        self.server.start()
        r = self.streams.get_records(ShardIterator=r["NextShardIterator"])
        self.assertEqual(self.events(r["Records"]), [("INSERT", "c")])
        self.put(table, "d")
        seqs = [int(x["dynamodb"]["SequenceNumber"]) for x in self.records(arn)]
        self.assertEqual(seqs, sorted(seqs))
        self.assertEqual(len(seqs), 4)

    # -- errors ----------------------------------------------------------------------------
    def test_errors(self):
        table, arn = self.create()
        shard = self.shard(arn)
        missing = arn.rsplit("/stream/", 1)[0] + "/stream/2000-01-01T00:00:00.000"
        for fn, kwargs in [
                (self.streams.describe_stream, {"StreamArn": missing}),
                (self.streams.get_shard_iterator, {"StreamArn": missing, "ShardId": shard,
                                                   "ShardIteratorType": "LATEST"})]:
            e = self.error(fn, **kwargs)
            self.assertEqual(e["Code"], "ResourceNotFoundException")
            self.assertIn(missing, e["Message"])
        e = self.error(self.streams.get_shard_iterator, StreamArn=arn,
                       ShardId="shardId-00000000000000000000-00000000",
                       ShardIteratorType="TRIM_HORIZON")
        self.assertEqual(e["Code"], "ResourceNotFoundException")
        e = self.error(self.streams.list_streams, TableName=unique("nope"))
        self.assertEqual(e["Code"], "ResourceNotFoundException")

        cases = [
            (self.raw.describe_stream, {"StreamArn": "arn:aws:dynamodb:us-east-1:0:table/x"}),
            (self.raw.describe_stream, {"StreamArn": "x" * 40}),
            (self.raw.describe_stream, {"StreamArn": arn, "Limit": 0}),
            (self.raw.list_streams, {"Limit": 101}),
            (self.raw.get_shard_iterator, {"StreamArn": arn, "ShardId": shard,
                                           "ShardIteratorType": "SOMEWHERE"}),
            (self.raw.get_shard_iterator, {"StreamArn": arn, "ShardId": shard,
                                           "ShardIteratorType": "AT_SEQUENCE_NUMBER"}),
            (self.raw.get_shard_iterator, {"StreamArn": arn, "ShardId": shard,
                                           "ShardIteratorType": "AFTER_SEQUENCE_NUMBER",
                                           "SequenceNumber": "not-a-number-at-all-00"}),
            (self.raw.get_shard_iterator, {"StreamArn": arn, "ShardId": shard,
                                           "ShardIteratorType": "AT_SEQUENCE_NUMBER",
                                           "SequenceNumber": "199999999999999999999"}),
            (self.raw.get_records, {"ShardIterator": "garbage"}),
            (self.raw.get_records, {"ShardIterator": self.iterator(arn) + "x"}),
            (self.raw.get_records, {"ShardIterator": "a" + "\u00e9" * 1100}),  # quoted in part
            (self.raw.get_records, {"ShardIterator": self.iterator(arn), "Limit": 0}),
            (self.raw.get_records, {"ShardIterator": self.iterator(arn), "Limit": 1001}),
        ]
        for fn, kwargs in cases:
            with self.subTest(op=fn.__name__, kwargs=kwargs):
                e = self.error(fn, **kwargs)
                self.assertEqual(e["Code"], "ValidationException")
                self.assertTrue(e["Message"])
        e = self.error(self.raw.get_records, ShardIterator=self.iterator(arn), Limit=1001)
        self.assertIn("less than or equal to 1000", e["Message"])
        # An iterator of another account's stream is not found for this one.
        other = self.make("dynamodbstreams", SECOND_ACCESS_KEY, SECOND_SECRET_KEY)
        e = self.error(other.get_records, ShardIterator=self.iterator(arn))
        self.assertEqual(e["Code"], "ResourceNotFoundException")
        # Enabling an enabled stream, or one without a view type, is refused and changes nothing.
        e = self.error(self.ddb.update_table, TableName=table, StreamSpecification={
            "StreamEnabled": True, "StreamViewType": "KEYS_ONLY"})
        self.assertEqual(e["Code"], "ValidationException")
        e = self.error(self.ddb.create_table, TableName=unique("bad"),
                       KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                       AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                       BillingMode="PAY_PER_REQUEST",
                       StreamSpecification={"StreamEnabled": True, "StreamViewType": "ALL"})
        self.assertEqual(e["Code"], "ValidationException")
        self.assertIn("streamViewType", e["Message"])
        self.assertEqual(self.ddb.describe_table(TableName=table)["Table"]["LatestStreamArn"], arn)


if __name__ == "__main__":
    unittest.main()
