import { create, toBinary } from "@bufbuild/protobuf";
import { protobufCodec } from "@mailroom/codec-protobuf";
import {
  cloudEventsCodec,
  createApp,
  DeferLater,
  type Envelope,
  PermanentError,
  RELAXED_MESSAGE_NAME,
  silentLogger,
  Worker,
} from "@mailroom/core";
import { HandlerSpy } from "@mailroom/core/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type OrderCreated, OrderCreatedSchema } from "../../codec-protobuf/test/fixtures/orders_pb.ts";
import { type MnsTransport, openTransport } from "../src/index.ts";
import type { MnsTestServer } from "../src/testing/index.ts";
import { client, rawSdk, server, transportUrl, uniqueQueue } from "./helpers.ts";

// MNS carries nothing beside the body: CloudEvents go in structured mode, protobuf as a structured
// CloudEvent with the bytes in data_base64, and the copies MNS re-encodes (defer, dead letter)
// stay CloudEvents. The foreign producer is the official @alicloud/mns SDK, on the MNS test server.

let s: MnsTestServer;
const opened: MnsTransport[] = [];
const workers: Worker[] = [];
const NAME = "com.example.order.created";
const TYPE = "acme.orders.v1.OrderCreated";
const order = create(OrderCreatedSchema, {
  id: "o-3",
  customer: "c-3",
  total: 7.25,
  quantity: 9_000_000_000n,
});

beforeAll(async () => {
  s = await server();
});
afterAll(async () => {
  for (const w of workers) await w.stop();
  for (const t of opened) await t.close();
  await s.close();
});

async function open(what: string): Promise<MnsTransport> {
  const t = await openTransport(transportUrl(s, uniqueQueue(what), "create=true&visibility=5s&wait=1"), {
    accessKeyId: s.credentials[0]!.accessKeyId,
    accessKeySecret: s.credentials[0]!.accessKeySecret,
  });
  opened.push(t);
  return t;
}

function start(app: ReturnType<typeof createApp>, t: MnsTransport): HandlerSpy {
  const worker = new Worker(app, t.source(), { logger: silentLogger, publisher: t.publisher() });
  workers.push(worker);
  const spy = new HandlerSpy(worker);
  void worker.start();
  return spy;
}

const text = (b: Uint8Array) => new TextDecoder().decode(b);

