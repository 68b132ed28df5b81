"""boto 2.49 S3 ACL calls against nimbus (runs under /usr/bin/python3 with python3-boto):
make_public(recursive=True), key.make_public(), set_acl with each canned ACL, get_all_keys with
prefix/delimiter/maxkeys, and generate_url(10) fetched anonymously with urllib.
S3 reference: https://docs.aws.amazon.com/AmazonS3/latest/userguide/acl-overview.html
"""
import os
import unittest
import urllib.error
import urllib.request
import uuid

os.environ["BOTO_CONFIG"] = "/dev/null"

import boto  # noqa: E402
import boto.s3.connection  # noqa: E402

from harness import ACCESS_KEY, SECRET_KEY, Nimbus  # noqa: E402

if not boto.config.has_section("Boto"):
    boto.config.add_section("Boto")
boto.config.set("Boto", "num_retries", "0")

CANNED = ["private", "public-read", "public-read-write", "authenticated-read",
          "bucket-owner-read", "bucket-owner-full-control"]


class Boto2AclTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Nimbus()
        cls.conn = boto.connect_s3(ACCESS_KEY, SECRET_KEY, host=cls.server.host,
                                   port=cls.server.port, is_secure=False,
                                   calling_format=boto.s3.connection.OrdinaryCallingFormat())

    @classmethod
    def tearDownClass(cls):
        cls.server.close()

    def anonymous_status(self, path):
        try:
            return urllib.request.urlopen(self.server.endpoint + path).status
        except urllib.error.HTTPError as e:
            return e.code

    def test_make_public_recursive_and_key_make_public(self):
        bucket = self.conn.create_bucket("b2acl-" + uuid.uuid4().hex[:12])
        for name in ("one", "two"):
            bucket.new_key(name).set_contents_from_string("v-" + name)
        self.assertEqual(self.anonymous_status("/%s/one" % bucket.name), 403)
        bucket.make_public(recursive=True)
        self.assertEqual(self.anonymous_status("/%s/one" % bucket.name), 200)
        self.assertEqual(self.anonymous_status("/%s/" % bucket.name), 200)
        key = bucket.new_key("three")
        key.set_contents_from_string("v3")
        self.assertEqual(self.anonymous_status("/%s/three" % bucket.name), 403)
        key.make_public()
        self.assertEqual(self.anonymous_status("/%s/three" % bucket.name), 200)

    def test_set_acl_with_each_canned_acl(self):
        bucket = self.conn.create_bucket("b2canned-" + uuid.uuid4().hex[:12])
        key = bucket.new_key("k")
        key.set_contents_from_string("x")
        for canned in CANNED:
            key.set_acl(canned)
            bucket.set_acl(canned)
            policy = key.get_acl()
            public = canned in ("public-read", "public-read-write")
            uris = [g.uri for g in policy.acl.grants if g.uri]
            self.assertEqual(any(u.endswith("/AllUsers") for u in uris), public, canned)
            self.assertEqual(self.anonymous_status("/%s/k" % bucket.name),
                             200 if public else 403, canned)

    def test_generate_url_fetched_anonymously(self):
        bucket = self.conn.create_bucket("b2url-" + uuid.uuid4().hex[:12])
        bucket.new_key("k").set_contents_from_string("signed")
        url = bucket.get_key("k").generate_url(10)
        self.assertEqual(urllib.request.urlopen(url).read(), b"signed")

    def test_get_all_keys_prefix_delimiter_maxkeys(self):
        bucket = self.conn.create_bucket("b2keys-" + uuid.uuid4().hex[:12])
        for name in ("a/1", "a/2", "b", "c"):
            bucket.new_key(name).set_contents_from_string("x")
        listed = bucket.get_all_keys(prefix="", delimiter="/")
        self.assertEqual(sorted(k.name for k in listed), ["a/", "b", "c"])
        listed = bucket.get_all_keys(maxkeys=2)
        self.assertEqual([k.name for k in listed], ["a/1", "a/2"])
        self.assertTrue(listed.is_truncated)
        self.assertEqual([k.name for k in bucket.get_all_keys(prefix="a/")], ["a/1", "a/2"])


if __name__ == "__main__":
    unittest.main()
