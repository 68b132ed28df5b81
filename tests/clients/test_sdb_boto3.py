"""boto3 client('sdb') against nimbus SimpleDB: every operation of the 2009-04-15 API.

Runs under the machine's python3 with boto3 (Query protocol, SigV2 form signing), set up as
CLIENTS.md describes. Each test cites the SimpleDB Developer Guide page it reproduces:
https://docs.aws.amazon.com/AmazonSimpleDB/latest/DeveloperGuide/<page>.
"""
import unittest
import uuid

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from harness import (ACCESS_KEY, SECOND_ACCESS_KEY, SECOND_SECRET_KEY, SECRET_KEY, Nimbus)


def client(server, key=ACCESS_KEY, secret=SECRET_KEY, config=None):
    return boto3.client("sdb", endpoint_url=server.endpoint, region_name="us-east-1",
                        aws_access_key_id=key, aws_secret_access_key=secret,
                        config=config or Config(retries={"total_max_attempts": 1}))


def unique(prefix="dom"):
    return "%s-%s" % (prefix, uuid.uuid4().hex[:12])


def attrs(item_or_response):
    out = {}
    for a in item_or_response.get("Attributes", []):
        out.setdefault(a["Name"], []).append(a["Value"])
    return {k: sorted(v) for k, v in out.items()}


