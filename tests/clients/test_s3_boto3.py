"""boto3 against nimbus S3 (first slice: buckets, PutObject/GetObject/HeadObject/DeleteObject).

Runs under the machine's python3 with boto3, set up as CLIENTS.md describes (endpoint_url,
region us-east-1, path-style addressing). Each test cites the S3 API reference behaviour it
reproduces: https://docs.aws.amazon.com/AmazonS3/latest/API/<page>.
"""
import hashlib
import os
import re
import tempfile
import unittest
import uuid

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import ClientError

from harness import (ACCESS_KEY, ACCOUNT_ID, SECOND_ACCESS_KEY, SECOND_SECRET_KEY, SECRET_KEY,
                     TEST_ACCESS_KEY, TEST_SECRET_KEY, Nimbus)

MiB = 1024 * 1024


def client(server, key=ACCESS_KEY, secret=SECRET_KEY):
    return boto3.client("s3", endpoint_url=server.endpoint, region_name="us-east-1",
                        aws_access_key_id=key, aws_secret_access_key=secret,
                        config=Config(retries={"total_max_attempts": 1}))


def unique_bucket(prefix="bkt"):
    return "%s-%s" % (prefix, uuid.uuid4().hex[:16])


class S3Case(unittest.TestCase):
    """One server for the class; each test uses its own buckets."""

    @classmethod
    def setUpClass(cls):
        cls.server = Nimbus()
        cls.s3 = client(cls.server)

    @classmethod
    def tearDownClass(cls):
        cls.server.close()

    def assertClientError(self, call, code, status):
        with self.assertRaises(ClientError) as caught:
            call()
        error = caught.exception.response
        self.assertEqual(error["Error"]["Code"], code)
        self.assertEqual(error["ResponseMetadata"]["HTTPStatusCode"], status)
        return error