describe("CloudEvents on MNS", () => {
  it("a structured CloudEvent the official SDK sends (as text, and base64) runs its handler with the producer's attributes", async () => {
    const t = await open("ce-sdk");
    const app = createApp({ name: "ce", logger: silentLogger, names: { pattern: RELAXED_MESSAGE_NAME } });
    const seen: Envelope[] = [];
    app.handle(NAME, (_data, ctx) => {
      seen.push(ctx.envelope);
    });
    const spy = start(app, t);
    const event = (id: string) =>
      JSON.stringify({
        specversion: "1.0",
        id,
        source: "acs:mns:cn-hangzhou:123:queues/orders",
        type: NAME,
        time: "2026-05-06T07:08:09Z",
        subject: "o-1",
        correlationid: "conversation-sdk",
        datacontenttype: "application/json",
        data: { id: "o-1", note: "fish and chips" },
      });
    const sdk = rawSdk(s).sendMessage as (q: string, p: object) => Promise<unknown>;
    await sdk.call(rawSdk(s), t.queue, { MessageBody: event("sdk-text-1") });
    await client(s, { bodyEncoding: "base64" }).sendMessage(t.queue, {
      body: new TextEncoder().encode(event("sdk-b64-1")),
    });
    await spy.waitFor({ name: NAME, outcome: "ack", count: 2 });
    for (const id of ["sdk-text-1", "sdk-b64-1"]) {
      expect(seen.find((e) => e.id === id)).toMatchObject({
        name: NAME,
        data: { id: "o-1", note: "fish and chips" },
        publishedAt: new Date("2026-05-06T07:08:09Z"),
        correlationId: "conversation-sdk",
        headers: { "ce-source": "acs:mns:cn-hangzhou:123:queues/orders", "ce-subject": "o-1" },
      });
    }
  });

  it("a binary-mode publish and a protobuf message are written as structured CloudEvents (protobuf in data_base64) and read back", async () => {
    const t = await open("ce-out");
    await t.publisher().publish([
      {
        id: "mr-binary-1",
        name: NAME,
        data: { id: "o-1" },
        headers: { "ce-subject": "o-1" },
        codec: cloudEventsCodec({ mode: "binary", source: "/mailroom/orders" }),
      },
      { id: "mr-protobuf-1", name: TYPE, data: order, codec: protobufCodec({ types: [OrderCreatedSchema] }) },
    ]);
    const raw = await client(s).batchPeekMessage(t.queue, 16);
    const bodies = raw.map((m) => JSON.parse(text(m.body)) as Record<string, unknown>);
    expect(bodies.find((b) => b.id === "mr-binary-1")).toMatchObject({
      specversion: "1.0",
      type: NAME,
      source: "/mailroom/orders",
      subject: "o-1",
      data: { id: "o-1" },
    });
    const protobuf = bodies.find((b) => b.id === "mr-protobuf-1");
    expect(protobuf).toMatchObject({ type: TYPE, datacontenttype: "application/protobuf" });
    expect(Buffer.from(String(protobuf!.data_base64), "base64")).toEqual(
      Buffer.from(toBinary(OrderCreatedSchema, order)),
    );
    // Peeked, not received: a worker reads both.
    const app = createApp({ name: "ce", logger: silentLogger, names: { pattern: RELAXED_MESSAGE_NAME } });
    const events: Envelope[] = [];
    const orders: OrderCreated[] = [];
    app.handle(NAME, (_data, ctx) => {
      events.push(ctx.envelope);
    });
    app.handle({ schema: OrderCreatedSchema, codec: protobufCodec() }, (o) => {
      orders.push(o);
    });
    const spy = start(app, t);
    await spy.waitFor({ outcome: "ack", count: 2 });
    expect(events[0]).toMatchObject({
      id: "mr-binary-1",
      data: { id: "o-1" },
      headers: { "ce-subject": "o-1" },
    });
    expect(orders).toEqual([order]);
  });

  it("a deferred copy and a dead letter of a CloudEvent with protobuf data stay CloudEvents: source, bytes and content type kept, no attempt spent by the defer", async () => {
    const t = await open("ce-copies");
    const app = createApp({ name: "ce", logger: silentLogger });
    const runs: Array<{ attempt: number; order: OrderCreated; source: string | undefined }> = [];
    app.handle({ schema: OrderCreatedSchema, codec: protobufCodec() }, (o, ctx) => {
      runs.push({ attempt: ctx.attempt, order: o, source: ctx.envelope.headers["ce-source"] });
      if (runs.length === 1) throw new DeferLater(200);
      throw new PermanentError("refused after the defer");
    });
    const spy = start(app, t);
    await t.publisher().publish([
      {
        id: "mr-copy-1",
        name: TYPE,
        data: order,
        codec: protobufCodec({ types: [OrderCreatedSchema], source: "/shop" }),
      },
    ]);
    await spy.waitFor({ id: "mr-copy-1", outcome: "deadLetter" });
    expect(runs).toEqual([
      { attempt: 1, order, source: "/shop" },
      { attempt: 1, order, source: "/shop" },
    ]);
    const [dead] = await client(s).batchReceiveMessage(t.deadLetterQueue, 1, 1);
    expect(JSON.parse(text(dead!.body))).toMatchObject({
      specversion: "1.0",
      id: "mr-copy-1",
      source: "/shop",
      type: TYPE,
      datacontenttype: "application/protobuf",
      data_base64: Buffer.from(toBinary(OrderCreatedSchema, order)).toString("base64"),
      mailroomdeadletterreason: "permanent_error: refused after the defer",
    });
  });
});
