// The AWS SDK for JavaScript v3 (@aws-sdk/client-sqs, AWS JSON protocol) against nimbus, run
// with `node --test`. The SDK checks MD5OfMessageBody and MD5OfMessageAttributes on SendMessage,
// SendMessageBatch and ReceiveMessage (its md5 middleware throws on a mismatch) but, in this
// version, not MD5OfMessageAttributes: the tests compute that one themselves with the algorithm
// of the SQS developer guide ("Calculating the MD5 message digest for message attributes").
// Each test cites the SQS API page.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import {
  SQSClient, CreateQueueCommand, SendMessageCommand, SendMessageBatchCommand,
  ReceiveMessageCommand, DeleteMessageCommand, GetQueueUrlCommand, GetQueueAttributesCommand,
  QueueDoesNotExist,
} from "@aws-sdk/client-sqs";
import { startNimbus, ACCESS_KEY, SECRET_KEY } from "./harness.mjs";

let server;
let sqs;

const queueName = (p) => `${p}-${Math.random().toString(16).slice(2, 14)}`;

before(async () => {
  server = await startNimbus();
  sqs = new SQSClient({
    endpoint: server.endpoint, region: "us-east-1", maxAttempts: 1,
    credentials: { accessKeyId: ACCESS_KEY, secretAccessKey: SECRET_KEY },
  });
});
after(async () => { await server.stop(); });

// The digest of message attributes: names sorted; for each, 4-byte big-endian lengths before the
// name, the data type and the value, and a transport byte (1 string/number, 2 binary).
function attributesMd5(attrs) {
  const parts = [];
  const field = (bytes) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(bytes.length);
    parts.push(len, bytes);
  };
  for (const name of Object.keys(attrs).sort()) {
    const a = attrs[name];
    field(Buffer.from(name, "utf8"));
    field(Buffer.from(a.DataType, "utf8"));
    if (a.BinaryValue !== undefined) {
      parts.push(Buffer.from([2]));
      field(Buffer.from(a.BinaryValue));
    } else {
      parts.push(Buffer.from([1]));
      field(Buffer.from(a.StringValue, "utf8"));
    }
  }
  return createHash("md5").update(Buffer.concat(parts)).digest("hex");
}

const attributes = {
  color: { DataType: "String", StringValue: "blue ✓" },
  count: { DataType: "Number", StringValue: "42.5" },
  blob: { DataType: "Binary", BinaryValue: new Uint8Array([0, 1, 2, 250, 255]) },
  kind: { DataType: "String.custom", StringValue: "typed" },
};

test("SendMessage with String, Number and Binary attributes; ReceiveMessage All; DeleteMessage "
  + "(API_SendMessage, API_ReceiveMessage, API_DeleteMessage)", async () => {
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: queueName("js") }));
  const sent = await sqs.send(new SendMessageCommand({
    QueueUrl, MessageBody: "hello from js ✓", MessageAttributes: attributes }));
  assert.match(sent.MessageId, /^[0-9a-f-]{36}$/);
  assert.equal(sent.MD5OfMessageBody,
    createHash("md5").update("hello from js ✓", "utf8").digest("hex"));
  assert.equal(sent.MD5OfMessageAttributes, attributesMd5(attributes));

  const got = await sqs.send(new ReceiveMessageCommand({
    QueueUrl, MessageAttributeNames: ["All"], MessageSystemAttributeNames: ["All"],
    MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
  assert.equal(got.Messages.length, 1);
  const m = got.Messages[0];
  assert.equal(m.MessageId, sent.MessageId);
  assert.equal(m.Body, "hello from js ✓");
  assert.equal(m.MD5OfMessageAttributes, sent.MD5OfMessageAttributes);
  assert.equal(m.MessageAttributes.color.StringValue, "blue ✓");
  assert.equal(m.MessageAttributes.count.DataType, "Number");
  assert.equal(m.MessageAttributes.count.StringValue, "42.5");
  assert.deepEqual([...m.MessageAttributes.blob.BinaryValue], [0, 1, 2, 250, 255]);
  assert.equal(m.MessageAttributes.kind.DataType, "String.custom");
  assert.equal(m.MD5OfMessageAttributes, attributesMd5(m.MessageAttributes));
  assert.equal(m.Attributes.ApproximateReceiveCount, "1");

  await sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: m.ReceiptHandle }));
  const attrs = await sqs.send(new GetQueueAttributesCommand({
    QueueUrl, AttributeNames: ["ApproximateNumberOfMessages",
      "ApproximateNumberOfMessagesNotVisible"] }));
  assert.equal(attrs.Attributes.ApproximateNumberOfMessages, "0");
  assert.equal(attrs.Attributes.ApproximateNumberOfMessagesNotVisible, "0");
});

test("SendMessageBatch with attributes, then receive them all (API_SendMessageBatch)",
  async () => {
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: queueName("jsb") }));
    const entries = [
      { Id: "a", MessageBody: "first", MessageAttributes: attributes },
      { Id: "b", MessageBody: "second" },
      { Id: "c", MessageBody: "third",
        MessageAttributes: { n: { DataType: "Number", StringValue: "-7" } } },
    ];
    const sent = await sqs.send(new SendMessageBatchCommand({ QueueUrl, Entries: entries }));
    assert.deepEqual(sent.Successful.map((e) => e.Id).sort(), ["a", "b", "c"]);
    assert.equal((sent.Failed ?? []).length, 0);
    const byId = Object.fromEntries(sent.Successful.map((e) => [e.Id, e]));
    assert.equal(byId.a.MD5OfMessageAttributes, attributesMd5(attributes));
    assert.equal(byId.c.MD5OfMessageAttributes, attributesMd5(entries[2].MessageAttributes));
    assert.equal(byId.b.MD5OfMessageAttributes, undefined);

    const bodies = new Map();
    for (let i = 0; i < 10 && bodies.size < 3; i++) {
      const got = await sqs.send(new ReceiveMessageCommand({
        QueueUrl, MessageAttributeNames: ["All"], MaxNumberOfMessages: 10 }));
      for (const m of got.Messages ?? []) bodies.set(m.Body, m);
    }
    assert.deepEqual([...bodies.keys()].sort(), ["first", "second", "third"]);
    assert.equal(bodies.get("first").MD5OfMessageAttributes, byId.a.MD5OfMessageAttributes);
    assert.equal(bodies.get("third").MessageAttributes.n.StringValue, "-7");
    for (const m of bodies.values()) {
      await sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: m.ReceiptHandle }));
    }
  });

test("a missing queue is the SDK's QueueDoesNotExist (API_GetQueueUrl)", async () => {
  await assert.rejects(sqs.send(new GetQueueUrlCommand({ QueueName: queueName("missing") })),
    (e) => e instanceof QueueDoesNotExist && e.name === "QueueDoesNotExist"
      && e.$metadata.httpStatusCode === 400);
  const url = `${server.endpoint}/000000000000/${queueName("gone")}`;
  await assert.rejects(sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "x" })),
    (e) => e instanceof QueueDoesNotExist);
});
