"""boto3 against nimbus S3: listing, DeleteObjects, CopyObject, conditionals, tagging, multipart
(upload_file/download_file across the threshold), ListMultipartUploads, versioning, ACLs and
presigned URLs (SigV2 and SigV4) fetched with urllib, and 100 concurrent writers of one key.

Each test cites the S3 API reference page it reproduces:
https://docs.aws.amazon.com/AmazonS3/latest/API/<page>.
"""
import hashlib
import os
import tempfile
import threading
import time
import unittest
import urllib.error
import urllib.request
import uuid

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import ClientError

from harness import (ACCESS_KEY, SECOND_ACCESS_KEY, SECOND_SECRET_KEY, SECRET_KEY, Nimbus)

MiB = 1024 * 1024


def client(server, key=ACCESS_KEY, secret=SECRET_KEY, **config):
    return boto3.client("s3", endpoint_url=server.endpoint, region_name="us-east-1",
                        aws_access_key_id=key, aws_secret_access_key=secret,
                        config=Config(retries={"total_max_attempts": 1}, **config))


def unique_bucket(prefix="obj"):
    return "%s-%s" % (prefix, uuid.uuid4().hex[:16])


class S3Case(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Nimbus()
        cls.s3 = client(cls.server)

    @classmethod
    def tearDownClass(cls):
        cls.server.close()

    def bucket(self):
        name = unique_bucket()
        self.s3.create_bucket(Bucket=name)
        return name

    def assertClientError(self, call, code, status):
        with self.assertRaises(ClientError) as caught:
            call()
        error = caught.exception.response
        self.assertEqual(error["Error"]["Code"], code)
        self.assertEqual(error["ResponseMetadata"]["HTTPStatusCode"], status)
        return error


class ListingTests(S3Case):
    def test_v2_paginator_delimiter_and_url_encoding(self):
        # API_ListObjectsV2: CommonPrefixes, KeyCount, continuation tokens, EncodingType=url
        # (boto3 asks for url encoding and decodes the keys again).
        b = self.bucket()
        keys = ["a b+c%", "dir/1", "dir/2", "dir/sub/3", "top", "ünï/code"]
        for k in keys:
            self.s3.put_object(Bucket=b, Key=k, Body=b"x")
        page = self.s3.list_objects_v2(Bucket=b, Delimiter="/")
        self.assertEqual([c["Key"] for c in page["Contents"]], ["a b+c%", "top"])
        self.assertEqual([p["Prefix"] for p in page["CommonPrefixes"]], ["dir/", "ünï/"])
        self.assertEqual(page["KeyCount"], 4)
        seen = []
        for p in self.s3.get_paginator("list_objects_v2").paginate(
                Bucket=b, PaginationConfig={"PageSize": 2}):
            seen += [c["Key"] for c in p.get("Contents", [])]
        self.assertEqual(seen, sorted(keys, key=lambda k: k.encode()))

    def test_v1_marker_paging(self):
        # API_ListObjects: Marker / NextMarker with a delimiter; IsTruncated.
        b = self.bucket()
        for k in ["a/1", "a/2", "b", "c"]:
            self.s3.put_object(Bucket=b, Key=k, Body=b"x")
        first = self.s3.list_objects(Bucket=b, Delimiter="/", MaxKeys=2)
        self.assertTrue(first["IsTruncated"])
        self.assertEqual(first["NextMarker"], "b")
        rest = self.s3.list_objects(Bucket=b, Delimiter="/", Marker=first["NextMarker"])
        self.assertEqual([c["Key"] for c in rest["Contents"]], ["c"])
        self.assertFalse(rest["IsTruncated"])

    def test_zero_max_keys_is_an_empty_complete_page(self):
        # AWS answers max-keys=0 (and max-uploads=0) with no entries, IsTruncated false and no
        # marker or token, so a paginator stops instead of asking again for ever.
        b = self.bucket()
        for key in ["a", "b/c"]:
            self.s3.put_object(Bucket=b, Key=key, Body=b"x")
            self.s3.create_multipart_upload(Bucket=b, Key=key)
        v1 = self.s3.list_objects(Bucket=b, MaxKeys=0)
        self.assertNotIn("Contents", v1)
        self.assertFalse(v1["IsTruncated"])
        self.assertNotIn("NextMarker", v1)
        v2 = self.s3.list_objects_v2(Bucket=b, MaxKeys=0, Delimiter="/")
        self.assertEqual(v2["KeyCount"], 0)
        self.assertFalse(v2["IsTruncated"])
        self.assertNotIn("NextContinuationToken", v2)
        versions = self.s3.list_object_versions(Bucket=b, MaxKeys=0)
        self.assertFalse(versions["IsTruncated"])
        self.assertNotIn("Versions", versions)
        uploads = self.s3.list_multipart_uploads(Bucket=b, MaxUploads=0)
        self.assertFalse(uploads["IsTruncated"])
        self.assertNotIn("Uploads", uploads)
        self.assertNotIn("NextKeyMarker", uploads)


class ObjectTests(S3Case):
    def test_delete_objects(self):
        # API_DeleteObjects: Deleted entries, Quiet mode.
        b = self.bucket()
        for k in ["a", "b", "c"]:
            self.s3.put_object(Bucket=b, Key=k, Body=b"x")
        out = self.s3.delete_objects(Bucket=b, Delete={"Objects": [{"Key": "a"}, {"Key": "b"}]})
        self.assertEqual(sorted(d["Key"] for d in out["Deleted"]), ["a", "b"])
        out = self.s3.delete_objects(Bucket=b, Delete={"Objects": [{"Key": "c"}], "Quiet": True})
        self.assertNotIn("Deleted", out)
        self.assertEqual(self.s3.list_objects_v2(Bucket=b)["KeyCount"], 0)

    def test_copy_object(self):
        # API_CopyObject: COPY / REPLACE metadata directive; copy onto itself needs REPLACE.
        b = self.bucket()
        self.s3.put_object(Bucket=b, Key="src", Body=b"data", Metadata={"k": "v"},
                           ContentType="text/x-one")
        self.s3.copy_object(Bucket=b, Key="dst", CopySource={"Bucket": b, "Key": "src"})
        head = self.s3.head_object(Bucket=b, Key="dst")
        self.assertEqual(head["Metadata"], {"k": "v"})
        self.assertEqual(head["ContentType"], "text/x-one")
        self.assertClientError(lambda: self.s3.copy_object(
            Bucket=b, Key="src", CopySource={"Bucket": b, "Key": "src"}), "InvalidRequest", 400)
        self.s3.copy_object(Bucket=b, Key="src", CopySource={"Bucket": b, "Key": "src"},
                            MetadataDirective="REPLACE", Metadata={"k": "new"})
        self.assertEqual(self.s3.head_object(Bucket=b, Key="src")["Metadata"], {"k": "new"})
        self.assertEqual(self.s3.get_object(Bucket=b, Key="src")["Body"].read(), b"data")
        self.assertClientError(lambda: self.s3.copy_object(
            Bucket=b, Key="x", CopySource={"Bucket": b, "Key": "src"},
            CopySourceIfMatch='"0000"'), "PreconditionFailed", 412)

    def test_conditional_get(self):
        # API_GetObject: If-None-Match matching → 304, If-Match failing → 412.
        b = self.bucket()
        etag = self.s3.put_object(Bucket=b, Key="k", Body=b"x")["ETag"]
        self.assertClientError(lambda: self.s3.get_object(Bucket=b, Key="k", IfNoneMatch=etag),
                               "304", 304)
        self.assertClientError(lambda: self.s3.get_object(Bucket=b, Key="k", IfMatch='"1"'),
                               "PreconditionFailed", 412)
        self.assertEqual(self.s3.get_object(Bucket=b, Key="k", IfMatch=etag)["Body"].read(), b"x")

    def test_tagging_and_location(self):
        # API_PutObjectTagging, API_GetObjectTagging, API_PutBucketTagging, API_GetBucketLocation.
        b = self.bucket()
        self.s3.put_object(Bucket=b, Key="k", Body=b"x", Tagging="a=1")
        self.assertEqual(self.s3.get_object_tagging(Bucket=b, Key="k")["TagSet"],
                         [{"Key": "a", "Value": "1"}])
        self.s3.put_bucket_tagging(Bucket=b, Tagging={"TagSet": [{"Key": "t", "Value": "v"}]})
        self.assertEqual(self.s3.get_bucket_tagging(Bucket=b)["TagSet"],
                         [{"Key": "t", "Value": "v"}])
        self.assertIsNone(self.s3.get_bucket_location(Bucket=b)["LocationConstraint"])

    def test_concurrent_writers_of_one_key(self):
        # Last complete write wins, never a mixed object: 100 writers of 1 MiB each.
        b = self.bucket()
        # Every write must succeed (a failed one would not be a contender), and the survivor's
        # ETag is the MD5 of the body it holds.
        b = self.bucket()
        bodies = [bytes([65 + i % 26]) * MiB for i in range(100)]
        errors = []

        def write(body):
            try:
                client(self.server).put_object(Bucket=b, Key="hot", Body=body)
            except Exception as e:  # reported below
                errors.append(e)

        threads = [threading.Thread(target=write, args=(body,)) for body in bodies]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(errors, [])
        got = self.s3.get_object(Bucket=b, Key="hot")
        body = got["Body"].read()
        self.assertEqual(len(body), MiB)
        self.assertEqual(body, body[:1] * MiB)
        self.assertEqual(got["ETag"], '"%s"' % hashlib.md5(body).hexdigest())


class MultipartTests(S3Case):
    def test_upload_file_and_download_file_cross_the_threshold(self):
        # userguide/mpuoverview.html: boto3's transfer manager uploads 5 MiB parts, the ETag is
        # md5-of-md5s "-N", and the download reads the object back byte for byte.
        b = self.bucket()
        data = os.urandom(13 * MiB)
        config = TransferConfig(multipart_threshold=5 * MiB, multipart_chunksize=5 * MiB)
        with tempfile.TemporaryDirectory() as tmp:
            src, dst = os.path.join(tmp, "src"), os.path.join(tmp, "dst")
            with open(src, "wb") as f:
                f.write(data)
            self.s3.upload_file(src, b, "big", Config=config)
            head = self.s3.head_object(Bucket=b, Key="big")
            self.assertTrue(head["ETag"].endswith('-3"'))
            parts = [data[i:i + 5 * MiB] for i in range(0, len(data), 5 * MiB)]
            expected = hashlib.md5(b"".join(hashlib.md5(p).digest() for p in parts)).hexdigest()
            self.assertEqual(head["ETag"], '"%s-3"' % expected)
            self.s3.download_file(b, "big", dst, Config=config)
            with open(dst, "rb") as f:
                self.assertEqual(f.read(), data)
        part = self.s3.get_object(Bucket=b, Key="big", PartNumber=3)
        self.assertEqual(part["PartsCount"], 3)
        self.assertEqual(part["Body"].read(), data[10 * MiB:])

    def test_low_level_calls_and_errors(self):
        # API_CreateMultipartUpload, API_ListParts, API_ListMultipartUploads,
        # API_CompleteMultipartUpload (EntityTooSmall, InvalidPart), API_AbortMultipartUpload.
        b = self.bucket()
        up = self.s3.create_multipart_upload(Bucket=b, Key="k")["UploadId"]
        e1 = self.s3.upload_part(Bucket=b, Key="k", UploadId=up, PartNumber=1, Body=b"a")["ETag"]
        e2 = self.s3.upload_part(Bucket=b, Key="k", UploadId=up, PartNumber=2, Body=b"b")["ETag"]
        self.assertEqual(len(self.s3.list_parts(Bucket=b, Key="k", UploadId=up)["Parts"]), 2)
        self.assertEqual(self.s3.list_multipart_uploads(Bucket=b)["Uploads"][0]["UploadId"], up)
        parts = [{"PartNumber": 1, "ETag": e1}, {"PartNumber": 2, "ETag": e2}]
        self.assertClientError(lambda: self.s3.complete_multipart_upload(
            Bucket=b, Key="k", UploadId=up, MultipartUpload={"Parts": parts}),
            "EntityTooSmall", 400)
        self.assertClientError(lambda: self.s3.complete_multipart_upload(
            Bucket=b, Key="k", UploadId=up,
            MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": '"00"'}]}), "InvalidPart", 400)
        self.s3.abort_multipart_upload(Bucket=b, Key="k", UploadId=up)
        self.assertClientError(lambda: self.s3.list_parts(Bucket=b, Key="k", UploadId=up),
                               "NoSuchUpload", 404)

    def test_list_multipart_uploads_prefix_delimiter_markers_and_paging(self):
        # API_ListMultipartUploads: keys ascending, the uploads of one key by initiation time;
        # Prefix, Delimiter with CommonPrefixes, KeyMarker/UploadIdMarker, MaxUploads with
        # IsTruncated and NextKeyMarker/NextUploadIdMarker, EncodingType=url.
        b = self.bucket()
        ids = {}
        for key in ["z", "b", "a/2", "photos/2024/x", "a/1", "photos/2025/y", "c d", "b", "b"]:
            ids.setdefault(key, []).append(
                self.s3.create_multipart_upload(Bucket=b, Key=key)["UploadId"])
        everything = [(k, u) for k in sorted(ids) for u in ids[k]]
        listed = self.s3.list_multipart_uploads(Bucket=b)
        self.assertEqual([(u["Key"], u["UploadId"]) for u in listed["Uploads"]], everything)
        self.assertFalse(listed["IsTruncated"])
        self.assertEqual(listed["MaxUploads"], 1000)
        top = self.s3.list_multipart_uploads(Bucket=b, Delimiter="/")
        self.assertEqual([u["Key"] for u in top["Uploads"]], ["b", "b", "b", "c d", "z"])
        self.assertEqual([p["Prefix"] for p in top["CommonPrefixes"]], ["a/", "photos/"])
        self.assertEqual(top["Delimiter"], "/")
        photos = self.s3.list_multipart_uploads(Bucket=b, Prefix="photos/", Delimiter="/")
        self.assertNotIn("Uploads", photos)
        self.assertEqual([p["Prefix"] for p in photos["CommonPrefixes"]],
                         ["photos/2024/", "photos/2025/"])
        self.assertEqual(photos["Prefix"], "photos/")
        # Resuming inside one key's uploads, and after the whole key.
        after = self.s3.list_multipart_uploads(Bucket=b, KeyMarker="b",
                                               UploadIdMarker=ids["b"][0])
        self.assertEqual([u["UploadId"] for u in after["Uploads"]][:2], ids["b"][1:])
        after = self.s3.list_multipart_uploads(Bucket=b, KeyMarker="b")
        self.assertEqual(after["Uploads"][0]["Key"], "c d")
        # Paging by two, with and without a delimiter, gives the same entries as one page.
        for delimiter in ("", "/"):
            with self.subTest(delimiter=delimiter):
                one = self.s3.list_multipart_uploads(Bucket=b, Delimiter=delimiter)
                want = ([(u["Key"], u["UploadId"]) for u in one.get("Uploads", [])] +
                        [(p["Prefix"], None) for p in one.get("CommonPrefixes", [])])
                got, marker, upload_marker, pages = [], "", "", 0
                while True:
                    page = self.s3.list_multipart_uploads(
                        Bucket=b, Delimiter=delimiter, MaxUploads=2, KeyMarker=marker,
                        UploadIdMarker=upload_marker)
                    pages += 1
                    entries = ([(u["Key"], u["UploadId"]) for u in page.get("Uploads", [])] +
                               [(p["Prefix"], None) for p in page.get("CommonPrefixes", [])])
                    self.assertLessEqual(len(entries), 2)
                    got += entries
                    if not page["IsTruncated"]:
                        break
                    marker = page["NextKeyMarker"]
                    upload_marker = page.get("NextUploadIdMarker", "")
                self.assertEqual(sorted(got, key=lambda e: (e[0], e[1] or "")),
                                 sorted(want, key=lambda e: (e[0], e[1] or "")))
                self.assertEqual(len(got), len(want))
                self.assertEqual(pages, (len(want) + 1) // 2)
        encoded = self.s3.list_multipart_uploads(Bucket=b, Prefix="c ", EncodingType="url")
        self.assertEqual([u["Key"] for u in encoded["Uploads"]], ["c%20d"])
        self.assertEqual((encoded["Prefix"], encoded["EncodingType"]), ("c%20", "url"))
        self.assertClientError(lambda: self.s3.list_multipart_uploads(
            Bucket=b, EncodingType="base64"), "InvalidArgument", 400)

    def test_upload_part_copy_with_range(self):
        # API_UploadPartCopy: x-amz-copy-source-range.
        b = self.bucket()
        self.s3.put_object(Bucket=b, Key="src", Body=b"0123456789")
        up = self.s3.create_multipart_upload(Bucket=b, Key="dst")["UploadId"]
        r = self.s3.upload_part_copy(Bucket=b, Key="dst", UploadId=up, PartNumber=1,
                                     CopySource={"Bucket": b, "Key": "src"},
                                     CopySourceRange="bytes=3-6")
        self.s3.complete_multipart_upload(
            Bucket=b, Key="dst", UploadId=up,
            MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": r["CopyPartResult"]["ETag"]}]})
        self.assertEqual(self.s3.get_object(Bucket=b, Key="dst")["Body"].read(), b"3456")


class VersioningTests(S3Case):
    def test_versions_delete_markers_and_listing(self):
        # API_PutBucketVersioning, API_ListObjectVersions, userguide/DeleteMarker.html.
        b = self.bucket()
        self.s3.put_bucket_versioning(Bucket=b, VersioningConfiguration={"Status": "Enabled"})
        self.assertEqual(self.s3.get_bucket_versioning(Bucket=b)["Status"], "Enabled")
        v1 = self.s3.put_object(Bucket=b, Key="k", Body=b"one")["VersionId"]
        self.s3.put_object(Bucket=b, Key="k", Body=b"two")
        marker = self.s3.delete_object(Bucket=b, Key="k")
        self.assertTrue(marker["DeleteMarker"])
        err = self.assertClientError(lambda: self.s3.get_object(Bucket=b, Key="k"),
                                     "NoSuchKey", 404)
        self.assertEqual(err["ResponseMetadata"]["HTTPHeaders"]["x-amz-delete-marker"], "true")
        self.assertClientError(lambda: self.s3.head_object(
            Bucket=b, Key="k", VersionId=marker["VersionId"]), "405", 405)
        self.assertEqual(self.s3.get_object(Bucket=b, Key="k", VersionId=v1)["Body"].read(),
                         b"one")
        listed = self.s3.list_object_versions(Bucket=b)
        self.assertEqual(len(listed["Versions"]), 2)
        self.assertEqual(len(listed["DeleteMarkers"]), 1)
        self.s3.put_bucket_versioning(Bucket=b, VersioningConfiguration={"Status": "Suspended"})
        self.s3.put_object(Bucket=b, Key="k", Body=b"three")
        self.assertEqual(self.s3.head_object(Bucket=b, Key="k").get("VersionId", "null"), "null")


    def test_version_pages_resume_exactly_at_any_entry(self):
        # API_ListObjectVersions: one order for versions and delete markers (keys ascending,
        # newest first); a page may end at a version, a delete marker or the "null" version of a
        # suspended bucket, and KeyMarker/VersionIdMarker resume right after it. The raw XML
        # keeps that order (Version and DeleteMarker elements interleaved).
        b = self.bucket()
        history = []
        versioning = lambda status: self.s3.put_bucket_versioning(
            Bucket=b, VersioningConfiguration={"Status": status})
        versioning("Enabled")
        for key in ("k2", "k1"):
            history.append((key, self.s3.put_object(Bucket=b, Key=key, Body=b"1")["VersionId"]))
            history.append((key, self.s3.delete_object(Bucket=b, Key=key)["VersionId"]))
            history.append((key, self.s3.put_object(Bucket=b, Key=key, Body=b"2")["VersionId"]))
        versioning("Suspended")
        self.s3.put_object(Bucket=b, Key="k1", Body=b"null")
        history.append(("k1", "null"))
        self.s3.delete_object(Bucket=b, Key="k2")  # a "null" delete marker
        history.append(("k2", "null"))
        expected = [e for key in ("k1", "k2") for e in reversed(history) if e[0] == key]
        raw = []
        hook = lambda http_response, **_: raw.append(http_response.content.decode())
        self.s3.meta.events.register("after-call.s3.ListObjectVersions", hook)
        try:
            self.s3.list_object_versions(Bucket=b)
        finally:
            self.s3.meta.events.unregister("after-call.s3.ListObjectVersions", hook)
        import re
        self.assertEqual(re.findall(r"<Key>([^<]*)</Key><VersionId>([^<]*)</VersionId>", raw[0]),
                         expected)
        for size in (1, 2, 4):
            got, kwargs = [], {}
            while True:
                page = self.s3.list_object_versions(Bucket=b, MaxKeys=size, **kwargs)
                entries = page.get("Versions", []) + page.get("DeleteMarkers", [])
                self.assertLessEqual(len(entries), size)
                got += sorted(((e["Key"], e["VersionId"]) for e in entries),
                              key=expected.index)
                if not page["IsTruncated"]:
                    break
                kwargs = {"KeyMarker": page["NextKeyMarker"],
                          "VersionIdMarker": page["NextVersionIdMarker"]}
            self.assertEqual(got, expected, "pages of %d" % size)


class AccessTests(S3Case):
    def test_public_read_and_other_accounts(self):
        # userguide/acl-overview.html: canned ACLs; anonymous urllib reads a public-read object
        # and lists a public-read bucket, everything else is 403; another account is refused.
        b = self.bucket()
        self.s3.put_object(Bucket=b, Key="pub", Body=b"open", ACL="public-read")
        self.s3.put_object(Bucket=b, Key="priv", Body=b"closed")
        url = "%s/%s/" % (self.server.endpoint, b)
        self.assertEqual(urllib.request.urlopen(url + "pub").read(), b"open")
        for target in (url + "priv", url):
            with self.assertRaises(urllib.error.HTTPError) as caught:
                urllib.request.urlopen(target)
            self.assertEqual(caught.exception.code, 403)
        other = client(self.server, SECOND_ACCESS_KEY, SECOND_SECRET_KEY)
        self.assertClientError(lambda: other.get_object(Bucket=b, Key="priv"), "AccessDenied",
                               403)
        self.s3.put_bucket_acl(Bucket=b, ACL="public-read")
        self.assertIn(b"<Key>pub</Key>", urllib.request.urlopen(url).read())
        grants = self.s3.get_bucket_acl(Bucket=b)["Grants"]
        self.assertIn({"Grantee": {"Type": "Group",
                                   "URI": "http://acs.amazonaws.com/groups/global/AllUsers"},
                       "Permission": "READ"}, grants)
        self.s3.put_object_acl(Bucket=b, Key="priv", ACL="authenticated-read")
        self.assertEqual(other.get_object(Bucket=b, Key="priv")["Body"].read(), b"closed")

    def test_presigned_urls_sigv2_and_sigv4(self):
        # userguide/ShareObjectPreSignedURL.html: presigned GET and PUT work from plain HTTP in
        # both signature versions, and expire.
        b = self.bucket()
        for config in ({}, {"signature_version": "s3v4"}):
            s3 = client(self.server, **config)
            put = s3.generate_presigned_url("put_object", Params={"Bucket": b, "Key": "p"},
                                            ExpiresIn=60)
            # urllib would add a form Content-Type, which SigV2 signs: send none, as signed.
            req = urllib.request.Request(put, data=b"presigned", method="PUT",
                                         headers={"Content-Type": ""})
            self.assertEqual(urllib.request.urlopen(req).status, 200)
            get = s3.generate_presigned_url("get_object", Params={"Bucket": b, "Key": "p"},
                                            ExpiresIn=60)
            self.assertEqual(urllib.request.urlopen(get).read(), b"presigned")
            expiring = s3.generate_presigned_url("get_object", Params={"Bucket": b, "Key": "p"},
                                                 ExpiresIn=1)
            time.sleep(2.1)
            with self.assertRaises(urllib.error.HTTPError) as caught:
                urllib.request.urlopen(expiring)
            self.assertEqual(caught.exception.code, 403)


class BadInputTests(S3Case):
    def test_truncated_upload_leaves_nothing_visible(self):
        # A body shorter than its Content-Length (the client hangs up) must not become an
        # object, nor replace the current one (API_PutObject; RFC 9112 message length).
        import socket
        b = self.bucket()
        self.s3.put_bucket_acl(Bucket=b, ACL="public-read-write")
        self.s3.put_object(Bucket=b, Key="k", Body=b"original")
        with socket.create_connection(("127.0.0.1", self.server.port)) as sock:
            sock.sendall(("PUT /%s/k HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
                          "Content-Length: 100000\r\n\r\n" % (b, self.server.port)).encode()
                         + b"x" * 5000)
        time.sleep(0.5)
        self.assertEqual(self.s3.get_object(Bucket=b, Key="k")["Body"].read(), b"original")
        with socket.create_connection(("127.0.0.1", self.server.port)) as sock:
            sock.sendall(("PUT /%s/new HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
                          "Content-Length: 100000\r\n\r\n" % (b, self.server.port)).encode()
                         + b"x" * 5000)
        time.sleep(0.5)
        self.assertClientError(lambda: self.s3.head_object(Bucket=b, Key="new"), "404", 404)

    def test_malformed_xml_and_long_keys(self):
        # API_DeleteObjects / API_PutObject: MalformedXML, KeyTooLongError (keys over 1024 bytes).
        b = self.bucket()
        self.assertClientError(lambda: self.s3.put_object(Bucket=b, Key="k" * 1025, Body=b""),
                               "KeyTooLongError", 400)
        self.assertClientError(lambda: self.s3.put_bucket_versioning(
            Bucket=b, VersioningConfiguration={}), "MalformedXML", 400)


if __name__ == "__main__":
    unittest.main()
