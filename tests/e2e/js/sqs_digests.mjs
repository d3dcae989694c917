// SQS digests as a checking client sees them: the AWS SDK for JavaScript v3 (@aws-sdk/client-sqs).
//
// The SDK itself rejects a SendMessage, SendMessageBatch or ReceiveMessage answer whose body MD5
// does not match (MD5OfMessageBody / MD5OfBody); it does not check MD5OfMessageAttributes, so this
// script recomputes that digest (and MD5OfMessageSystemAttributes) itself from AWS's published
// algorithm, on what it sent and on what it received. Before talking to Headwater it proves the
// SDK's own check is armed, against a stub server that answers with a wrong body digest.
//
// Usage: node sqs_digests.mjs <endpoint>. Prints a JSON summary; exits 1 on any mismatch.

import { createHash } from "node:crypto";
import http from "node:http";
import {
  CreateQueueCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";

const endpoint = process.argv[2];
if (!endpoint) {
  console.error("usage: node sqs_digests.mjs <endpoint>");
  process.exit(2);
}

const failures = [];
let checks = 0;

function check(ok, what) {
  checks += 1;
  if (!ok) failures.push(what);
}

function client(url) {
  return new SQSClient({
    endpoint: url,
    region: "us-east-1",
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
    maxAttempts: 1,
  });
}

const md5 = (data) => createHash("md5").update(data).digest("hex");

// AWS's MD5OfMessageAttributes: names in UTF-16 order (JavaScript's default sort), each field
// length-prefixed with 4 big-endian bytes, a transport byte between type and value (1 string,
// 2 binary), all strings UTF-8.
function md5OfAttributes(attributes) {
  const names = Object.keys(attributes ?? {}).sort();
  if (names.length === 0) return undefined;
  const parts = [];
  const put = (bytes) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(bytes.length);
    parts.push(length, Buffer.from(bytes));
  };
  for (const name of names) {
    const { DataType, StringValue, BinaryValue } = attributes[name];
    put(Buffer.from(name, "utf8"));
    put(Buffer.from(DataType, "utf8"));
    if (StringValue !== undefined) {
      parts.push(Buffer.from([1]));
      put(Buffer.from(StringValue, "utf8"));
    } else {
      parts.push(Buffer.from([2]));
      put(Buffer.from(BinaryValue));
    }
  }
  return md5(Buffer.concat(parts));
}

function sameAttributes(got, want) {
  const gotNames = Object.keys(got ?? {}).sort();
  const wantNames = Object.keys(want ?? {}).sort();
  if (JSON.stringify(gotNames) !== JSON.stringify(wantNames)) return false;
  return wantNames.every((name) => {
    const g = got[name];
    const w = want[name];
    if (g.DataType !== w.DataType) return false;
    if (w.StringValue !== undefined) return g.StringValue === w.StringValue;
    return g.BinaryValue !== undefined && Buffer.from(g.BinaryValue).equals(Buffer.from(w.BinaryValue));
  });
}

function select(attributes, filter) {
  const out = {};
  for (const [name, value] of Object.entries(attributes ?? {})) {
    const wanted = filter.some(
      (f) => f === "All" || f === ".*" || f === name || (f.endsWith(".*") && name.startsWith(f.slice(0, -1))),
    );
    if (wanted) out[name] = value;
  }
  return out;
}

// --- the SDK's own check must be armed, or a passing run would prove nothing ---------------------

async function sdkRejectsBadDigests() {
  const stub = http.createServer((request, response) => {
    let raw = "";
    request.on("data", (chunk) => (raw += chunk));
    request.on("end", () => {
      const target = request.headers["x-amz-target"] ?? "";
      const body = target.endsWith("ReceiveMessage")
        ? { Messages: [{ MessageId: "m", ReceiptHandle: "r", Body: "hello", MD5OfBody: md5("other") }] }
        : { MessageId: "m", MD5OfMessageBody: md5("other") };
      response.writeHead(200, { "content-type": "application/x-amz-json-1.0" });
      response.end(JSON.stringify(body));
    });
  });
  await new Promise((resolve) => stub.listen(0, "127.0.0.1", resolve));
  const stubUrl = `http://127.0.0.1:${stub.address().port}`;
  const sqs = client(stubUrl);
  const queueUrl = `${stubUrl}/000000000000/stub`;
  const rejected = async (command) => {
    try {
      await sqs.send(command);
      return false;
    } catch (error) {
      return /checksum/i.test(String(error?.message)); // not any failure: the digest check's
    }
  };
  try {
    check(await rejected(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: "hello" })), "sdk: SendMessage bad digest accepted");
    check(await rejected(new ReceiveMessageCommand({ QueueUrl: queueUrl })), "sdk: ReceiveMessage bad digest accepted");
  } finally {
    sqs.destroy();
    stub.close();
  }
}

// --- against Headwater --------------------------------------------------------------------------

const binary = Uint8Array.from({ length: 256 }, (_, i) => i);
const trace = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1";

