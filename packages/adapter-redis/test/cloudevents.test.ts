import { join } from "node:path";
import { create, toBinary } from "@bufbuild/protobuf";
import { protobufCodec } from "@mailroom/codec-protobuf";
import {
  cloudEventsCodec,
  createApp,
  type Envelope,
  RELAXED_MESSAGE_NAME,
  silentLogger,
  Worker,
} from "@mailroom/core";
import { HandlerSpy } from "@mailroom/core/testkit";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { requirePythonModules, runPython } from "../../adapter-amqp/test/python.ts";
import { type OrderCreated, OrderCreatedSchema } from "../../codec-protobuf/test/fixtures/orders_pb.ts";
import type { RedisTransport } from "../src/index.ts";
import { deleteKeys, openStream, plainClient, REDIS_URL, streamPrefix } from "./helpers.ts";

// CloudEvents and protobuf between real redis-py and Mailroom on one Redis. Streams have no
// official CloudEvents binding: both sides use the HTTP binding's names as entry fields.

const prefix = streamPrefix("ce");
const client = plainClient();
const script = join(import.meta.dirname, "python", "redis_cloudevents.py");
const opened: Array<{ transport: RedisTransport; worker?: Worker }> = [];
const NAME = "com.example.order.created";
const TYPE = "acme.orders.v1.OrderCreated";
const order = create(OrderCreatedSchema, {
  id: "o-3",
  customer: "c-3",
  total: 7.25,
  quantity: 9_000_000_000n,
});

beforeEach(() => requirePythonModules(["redis"]));
afterAll(async () => {
  for (const o of opened.reverse()) {
    await o.worker?.stop();
    await o.transport.close();
  }
  await deleteKeys(client, prefix);
  client.disconnect();
});

describe("redis-py → Mailroom", () => {
  it("binary CloudEvents (ce- fields, JSON or protobuf data) and a structured one run their handlers with the producer's attributes", async () => {
    const stream = `${prefix}in`;
    const transport = await openStream(stream);
    const app = createApp({ name: "ce-in", logger: silentLogger, names: { pattern: RELAXED_MESSAGE_NAME } });
    const events: Envelope[] = [];
    const orders: OrderCreated[] = [];
    app.handle(NAME, (_data, ctx) => {
      events.push(ctx.envelope);
    });
    app.handle({ schema: OrderCreatedSchema, codec: protobufCodec() }, (o) => {
      orders.push(o);
    });
    const worker = new Worker(app, transport.source(), {
      logger: silentLogger,
      publisher: transport.publisher(),
    });
    opened.push({ transport, worker });
    const spy = new HandlerSpy(worker);
    void worker.start();
    const bytes = Buffer.from(toBinary(OrderCreatedSchema, order)).toString("base64");
    const added = await runPython(script, [REDIS_URL, stream, "publish", bytes]);
    expect(added.map((a) => a.event)).toEqual(["py-binary-1", "py-structured-1", "py-protobuf-1"]);
    await spy.waitFor({ outcome: "ack", count: 3 });
    expect(events.find((e) => e.id === "py-binary-1")).toMatchObject({
      name: NAME,
      data: { id: "o-1", total: 12.5 },
      publishedAt: new Date("2026-05-06T07:08:09.123Z"),
      parentId: "parent-py",
      headers: { "ce-source": "/python/shop", "ce-subject": "o-1" },
    });
    expect(events.find((e) => e.id === "py-structured-1")).toMatchObject({
      name: NAME,
      data: { id: "o-2", total: 3 },
      publishedAt: new Date("2026-05-06T07:08:10Z"),
      headers: { "ce-source": "/python/shop", "ce-tenant": "t-9" },
    });
    expect(orders).toEqual([order]);
  });
});

describe("Mailroom → redis-py", () => {
  it("a binary CloudEvent reads as ce- fields beside the bare data, a structured one as its JSON body, a protobuf message as its bytes", async () => {
    const stream = `${prefix}out`;
    const transport = await openStream(stream);
    opened.push({ transport });
    await transport.publisher().publish([
      {
        id: "mr-binary-1",
        name: NAME,
        data: { id: "o-1" },
        headers: { "ce-subject": "o-1" },
        codec: cloudEventsCodec({ mode: "binary", source: "/mailroom/orders" }),
      },
      {
        id: "mr-structured-1",
        name: NAME,
        data: { id: "o-2" },
        codec: cloudEventsCodec({ source: "/mailroom/orders" }),
      },
      { id: "mr-protobuf-1", name: TYPE, data: order, codec: protobufCodec({ types: [OrderCreatedSchema] }) },
    ]);
    const [binary, structured, protobuf] = await runPython(script, [REDIS_URL, stream, "read"]);
    const body = (line: Record<string, unknown> | undefined) =>
      Buffer.from(String(line?.body_base64), "base64");
    expect(binary!.fields).toMatchObject({
      "ce-specversion": "1.0",
      "ce-id": "mr-binary-1",
      "ce-source": "/mailroom/orders",
      "ce-type": NAME,
      "ce-subject": "o-1",
      "content-type": "application/json",
    });
    expect(JSON.parse(body(binary).toString())).toEqual({ id: "o-1" });
    expect(structured!.fields).toMatchObject({ "content-type": "application/cloudevents+json" });
    expect(JSON.parse(body(structured).toString())).toMatchObject({
      specversion: "1.0",
      id: "mr-structured-1",
      type: NAME,
      data: { id: "o-2" },
    });
    expect(protobuf!.fields).toMatchObject({ "mailroom-name": TYPE, "content-type": "application/protobuf" });
    expect(body(protobuf)).toEqual(Buffer.from(toBinary(OrderCreatedSchema, order)));
  });
});
