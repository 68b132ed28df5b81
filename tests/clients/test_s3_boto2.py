"""Legacy boto 2.49 against nimbus S3 (runs under Debian's /usr/bin/python3 with python3-boto).

boto 2 signs S3 with SigV2 (`Authorization: AWS key:signature`), uses path-style requests with
OrdinaryCallingFormat, and insists that a PUT's ETag is the quoted MD5 of the body. Set-up as in
CLIENTS.md: BOTO_CONFIG=/dev/null before importing boto, and no retries. Each test cites the S3
API reference behaviour it reproduces (https://docs.aws.amazon.com/AmazonS3/latest/API/...).
"""
import hashlib
import os
import unittest
import uuid

os.environ["BOTO_CONFIG"] = "/dev/null"

import boto  # noqa: E402
import boto.s3.connection  # noqa: E402
from boto.exception import S3CreateError, S3ResponseError  # noqa: E402

from harness import (ACCESS_KEY, SECOND_ACCESS_KEY, SECOND_SECRET_KEY, SECRET_KEY,  # noqa: E402
                     Nimbus)

if not boto.config.has_section("Boto"):
    boto.config.add_section("Boto")
boto.config.set("Boto", "num_retries", "0")


def connect(server, key=ACCESS_KEY, secret=SECRET_KEY):
    return boto.connect_s3(key, secret, host=server.host, port=server.port, is_secure=False,
                           calling_format=boto.s3.connection.OrdinaryCallingFormat())


def unique_bucket(prefix):
    return "%s-%s" % (prefix, uuid.uuid4().hex[:16])


