import { join } from "node:path";
import { create } from "@bufbuild/protobuf";
import { protobufCodec } from "@mailroom/codec-protobuf";
import {
  cloudEventsCodec,
  createApp,
  type Envelope,
  RELAXED_MESSAGE_NAME,
  silentLogger,
} from "@mailroom/core";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  ORDERS_FILE_BASE64,
  type OrderCreated,
  OrderCreatedSchema,
} from "../../codec-protobuf/test/fixtures/orders_pb.ts";
import { AMQP_URL, sendRaw, sharedBrokerLock, testScope, transport, uniqueName } from "./helpers.ts";
import { requirePythonModules, runPython } from "./python.ts";

// CloudEvents (the AMQP binding) and protobuf between real pika producers / consumers, written
// from the specs with no Mailroom code, and Mailroom on the same broker.

sharedBrokerLock({ beforeAll, afterAll });
beforeEach(() => requirePythonModules(["pika", "google.protobuf"]));
const scope = testScope(afterAll);
const script = join(import.meta.dirname, "python", "pika_cloudevents.py");
const pika = (queue: string, ...args: string[]) =>
  runPython(script, ["--url", AMQP_URL, "--queue", queue, "--proto", ORDERS_FILE_BASE64, ...args]);
const NAME = "com.example.order.created";
const TYPE = "acme.orders.v1.OrderCreated";

describe("pika → Mailroom", () => {
  it("a binary CloudEvent (cloudEvents: headers), a structured one and a protobuf message each run their handler with the producer's attributes", async () => {
    const queue = uniqueName("ce-in");
    const t = transport(queue);
    await t.connect();
    const app = createApp({ name: "ce-in", logger: silentLogger, names: { pattern: RELAXED_MESSAGE_NAME } });
    const events: Envelope[] = [];
    const orders: OrderCreated[] = [];
    app.handle(NAME, (_data, ctx) => {
      events.push(ctx.envelope);
    });
    app.handle({ schema: OrderCreatedSchema, codec: protobufCodec() }, (order) => {
      orders.push(order);
    });
    const { spy } = scope.run(app, t);
    expect(await pika(queue, "--mode", "publish")).toHaveLength(3);
    await spy.waitFor({ outcome: "ack", count: 3 });
    const binary = events.find((e) => e.id === "py-binary-1");
    expect(binary).toMatchObject({
      name: NAME,
      data: { id: "o-1", total: 12.5 },
      publishedAt: new Date("2026-05-06T07:08:09.123Z"),
      correlationId: "conversation-py",
      headers: {
        "ce-source": "/python/shop",
        "ce-subject": "o-1",
        "ce-tenant": "t-9",
        traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
      },
    });
    expect(events.find((e) => e.id === "py-structured-1")).toMatchObject({
      name: NAME,
      data: { id: "o-2", total: 3 },
      publishedAt: new Date("2026-05-06T07:08:10Z"),
      headers: { "ce-source": "/python/shop" },
    });
    expect(orders).toEqual([
      create(OrderCreatedSchema, {
        id: "o-3",
        customer: "c-3",
        total: 7.25,
        quantity: 9_000_000_000n,
        tags: ["py"],
      }),
    ]);
  });
});

describe("a CloudEvent on a queue that names messages by the type property first", () => {
  it("is read as the event it is, named by its type, not as data named by the property (nameFrom: type, body)", async () => {
    const queue = uniqueName("ce-typed");
    const t = transport(queue, { nameFrom: ["type", "body"] });
    await t.connect();
    const app = createApp({
      name: "ce-typed",
      logger: silentLogger,
      names: { pattern: RELAXED_MESSAGE_NAME },
    });
    const seen: Envelope[] = [];
    app.handle(NAME, (_data, ctx) => {
      seen.push(ctx.envelope);
    });
    const { spy } = scope.run(app, t);
    const event = { specversion: "1.0", id: "typed-1", source: "/amqp", type: NAME, data: { id: "o-9" } };
    // The producer's own type property disagrees with the event's type: the event's wins.
    await sendRaw(queue, JSON.stringify(event), {
      type: "order_v1",
      contentType: "application/cloudevents+json",
    });
    await spy.waitFor({ id: "typed-1", outcome: "ack" });
    expect(seen[0]).toMatchObject({ name: NAME, data: { id: "o-9" }, headers: { "ce-source": "/amqp" } });
  });
});

describe("Mailroom → pika", () => {
  it("a binary CloudEvent reads as cloudEvents: application properties and the bare data, a structured one as application/cloudevents+json, a protobuf message as bytes Python's protobuf parses", async () => {
    const queue = uniqueName("ce-out");
    const t = transport(queue);
    await t.connect();
    await t.publisher().publish([
      {
        id: "mr-binary-1",
        name: NAME,
        data: { id: "o-1" },
        correlationId: "conversation-mr",
        headers: { "ce-subject": "o-1" },
        codec: cloudEventsCodec({ mode: "binary", source: "/mailroom/orders" }),
      },
      {
        id: "mr-structured-1",
        name: NAME,
        data: { id: "o-2" },
        codec: cloudEventsCodec({ source: "/mailroom/orders" }),
      },
      {
        id: "mr-protobuf-1",
        name: TYPE,
        data: create(OrderCreatedSchema, { id: "o-3", quantity: 12n }),
        codec: protobufCodec({ types: [OrderCreatedSchema] }),
      },
    ]);
    const seen = await pika(queue, "--mode", "consume", "--count", "3");
    const [binary, structured, protobuf] = seen;
    expect(binary).toMatchObject({
      content_type: "application/json",
      body: { id: "o-1" },
      headers: {
        "cloudEvents:specversion": "1.0",
        "cloudEvents:id": "mr-binary-1",
        "cloudEvents:source": "/mailroom/orders",
        "cloudEvents:type": NAME,
        "cloudEvents:subject": "o-1",
        "cloudEvents:correlationid": "conversation-mr",
        "cloudEvents:time": expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      },
    });
    expect(Object.keys(binary!.headers as object)).not.toContain("content-type");
    expect(structured).toMatchObject({
      content_type: "application/cloudevents+json",
      body: {
        specversion: "1.0",
        id: "mr-structured-1",
        source: "/mailroom/orders",
        type: NAME,
        data: { id: "o-2" },
      },
    });
    expect(protobuf).toMatchObject({
      content_type: "application/protobuf",
      type: TYPE,
      message_id: "mr-protobuf-1",
      message: { id: "o-3", quantity: "12" },
    });
  });
});
