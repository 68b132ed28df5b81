// The AWS SDK for JavaScript v3 (@aws-sdk/client-s3) against nimbus with its default
// virtual-host addressing (http://<bucket>.localhost:<port>/), run with `node --test`.
//
// *.localhost: RFC 6761 reserves it for loopback, and the SDK sends Host: <bucket>.localhost,
// but this machine's resolver (glibc without nss-myhostname) does not resolve it, so the client
// gets an http.Agent whose lookup maps every *.localhost name to 127.0.0.1; the requests stay
// virtual-host style. One test also uses forcePathStyle. Each test cites the S3 API page.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import dns from "node:dns";
import {
  S3Client, CreateBucketCommand, PutObjectCommand, GetObjectCommand, HeadObjectCommand,
  ListObjectsV2Command, DeleteObjectsCommand, CopyObjectCommand, DeleteObjectCommand,
  CreateMultipartUploadCommand, UploadPartCommand, CompleteMultipartUploadCommand,
  PutBucketVersioningCommand, ListObjectVersionsCommand, ListBucketsCommand,
} from "@aws-sdk/client-s3";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import { startNimbus, ACCESS_KEY, SECRET_KEY } from "./harness.mjs";

let server;
let s3;
const seen = [];  // Host headers the server saw, to prove virtual-host addressing

function loopbackLookup(hostname, options, callback) {
  if (hostname === "localhost" || hostname.endsWith(".localhost")) {
    if (options && options.all) return callback(null, [{ address: "127.0.0.1", family: 4 }]);
    return callback(null, "127.0.0.1", 4);
  }
  return dns.lookup(hostname, options, callback);
}

function client(extra = {}) {
  const agent = new http.Agent({ keepAlive: true, lookup: loopbackLookup });
  const c = new S3Client({
    endpoint: server.endpoint, region: "us-east-1",
    credentials: { accessKeyId: ACCESS_KEY, secretAccessKey: SECRET_KEY },
    requestHandler: new NodeHttpHandler({ httpAgent: agent }), maxAttempts: 1, ...extra,
  });
  c.middlewareStack.add((next) => async (args) => {
    seen.push(args.request.headers.host ?? args.request.hostname);
    return next(args);
  }, { step: "finalizeRequest", name: "recordHost" });
  return c;
}

const bucketName = (p) => `${p}-${Math.random().toString(16).slice(2, 14)}`;

before(async () => {
  server = await startNimbus();
  s3 = client();
});
after(async () => { await server.stop(); });

test("virtual-host addressing: create, put, get, head, list (API_PutObject, API_GetObject)",
  async () => {
    const b = bucketName("js");
    await s3.send(new CreateBucketCommand({ Bucket: b }));
    assert.ok(seen.some((h) => h.startsWith(`${b}.localhost`)), `hosts: ${seen}`);
    await s3.send(new PutObjectCommand({ Bucket: b, Key: "dir/hello.txt", Body: "hello js",
      ContentType: "text/plain", Metadata: { color: "blue" } }));
    const got = await s3.send(new GetObjectCommand({ Bucket: b, Key: "dir/hello.txt" }));
    assert.equal(await got.Body.transformToString(), "hello js");
    assert.equal(got.ContentType, "text/plain");
    assert.equal(got.Metadata.color, "blue");
    const head = await s3.send(new HeadObjectCommand({ Bucket: b, Key: "dir/hello.txt" }));
    assert.equal(head.ContentLength, 8);
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: b, Delimiter: "/" }));
    assert.deepEqual(listed.CommonPrefixes.map((p) => p.Prefix), ["dir/"]);
    assert.equal(listed.KeyCount, 1);
    const buckets = await s3.send(new ListBucketsCommand({}));
    assert.ok(buckets.Buckets.some((x) => x.Name === b));
  });

test("errors arrive as typed exceptions (NoSuchKey, API_GetObject)", async () => {
  const b = bucketName("jserr");
  await s3.send(new CreateBucketCommand({ Bucket: b }));
  await assert.rejects(s3.send(new GetObjectCommand({ Bucket: b, Key: "missing" })),
    (e) => e.name === "NoSuchKey" && e.$metadata.httpStatusCode === 404);
});

test("copy and batch delete (API_CopyObject, API_DeleteObjects)", async () => {
  const b = bucketName("jscp");
  await s3.send(new CreateBucketCommand({ Bucket: b }));
  await s3.send(new PutObjectCommand({ Bucket: b, Key: "src", Body: "copy me" }));
  await s3.send(new CopyObjectCommand({ Bucket: b, Key: "dst", CopySource: `${b}/src` }));
  const got = await s3.send(new GetObjectCommand({ Bucket: b, Key: "dst" }));
  assert.equal(await got.Body.transformToString(), "copy me");
  const out = await s3.send(new DeleteObjectsCommand({ Bucket: b,
    Delete: { Objects: [{ Key: "src" }, { Key: "dst" }] } }));
  assert.equal(out.Deleted.length, 2);
});

test("multipart upload (API_CompleteMultipartUpload)", async () => {
  const b = bucketName("jsmp");
  await s3.send(new CreateBucketCommand({ Bucket: b }));
  const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: b, Key: "mp" }));
  const part1 = Buffer.alloc(5 * 1024 * 1024, 1);
  const part2 = Buffer.from("last part");
  const e1 = await s3.send(new UploadPartCommand({ Bucket: b, Key: "mp", UploadId,
    PartNumber: 1, Body: part1 }));
  const e2 = await s3.send(new UploadPartCommand({ Bucket: b, Key: "mp", UploadId,
    PartNumber: 2, Body: part2 }));
  const done = await s3.send(new CompleteMultipartUploadCommand({ Bucket: b, Key: "mp", UploadId,
    MultipartUpload: { Parts: [{ PartNumber: 1, ETag: e1.ETag }, { PartNumber: 2, ETag: e2.ETag }] } }));
  assert.match(done.ETag, /-2"$/);
  const got = await s3.send(new GetObjectCommand({ Bucket: b, Key: "mp" }));
  const bytes = Buffer.from(await got.Body.transformToByteArray());
  assert.equal(bytes.length, part1.length + part2.length);
  assert.ok(bytes.subarray(part1.length).equals(part2));
});

test("versioning and delete markers (API_ListObjectVersions)", async () => {
  const b = bucketName("jsver");
  await s3.send(new CreateBucketCommand({ Bucket: b }));
  await s3.send(new PutBucketVersioningCommand({ Bucket: b,
    VersioningConfiguration: { Status: "Enabled" } }));
  const v1 = await s3.send(new PutObjectCommand({ Bucket: b, Key: "k", Body: "one" }));
  await s3.send(new DeleteObjectCommand({ Bucket: b, Key: "k" }));
  const versions = await s3.send(new ListObjectVersionsCommand({ Bucket: b }));
  assert.equal(versions.Versions.length, 1);
  assert.equal(versions.DeleteMarkers.length, 1);
  const old = await s3.send(new GetObjectCommand({ Bucket: b, Key: "k", VersionId: v1.VersionId }));
  assert.equal(await old.Body.transformToString(), "one");
});

test("path-style addressing with forcePathStyle also works", async () => {
  const path = client({ forcePathStyle: true });
  const b = bucketName("jspath");
  await path.send(new CreateBucketCommand({ Bucket: b }));
  await path.send(new PutObjectCommand({ Bucket: b, Key: "k", Body: "path" }));
  const got = await s3.send(new GetObjectCommand({ Bucket: b, Key: "k" }));
  assert.equal(await got.Body.transformToString(), "path");
});