class Boto2S3Tests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Nimbus()
        cls.conn = connect(cls.server)

    @classmethod
    def tearDownClass(cls):
        cls.server.close()

    def test_bucket_create_list_delete(self):
        # CreateBucket / ListBuckets (GET Service) / DeleteBucket over SigV2 (API_CreateBucket,
        # API_ListBuckets, API_DeleteBucket, RESTAuthentication.html).
        name = unique_bucket("boto2")
        bucket = self.conn.create_bucket(name)
        self.assertEqual(bucket.name, name)
        self.assertIn(name, [b.name for b in self.conn.get_all_buckets()])
        self.assertIsNotNone(self.conn.lookup(name))  # HEAD bucket
        self.conn.delete_bucket(name)
        self.assertNotIn(name, [b.name for b in self.conn.get_all_buckets()])
        self.assertIsNone(self.conn.lookup(name))

    def test_object_round_trip_with_metadata(self):
        # PUT Object returns ETag "<md5 hex>" (boto 2 compares it with its own MD5); GET returns
        # the bytes and x-amz-meta-* headers; DELETE removes the key (API_PutObject,
        # API_GetObject, API_DeleteObject, UsingMetadata.html).
        bucket = self.conn.create_bucket(unique_bucket("boto2obj"))
        key = bucket.new_key("folder/hello world.txt")
        key.set_metadata("colour", "green")
        key.set_metadata("Owner-Name", "nimbus")
        key.content_type = "text/plain"
        body = "Hello from boto 2 \u2713"
        key.set_contents_from_string(body)
        self.assertEqual(key.etag, '"%s"' % hashlib.md5(body.encode("utf-8")).hexdigest())

        fetched = bucket.get_key("folder/hello world.txt")
        self.assertIsNotNone(fetched)
        self.assertEqual(fetched.get_metadata("colour"), "green")
        self.assertEqual(fetched.get_metadata("owner-name"), "nimbus")
        self.assertEqual(fetched.content_type, "text/plain")
        self.assertEqual(fetched.size, len(body.encode("utf-8")))
        self.assertEqual(fetched.get_contents_as_string(), body.encode("utf-8"))

        bucket.delete_key("folder/hello world.txt")
        self.assertIsNone(bucket.get_key("folder/hello world.txt"))
        with self.assertRaises(S3ResponseError) as caught:
            bucket.new_key("folder/hello world.txt").get_contents_as_string()
        self.assertEqual(caught.exception.status, 404)
        self.assertEqual(caught.exception.error_code, "NoSuchKey")
        self.conn.delete_bucket(bucket.name)

    def test_keys_that_look_like_paths(self):
        # Keys are opaque: a leading '/' (boto 2's Queue.save_to_s3 sends one), '..' and '//'
        # stay part of the key (object-keys.html).
        bucket = self.conn.create_bucket(unique_bucket("boto2keys"))
        for i, name in enumerate(["/leading", "a//b", "../up", "sp ace+plus"]):
            bucket.new_key(name).set_contents_from_string("v%d" % i)
            self.assertEqual(bucket.get_key(name).get_contents_as_string(), b"v%d" % i)

    def test_versions_and_delete_markers_in_one_order(self):
        # API_ListObjectVersions: Version and DeleteMarker elements in one sequence, keys
        # ascending and each key's versions newest first, delete markers where they fall; boto 2
        # keeps the document order in its result set, and pages resume from
        # NextKeyMarker/NextVersionIdMarker exactly.
        from boto.s3.deletemarker import DeleteMarker
        bucket = self.conn.create_bucket(unique_bucket("boto2v"))
        bucket.configure_versioning(True)
        history = []  # (key, version id, is a delete marker), oldest first
        for key, steps in (("b", "PDPD"), ("a", "PPDP"), ("c", "D")):
            for step in steps:
                if step == "P":
                    k = bucket.new_key(key)
                    k.set_contents_from_string("v%d" % len(history))
                    history.append((key, k.version_id, False))
                else:
                    marker = bucket.delete_key(key)
                    history.append((key, marker.version_id, True))
        expected = [e for key in ("a", "b", "c") for e in reversed(history) if e[0] == key]

        def entries(result):
            return [(e.name, e.version_id, isinstance(e, DeleteMarker)) for e in result]

        self.assertEqual(entries(bucket.get_all_versions()), expected)
        self.assertEqual(entries(bucket.list_versions()), expected)
        for size in (1, 2, 3):
            got, key_marker, version_marker = [], "", ""
            while True:
                page = bucket.get_all_versions(max_keys=size, key_marker=key_marker,
                                               version_id_marker=version_marker)
                got += entries(page)
                if not page.is_truncated:
                    break
                key_marker, version_marker = page.next_key_marker, page.next_version_id_marker
            self.assertEqual(got, expected, "pages of %d" % size)

    def test_errors(self):
        # Deleting a bucket that holds objects: 409 BucketNotEmpty; a name another account owns:
        # 409 BucketAlreadyExists; a missing bucket: 404 NoSuchBucket (ErrorResponses.html).
        bucket = self.conn.create_bucket(unique_bucket("boto2err"))
        bucket.new_key("k").set_contents_from_string("x")
        with self.assertRaises(S3ResponseError) as caught:
            self.conn.delete_bucket(bucket.name)
        self.assertEqual(caught.exception.status, 409)
        self.assertEqual(caught.exception.error_code, "BucketNotEmpty")

        second = connect(self.server, SECOND_ACCESS_KEY, SECOND_SECRET_KEY)
        with self.assertRaises(S3CreateError) as taken:
            second.create_bucket(bucket.name)
        self.assertEqual(taken.exception.status, 409)
        self.assertEqual(taken.exception.error_code, "BucketAlreadyExists")

        with self.assertRaises(S3ResponseError) as missing:
            self.conn.get_bucket(unique_bucket("boto2missing"))
        self.assertEqual(missing.exception.status, 404)

    def test_wrong_secret_is_refused(self):
        # A SigV2 signature made with the wrong secret: 403 SignatureDoesNotMatch
        # (RESTAuthentication.html).
        bad = connect(self.server, ACCESS_KEY, "wrong-secret")
        with self.assertRaises(S3ResponseError) as caught:
            bad.get_all_buckets()
        self.assertEqual(caught.exception.status, 403)
        self.assertEqual(caught.exception.error_code, "SignatureDoesNotMatch")


if __name__ == "__main__":
    unittest.main()
