"""boto3 against nimbus S3: integrity (issue 3, step "Integrity").

Flexible checksums (x-amz-checksum-crc32|crc32c|crc64nvme|sha1|sha256) sent as headers and as
aws-chunked trailers over HTTPS, Content-MD5, multipart composite checksums and
GetObjectAttributes. Each test cites the AWS page whose behaviour it reproduces.

botocore computes CRC32, SHA1 and SHA256 itself; CRC32C and CRC64NVME need awscrt, which is not
installed, so those values are computed here and passed as ChecksumCRC32C / ChecksumCRC64NVME.
"""
import base64
import hashlib
import io
import os
import unittest
import uuid
import zlib

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from harness import ACCESS_KEY, SECRET_KEY, Nimbus, free_port

MiB = 1024 * 1024


def _crc_table(poly, width):
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ poly if c & 1 else c >> 1
        table.append(c)
    return table


_CRC32C = _crc_table(0x82F63B78, 32)
_CRC64NVME = _crc_table(0x9A6C9329AC4BC9B5, 64)


def _crc(table, mask, data):
    c = mask
    for b in data:
        c = table[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ mask


def crc32c(data):
    return _crc(_CRC32C, 0xFFFFFFFF, data).to_bytes(4, "big")


def crc64nvme(data):
    return _crc(_CRC64NVME, 0xFFFFFFFFFFFFFFFF, data).to_bytes(8, "big")


DIGESTS = {
    "CRC32": lambda d: zlib.crc32(d).to_bytes(4, "big"),
    "CRC32C": crc32c,
    "CRC64NVME": crc64nvme,
    "SHA1": lambda d: hashlib.sha1(d).digest(),
    "SHA256": lambda d: hashlib.sha256(d).digest(),
}


def b64(raw):
    return base64.b64encode(raw).decode()


def checksum(algorithm, data):
    return b64(DIGESTS[algorithm](data))


def client(endpoint, verify=None):
    return boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", verify=verify,
                        aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY,
                        config=Config(retries={"total_max_attempts": 1}))


