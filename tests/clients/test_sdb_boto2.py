"""Legacy boto 2.49 against nimbus SimpleDB (runs under Debian's /usr/bin/python3 with python3-boto).

boto 2 signs SimpleDB with SigV2 in the query string (GET), sends `AttributeName=X` without an
index and `Replace=true` on each value of a multi-valued attribute (CLIENTS.md). These are the
classic calls of the issue, and each select of the issue against a small data set with the exact
expected items (SimpleDB Developer Guide, "Using Select": UsingSelectOperators.html,
SimpleQueriesSelect.html, MultipleAttributeQueriesSelect.html). The legacy Query and
QueryWithAttributes operations (API 2007-11-07; boto 2.49 has no call for them) go through
boto 2's signed make_request.
"""
import io
import os
import unittest
import uuid
import xml.etree.ElementTree as ET

os.environ["BOTO_CONFIG"] = "/dev/null"

import boto  # noqa: E402
import boto.sdb.connection  # noqa: E402
import boto.sdb.regioninfo  # noqa: E402
from boto.exception import SDBResponseError  # noqa: E402

from harness import ACCESS_KEY, SECRET_KEY, Nimbus  # noqa: E402

if not boto.config.has_section("Boto"):
    boto.config.add_section("Boto")
boto.config.set("Boto", "num_retries", "0")

NS = "{http://sdb.amazonaws.com/doc/2009-04-15/}"

DATA = {
    "a": {"k1": "value", "city": "Seattle", "author": "Robert Frost", "year": "1999",
          "keyword": ["Book", "Paperback"]},
    "b": {"k1": "value", "city": "Portland", "author": "Jane Roberts",
          "keyword": ["Book", "Hardcover"]},
    "c": {"k1": "other", "city": "Boston", "author": "Rob Pike", "year": "2010",
          "keyword": ["Book"]},
    "d": {"k1": "other", "city": "Seattle", "author": "Ann Rob",
          "keyword": ["Paperback", "Magazine"]},
}


def connect(server):
    region = boto.sdb.regioninfo.SDBRegionInfo(name="us-east-1", endpoint=server.host)
    return boto.sdb.connection.SDBConnection(ACCESS_KEY, SECRET_KEY, region=region,
                                             port=server.port, is_secure=False)


class BothWriter(io.StringIO):
    """Domain.to_xml() writes str and bytes to one file under Python 3 (CLIENTS.md)."""

    def write(self, s):
        return super().write(s.decode("utf-8") if isinstance(s, bytes) else s)