class BucketTests(S3Case):
    def test_create_list_head_delete(self):
        # CreateBucket answers 200 with Location: /<name>; ListBuckets lists the caller's
        # buckets by name with an Owner; HeadBucket answers 200 with x-amz-bucket-region;
        # DeleteBucket answers 204 (API_CreateBucket, API_ListBuckets, API_HeadBucket,
        # API_DeleteBucket).
        names = sorted(unique_bucket("list") for _ in range(3))
        for name in reversed(names):
            created = self.s3.create_bucket(Bucket=name)
            self.assertEqual(created["ResponseMetadata"]["HTTPStatusCode"], 200)
            self.assertEqual(created["Location"], "/" + name)
        listed = self.s3.list_buckets()
        mine = [b["Name"] for b in listed["Buckets"] if b["Name"].startswith("list-")]
        self.assertEqual(mine, names)
        self.assertEqual(listed["Owner"]["ID"], hashlib.sha256(ACCOUNT_ID.encode()).hexdigest())
        self.assertTrue(re.fullmatch(r"[0-9a-f]{64}", listed["Owner"]["ID"]))
        for bucket in (b for b in listed["Buckets"] if b["Name"] in names):
            self.assertEqual(bucket["BucketRegion"], "us-east-1")
            self.assertIsNotNone(bucket["CreationDate"].tzinfo)

        head = self.s3.head_bucket(Bucket=names[0])
        self.assertEqual(head["ResponseMetadata"]["HTTPStatusCode"], 200)
        self.assertEqual(head["ResponseMetadata"]["HTTPHeaders"]["x-amz-bucket-region"],
                         "us-east-1")
        for name in names:
            deleted = self.s3.delete_bucket(Bucket=name)
            self.assertEqual(deleted["ResponseMetadata"]["HTTPStatusCode"], 204)
        # HEAD errors carry no body: botocore reports the status code as the error code.
        self.assertClientError(lambda: self.s3.head_bucket(Bucket=names[0]), "404", 404)
        self.assertClientError(lambda: self.s3.delete_bucket(Bucket=names[0]), "NoSuchBucket",
                               404)

    def test_the_test_key_pair_is_the_same_account(self):
        # Access keys map to accounts; conf/credentials gives test/test account 000000000000.
        name = unique_bucket("same")
        self.s3.create_bucket(Bucket=name)
        other_key = client(self.server, TEST_ACCESS_KEY, TEST_SECRET_KEY)
        self.assertIn(name, [b["Name"] for b in other_key.list_buckets()["Buckets"]])
        other_key.head_bucket(Bucket=name)

    def test_invalid_bucket_name(self):
        # Bucket naming rules: lower case, 3-63 characters, no underscores -> 400
        # InvalidBucketName (bucketnamingrules.html, ErrorResponses.html).
        for bad in ("Upper_Case_Name", "ab", "bad..dots", "192.168.1.1"):
            error = self.assertClientError(lambda: self.s3.create_bucket(Bucket=bad),
                                           "InvalidBucketName", 400)
            self.assertEqual(error["Error"]["BucketName"], bad)

    def test_bucket_already_exists_and_owned_by_you(self):
        # Names are global: another account gets 409 BucketAlreadyExists. In us-east-1 the owner
        # re-creating its bucket gets 200 (legacy behaviour); elsewhere 409
        # BucketAlreadyOwnedByYou (API_CreateBucket, "Errors").
        name = unique_bucket("taken")
        self.s3.create_bucket(Bucket=name)
        self.assertEqual(self.s3.create_bucket(Bucket=name)["ResponseMetadata"]["HTTPStatusCode"],
                         200)
        second = client(self.server, SECOND_ACCESS_KEY, SECOND_SECRET_KEY)
        self.assertClientError(lambda: second.create_bucket(Bucket=name), "BucketAlreadyExists",
                               409)
        self.assertNotIn(name, [b["Name"] for b in second.list_buckets()["Buckets"]])

        eu_client = boto3.client("s3", endpoint_url=self.server.endpoint, region_name="eu-west-1",
                                 aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY)
        eu_name = unique_bucket("eu")
        config = {"LocationConstraint": "eu-west-1"}
        eu_client.create_bucket(Bucket=eu_name, CreateBucketConfiguration=config)
        self.assertClientError(
            lambda: eu_client.create_bucket(Bucket=eu_name, CreateBucketConfiguration=config),
            "BucketAlreadyOwnedByYou", 409)
        head = self.s3.head_bucket(Bucket=eu_name)
        self.assertEqual(head["BucketRegion"], "eu-west-1")

    def test_location_constraint_must_match_the_regional_endpoint(self):
        # A request to a regional endpoint without a matching LocationConstraint fails with
        # 400 IllegalLocationConstraintException; "us-east-1" is not a valid constraint
        # (API_CreateBucket, CreateBucketConfiguration).
        eu_client = boto3.client("s3", endpoint_url=self.server.endpoint, region_name="eu-west-1",
                                 aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY)
        self.assertClientError(lambda: eu_client.create_bucket(Bucket=unique_bucket()),
                               "IllegalLocationConstraintException", 400)
        self.assertClientError(
            lambda: self.s3.create_bucket(
                Bucket=unique_bucket(),
                CreateBucketConfiguration={"LocationConstraint": "us-east-1"}),
            "InvalidLocationConstraint", 400)

    def test_bucket_not_empty(self):
        # DeleteBucket: "All objects ... must be deleted before the bucket itself can be
        # deleted" -> 409 BucketNotEmpty.
        name = unique_bucket("full")
        self.s3.create_bucket(Bucket=name)
        self.s3.put_object(Bucket=name, Key="k", Body=b"x")
        error = self.assertClientError(lambda: self.s3.delete_bucket(Bucket=name),
                                       "BucketNotEmpty", 409)
        self.assertEqual(error["Error"]["BucketName"], name)
        self.s3.delete_object(Bucket=name, Key="k")
        self.s3.delete_bucket(Bucket=name)

    def test_other_account_is_denied(self):
        # Without a grant, only the bucket owner may use a bucket: 403 AccessDenied
        # (access-control-overview.html).
        name = unique_bucket("private")
        self.s3.create_bucket(Bucket=name)
        self.s3.put_object(Bucket=name, Key="secret", Body=b"mine")
        second = client(self.server, SECOND_ACCESS_KEY, SECOND_SECRET_KEY)
        self.assertClientError(lambda: second.head_bucket(Bucket=name), "403", 403)
        self.assertClientError(lambda: second.get_object(Bucket=name, Key="secret"),
                               "AccessDenied", 403)
        self.assertClientError(lambda: second.put_object(Bucket=name, Key="x", Body=b"y"),
                               "AccessDenied", 403)
        self.assertClientError(lambda: second.delete_object(Bucket=name, Key="secret"),
                               "AccessDenied", 403)
        self.assertClientError(lambda: second.delete_bucket(Bucket=name), "AccessDenied", 403)
        self.assertEqual(self.s3.get_object(Bucket=name, Key="secret")["Body"].read(), b"mine")