class IntegrityCase(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tls_port = free_port()
        cls.server = Nimbus(extra_args=["--tls-port", str(cls.tls_port)])
        cls.s3 = client(cls.server.endpoint)
        cert = os.path.join(cls.server.data_dir, "tls", "cert.pem")
        cls.tls = client("https://localhost:%d" % cls.tls_port, verify=cert)

    @classmethod
    def tearDownClass(cls):
        cls.server.close()

    def setUp(self):
        self.bucket = "integ-" + uuid.uuid4().hex[:16]
        self.s3.create_bucket(Bucket=self.bucket)

    def assertClientError(self, call, code, status):
        with self.assertRaises(ClientError) as caught:
            call()
        error = caught.exception.response
        self.assertEqual(error["Error"]["Code"], code)
        self.assertEqual(error["ResponseMetadata"]["HTTPStatusCode"], status)
        return error

    def assertMissing(self, key):
        self.assertClientError(lambda: self.s3.head_object(Bucket=self.bucket, Key=key),
                               "404", 404)


class ChecksumTests(IntegrityCase):
    def put_with(self, s3, key, algorithm, body):
        """PutObject with ChecksumAlgorithm; the value where botocore cannot compute it."""
        kwargs = {"Bucket": self.bucket, "Key": key, "Body": body,
                  "ChecksumAlgorithm": algorithm}
        if algorithm in ("CRC32C", "CRC64NVME"):
            kwargs["Checksum" + algorithm] = checksum(algorithm, body)
        return s3.put_object(**kwargs)

    def test_every_algorithm_is_verified_stored_and_returned(self):
        # PutObject verifies x-amz-checksum-<algorithm> and echoes it; HeadObject and GetObject
        # with ChecksumMode=ENABLED return it (FULL_OBJECT), botocore validating it on GET.
        # https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html
        # https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html
        body = b"integrity body " * 3000
        for algorithm in DIGESTS:
            with self.subTest(algorithm=algorithm):
                key = "obj-" + algorithm
                expected = checksum(algorithm, body)
                put = self.put_with(self.s3, key, algorithm, body)
                self.assertEqual(put["Checksum" + algorithm], expected)
                head = self.s3.head_object(Bucket=self.bucket, Key=key, ChecksumMode="ENABLED")
                self.assertEqual(head["Checksum" + algorithm], expected)
                self.assertEqual(head["ChecksumType"], "FULL_OBJECT")
                got = self.s3.get_object(Bucket=self.bucket, Key=key, ChecksumMode="ENABLED")
                self.assertEqual(got["Checksum" + algorithm], expected)
                self.assertEqual(got["Body"].read(), body)
                # Without ChecksumMode the checksum is not returned (API_HeadObject).
                plain = self.s3.head_object(Bucket=self.bucket, Key=key)
                self.assertNotIn("Checksum" + algorithm, plain)

    def test_upload_without_checksum_gets_crc64nvme(self):
        # An object uploaded without a checksum gets S3's default, a FULL_OBJECT CRC64NVME.
        # https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html
        #   ("Using the default checksum ... CRC64NVME")
        plain = boto3.client("s3", endpoint_url=self.server.endpoint, region_name="us-east-1",
                             aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY,
                             config=Config(request_checksum_calculation="when_required",
                                           retries={"total_max_attempts": 1}))
        body = b"no checksum from the client " * 500
        sent = []
        plain.meta.events.register("before-send.s3.PutObject",
                                   lambda request, **_: sent.append(dict(request.headers)))
        put = plain.put_object(Bucket=self.bucket, Key="default", Body=body)
        self.assertFalse([h for h in sent[0] if h.lower().startswith("x-amz-checksum-")])
        self.assertEqual(put["ChecksumCRC64NVME"], checksum("CRC64NVME", body))
        head = self.s3.head_object(Bucket=self.bucket, Key="default", ChecksumMode="ENABLED")
        self.assertEqual(head["ChecksumCRC64NVME"], checksum("CRC64NVME", body))
        self.assertEqual(head["ChecksumType"], "FULL_OBJECT")

    def test_mismatching_checksum_is_bad_digest_and_stores_nothing(self):
        # A checksum that does not match the body: 400 BadDigest "The <ALG> you specified did
        # not match the calculated checksum.", and no object.
        # https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html (BadDigest)
        # https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html
        body = b"the real body"
        for algorithm in DIGESTS:
            with self.subTest(algorithm=algorithm):
                key = "bad-" + algorithm
                error = self.assertClientError(
                    lambda: self.s3.put_object(Bucket=self.bucket, Key=key, Body=body,
                                               **{"Checksum" + algorithm:
                                                  checksum(algorithm, b"other body")}),
                    "BadDigest", 400)
                self.assertEqual(error["Error"]["Message"],
                                 "The %s you specified did not match the calculated checksum."
                                 % algorithm)
                self.assertMissing(key)

    def test_malformed_checksum_value_is_invalid_request(self):
        # A value that is not base64 of the algorithm's digest length: 400 InvalidRequest
        # "Value for x-amz-checksum-sha256 header is invalid."
        # https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html
        error = self.assertClientError(
            lambda: self.s3.put_object(Bucket=self.bucket, Key="k", Body=b"x",
                                       ChecksumSHA256="AAAA"), "InvalidRequest", 400)
        self.assertIn("x-amz-checksum-sha256", error["Error"]["Message"])
        self.assertMissing("k")

    def test_content_md5_invalid_digest_vs_bad_digest(self):
        # Content-MD5 not base64 of 16 bytes -> 400 InvalidDigest; well formed but not the MD5
        # of the body -> 400 BadDigest "The Content-MD5 you specified did not match what we
        # received."; neither stores anything.
        # https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html
        body = b"md5 body"
        wrong = b64(hashlib.md5(b"something else").digest())
        error = self.assertClientError(
            lambda: self.s3.put_object(Bucket=self.bucket, Key="m", Body=body, ContentMD5=wrong),
            "BadDigest", 400)
        self.assertEqual(error["Error"]["Message"],
                         "The Content-MD5 you specified did not match what we received.")
        error = self.assertClientError(
            lambda: self.s3.put_object(Bucket=self.bucket, Key="m", Body=body,
                                       ContentMD5=b64(b"short")), "InvalidDigest", 400)
        self.assertEqual(error["Error"]["Message"], "The Content-MD5 you specified was invalid.")
        self.assertMissing("m")
        right = b64(hashlib.md5(body).digest())
        put = self.s3.put_object(Bucket=self.bucket, Key="m", Body=body, ContentMD5=right)
        self.assertEqual(put["ETag"], '"%s"' % hashlib.md5(body).hexdigest())

    def test_trailer_checksums_over_https(self):
        # Over HTTPS botocore sends PutObject as aws-chunked with
        # x-amz-content-sha256: STREAMING-UNSIGNED-PAYLOAD-TRAILER and the checksum in a trailer;
        # S3 verifies the trailer against the decoded bytes and stores no framing.
        # https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming.html
        # https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html
        seen = []
        self.tls.meta.events.register(
            "before-send.s3.PutObject",
            lambda request, **_: seen.append(
                {k: v.decode() if isinstance(v, bytes) else v for k, v in request.headers.items()}))
        try:
            body = os.urandom(200 * 1024) + b"tail"
            for algorithm in ("CRC32", "SHA1", "SHA256"):
                with self.subTest(algorithm=algorithm):
                    key = "trailer-" + algorithm
                    put = self.tls.put_object(Bucket=self.bucket, Key=key, Body=body,
                                              ChecksumAlgorithm=algorithm)
                    expected = checksum(algorithm, body)
                    self.assertEqual(put["Checksum" + algorithm], expected)
                    headers = seen[-1]
                    self.assertEqual(headers.get("X-Amz-Content-SHA256"),
                                     "STREAMING-UNSIGNED-PAYLOAD-TRAILER")
                    self.assertEqual(headers.get("X-Amz-Trailer"),
                                     "x-amz-checksum-" + algorithm.lower())
                    got = self.tls.get_object(Bucket=self.bucket, Key=key,
                                              ChecksumMode="ENABLED")
                    self.assertEqual(got["Body"].read(), body)
                    self.assertEqual(got["Checksum" + algorithm], expected)
        finally:
            self.tls.meta.events.unregister("before-send.s3.PutObject")

    def test_wrong_trailer_is_bad_digest_and_stores_nothing(self):
        # The same aws-chunked upload with its trailer value replaced by the checksum of other
        # bytes (same length): 400 BadDigest, and the key stays absent.
        # https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming.html
        body = b"trailer body " * 1000
        right = checksum("CRC32", body).encode()
        wrong = checksum("CRC32", b"not the body").encode()

        class Corrupting(io.RawIOBase):
            def __init__(self, inner):
                self.data = inner.read().replace(right, wrong)
                self.pos = 0

            def readable(self):
                return True

            def read(self, n=-1):
                if n is None or n < 0:
                    n = len(self.data) - self.pos
                chunk = self.data[self.pos:self.pos + n]
                self.pos += len(chunk)
                return chunk

        def corrupt(request, **_):
            self.assertIn(right, request.body.read())
            request.body.seek(0)
            request.body = Corrupting(request.body)

        self.tls.meta.events.register("before-send.s3.PutObject", corrupt)
        try:
            error = self.assertClientError(
                lambda: self.tls.put_object(Bucket=self.bucket, Key="wrong-trailer", Body=body,
                                            ChecksumAlgorithm="CRC32"), "BadDigest", 400)
            self.assertEqual(error["Error"]["Message"],
                             "The CRC32 you specified did not match the calculated checksum.")
        finally:
            self.tls.meta.events.unregister("before-send.s3.PutObject", corrupt)
        self.assertMissing("wrong-trailer")


class MultipartChecksumTests(IntegrityCase):
    def upload_parts(self, key, algorithm, parts):
        """CreateMultipartUpload + UploadPart with the algorithm; returns (upload id, parts)."""
        upload = self.s3.create_multipart_upload(Bucket=self.bucket, Key=key,
                                                 ChecksumAlgorithm=algorithm)
        self.assertEqual(upload["ChecksumAlgorithm"], algorithm)
        self.assertEqual(upload["ChecksumType"], "COMPOSITE")
        done = []
        for n, data in enumerate(parts, 1):
            kwargs = {"Bucket": self.bucket, "Key": key, "UploadId": upload["UploadId"],
                      "PartNumber": n, "Body": data, "ChecksumAlgorithm": algorithm}
            if algorithm in ("CRC32C", "CRC64NVME"):
                kwargs["Checksum" + algorithm] = checksum(algorithm, data)
            r = self.s3.upload_part(**kwargs)
            self.assertEqual(r["Checksum" + algorithm], checksum(algorithm, data))
            done.append({"PartNumber": n, "ETag": r["ETag"],
                         "Checksum" + algorithm: r["Checksum" + algorithm]})
        return upload["UploadId"], done

    def test_composite_checksum_of_the_part_checksums(self):
        # The object's checksum is the checksum of the concatenated binary part checksums,
        # base64, then "-<number of parts>", type COMPOSITE; Complete and HeadObject with
        # ChecksumMode=ENABLED return it.
        # https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html
        #   ("Using part-level checksums for multipart uploads")
        # https://docs.aws.amazon.com/AmazonS3/latest/API/API_CompleteMultipartUpload.html
        parts = [os.urandom(5 * MiB), os.urandom(5 * MiB), b"last part"]
        for algorithm in ("SHA256", "CRC32", "CRC32C"):
            with self.subTest(algorithm=algorithm):
                key = "mpu-" + algorithm
                upload_id, done = self.upload_parts(key, algorithm, parts)
                listed = self.s3.list_parts(Bucket=self.bucket, Key=key, UploadId=upload_id)
                self.assertEqual([p["Checksum" + algorithm] for p in listed["Parts"]],
                                 [checksum(algorithm, p) for p in parts])
                completed = self.s3.complete_multipart_upload(
                    Bucket=self.bucket, Key=key, UploadId=upload_id,
                    MultipartUpload={"Parts": done})
                fn = DIGESTS[algorithm]
                expected = b64(fn(b"".join(fn(p) for p in parts))) + "-3"
                self.assertEqual(completed["Checksum" + algorithm], expected)
                self.assertEqual(completed["ChecksumType"], "COMPOSITE")
                head = self.s3.head_object(Bucket=self.bucket, Key=key, ChecksumMode="ENABLED")
                self.assertEqual(head["Checksum" + algorithm], expected)
                self.assertEqual(head["ChecksumType"], "COMPOSITE")
                self.assertEqual(head["ContentLength"], sum(map(len, parts)))
                # The client's algorithm replaces S3's default CRC64NVME.
                self.assertNotIn("ChecksumCRC64NVME", head)
                # GetObject of a composite object: botocore skips validating "-N" values.
                got = self.s3.get_object(Bucket=self.bucket, Key=key, ChecksumMode="ENABLED")
                self.assertEqual(got["Body"].read(), b"".join(parts))

    def test_upload_file_over_https_crosses_the_multipart_threshold(self):
        # boto3's transfer manager over HTTPS: CreateMultipartUpload with a checksum algorithm,
        # parts sent aws-chunked with trailer checksums, Complete listing each part's checksum.
        # https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html
        from boto3.s3.transfer import TransferConfig
        import tempfile
        data = os.urandom(12 * MiB)
        seen = []
        self.tls.meta.events.register(
            "before-send.s3.UploadPart",
            lambda request, **_: seen.append(dict(request.headers)))
        try:
            with tempfile.TemporaryDirectory() as tmp:
                path = os.path.join(tmp, "big")
                with open(path, "wb") as f:
                    f.write(data)
                self.tls.upload_file(path, self.bucket, "big", Config=TransferConfig(
                    multipart_threshold=5 * MiB, multipart_chunksize=5 * MiB))
        finally:
            self.tls.meta.events.unregister("before-send.s3.UploadPart")
        self.assertEqual(len(seen), 3)
        for headers in seen:
            trailer = headers.get("X-Amz-Trailer") or b""
            if isinstance(trailer, bytes):
                trailer = trailer.decode()
            self.assertTrue(trailer.startswith("x-amz-checksum-"), headers)
        head = self.s3.head_object(Bucket=self.bucket, Key="big", ChecksumMode="ENABLED")
        self.assertEqual(head["ContentLength"], len(data))
        self.assertEqual(head.get("ChecksumType"), "COMPOSITE")
        self.assertTrue(head["ChecksumCRC32"].endswith("-3"))
        got = self.s3.get_object(Bucket=self.bucket, Key="big")["Body"].read()
        self.assertEqual(hashlib.sha256(got).digest(), hashlib.sha256(data).digest())

    def test_part_checksum_mismatch_on_complete_is_invalid_part(self):
        # A CompletedPart whose checksum is not the one UploadPart computed: 400 InvalidPart,
        # as for a wrong ETag; the upload stays and no object appears. A missing part checksum
        # is InvalidRequest; with part checksums the numbers must run 1..N (InvalidPartOrder).
        # https://docs.aws.amazon.com/AmazonS3/latest/API/API_CompleteMultipartUpload.html
        # https://docs.aws.amazon.com/AmazonS3/latest/API/API_CompletedPart.html
        parts = [os.urandom(5 * MiB), b"tail"]
        upload_id, done = self.upload_parts("mismatch", "SHA256", parts)
        wrong = [dict(done[0]), dict(done[1])]
        wrong[1]["ChecksumSHA256"] = checksum("SHA256", b"not the part")
        complete = lambda ps: self.s3.complete_multipart_upload(
            Bucket=self.bucket, Key="mismatch", UploadId=upload_id,
            MultipartUpload={"Parts": ps})
        error = self.assertClientError(lambda: complete(wrong), "InvalidPart", 400)
        self.assertIn("One or more of the specified parts could not be found",
                      error["Error"]["Message"])
        missing = [dict(done[0]), {"PartNumber": 2, "ETag": done[1]["ETag"]}]
        error = self.assertClientError(lambda: complete(missing), "InvalidRequest", 400)
        self.assertIn("It was missing for part 2 in the request.", error["Error"]["Message"])
        self.assertClientError(lambda: complete([done[1]]), "InvalidPartOrder", 400)
        self.assertMissing("mismatch")
        # The upload is intact: the right list completes it.
        complete(done)
        self.assertEqual(self.s3.get_object(Bucket=self.bucket, Key="mismatch")["Body"].read(),
                         b"".join(parts))

    def test_part_checksum_mismatch_on_upload_part_is_bad_digest(self):
        # UploadPart with an x-amz-checksum-* that does not match the part: 400 BadDigest.
        # https://docs.aws.amazon.com/AmazonS3/latest/API/API_UploadPart.html
        upload = self.s3.create_multipart_upload(Bucket=self.bucket, Key="p",
                                                 ChecksumAlgorithm="SHA1")
        self.assertClientError(
            lambda: self.s3.upload_part(Bucket=self.bucket, Key="p", UploadId=upload["UploadId"],
                                        PartNumber=1, Body=b"part",
                                        ChecksumSHA1=checksum("SHA1", b"other")),
            "BadDigest", 400)
        listed = self.s3.list_parts(Bucket=self.bucket, Key="p", UploadId=upload["UploadId"])
        self.assertEqual(listed.get("Parts", []), [])


class FullObjectChecksumTests(IntegrityCase):
    """Multipart uploads with ChecksumType FULL_OBJECT: the object's CRC is the CRC of all its
    bytes, which S3 builds from the part CRCs; SHA-1/SHA-256 cannot be full-object and CRC64NVME
    cannot be composite.
    https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html
      ("Using full object checksums for multipart upload")
    https://docs.aws.amazon.com/AmazonS3/latest/API/API_CreateMultipartUpload.html
    https://docs.aws.amazon.com/AmazonS3/latest/API/API_CompleteMultipartUpload.html
    """

    def setUp(self):
        super().setUp()
        # A client that sends no checksum unless one is given, so parts can arrive without one.
        self.bare = boto3.client(
            "s3", endpoint_url=self.server.endpoint, region_name="us-east-1",
            aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY,
            config=Config(retries={"total_max_attempts": 1},
                          request_checksum_calculation="when_required"))

    def create(self, key, algorithm, **kwargs):
        return self.s3.create_multipart_upload(Bucket=self.bucket, Key=key,
                                               ChecksumAlgorithm=algorithm, **kwargs)

    def upload(self, key, upload_id, n, data, algorithm=None):
        """UploadPart with the part's checksum of `algorithm`, or none at all."""
        if algorithm is None:
            return self.bare.upload_part(Bucket=self.bucket, Key=key, UploadId=upload_id,
                                         PartNumber=n, Body=data)
        return self.s3.upload_part(Bucket=self.bucket, Key=key, UploadId=upload_id, PartNumber=n,
                                   Body=data, **{"Checksum" + algorithm: checksum(algorithm, data)})

    def test_whole_object_crc_from_the_part_crcs(self):
        # Parts with and without client checksums and one UploadPartCopy part; Complete checks
        # the full-object CRC the client sends; Complete, ListParts, HeadObject, GetObject
        # (ChecksumMode=ENABLED) and GetObjectAttributes report it with ChecksumType FULL_OBJECT.
        self.s3.put_object(Bucket=self.bucket, Key="source", Body=b"s" * (6 * MiB))
        parts = [os.urandom(5 * MiB) + b"odd", b"s" * (5 * MiB + 7), os.urandom(1234)]
        whole = b"".join(parts)
        for algorithm in ("CRC32", "CRC32C", "CRC64NVME"):
            with self.subTest(algorithm=algorithm):
                key = "full-" + algorithm
                kwargs = {} if algorithm == "CRC64NVME" else {"ChecksumType": "FULL_OBJECT"}
                up = self.create(key, algorithm, **kwargs)
                self.assertEqual((up["ChecksumAlgorithm"], up["ChecksumType"]),
                                 (algorithm, "FULL_OBJECT"))
                upload_id = up["UploadId"]
                r1 = self.upload(key, upload_id, 1, parts[0], algorithm)
                r2 = self.s3.upload_part_copy(
                    Bucket=self.bucket, Key=key, UploadId=upload_id, PartNumber=2,
                    CopySource={"Bucket": self.bucket, "Key": "source"},
                    CopySourceRange="bytes=0-%d" % (len(parts[1]) - 1))["CopyPartResult"]
                self.assertEqual(r2["Checksum" + algorithm], checksum(algorithm, parts[1]))
                r3 = self.upload(key, upload_id, 3, parts[2])  # no checksum: S3 computes it
                self.assertEqual(r3["Checksum" + algorithm], checksum(algorithm, parts[2]))
                listed = self.s3.list_parts(Bucket=self.bucket, Key=key, UploadId=upload_id)
                self.assertEqual(listed["ChecksumType"], "FULL_OBJECT")
                self.assertEqual([p["Checksum" + algorithm] for p in listed["Parts"]],
                                 [checksum(algorithm, p) for p in parts])
                expected = checksum(algorithm, whole)
                done = [{"PartNumber": n, "ETag": r["ETag"]}
                        for n, r in enumerate((r1, r2, r3), 1)]
                completed = self.s3.complete_multipart_upload(
                    Bucket=self.bucket, Key=key, UploadId=upload_id, ChecksumType="FULL_OBJECT",
                    MpuObjectSize=len(whole), MultipartUpload={"Parts": done},
                    **{"Checksum" + algorithm: expected})
                self.assertEqual(completed["Checksum" + algorithm], expected)
                self.assertEqual(completed["ChecksumType"], "FULL_OBJECT")
                head = self.s3.head_object(Bucket=self.bucket, Key=key, ChecksumMode="ENABLED")
                self.assertEqual((head["Checksum" + algorithm], head["ChecksumType"]),
                                 (expected, "FULL_OBJECT"))
                self.assertTrue(head["ETag"].endswith('-3"'))
                got = self.s3.get_object(Bucket=self.bucket, Key=key, ChecksumMode="ENABLED")
                self.assertEqual(got["Checksum" + algorithm], expected)
                self.assertEqual(got["Body"].read(), whole)
                attrs = self.s3.get_object_attributes(
                    Bucket=self.bucket, Key=key, ObjectAttributes=["Checksum", "ObjectParts"])
                self.assertEqual(attrs["Checksum"], {"Checksum" + algorithm: expected,
                                                     "ChecksumType": "FULL_OBJECT"})
                self.assertEqual([p["Checksum" + algorithm]
                                  for p in attrs["ObjectParts"]["Parts"]],
                                 [checksum(algorithm, p) for p in parts])

    def test_upload_without_algorithm_gets_the_default_crc64nvme(self):
        # An upload created without ChecksumAlgorithm gets S3's default: each part's CRC64NVME
        # (ListParts, GetObjectAttributes) and the object's FULL_OBJECT CRC64NVME of all its
        # bytes, as a PutObject without a checksum does. Parts may still come with a client's
        # checksum of another algorithm (botocore sends CRC32 by default): it is verified and
        # echoed, the part's CRC64NVME computed beside it.
        # https://docs.aws.amazon.com/AmazonS3/latest/API/API_ObjectPart.html
        #   (ChecksumCRC64NVME: "... or if the object was uploaded without a checksum (and
        #   Amazon S3 added the default checksum, CRC64NVME, to the uploaded object)")
        self.s3.put_object(Bucket=self.bucket, Key="source", Body=b"s" * (6 * MiB))
        parts = [os.urandom(5 * MiB) + b"odd", b"s" * (5 * MiB + 7), os.urandom(5 * MiB),
                 b"the last part"]
        whole = b"".join(parts)
        up = self.s3.create_multipart_upload(Bucket=self.bucket, Key="default")
        self.assertNotIn("ChecksumAlgorithm", up)
        self.assertNotIn("ChecksumType", up)
        upload_id = up["UploadId"]
        r1 = self.upload("default", upload_id, 1, parts[0])  # no checksum at all
        self.assertEqual(r1["ChecksumCRC64NVME"], checksum("CRC64NVME", parts[0]))
        r2 = self.s3.upload_part_copy(
            Bucket=self.bucket, Key="default", UploadId=upload_id, PartNumber=2,
            CopySource={"Bucket": self.bucket, "Key": "source"},
            CopySourceRange="bytes=0-%d" % (len(parts[1]) - 1))["CopyPartResult"]
        self.assertEqual(r2["ChecksumCRC64NVME"], checksum("CRC64NVME", parts[1]))
        r3 = self.s3.upload_part(Bucket=self.bucket, Key="default", UploadId=upload_id,
                                 PartNumber=3, Body=parts[2], ChecksumAlgorithm="SHA256")
        self.assertEqual(r3["ChecksumSHA256"], checksum("SHA256", parts[2]))
        sent = []
        record = lambda request, **_: sent.append(dict(request.headers))
        self.s3.meta.events.register("before-send.s3.UploadPart", record)
        try:
            r4 = self.s3.upload_part(Bucket=self.bucket, Key="default", UploadId=upload_id,
                                     PartNumber=4, Body=parts[3])
        finally:
            self.s3.meta.events.unregister("before-send.s3.UploadPart", record)
        self.assertTrue([h for h in sent[0] if h.lower() == "x-amz-checksum-crc32"])
        self.assertEqual(r4["ChecksumCRC32"], checksum("CRC32", parts[3]))
        part_crcs = [checksum("CRC64NVME", p) for p in parts]
        listed = self.s3.list_parts(Bucket=self.bucket, Key="default", UploadId=upload_id)
        self.assertEqual([p["ChecksumCRC64NVME"] for p in listed["Parts"]], part_crcs)
        for p in listed["Parts"]:
            self.assertFalse({"ChecksumCRC32", "ChecksumSHA256"} & set(p))
        self.assertNotIn("ChecksumAlgorithm", listed)

        expected = checksum("CRC64NVME", whole)
        done = [{"PartNumber": n, "ETag": r["ETag"]} for n, r in enumerate((r1, r2, r3, r4), 1)]
        completed = self.s3.complete_multipart_upload(
            Bucket=self.bucket, Key="default", UploadId=upload_id,
            MultipartUpload={"Parts": done})
        self.assertEqual((completed["ChecksumCRC64NVME"], completed["ChecksumType"]),
                         (expected, "FULL_OBJECT"))
        head = self.s3.head_object(Bucket=self.bucket, Key="default", ChecksumMode="ENABLED")
        self.assertEqual((head["ChecksumCRC64NVME"], head["ChecksumType"]),
                         (expected, "FULL_OBJECT"))
        self.assertTrue(head["ETag"].endswith('-4"'))
        got = self.s3.get_object(Bucket=self.bucket, Key="default", ChecksumMode="ENABLED")
        self.assertEqual(got["ChecksumCRC64NVME"], expected)
        self.assertEqual(got["Body"].read(), whole)
        attrs = self.s3.get_object_attributes(Bucket=self.bucket, Key="default",
                                              ObjectAttributes=["Checksum", "ObjectParts"])
        self.assertEqual(attrs["Checksum"], {"ChecksumCRC64NVME": expected,
                                             "ChecksumType": "FULL_OBJECT"})
        self.assertEqual([p["ChecksumCRC64NVME"] for p in attrs["ObjectParts"]["Parts"]],
                         part_crcs)

    def test_default_crc64nvme_checks_given_part_checksums(self):
        # On an upload without an algorithm, a CompletedPart's ChecksumCRC64NVME must be the
        # part's (InvalidPart otherwise, the upload intact); a whole-object checksum sent with
        # Complete is refused, the client having chosen no algorithm.
        data = b"one small part"
        up = self.s3.create_multipart_upload(Bucket=self.bucket, Key="given")["UploadId"]
        etag = self.upload("given", up, 1, data)["ETag"]
        complete = lambda part, **kw: self.s3.complete_multipart_upload(
            Bucket=self.bucket, Key="given", UploadId=up,
            MultipartUpload={"Parts": [dict(part, PartNumber=1, ETag=etag)]}, **kw)
        self.assertClientError(lambda: complete({"ChecksumCRC64NVME": checksum("CRC64NVME", b"x")}),
                               "InvalidPart", 400)
        error = self.assertClientError(
            lambda: complete({}, ChecksumCRC64NVME=checksum("CRC64NVME", data)),
            "InvalidRequest", 400)
        self.assertIn("expected checksum Type: null", error["Error"]["Message"])
        self.assertMissing("given")
        done = complete({"ChecksumCRC64NVME": checksum("CRC64NVME", data)})
        self.assertEqual(done["ChecksumCRC64NVME"], checksum("CRC64NVME", data))

    def test_wrong_full_object_checksum_is_bad_digest(self):
        # A full-object checksum in Complete that is not the object's: 400 BadDigest, no object,
        # the upload intact; Complete without one computes it. Part checksums in the
        # CompletedParts are optional for FULL_OBJECT but checked when given.
        parts = [os.urandom(5 * MiB), b"end"]
        up = self.create("bad", "CRC32", ChecksumType="FULL_OBJECT")["UploadId"]
        done = [{"PartNumber": n, "ETag": self.upload("bad", up, n, d, "CRC32")["ETag"]}
                for n, d in enumerate(parts, 1)]
        complete = lambda **kw: self.s3.complete_multipart_upload(
            Bucket=self.bucket, Key="bad", UploadId=up, MultipartUpload={"Parts": done}, **kw)
        error = self.assertClientError(
            lambda: complete(ChecksumCRC32=checksum("CRC32", b"".join(parts) + b"x")),
            "BadDigest", 400)
        self.assertIn("did not match the calculated checksum", error["Error"]["Message"])
        self.assertMissing("bad")
        wrong_part = [dict(done[0], ChecksumCRC32=checksum("CRC32", b"other")), done[1]]
        self.assertClientError(lambda: self.s3.complete_multipart_upload(
            Bucket=self.bucket, Key="bad", UploadId=up,
            MultipartUpload={"Parts": wrong_part}), "InvalidPart", 400)
        self.assertEqual(complete()["ChecksumCRC32"], checksum("CRC32", b"".join(parts)))

    def test_type_and_algorithm_rules(self):
        # SHA-1/SHA-256 cannot be FULL_OBJECT, CRC64NVME cannot be COMPOSITE, a type needs an
        # algorithm; Complete must use the upload's type and algorithm and the object's size.
        for algorithm in ("SHA1", "SHA256"):
            error = self.assertClientError(
                lambda: self.create("k", algorithm, ChecksumType="FULL_OBJECT"),
                "InvalidRequest", 400)
            self.assertEqual(error["Error"]["Message"],
                             "The FULL_OBJECT checksum type cannot be used with the %s checksum "
                             "algorithm." % algorithm.lower())
        error = self.assertClientError(
            lambda: self.create("k", "CRC64NVME", ChecksumType="COMPOSITE"), "InvalidRequest", 400)
        self.assertIn("COMPOSITE checksum type cannot be used with the crc64nvme",
                      error["Error"]["Message"])
        error = self.assertClientError(
            lambda: self.s3.create_multipart_upload(Bucket=self.bucket, Key="k",
                                                    ChecksumType="FULL_OBJECT"),
            "InvalidRequest", 400)
        self.assertIn("can only be used with the x-amz-checksum-algorithm header",
                      error["Error"]["Message"])
        self.assertEqual(self.s3.list_multipart_uploads(Bucket=self.bucket).get("Uploads", []),
                         [])
        up = self.create("k", "CRC32C", ChecksumType="FULL_OBJECT")["UploadId"]
        done = [{"PartNumber": 1, "ETag": self.upload("k", up, 1, b"data", "CRC32C")["ETag"]}]
        complete = lambda **kw: self.s3.complete_multipart_upload(
            Bucket=self.bucket, Key="k", UploadId=up, MultipartUpload={"Parts": done}, **kw)
        error = self.assertClientError(lambda: complete(ChecksumType="COMPOSITE"),
                                       "InvalidRequest", 400)
        self.assertIn("created using the FULL_OBJECT checksum mode", error["Error"]["Message"])
        error = self.assertClientError(lambda: complete(ChecksumCRC32=checksum("CRC32", b"data")),
                                       "InvalidRequest", 400)
        self.assertIn("expected checksum Type: crc32c, actual checksum Type: crc32",
                      error["Error"]["Message"])
        self.assertClientError(lambda: complete(MpuObjectSize=5), "InvalidRequest", 400)
        self.assertMissing("k")
        self.assertEqual(complete(MpuObjectSize=4)["ChecksumCRC32C"], checksum("CRC32C", b"data"))

    def test_upload_file_with_a_full_object_checksum(self):
        # boto3's transfer manager given the whole file's CRC32 (ExtraArgs ChecksumCRC32) creates
        # a FULL_OBJECT upload and sends the value with Complete, which S3 verifies.
        from boto3.s3.transfer import TransferConfig
        import tempfile
        data = os.urandom(11 * MiB)
        config = TransferConfig(multipart_threshold=5 * MiB, multipart_chunksize=5 * MiB)
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "f")
            with open(path, "wb") as f:
                f.write(data)
            self.s3.upload_file(path, self.bucket, "f", Config=config,
                                ExtraArgs={"ChecksumCRC32": checksum("CRC32", data)})
            with self.assertRaises(Exception):
                self.s3.upload_file(path, self.bucket, "g", Config=config,
                                    ExtraArgs={"ChecksumCRC32": checksum("CRC32", b"no")})
        head = self.s3.head_object(Bucket=self.bucket, Key="f", ChecksumMode="ENABLED")
        self.assertEqual((head["ChecksumCRC32"], head["ChecksumType"]),
                         (checksum("CRC32", data), "FULL_OBJECT"))
        self.assertTrue(head["ETag"].endswith('-3"'))
        self.assertMissing("g")