class Boto2SdbTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Nimbus()
        cls.conn = connect(cls.server)
        cls.name = "books-%s" % uuid.uuid4().hex[:8]
        cls.dom = cls.conn.create_domain(cls.name)
        for name, attributes in DATA.items():
            item = cls.dom.new_item(name)
            for k, v in attributes.items():
                item[k] = v
            item.save()

    @classmethod
    def tearDownClass(cls):
        cls.server.close()

    def select(self, where):
        return sorted(i.name for i in self.dom.select(
            "select * from `%s` where %s" % (self.name, where)))

    def test_domain_calls(self):
        # CreateDomain, ListDomains (get_all_domains), lookup (a Select with limit 1),
        # DomainMetadata (get_metadata).
        self.assertIn(self.name, [d.name for d in self.conn.get_all_domains()])
        self.assertEqual(self.conn.lookup(self.name).name, self.name)
        self.assertIsNone(self.conn.lookup("missing-%s" % uuid.uuid4().hex[:8]))
        self.assertEqual(self.dom.get_metadata().item_count, 4)

    def test_item_calls(self):
        # new_item/save (PutAttributes with Replace=true on every value), add_value,
        # get_item (GetAttributes), delete_item (DeleteAttributes), consistent reads.
        item = self.dom.new_item("scratch")
        item["k1"] = "value"
        item["tags"] = ["x", "y"]
        item.save()
        got = self.dom.get_item("scratch", consistent_read=True)
        self.assertEqual(got["k1"], "value")
        self.assertEqual(sorted(got["tags"]), ["x", "y"])
        got.add_value("tags", "z")
        got.save()
        self.assertEqual(sorted(self.dom.get_item("scratch")["tags"]), ["x", "y", "z"])
        # Replace=true on each value: saving a shorter list drops the old values.
        got["tags"] = ["q"]
        got.save()
        self.assertEqual(self.dom.get_item("scratch")["tags"], "q")
        # AttributeName=X without an index; deleting every value of a name.
        self.assertEqual(dict(self.conn.get_attributes(self.dom, "scratch", "k1")),
                         {"k1": "value"})
        self.conn.delete_attributes(self.dom, "scratch", ["tags"])
        self.assertNotIn("tags", self.dom.get_item("scratch"))
        self.dom.delete_item(self.dom.get_item("scratch"))
        self.assertIsNone(self.dom.get_item("scratch"))

    def test_conditional_put(self):
        item = self.dom.new_item("cond")
        item["v"] = "1"
        item.save()
        self.assertTrue(self.conn.put_attributes(self.dom, "cond", {"v": "2"},
                                                 expected_value=["v", "1"]))
        with self.assertRaises(SDBResponseError) as ctx:
            self.conn.put_attributes(self.dom, "cond", {"v": "3"}, expected_value=["v", "1"])
        self.assertEqual(ctx.exception.error_code, "ConditionalCheckFailed")
        self.conn.delete_attributes(self.dom, "cond")

    def test_issue_selects(self):
        self.assertEqual(self.select("k1 = 'value'"), ["a", "b"])
        self.assertEqual(self.select("city = 'Seattle' or city = 'Portland'"), ["a", "b", "d"])
        self.assertEqual(self.select("author like 'Rob%'"), ["a", "c"])
        self.assertEqual(self.select("year is not null"), ["a", "c"])
        self.assertEqual(self.select("every(keyword) in ('Book', 'Paperback')"), ["a", "c"])
        names = [i.name for i in self.dom.select("select itemName() from `%s`" % self.name)]
        self.assertEqual(names, ["a", "b", "c", "d"])
        count = list(self.dom.select("select count(*) from `%s`" % self.name))
        self.assertEqual(count[0]["Count"], "4")

    def test_more_selects(self):
        self.assertEqual(self.select("author like '%Rob'"), ["d"])
        self.assertEqual(self.select("author like '%Rob%'"), ["a", "b", "c", "d"])
        self.assertEqual(self.select("author not like 'Rob%'"), ["b", "d"])
        self.assertEqual(self.select("keyword = 'Book' intersection keyword = 'Paperback'"),
                         ["a"])
        self.assertEqual(self.select("keyword = 'Book' and keyword = 'Paperback'"), [])
        self.assertEqual(self.select("year between '1990' and '2005'"), ["a"])
        self.assertEqual(self.select("year is null"), ["b", "d"])
        self.assertEqual(self.select("not city = 'Seattle'"), ["b", "c"])
        self.assertEqual(self.select("itemName() in ('a', 'c', 'zz')"), ["a", "c"])
        self.assertEqual(self.select("(city = 'Seattle' and year > '1') or k1 != 'value'"),
                         ["a", "c", "d"])
        ordered = [i.name for i in self.dom.select(
            "select * from `%s` where year > '0' order by year desc" % self.name)]
        self.assertEqual(ordered, ["c", "a"])

    def test_select_iterates_all_pages(self):
        # boto 2 follows NextToken; the default page is 100 items.
        name = "many-%s" % uuid.uuid4().hex[:8]
        dom = self.conn.create_domain(name)
        for start in range(0, 230, 25):
            dom.batch_put_attributes({"i%03d" % i: {"n": str(i)}
                                      for i in range(start, min(start + 25, 230))})
        names = [i.name for i in dom.select("select * from `%s`" % name)]
        self.assertEqual(names, ["i%03d" % i for i in range(230)])
        dom.batch_delete_attributes({"i%03d" % i: None for i in range(25)})
        self.assertEqual(dom.get_metadata().item_count, 205)
        self.conn.delete_domain(name)

    def test_bad_select(self):
        with self.assertRaises(SDBResponseError) as ctx:
            list(self.dom.select("select * from `%s` where city = " % self.name))
        self.assertEqual(ctx.exception.error_code, "InvalidQueryExpression")
        self.assertIn("<BoxUsage>", ctx.exception.body)

    def test_to_xml(self):
        doc = ET.fromstring(self.dom.to_xml(BothWriter()).read())
        self.assertEqual(doc.get("id"), self.name)
        ids = sorted(i.get("id") for i in doc.findall("Item"))
        for name in "abcd":
            self.assertIn(name, ids)

    def legacy(self, action, params):
        response = self.conn.make_request(action, dict(params, DomainName=self.name))
        body = response.read()
        self.assertEqual(response.status, 200, body)
        return ET.fromstring(body)

    def test_legacy_query(self):
        # Query: bracket predicates, starts-with, does-not-start-with, intersection, union, not,
        # sort (SimpleDB API 2007-11-07, "Query" / "QueryWithAttributes").
        def query(expression, **extra):
            doc = self.legacy("Query", dict(extra, QueryExpression=expression))
            return [e.text for e in doc.iter(NS + "ItemName")]

        self.assertEqual(query("['city' = 'Seattle' or 'city' = 'Portland']"), ["a", "b", "d"])
        self.assertEqual(query("['author' starts-with 'Rob']"), ["a", "c"])
        self.assertEqual(query("['author' does-not-start-with 'Rob']"), ["b", "d"])
        self.assertEqual(query("['keyword' = 'Book'] intersection ['keyword' = 'Paperback']"),
                         ["a"])
        self.assertEqual(query("['keyword' = 'Book' and 'keyword' = 'Paperback']"), [])
        self.assertEqual(query("['city' = 'Boston'] union ['k1' = 'value']"), ["a", "b", "c"])
        self.assertEqual(query("not ['city' = 'Seattle']"), ["b", "c"])
        self.assertEqual(query("['year' > '0'] sort 'year' desc"), ["c", "a"])
        self.assertEqual(len(query("")), 4)
        doc = self.legacy("Query", {"QueryExpression": "", "MaxNumberOfItems": "3"})
        token = doc.find(".//" + NS + "NextToken").text
        rest = query("", NextToken=token, MaxNumberOfItems="3")
        self.assertEqual(rest, ["d"])
        doc = self.legacy("QueryWithAttributes", {"QueryExpression": "['k1' = 'value']",
                                                  "AttributeName.1": "city"})
        items = {i.find(NS + "Name").text: [(a.find(NS + "Name").text, a.find(NS + "Value").text)
                                            for a in i.findall(NS + "Attribute")]
                 for i in doc.iter(NS + "Item")}
        self.assertEqual(items, {"a": [("city", "Seattle")], "b": [("city", "Portland")]})
        response = self.conn.make_request("Query", {"DomainName": self.name,
                                                    "QueryExpression": "['a' = '1' and 'b' = '2']"})
        self.assertEqual(response.status, 400)
        self.assertIn(b"InvalidQueryExpression", response.read())


if __name__ == "__main__":
    unittest.main()