const messages = [
  {
    body: "héllo wörld ✓ 日本語 😀 \u{10FFFF} \t\n\r end",
    attributes: {
      color: { DataType: "String", StringValue: "bleu ciel ✓ 😀" },
      count: { DataType: "Number", StringValue: "-12.5e3" },
      ratio: { DataType: "Number.float", StringValue: "0.25" },
      raw: { DataType: "Binary", BinaryValue: binary },
      packed: { DataType: "Binary.gzip", BinaryValue: Uint8Array.of(0x1f, 0x8b, 0x08, 0x00) },
      "tenant.id": { DataType: "String.uuid", StringValue: "3f2b1c9e-0000-4000-8000-000000000001" },
      "tenant.name": { DataType: "String", StringValue: "Ærø — Ünïcödé" },
      Zeta: { DataType: "String", StringValue: "upper case sorts first" },
      größe: { DataType: "Number.int", StringValue: "42" },
    },
    system: { AWSTraceHeader: { DataType: "String", StringValue: trace } },
  },
  { body: "no attributes at all", attributes: undefined },
  { body: "Ελληνικά", attributes: { color: { DataType: "String", StringValue: "κόκκινο" } } },
  { body: "only binary", attributes: { raw: { DataType: "Binary.custom", BinaryValue: Uint8Array.of(0, 255, 0) } } },
  {
    body: "𝄞 music",
    attributes: {
      "tenant.id": { DataType: "String", StringValue: "t-1" },
      count: { DataType: "Number", StringValue: "7" },
    },
  },
  { body: "x".repeat(10_000), attributes: { big: { DataType: "String", StringValue: "é".repeat(2_000) } } },
];

async function run() {
  await sdkRejectsBadDigests();

  const sqs = client(endpoint);
  try {
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: "js-digests" }));
    const byBody = new Map(messages.map((m) => [m.body, m]));

    // one at a time: the SDK checks MD5OfMessageBody, we check the attribute digests
    const [first, ...rest] = messages;
    const single = await sqs.send(
      new SendMessageCommand({
        QueueUrl,
        MessageBody: first.body,
        MessageAttributes: first.attributes,
        MessageSystemAttributes: first.system,
      }),
    );
    check(single.MD5OfMessageBody === md5(Buffer.from(first.body, "utf8")), "send: MD5OfMessageBody");
    check(single.MD5OfMessageAttributes === md5OfAttributes(first.attributes), "send: MD5OfMessageAttributes");
    check(single.MD5OfMessageSystemAttributes === md5OfAttributes(first.system), "send: MD5OfMessageSystemAttributes");

    const batch = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl,
        Entries: rest.map((m, i) => ({ Id: `m${i}`, MessageBody: m.body, MessageAttributes: m.attributes })),
      }),
    );
    check((batch.Failed ?? []).length === 0, `batch: failed entries ${JSON.stringify(batch.Failed)}`);
    for (const entry of batch.Successful ?? []) {
      const sent = rest[Number(entry.Id.slice(1))];
      check(entry.MD5OfMessageAttributes === md5OfAttributes(sent.attributes), `batch ${entry.Id}: MD5OfMessageAttributes`);
      check(entry.MD5OfMessageSystemAttributes === undefined, `batch ${entry.Id}: unexpected MD5OfMessageSystemAttributes`);
    }

    // receive through several filters; VisibilityTimeout 0 keeps every message available
    const filters = [["All"], [".*"], ["tenant.*"], ["color", "raw", "größe"], ["nothing.*"], []];
    for (const filter of filters) {
      const received = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl,
          MaxNumberOfMessages: 10,
          VisibilityTimeout: 0,
          MessageAttributeNames: filter,
          MessageSystemAttributeNames: ["AWSTraceHeader"],
        }),
      );
      const got = received.Messages ?? [];
      check(got.length === messages.length, `receive ${filter}: ${got.length} messages`);
      for (const message of got) {
        const sent = byBody.get(message.Body);
        check(sent !== undefined, `receive ${filter}: unknown body`);
        if (!sent) continue;
        const expected = select(sent.attributes, filter);
        const label = `receive ${JSON.stringify(filter)} ${JSON.stringify(message.Body.slice(0, 12))}`;
        check(sameAttributes(message.MessageAttributes, expected), `${label}: attributes`);
        check(message.MD5OfMessageAttributes === md5OfAttributes(expected), `${label}: MD5OfMessageAttributes`);
        if (message.MessageAttributes !== undefined) {
          // what an SDK that checks attributes would do: hash exactly what arrived
          check(message.MD5OfMessageAttributes === md5OfAttributes(message.MessageAttributes), `${label}: digest of received`);
        }
        const traced = sent.system?.AWSTraceHeader?.StringValue;
        check(message.Attributes?.AWSTraceHeader === traced, `${label}: AWSTraceHeader`);
      }
    }
  } finally {
    sqs.destroy();
  }
}

try {
  await run();
} catch (error) {
  failures.push(`error: ${error?.name}: ${error?.message}`);
}
console.log(JSON.stringify({ checks, failures }));
process.exit(failures.length ? 1 : 0);