class ObjectTests(S3Case):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.bucket = unique_bucket("objects")
        cls.s3.create_bucket(Bucket=cls.bucket)

    def test_put_get_head_delete_with_metadata(self):
        # PutObject returns ETag = quoted MD5 of the body; GetObject/HeadObject return the
        # stored Content-Type, content headers and x-amz-meta-* (names lower-cased), Accept-Ranges
        # and Last-Modified; DeleteObject answers 204 (API_PutObject, API_GetObject,
        # API_HeadObject, API_DeleteObject, UsingMetadata.html).
        body = b"hello, nimbus\n"
        put = self.s3.put_object(Bucket=self.bucket, Key="docs/hello.txt", Body=body,
                                 ContentType="text/plain; charset=utf-8",
                                 CacheControl="max-age=300", ContentDisposition="inline",
                                 ContentLanguage="en-GB", Metadata={"Color": "blue", "n": "1"})
        etag = '"%s"' % hashlib.md5(body).hexdigest()
        self.assertEqual(put["ETag"], etag)
        self.assertEqual(put["ServerSideEncryption"], "AES256")

        got = self.s3.get_object(Bucket=self.bucket, Key="docs/hello.txt")
        self.assertEqual(got["Body"].read(), body)
        self.assertEqual(got["ETag"], etag)
        self.assertEqual(got["ContentLength"], len(body))
        self.assertEqual(got["ContentType"], "text/plain; charset=utf-8")
        self.assertEqual(got["CacheControl"], "max-age=300")
        self.assertEqual(got["ContentDisposition"], "inline")
        self.assertEqual(got["ContentLanguage"], "en-GB")
        self.assertEqual(got["Metadata"], {"color": "blue", "n": "1"})
        self.assertEqual(got["AcceptRanges"], "bytes")
        self.assertIsNotNone(got["LastModified"].tzinfo)

        head = self.s3.head_object(Bucket=self.bucket, Key="docs/hello.txt")
        self.assertEqual(head["ContentLength"], len(body))
        self.assertEqual(head["ETag"], etag)
        self.assertEqual(head["Metadata"], {"color": "blue", "n": "1"})
        self.assertEqual(head["LastModified"], got["LastModified"])

        deleted = self.s3.delete_object(Bucket=self.bucket, Key="docs/hello.txt")
        self.assertEqual(deleted["ResponseMetadata"]["HTTPStatusCode"], 204)
        self.assertClientError(lambda: self.s3.head_object(Bucket=self.bucket,
                                                           Key="docs/hello.txt"), "404", 404)

    def test_default_content_type_and_empty_object(self):
        # Without Content-Type S3 stores binary/octet-stream; an empty body is a 0-byte object
        # whose ETag is the MD5 of nothing.
        put = self.s3.put_object(Bucket=self.bucket, Key="empty")
        self.assertEqual(put["ETag"], '"d41d8cd98f00b204e9800998ecf8427e"')
        got = self.s3.get_object(Bucket=self.bucket, Key="empty")
        self.assertEqual(got["Body"].read(), b"")
        self.assertEqual(got["ContentLength"], 0)
        self.assertEqual(got["ContentType"], "binary/octet-stream")

    def test_awkward_keys(self):
        # Object keys are any UTF-8 up to 1024 bytes; '/', '+', spaces, '..' are plain
        # characters of the key (object-keys.html).
        keys = ["with space", "plus+sign", "unicodé/ключ/鍵", "double//slash", "../../etc/passwd",
                "./dot", "trailing/", "percent%20literal", "question?mark", "hash#tag"]
        for i, key in enumerate(keys):
            self.s3.put_object(Bucket=self.bucket, Key=key, Body=("value %d" % i).encode())
        for i, key in enumerate(keys):
            with self.subTest(key=key):
                got = self.s3.get_object(Bucket=self.bucket, Key=key)
                self.assertEqual(got["Body"].read(), ("value %d" % i).encode())
                self.assertEqual(self.s3.head_object(Bucket=self.bucket, Key=key)["ContentLength"],
                                 len("value %d" % i))
        self.assertClientError(lambda: self.s3.get_object(Bucket=self.bucket, Key="etc/passwd"),
                               "NoSuchKey", 404)
        for key in keys:
            self.s3.delete_object(Bucket=self.bucket, Key=key)
            self.assertClientError(lambda: self.s3.get_object(Bucket=self.bucket, Key=key),
                                   "NoSuchKey", 404)

    def test_key_too_long(self):
        # "The name for a key ... up to 1,024 bytes long" -> 400 KeyTooLongError.
        self.s3.put_object(Bucket=self.bucket, Key="k" * 1024, Body=b"ok")
        self.assertClientError(
            lambda: self.s3.put_object(Bucket=self.bucket, Key="k" * 1025, Body=b"x"),
            "KeyTooLongError", 400)

    def test_metadata_too_large(self):
        # User-defined metadata is limited to 2 KB (keys plus values) -> 400 MetadataTooLarge.
        self.assertClientError(
            lambda: self.s3.put_object(Bucket=self.bucket, Key="meta", Body=b"x",
                                       Metadata={"big": "v" * 2100}),
            "MetadataTooLarge", 400)

    def test_missing_key_and_bucket(self):
        # GetObject of a missing key: 404 NoSuchKey naming the key; of a missing bucket: 404
        # NoSuchBucket naming the bucket (ErrorResponses.html).
        error = self.assertClientError(
            lambda: self.s3.get_object(Bucket=self.bucket, Key="no/such/key"), "NoSuchKey", 404)
        self.assertEqual(error["Error"]["Key"], "no/such/key")
        missing = unique_bucket("missing")
        error = self.assertClientError(lambda: self.s3.get_object(Bucket=missing, Key="k"),
                                       "NoSuchBucket", 404)
        self.assertEqual(error["Error"]["BucketName"], missing)
        self.assertClientError(lambda: self.s3.put_object(Bucket=missing, Key="k", Body=b"x"),
                               "NoSuchBucket", 404)
        # DeleteObject of a key that does not exist still answers 204.
        self.assertEqual(self.s3.delete_object(Bucket=self.bucket, Key="never-was")
                         ["ResponseMetadata"]["HTTPStatusCode"], 204)

    def test_content_md5(self):
        # Content-MD5 that is not base64 of 16 bytes -> 400 InvalidDigest; one that does not
        # match the body -> 400 BadDigest (API_PutObject, ErrorResponses.html).
        import base64
        good = base64.b64encode(hashlib.md5(b"abc").digest()).decode()
        self.s3.put_object(Bucket=self.bucket, Key="md5", Body=b"abc", ContentMD5=good)
        self.assertClientError(
            lambda: self.s3.put_object(Bucket=self.bucket, Key="md5", Body=b"abd",
                                       ContentMD5=good), "BadDigest", 400)
        self.assertClientError(
            lambda: self.s3.put_object(Bucket=self.bucket, Key="md5", Body=b"abc",
                                       ContentMD5="not-md5"), "InvalidDigest", 400)
        self.assertEqual(self.s3.get_object(Bucket=self.bucket, Key="md5")["Body"].read(), b"abc")

    def test_flexible_checksums(self):
        # x-amz-checksum-<algorithm> is verified on upload and returned by GetObject with
        # ChecksumMode=ENABLED, which botocore validates (checking-object-integrity.html).
        body = b"checksummed body" * 1000
        put = self.s3.put_object(Bucket=self.bucket, Key="sha", Body=body,
                                 ChecksumAlgorithm="SHA256")
        import base64
        expected = base64.b64encode(hashlib.sha256(body).digest()).decode()
        self.assertEqual(put["ChecksumSHA256"], expected)
        got = self.s3.get_object(Bucket=self.bucket, Key="sha", ChecksumMode="ENABLED")
        self.assertEqual(got["ChecksumSHA256"], expected)
        self.assertEqual(got["Body"].read(), body)
        # A wrong value supplied by hand is refused.
        self.assertClientError(
            lambda: self.s3.put_object(Bucket=self.bucket, Key="sha", Body=b"other",
                                       ChecksumSHA256=expected), "BadDigest", 400)

    def test_single_range(self):
        # GetObject with Range: bytes=first-last answers 206 with Content-Range; a range past
        # the end answers 416 InvalidRange (API_GetObject, RFC 9110).
        self.s3.put_object(Bucket=self.bucket, Key="digits", Body=b"0123456789")
        part = self.s3.get_object(Bucket=self.bucket, Key="digits", Range="bytes=3-6")
        self.assertEqual(part["ResponseMetadata"]["HTTPStatusCode"], 206)
        self.assertEqual(part["ContentRange"], "bytes 3-6/10")
        self.assertEqual(part["Body"].read(), b"3456")
        tail = self.s3.get_object(Bucket=self.bucket, Key="digits", Range="bytes=-2")
        self.assertEqual(tail["Body"].read(), b"89")
        self.assertClientError(
            lambda: self.s3.get_object(Bucket=self.bucket, Key="digits", Range="bytes=10-"),
            "InvalidRange", 416)

    def test_overwrite_replaces(self):
        # PutObject to an existing key replaces the object (no versioning).
        self.s3.put_object(Bucket=self.bucket, Key="over", Body=b"first", Metadata={"v": "1"})
        self.s3.put_object(Bucket=self.bucket, Key="over", Body=b"second!")
        got = self.s3.get_object(Bucket=self.bucket, Key="over")
        self.assertEqual(got["Body"].read(), b"second!")
        self.assertEqual(got["Metadata"], {})

    def test_twenty_mib_upload_and_download_file(self):
        # upload_file/download_file of 20 MiB through single PutObject/GetObject (multipart is a
        # later slice, so the threshold is raised to 64 MiB); bytes must round-trip exactly.
        config = TransferConfig(multipart_threshold=64 * MiB)
        with tempfile.TemporaryDirectory() as tmp:
            source = os.path.join(tmp, "source.bin")
            target = os.path.join(tmp, "target.bin")
            data = os.urandom(20 * MiB)
            with open(source, "wb") as f:
                f.write(data)
            self.s3.upload_file(source, self.bucket, "big/file.bin", Config=config)
            head = self.s3.head_object(Bucket=self.bucket, Key="big/file.bin")
            self.assertEqual(head["ContentLength"], 20 * MiB)
            self.assertEqual(head["ETag"], '"%s"' % hashlib.md5(data).hexdigest())
            self.s3.download_file(self.bucket, "big/file.bin", target, Config=config)
            with open(target, "rb") as f:
                self.assertEqual(hashlib.sha256(f.read()).hexdigest(),
                                 hashlib.sha256(data).hexdigest())