class ObjectAttributesTests(IntegrityCase):
    ALL = ["ETag", "Checksum", "ObjectParts", "StorageClass", "ObjectSize"]

    def test_single_part_object(self):
        # ETag without quotes, the FULL_OBJECT checksum, StorageClass, ObjectSize, and no
        # ObjectParts for an object that is not multipart.
        # https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObjectAttributes.html
        body = b"A" * 1024
        self.s3.put_object(Bucket=self.bucket, Key="one", Body=body, ChecksumAlgorithm="SHA256",
                           StorageClass="STANDARD_IA")
        r = self.s3.get_object_attributes(Bucket=self.bucket, Key="one", ObjectAttributes=self.ALL)
        self.assertEqual(r["ETag"], hashlib.md5(body).hexdigest())
        self.assertEqual(r["Checksum"], {"ChecksumSHA256": checksum("SHA256", body),
                                         "ChecksumType": "FULL_OBJECT"})
        self.assertEqual(r["StorageClass"], "STANDARD_IA")
        self.assertEqual(r["ObjectSize"], 1024)
        self.assertNotIn("ObjectParts", r)
        self.assertIn("LastModified", r)
        # Only the attributes asked for.
        r = self.s3.get_object_attributes(Bucket=self.bucket, Key="one",
                                          ObjectAttributes=["ObjectSize"])
        self.assertEqual(r["ObjectSize"], 1024)
        for absent in ("ETag", "Checksum", "StorageClass"):
            self.assertNotIn(absent, r)

    def test_multipart_object_parts_paged(self):
        # ObjectParts of a multipart object with part checksums: TotalPartsCount, and the parts
        # after PartNumberMarker, at most MaxParts, with NextPartNumberMarker/IsTruncated; the
        # composite checksum is reported without its "-N" suffix.
        # https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObjectAttributes.html
        # https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObjectAttributesParts.html
        parts = [os.urandom(5 * MiB), os.urandom(5 * MiB), b"x" * 100]
        upload = self.s3.create_multipart_upload(Bucket=self.bucket, Key="mp",
                                                 ChecksumAlgorithm="SHA256")
        done = []
        for n, data in enumerate(parts, 1):
            r = self.s3.upload_part(Bucket=self.bucket, Key="mp", UploadId=upload["UploadId"],
                                    PartNumber=n, Body=data, ChecksumAlgorithm="SHA256")
            done.append({"PartNumber": n, "ETag": r["ETag"], "ChecksumSHA256": r["ChecksumSHA256"]})
        completed = self.s3.complete_multipart_upload(
            Bucket=self.bucket, Key="mp", UploadId=upload["UploadId"],
            MultipartUpload={"Parts": done})
        r = self.s3.get_object_attributes(Bucket=self.bucket, Key="mp", ObjectAttributes=self.ALL)
        self.assertEqual(r["ETag"], completed["ETag"].strip('"'))
        self.assertEqual(r["Checksum"]["ChecksumSHA256"],
                         completed["ChecksumSHA256"].rsplit("-", 1)[0])
        self.assertEqual(r["Checksum"]["ChecksumType"], "COMPOSITE")
        self.assertEqual(r["ObjectSize"], sum(map(len, parts)))
        op = r["ObjectParts"]
        self.assertEqual(op["TotalPartsCount"], 3)
        self.assertFalse(op["IsTruncated"])
        self.assertEqual([(p["PartNumber"], p["Size"], p["ChecksumSHA256"]) for p in op["Parts"]],
                         [(n, len(d), checksum("SHA256", d)) for n, d in enumerate(parts, 1)])
        page = self.s3.get_object_attributes(Bucket=self.bucket, Key="mp", MaxParts=1,
                                             ObjectAttributes=["ObjectParts"])["ObjectParts"]
        self.assertTrue(page["IsTruncated"])
        self.assertEqual(page["MaxParts"], 1)
        self.assertEqual([p["PartNumber"] for p in page["Parts"]], [1])
        self.assertEqual(page["NextPartNumberMarker"], 1)
        page = self.s3.get_object_attributes(Bucket=self.bucket, Key="mp", MaxParts=5,
                                             PartNumberMarker=1,
                                             ObjectAttributes=["ObjectParts"])["ObjectParts"]
        self.assertFalse(page["IsTruncated"])
        self.assertEqual(page["PartNumberMarker"], 1)
        self.assertEqual([p["PartNumber"] for p in page["Parts"]], [2, 3])
        # The parts and checksums are stored: they survive a restart.
        self.server.restart()
        again = self.s3.get_object_attributes(Bucket=self.bucket, Key="mp",
                                              ObjectAttributes=self.ALL)
        self.assertEqual(again["ObjectParts"], op)
        self.assertEqual(again["Checksum"], r["Checksum"])
        head = self.s3.head_object(Bucket=self.bucket, Key="mp", ChecksumMode="ENABLED")
        self.assertEqual(head["ChecksumSHA256"], completed["ChecksumSHA256"])

    def test_multipart_without_algorithm_lists_default_part_checksums(self):
        # An upload without an algorithm gets S3's default CRC64NVME on each part, so its parts
        # are listed with it (without any checksum they would not be).
        # https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObjectAttributesParts.html
        # https://docs.aws.amazon.com/AmazonS3/latest/API/API_ObjectPart.html
        upload = self.s3.create_multipart_upload(Bucket=self.bucket, Key="plain")
        r = self.s3.upload_part(Bucket=self.bucket, Key="plain", UploadId=upload["UploadId"],
                                PartNumber=1, Body=b"only part")
        self.s3.complete_multipart_upload(
            Bucket=self.bucket, Key="plain", UploadId=upload["UploadId"],
            MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": r["ETag"]}]})
        op = self.s3.get_object_attributes(Bucket=self.bucket, Key="plain",
                                           ObjectAttributes=["ObjectParts"])["ObjectParts"]
        self.assertEqual(op["TotalPartsCount"], 1)
        self.assertEqual(op["Parts"], [{"PartNumber": 1, "Size": 9,
                                        "ChecksumCRC64NVME": checksum("CRC64NVME", b"only part")}])

    def test_errors(self):
        # Unknown attribute names are InvalidArgument; a missing key is NoSuchKey (404); a
        # version id is returned for versioned objects.
        # https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObjectAttributes.html
        self.s3.put_object(Bucket=self.bucket, Key="k", Body=b"v")
        self.assertClientError(
            lambda: self.s3.get_object_attributes(Bucket=self.bucket, Key="k",
                                                  ObjectAttributes=["Colour"]),
            "InvalidArgument", 400)
        self.assertClientError(
            lambda: self.s3.get_object_attributes(Bucket=self.bucket, Key="nope",
                                                  ObjectAttributes=["ETag"]), "NoSuchKey", 404)
        self.s3.put_bucket_versioning(Bucket=self.bucket,
                                      VersioningConfiguration={"Status": "Enabled"})
        put = self.s3.put_object(Bucket=self.bucket, Key="k", Body=b"v2")
        r = self.s3.get_object_attributes(Bucket=self.bucket, Key="k", ObjectAttributes=["ETag"])
        self.assertEqual(r["VersionId"], put["VersionId"])


if __name__ == "__main__":
    unittest.main()