class SdbCase(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Nimbus(extra_args=["--sdb-max-domains", "30"])
        cls.sdb = client(cls.server)

    @classmethod
    def tearDownClass(cls):
        cls.server.close()

    def code(self, ctx):
        return ctx.exception.response["Error"]["Code"]

    def domain(self):
        name = unique()
        self.sdb.create_domain(DomainName=name)
        return name


class DomainTests(SdbCase):
    def test_create_list_delete_domain(self):
        # SDB_API_CreateDomain (idempotent), SDB_API_ListDomains, SDB_API_DeleteDomain.
        name = unique()
        self.sdb.create_domain(DomainName=name)
        self.sdb.create_domain(DomainName=name)
        self.assertIn(name, self.sdb.list_domains()["DomainNames"])
        self.sdb.delete_domain(DomainName=name)
        self.assertNotIn(name, self.sdb.list_domains().get("DomainNames", []))
        self.sdb.delete_domain(DomainName=name)  # deleting a missing domain is not an error

    def test_list_domains_pages_with_next_token(self):
        names = sorted(self.domain() for _ in range(5))
        seen, token = [], None
        while True:
            kw = {"MaxNumberOfDomains": 2}
            if token:
                kw["NextToken"] = token
            r = self.sdb.list_domains(**kw)
            self.assertLessEqual(len(r.get("DomainNames", [])), 2)
            seen += r.get("DomainNames", [])
            token = r.get("NextToken")
            if not token:
                break
        for n in names:
            self.assertIn(n, seen)
        with self.assertRaises(ClientError) as ctx:
            self.sdb.list_domains(MaxNumberOfDomains=101)
        self.assertEqual(self.code(ctx), "InvalidParameterValue")

    def test_invalid_domain_name(self):
        for bad in ["ab", "bad name", "x" * 256]:
            with self.assertRaises(ClientError) as ctx:
                self.sdb.create_domain(DomainName=bad)
            self.assertEqual(self.code(ctx), "InvalidParameterValue")

    def test_domains_are_per_account(self):
        name = self.domain()
        other = client(self.server, SECOND_ACCESS_KEY, SECOND_SECRET_KEY)
        self.assertNotIn(name, other.list_domains().get("DomainNames", []))
        with self.assertRaises(ClientError) as ctx:
            other.domain_metadata(DomainName=name)
        self.assertEqual(self.code(ctx), "NoSuchDomain")

    def test_domain_limit(self):
        # NumberDomainsExceeded (409) past --sdb-max-domains (30 here) for one account.
        other = client(self.server, SECOND_ACCESS_KEY, SECOND_SECRET_KEY)
        for i in range(30):
            other.create_domain(DomainName="limit-%02d" % i)
        with self.assertRaises(ClientError) as ctx:
            other.create_domain(DomainName="limit-30")
        self.assertEqual(self.code(ctx), "NumberDomainsExceeded")
        self.assertEqual(ctx.exception.response["ResponseMetadata"]["HTTPStatusCode"], 409)
        other.create_domain(DomainName="limit-00")  # an existing one is still fine
        for i in range(30):
            other.delete_domain(DomainName="limit-%02d" % i)

    def test_domain_metadata_counts_and_sizes(self):
        # SDB_API_DomainMetadata: counts and byte sizes of names and values.
        d = self.domain()
        self.sdb.put_attributes(DomainName=d, ItemName="i1", Attributes=[
            {"Name": "color", "Value": "red"}, {"Name": "color", "Value": "blue"},
            {"Name": "size", "Value": "L"}])
        self.sdb.put_attributes(DomainName=d, ItemName="item2", Attributes=[
            {"Name": "color", "Value": "é"}])
        m = self.sdb.domain_metadata(DomainName=d)
        self.assertEqual(m["ItemCount"], 2)
        self.assertEqual(m["ItemNamesSizeBytes"], 2 + 5)
        self.assertEqual(m["AttributeNameCount"], 2)
        self.assertEqual(m["AttributeNamesSizeBytes"], 5 + 4)
        self.assertEqual(m["AttributeValueCount"], 4)
        self.assertEqual(m["AttributeValuesSizeBytes"], 3 + 4 + 1 + 2)
        self.assertGreater(m["Timestamp"], 1600000000)
        with self.assertRaises(ClientError) as ctx:
            self.sdb.domain_metadata(DomainName=unique())
        self.assertEqual(self.code(ctx), "NoSuchDomain")


class ItemTests(SdbCase):
    def test_put_get_multi_valued_and_replace(self):
        # SDB_API_PutAttributes: values are added unless Replace; Replace swaps all values.
        d = self.domain()
        self.sdb.put_attributes(DomainName=d, ItemName="x", Attributes=[
            {"Name": "a", "Value": "1"}, {"Name": "a", "Value": "2"}, {"Name": "b", "Value": "q"}])
        self.sdb.put_attributes(DomainName=d, ItemName="x", Attributes=[
            {"Name": "a", "Value": "3"}, {"Name": "a", "Value": "1"}])
        self.assertEqual(attrs(self.sdb.get_attributes(DomainName=d, ItemName="x")),
                         {"a": ["1", "2", "3"], "b": ["q"]})
        self.sdb.put_attributes(DomainName=d, ItemName="x", Attributes=[
            {"Name": "a", "Value": "9", "Replace": True}])
        self.assertEqual(attrs(self.sdb.get_attributes(DomainName=d, ItemName="x")),
                         {"a": ["9"], "b": ["q"]})
        r = self.sdb.get_attributes(DomainName=d, ItemName="x", AttributeNames=["b"],
                                    ConsistentRead=True)
        self.assertEqual(attrs(r), {"b": ["q"]})
        self.assertEqual(attrs(self.sdb.get_attributes(DomainName=d, ItemName="nope")), {})

    def test_conditional_put_and_delete(self):
        # Expected.Name/Value/Exists: ConditionalCheckFailed, AttributeDoesNotExist,
        # MultiValuedAttribute; the failed call changes nothing.
        d = self.domain()
        self.sdb.put_attributes(DomainName=d, ItemName="x", Attributes=[
            {"Name": "v", "Value": "1"}, {"Name": "m", "Value": "a"}, {"Name": "m", "Value": "b"}])
        self.sdb.put_attributes(DomainName=d, ItemName="x", Attributes=[
            {"Name": "v", "Value": "2", "Replace": True}], Expected={"Name": "v", "Value": "1"})
        cases = [({"Name": "v", "Value": "1"}, "ConditionalCheckFailed", 409),
                 ({"Name": "zz", "Value": "1"}, "AttributeDoesNotExist", 404),
                 ({"Name": "m", "Value": "a"}, "MultiValuedAttribute", 409),
                 ({"Name": "v", "Exists": False}, "ConditionalCheckFailed", 409)]
        for expected, code, status in cases:
            with self.assertRaises(ClientError) as ctx:
                self.sdb.put_attributes(DomainName=d, ItemName="x", Attributes=[
                    {"Name": "v", "Value": "bad", "Replace": True}], Expected=expected)
            self.assertEqual(self.code(ctx), code)
            self.assertEqual(ctx.exception.response["ResponseMetadata"]["HTTPStatusCode"], status)
        self.assertEqual(attrs(self.sdb.get_attributes(DomainName=d, ItemName="x"))["v"], ["2"])
        self.sdb.put_attributes(DomainName=d, ItemName="x", Attributes=[
            {"Name": "new", "Value": "1"}], Expected={"Name": "new", "Exists": False})
        with self.assertRaises(ClientError) as ctx:
            self.sdb.delete_attributes(DomainName=d, ItemName="x",
                                       Expected={"Name": "v", "Value": "1"})
        self.assertEqual(self.code(ctx), "ConditionalCheckFailed")
        self.sdb.delete_attributes(DomainName=d, ItemName="x", Expected={"Name": "v", "Value": "2"})
        self.assertEqual(attrs(self.sdb.get_attributes(DomainName=d, ItemName="x")), {})

    def test_delete_attributes_forms(self):
        # SDB_API_DeleteAttributes: one value, every value of a name, or the whole item.
        d = self.domain()
        self.sdb.put_attributes(DomainName=d, ItemName="x", Attributes=[
            {"Name": "a", "Value": "1"}, {"Name": "a", "Value": "2"}, {"Name": "b", "Value": "3"},
            {"Name": "c", "Value": "4"}])
        self.sdb.delete_attributes(DomainName=d, ItemName="x", Attributes=[{"Name": "a", "Value": "1"}])
        self.assertEqual(attrs(self.sdb.get_attributes(DomainName=d, ItemName="x")),
                         {"a": ["2"], "b": ["3"], "c": ["4"]})
        # (deleting every value of a name, Attribute.N.Name alone, is in test_sdb_boto2.py:
        # botocore's model requires a Value)
        self.sdb.delete_attributes(DomainName=d, ItemName="x")
        self.assertEqual(attrs(self.sdb.get_attributes(DomainName=d, ItemName="x")), {})
        self.assertEqual(self.sdb.domain_metadata(DomainName=d)["ItemCount"], 0)

    def test_batch_put_and_delete(self):
        d = self.domain()
        self.sdb.batch_put_attributes(DomainName=d, Items=[
            {"Name": "i%d" % i, "Attributes": [{"Name": "n", "Value": str(i)}]} for i in range(25)])
        self.assertEqual(self.sdb.domain_metadata(DomainName=d)["ItemCount"], 25)
        self.sdb.batch_delete_attributes(DomainName=d, Items=[
            {"Name": "i0"}, {"Name": "i1", "Attributes": [{"Name": "n", "Value": "1"}]},
            {"Name": "i2", "Attributes": [{"Name": "n", "Value": "other"}]}])
        self.assertEqual(self.sdb.domain_metadata(DomainName=d)["ItemCount"], 23)
        with self.assertRaises(ClientError) as ctx:
            self.sdb.batch_put_attributes(DomainName=d, Items=[
                {"Name": "j%d" % i, "Attributes": [{"Name": "n", "Value": "1"}]} for i in range(26)])
        self.assertEqual(self.code(ctx), "NumberSubmittedItemsExceeded")
        with self.assertRaises(ClientError) as ctx:
            self.sdb.batch_put_attributes(DomainName=d, Items=[
                {"Name": "dup", "Attributes": [{"Name": "n", "Value": "1"}]},
                {"Name": "dup", "Attributes": [{"Name": "n", "Value": "2"}]}])
        self.assertEqual(self.code(ctx), "DuplicateItemName")
        with self.assertRaises(ClientError) as ctx:
            self.sdb.batch_delete_attributes(DomainName=d, Items=[{"Name": "i3"}, {"Name": "i3"}])
        self.assertEqual(self.code(ctx), "DuplicateItemName")
        self.assertEqual(self.sdb.domain_metadata(DomainName=d)["ItemCount"], 23)
        # An item without its name (botocore would refuse to send it): Item.N.ItemName.
        raw = client(self.server, config=Config(parameter_validation=False,
                                                retries={"total_max_attempts": 1}))
        with self.assertRaises(ClientError) as ctx:
            raw.batch_put_attributes(DomainName=d, Items=[
                {"Attributes": [{"Name": "n", "Value": "1"}]}])
        self.assertEqual(self.code(ctx), "MissingParameter")
        self.assertIn("Item.ItemName", ctx.exception.response["Error"]["Message"])

    def test_limits_leave_state_unchanged(self):
        d = self.domain()
        self.sdb.put_attributes(DomainName=d, ItemName="x", Attributes=[
            {"Name": "a%d" % i, "Value": "v"} for i in range(250)])
        with self.assertRaises(ClientError) as ctx:
            self.sdb.put_attributes(DomainName=d, ItemName="x", Attributes=[
                {"Name": "b%d" % i, "Value": "v"} for i in range(7)])
        self.assertEqual(self.code(ctx), "NumberItemAttributesExceeded")
        self.assertEqual(len(self.sdb.get_attributes(DomainName=d, ItemName="x")["Attributes"]),
                         250)
        # A batch whose last item overflows changes none of its items.
        with self.assertRaises(ClientError) as ctx:
            self.sdb.batch_put_attributes(DomainName=d, Items=[
                {"Name": "fresh", "Attributes": [{"Name": "a", "Value": "1"}]},
                {"Name": "x", "Attributes": [{"Name": "b%d" % i, "Value": "v"} for i in range(7)]}])
        self.assertEqual(self.code(ctx), "NumberItemAttributesExceeded")
        self.assertEqual(attrs(self.sdb.get_attributes(DomainName=d, ItemName="fresh")), {})
        for field in [{"Name": "n" * 1025, "Value": "v"}, {"Name": "n", "Value": "v" * 1025}]:
            with self.assertRaises(ClientError) as ctx:
                self.sdb.put_attributes(DomainName=d, ItemName="y", Attributes=[field])
            self.assertEqual(self.code(ctx), "InvalidParameterValue")
        with self.assertRaises(ClientError) as ctx:
            self.sdb.put_attributes(DomainName=d, ItemName="i" * 1025,
                                    Attributes=[{"Name": "a", "Value": "1"}])
        self.assertEqual(self.code(ctx), "InvalidParameterValue")
        self.sdb.put_attributes(DomainName=d, ItemName="i" * 1024,
                                Attributes=[{"Name": "n" * 1024, "Value": "v" * 1024}])
        with self.assertRaises(ClientError) as ctx:
            self.sdb.put_attributes(DomainName=unique(), ItemName="x",
                                    Attributes=[{"Name": "a", "Value": "1"}])
        self.assertEqual(self.code(ctx), "NoSuchDomain")


class DomainLimitTests(unittest.TestCase):
    # SDBLimits: a domain holds at most 10 GB and 1 billion attributes; past them PutAttributes
    # and BatchPutAttributes fail with NumberDomainBytesExceeded / NumberDomainAttributesExceeded
    # (409). The limits are set small here (--sdb-max-domain-bytes/-attributes); the size counts
    # item names, attribute names and values as DomainMetadata reports them.
    @classmethod
    def setUpClass(cls):
        cls.server = Nimbus(extra_args=["--sdb-max-domain-bytes", "2000",
                                        "--sdb-max-domain-attributes", "10"])
        cls.sdb = client(cls.server)

    @classmethod
    def tearDownClass(cls):
        cls.server.close()

    def fails(self, code, call, **kw):
        with self.assertRaises(ClientError) as ctx:
            call(**kw)
        self.assertEqual(ctx.exception.response["Error"]["Code"], code)
        self.assertEqual(ctx.exception.response["ResponseMetadata"]["HTTPStatusCode"], 409)
        self.assertIn("this domain", ctx.exception.response["Error"]["Message"])

    def test_attribute_count_limit(self):
        d = unique()
        self.sdb.create_domain(DomainName=d)
        self.sdb.batch_put_attributes(DomainName=d, Items=[
            {"Name": "i%d" % i, "Attributes": [{"Name": "a", "Value": str(k)} for k in range(3)]}
            for i in range(3)])
        self.sdb.put_attributes(DomainName=d, ItemName="x",
                                Attributes=[{"Name": "a", "Value": "0"}])
        self.fails("NumberDomainAttributesExceeded", self.sdb.put_attributes, DomainName=d,
                   ItemName="y", Attributes=[{"Name": "a", "Value": "1"}])
        self.fails("NumberDomainAttributesExceeded", self.sdb.batch_put_attributes, DomainName=d,
                   Items=[{"Name": "y", "Attributes": [{"Name": "a", "Value": "1"}]}])
        self.assertEqual(attrs(self.sdb.get_attributes(DomainName=d, ItemName="y")), {})
        self.assertEqual(self.sdb.domain_metadata(DomainName=d)["AttributeValueCount"], 10)
        # A replace keeps the count; a put of a pair the item has adds nothing; freeing one lets
        # another in.
        self.sdb.put_attributes(DomainName=d, ItemName="x", Attributes=[
            {"Name": "a", "Value": "new", "Replace": True}])
        self.sdb.put_attributes(DomainName=d, ItemName="x",
                                Attributes=[{"Name": "a", "Value": "new"}])
        self.sdb.delete_attributes(DomainName=d, ItemName="i0",
                                   Attributes=[{"Name": "a", "Value": "0"}])
        self.sdb.put_attributes(DomainName=d, ItemName="y",
                                Attributes=[{"Name": "a", "Value": "1"}])
        self.assertEqual(self.sdb.domain_metadata(DomainName=d)["AttributeValueCount"], 10)

    def test_domain_size_limit(self):
        d = unique()
        self.sdb.create_domain(DomainName=d)
        self.sdb.put_attributes(DomainName=d, ItemName="x", Attributes=[
            {"Name": "v", "Value": "a" * 1000}])  # 1 + 1 + 1000 bytes
        self.fails("NumberDomainBytesExceeded", self.sdb.put_attributes, DomainName=d,
                   ItemName="y", Attributes=[{"Name": "v", "Value": "b" * 1000}])  # 1 + 1000 more
        self.fails("NumberDomainBytesExceeded", self.sdb.batch_put_attributes, DomainName=d, Items=[
            {"Name": "z", "Attributes": [{"Name": "w", "Value": "c"}]},
            {"Name": "y", "Attributes": [{"Name": "v", "Value": "b" * 1000}]}])
        self.assertEqual(attrs(self.sdb.get_attributes(DomainName=d, ItemName="z")), {})
        m = self.sdb.domain_metadata(DomainName=d)
        self.assertEqual(m["ItemNamesSizeBytes"] + m["AttributeNamesSizeBytes"] +
                         m["AttributeValuesSizeBytes"], 1002)
        self.sdb.put_attributes(DomainName=d, ItemName="y", Attributes=[
            {"Name": "v", "Value": "b" * 997}])  # 1 + 997 more: exactly 2000 bytes, allowed
        # At the limit a change that shrinks the domain is still allowed.
        self.sdb.put_attributes(DomainName=d, ItemName="x", Attributes=[
            {"Name": "v", "Value": "short", "Replace": True}])
        self.assertEqual(attrs(self.sdb.get_attributes(DomainName=d, ItemName="x")),
                         {"v": ["short"]})


class SelectTests(SdbCase):
    def test_select_pages_through_5000_items(self):
        # SDB_API_Select: limit 2500 pages with NextToken until every item is seen.
        d = self.domain()
        for start in range(0, 5000, 25):
            self.sdb.batch_put_attributes(DomainName=d, Items=[
                {"Name": "item%05d" % i, "Attributes": [
                    {"Name": "n", "Value": "%05d" % i}, {"Name": "parity", "Value": str(i % 2)}]}
                for i in range(start, start + 25)])
        names, token, pages = [], None, 0
        while True:
            kw = {"SelectExpression": "select * from `%s` limit 2500" % d}
            if token:
                kw["NextToken"] = token
            r = self.sdb.select(**kw)
            pages += 1
            names += [i["Name"] for i in r.get("Items", [])]
            token = r.get("NextToken")
            if not token:
                break
        self.assertEqual(names, ["item%05d" % i for i in range(5000)])
        self.assertEqual(pages, 2)
        # The paginator, default limit 100, with a predicate.
        paginator = self.sdb.get_paginator("select")
        got = []
        for page in paginator.paginate(SelectExpression="select itemName() from `%s` where "
                                                        "parity = '1' and n < '00400'" % d):
            got += [i["Name"] for i in page.get("Items", [])]
        self.assertEqual(got, ["item%05d" % i for i in range(1, 400, 2)])
        count = self.sdb.select(SelectExpression="select count(*) from `%s`" % d)
        self.assertEqual(attrs(count["Items"][0]), {"Count": ["5000"]})
        self.assertEqual(count["Items"][0]["Name"], "Domain")

    def test_select_pages_stop_at_1_mb(self):
        # SDB_API_Select: "The total size of the response cannot exceed 1 MB ... Amazon SimpleDB
        # automatically adjusts the number of items returned per page" and returns a NextToken.
        # 300 items of 8 values of 1000 bytes (half of them '&', 5 bytes each once escaped):
        # about 7.2 MB of XML, so limit 2500 pages end on size, in name and in attribute order.
        d = self.domain()
        for start in range(0, 300, 25):
            self.sdb.batch_put_attributes(DomainName=d, Items=[
                {"Name": "big%03d" % i, "Attributes": [
                    {"Name": "n", "Value": "%03d" % i}] + [
                    {"Name": "v%d" % k, "Value": ("&" if i % 2 else "x") * 1000}
                    for k in range(8)]}
                for i in range(start, start + 25)])
        for expr, order in [("select * from `%s` limit 2500", None),
                            ("select * from `%s` where n > '' order by n desc limit 2500", "desc"),
                            ("select v1, v2, n from `%s` where n < '200' limit 2500",
                             "projection")]:
            names, token, pages = [], None, 0
            while True:
                kw = {"SelectExpression": expr % d}
                if token:
                    kw["NextToken"] = token
                r = self.sdb.select(**kw)
                pages += 1
                length = int(r["ResponseMetadata"]["HTTPHeaders"]["content-length"])
                self.assertLessEqual(length, 1024 * 1024, expr)
                items = r.get("Items", [])
                names += [i["Name"] for i in items]
                if order == "projection":
                    self.assertTrue(all(len(i["Attributes"]) == 3 for i in items))
                token = r.get("NextToken")
                if not token:
                    break
                self.assertGreater(length, 1024 * 1024 - 20000, expr)  # the page was full
            if order == "projection":
                expected = ["big%03d" % i for i in range(200)]
                self.assertGreaterEqual(pages, 2)
            else:
                expected = ["big%03d" % i for i in range(300)]
                self.assertGreaterEqual(pages, 7)
            if order == "desc":
                expected.reverse()
            self.assertEqual(names, expected, expr)  # every item once, in order

    def test_select_order_by_and_projection(self):
        d = self.domain()
        for name, year in [("a", "1999"), ("b", "2005"), ("c", "1985"), ("d", "2010")]:
            self.sdb.put_attributes(DomainName=d, ItemName=name, Attributes=[
                {"Name": "Year", "Value": year}, {"Name": "Title", "Value": "t" + name}])
        r = self.sdb.select(SelectExpression="select Title from `%s` where Year > '1980' "
                                             "order by Year desc limit 2" % d)
        self.assertEqual([i["Name"] for i in r["Items"]], ["d", "b"])
        self.assertEqual(attrs(r["Items"][0]), {"Title": ["td"]})
        r2 = self.sdb.select(SelectExpression="select Title from `%s` where Year > '1980' "
                                              "order by Year desc limit 2" % d,
                             NextToken=r["NextToken"])
        self.assertEqual([i["Name"] for i in r2["Items"]], ["a", "c"])
        self.assertNotIn("NextToken", r2)
        with self.assertRaises(ClientError) as ctx:
            self.sdb.select(SelectExpression="select * from `%s` where Year > '1980'" % d,
                            NextToken=r["NextToken"])
        self.assertEqual(self.code(ctx), "InvalidNextToken")

    def test_select_errors(self):
        d = self.domain()
        for expr, code in [("select * from `%s` where" % d, "InvalidQueryExpression"),
                           ("select * form `%s`" % d, "InvalidQueryExpression"),
                           ("select * from `%s` where a = 'x" % d, "InvalidQueryExpression"),
                           ("select * from `%s` limit 2501" % d, "InvalidQueryExpression"),
                           ("select * from `%s` where a = '1' order by b" % d,
                            "InvalidSortExpression"),
                           ("select * from `%s`" % unique(), "NoSuchDomain")]:
            with self.assertRaises(ClientError) as ctx:
                self.sdb.select(SelectExpression=expr)
            self.assertEqual(self.code(ctx), code, expr)
            self.assertEqual(ctx.exception.response["ResponseMetadata"]["HTTPStatusCode"], 400)

    def test_state_survives_restart(self):
        d = self.domain()
        self.sdb.put_attributes(DomainName=d, ItemName="x", Attributes=[{"Name": "k", "Value": "v"}])
        self.server.restart()
        self.assertIn(d, self.sdb.list_domains()["DomainNames"])
        r = self.sdb.select(SelectExpression="select * from `%s` where k = 'v'" % d)
        self.assertEqual([i["Name"] for i in r["Items"]], ["x"])


if __name__ == "__main__":
    unittest.main()