class AuthTests(S3Case):
    def test_wrong_secret_key(self):
        # A signature made with the wrong secret -> 403 SignatureDoesNotMatch (signature-v4
        # troubleshooting, ErrorResponses.html).
        bad = client(self.server, ACCESS_KEY, "not-the-secret")
        error = self.assertClientError(bad.list_buckets, "SignatureDoesNotMatch", 403)
        self.assertEqual(error["Error"]["AWSAccessKeyId"], ACCESS_KEY)

    def test_unknown_access_key(self):
        # An access key S3 does not know -> 403 InvalidAccessKeyId.
        bad = client(self.server, "AKIAUNKNOWNKEY000000", SECRET_KEY)
        error = self.assertClientError(bad.list_buckets, "InvalidAccessKeyId", 403)
        self.assertEqual(error["Error"]["AWSAccessKeyId"], "AKIAUNKNOWNKEY000000")


class DurabilityTests(unittest.TestCase):
    def test_data_survives_restart_and_kill9(self):
        # An acknowledged PutObject is durable: the bucket and object are there after a clean
        # restart and after SIGKILL (S3's read-after-write consistency for new objects).
        with Nimbus() as server:
            s3 = client(server)
            name = unique_bucket("durable")
            s3.create_bucket(Bucket=name)
            s3.put_object(Bucket=name, Key="before-restart", Body=b"one",
                          Metadata={"kept": "yes"})
            server.restart()
            s3 = client(server)
            got = s3.get_object(Bucket=name, Key="before-restart")
            self.assertEqual(got["Body"].read(), b"one")
            self.assertEqual(got["Metadata"], {"kept": "yes"})

            s3.put_object(Bucket=name, Key="before-kill", Body=b"two" * 100000)
            server.kill9()
            server.start()
            s3 = client(server)
            self.assertEqual(s3.get_object(Bucket=name, Key="before-kill")["Body"].read(),
                             b"two" * 100000)
            self.assertEqual(s3.get_object(Bucket=name, Key="before-restart")["Body"].read(),
                             b"one")
            self.assertIn(name, [b["Name"] for b in s3.list_buckets()["Buckets"]])


if __name__ == "__main__":
    unittest.main()
