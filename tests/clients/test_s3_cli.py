"""AWS CLI v1 (`aws s3 ...`, `aws s3api ...`) against nimbus S3, run as a subprocess with the
credentials in the environment and --endpoint-url, as CLIENTS.md describes. Each test cites the
CLI or S3 API reference behaviour it reproduces.
"""
import hashlib
import json
import os
import shutil
import subprocess
import tempfile
import unittest
import uuid

from harness import ACCESS_KEY, SECRET_KEY, Nimbus

AWS = shutil.which("aws")


def unique_bucket(prefix):
    return "%s-%s" % (prefix, uuid.uuid4().hex[:16])


@unittest.skipIf(AWS is None, "the aws CLI is not installed")
class CliS3Tests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Nimbus()
        cls.home = tempfile.mkdtemp(prefix="nimbus-cli-")
        cls.env = dict(os.environ)
        for name in list(cls.env):
            if name.startswith("AWS_"):
                del cls.env[name]
        cls.env.update({
            "AWS_ACCESS_KEY_ID": ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
            "AWS_DEFAULT_REGION": "us-east-1",
            # No stray user configuration.
            "AWS_CONFIG_FILE": os.path.join(cls.home, "config"),
            "AWS_SHARED_CREDENTIALS_FILE": os.path.join(cls.home, "credentials"),
            "AWS_MAX_ATTEMPTS": "1",
        })

    @classmethod
    def tearDownClass(cls):
        cls.server.close()
        shutil.rmtree(cls.home, ignore_errors=True)

    def aws(self, *args, check=True):
        result = subprocess.run([AWS, "--endpoint-url", self.server.endpoint] + list(args),
                                env=self.env, capture_output=True, timeout=120)
        if check and result.returncode != 0:
            self.fail("aws %s failed (%d):\nstdout: %s\nstderr: %s"
                      % (" ".join(args), result.returncode, result.stdout.decode(),
                         result.stderr.decode()))
        return result

    def test_mb_cp_ls_rm_rb(self):
        # `aws s3 mb` (CreateBucket), `cp` up (PutObject) and down (HeadObject + GetObject),
        # `ls` (ListBuckets), `rm` (DeleteObject) and `rb` (DeleteBucket) (AWS CLI s3 reference).
        bucket = unique_bucket("cli")
        made = self.aws("s3", "mb", "s3://" + bucket)
        self.assertIn("make_bucket: " + bucket, made.stdout.decode())
        self.assertIn(bucket, self.aws("s3", "ls").stdout.decode())

        with tempfile.TemporaryDirectory() as tmp:
            source = os.path.join(tmp, "upload.bin")
            target = os.path.join(tmp, "download.bin")
            data = os.urandom(3 * 1024 * 1024 + 5)
            with open(source, "wb") as f:
                f.write(data)
            self.aws("s3", "cp", source, "s3://%s/dir/upload.bin" % bucket)
            self.aws("s3", "cp", "s3://%s/dir/upload.bin" % bucket, target)
            with open(target, "rb") as f:
                self.assertEqual(f.read(), data)

            head = json.loads(self.aws("s3api", "head-object", "--bucket", bucket, "--key",
                                       "dir/upload.bin").stdout)
            self.assertEqual(head["ContentLength"], len(data))
            self.assertEqual(head["ETag"], '"%s"' % hashlib.md5(data).hexdigest())
            # The CLI guesses Content-Type from the file name; .bin is application/octet-stream.
            self.assertEqual(head["ContentType"], "application/octet-stream")

        removed = self.aws("s3", "rm", "s3://%s/dir/upload.bin" % bucket)
        self.assertIn("delete: s3://%s/dir/upload.bin" % bucket, removed.stdout.decode())
        missing = self.aws("s3api", "head-object", "--bucket", bucket, "--key", "dir/upload.bin",
                           check=False)
        self.assertNotEqual(missing.returncode, 0)
        self.assertIn("404", missing.stderr.decode())

        self.aws("s3", "rb", "s3://" + bucket)
        self.assertNotIn(bucket, self.aws("s3", "ls").stdout.decode())

    def test_head_object_metadata(self):
        # `s3api put-object --metadata` stores x-amz-meta-*; `head-object` returns it with the
        # content type (API_HeadObject).
        bucket = unique_bucket("cliapi")
        self.aws("s3api", "create-bucket", "--bucket", bucket)
        with tempfile.NamedTemporaryFile() as body:
            body.write(b"{\"hello\": true}")
            body.flush()
            self.aws("s3api", "put-object", "--bucket", bucket, "--key", "doc.json", "--body",
                     body.name, "--content-type", "application/json", "--metadata",
                     "origin=cli,stage=test")
        head = json.loads(self.aws("s3api", "head-object", "--bucket", bucket, "--key",
                                   "doc.json").stdout)
        self.assertEqual(head["ContentType"], "application/json")
        self.assertEqual(head["ContentLength"], 15)
        self.assertEqual(head["Metadata"], {"origin": "cli", "stage": "test"})

    def test_rb_of_non_empty_bucket_fails(self):
        # DeleteBucket of a bucket with objects: 409 BucketNotEmpty (API_DeleteBucket).
        bucket = unique_bucket("clifull")
        self.aws("s3", "mb", "s3://" + bucket)
        with tempfile.NamedTemporaryFile() as body:
            body.write(b"x")
            body.flush()
            self.aws("s3", "cp", body.name, "s3://%s/x" % bucket)
        refused = self.aws("s3", "rb", "s3://" + bucket, check=False)
        self.assertNotEqual(refused.returncode, 0)
        self.assertIn("BucketNotEmpty", refused.stderr.decode())


    def test_cp_of_a_100_mib_file_is_a_multipart_upload(self):
        # `aws s3 cp` of 100 MiB uses multipart (8 MiB parts: 13 parts, ETag "-13") and the
        # download reads it back byte for byte (userguide/mpuoverview.html).
        bucket = unique_bucket("clibig")
        self.aws("s3", "mb", "s3://" + bucket)
        src = os.path.join(self.home, "big.bin")
        dst = os.path.join(self.home, "big.out")
        block = os.urandom(1024 * 1024)
        with open(src, "wb") as f:
            for i in range(100):
                f.write(block[i:] + block[:i])
        self.aws("s3", "cp", src, "s3://%s/big.bin" % bucket)
        head = json.loads(self.aws("s3api", "head-object", "--bucket", bucket,
                                   "--key", "big.bin").stdout)
        self.assertEqual(head["ContentLength"], 100 * 1024 * 1024)
        self.assertTrue(head["ETag"].endswith('-13"'), head["ETag"])
        self.aws("s3", "cp", "s3://%s/big.bin" % bucket, dst)
        with open(src, "rb") as a, open(dst, "rb") as b:
            self.assertEqual(hashlib.md5(a.read()).digest(), hashlib.md5(b.read()).digest())
        self.aws("s3", "rm", "s3://%s/big.bin" % bucket)
        self.aws("s3", "rb", "s3://" + bucket)

    def test_sync_of_a_nested_tree(self):
        # `aws s3 sync` up and down: ListObjectsV2 with prefixes, PutObject, GetObject; a second
        # sync copies nothing; --delete removes what the source lost (AWS CLI s3 sync reference).
        bucket = unique_bucket("clisync")
        self.aws("s3", "mb", "s3://" + bucket)
        tree = os.path.join(self.home, "tree")
        files = ["a.txt", "d1/b.txt", "d1/d2/c.txt", "d1/d2/d3/with space.txt", "z/ü.txt"]
        for name in files:
            path = os.path.join(tree, name)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w") as f:
                f.write("content of " + name)
        self.aws("s3", "sync", tree, "s3://%s/tree" % bucket)
        listed = json.loads(self.aws("s3api", "list-objects-v2", "--bucket", bucket).stdout)
        self.assertEqual(sorted(o["Key"] for o in listed["Contents"]),
                         sorted("tree/" + n for n in files))
        again = self.aws("s3", "sync", tree, "s3://%s/tree" % bucket)
        self.assertEqual(again.stdout.strip(), b"")
        out = os.path.join(self.home, "tree-out")
        self.aws("s3", "sync", "s3://%s/tree" % bucket, out)
        for name in files:
            with open(os.path.join(out, name)) as f:
                self.assertEqual(f.read(), "content of " + name)
        os.remove(os.path.join(tree, "a.txt"))
        self.aws("s3", "sync", "--delete", tree, "s3://%s/tree" % bucket)
        listed = json.loads(self.aws("s3api", "list-objects-v2", "--bucket", bucket).stdout)
        self.assertEqual(len(listed["Contents"]), len(files) - 1)
        self.aws("s3", "rb", "--force", "s3://" + bucket)


if __name__ == "__main__":
    unittest.main()
