import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
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
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { requirePythonModules, runPython } from "../../adapter-amqp/test/python.ts";
import { type OrderCreated, OrderCreatedSchema } from "../../codec-protobuf/test/fixtures/orders_pb.ts";
import type { SqsTransport } from "../src/transport.ts";
import { type Emulator, startEmulator } from "./helpers.ts";

// CloudEvents and protobuf between real boto3 (through fauxqs) and Mailroom. SQS has no official
// CloudEvents binding: both sides use the HTTP binding's names as message attributes (ce-type, …).

let emu: Emulator;
let n = 0;
const queueName = (what: string) => `py-ce-${what}-${process.pid}-${n++}`;
const stops: Array<() => Promise<void>> = [];
const pythonTmp = mkdtempSync(join(tmpdir(), "mailroom-sqs-ce-"));
const NAME = "com.example.order.created";
const TYPE = "acme.orders.v1.OrderCreated";

beforeAll(async () => {
  emu = await startEmulator();
});
beforeEach(() => requirePythonModules(["boto3"]));
afterAll(async () => {
  for (const stop of stops.reverse()) await stop();
  await emu?.stop();
  rmSync(pythonTmp, { recursive: true, force: true });
});

function boto3(script: string, args: string[]) {
  return runPython(join(import.meta.dirname, "python", script), ["--endpoint", emu.endpoint, ...args], {
    AWS_ACCESS_KEY_ID: "test",
    AWS_SECRET_ACCESS_KEY: "test",
    AWS_REGION: "us-east-1",
    TMPDIR: pythonTmp,
  });
}

async function open(queue: string): Promise<SqsTransport> {
  const t = await emu.open(queue, { waitTimeSeconds: 1 });
  stops.push(() => t.close());
  return t;
}

const order = create(OrderCreatedSchema, {
  id: "o-3",
  customer: "c-3",
  total: 7.25,
  quantity: 9_000_000_000n,
});

describe("boto3 → Mailroom", () => {
  it("binary CloudEvents (ce- attributes, JSON or protobuf data) and structured ones (with or without content-type) run their handlers with the producer's attributes", async () => {
    const q = queueName("in");
    const t = await open(q);
    const { url } = emu.createQueue(q);
    const app = createApp({ name: "ce-in", logger: silentLogger, names: { pattern: RELAXED_MESSAGE_NAME } });
    const events: Envelope[] = [];
    const orders: OrderCreated[] = [];
    app.handle(NAME, (_data, ctx) => {
      events.push(ctx.envelope);
    });
    app.handle({ schema: OrderCreatedSchema, codec: protobufCodec() }, (o) => {
      orders.push(o);
    });
    const worker = new Worker(app, t.source(), { logger: silentLogger, publisher: t.publisher() });
    const spy = new HandlerSpy(worker);
    void worker.start();
    stops.push(() => worker.stop());
    const bytes = Buffer.from(toBinary(OrderCreatedSchema, order)).toString("base64");
    const sent = await boto3("boto3_cloudevents.py", ["--queue-url", url, "--protobuf-base64", bytes]);
    expect(sent.map((s) => s.sent)).toEqual([
      "py-binary-1",
      "py-structured-1",
      "py-structured-2",
      "py-protobuf-1",
    ]);
    await spy.waitFor({ outcome: "ack", count: 4 });
    const byId = new Map(events.map((e) => [e.id, e]));
    expect(byId.get("py-binary-1")).toMatchObject({
      name: NAME,
      data: { id: "o-1", total: 12.5 },
      publishedAt: new Date("2026-05-06T07:08:09.123Z"),
      correlationId: "conversation-py",
      headers: {
        "ce-source": "/python/shop",
        "ce-subject": "o-1",
        traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
      },
    });
    for (const id of ["py-structured-1", "py-structured-2"]) {
      expect(byId.get(id)).toMatchObject({
        name: NAME,
        data: { id: "o-2", total: 3 },
        publishedAt: new Date("2026-05-06T07:08:10Z"),
        headers: { "ce-source": "/python/shop", "ce-tenant": "t-9" },
      });
    }
    expect(orders).toEqual([order]);
  });
});

describe("Mailroom → boto3", () => {
  it("a binary CloudEvent reads as ce- message attributes (within 10) and the bare data, a structured one as its JSON body, a protobuf message as base64 bytes", async () => {
    const q = queueName("out");
    const t = await open(q);
    const { url } = emu.createQueue(q);
    await t.publisher().publish([
      {
        id: "mr-binary-1",
        name: NAME,
        data: { id: "o-1" },
        parentId: "p-1",
        headers: {
          "ce-subject": "o-1",
          traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        },
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
    const seen = (await boto3("boto3_receive.py", ["--queue-url", url, "--count", "3"])).filter(
      (l) => !l.ready,
    );
    expect(seen).toHaveLength(3);
    const binary = seen.find((l) => (l.attributes as Record<string, string>)["ce-id"] === "mr-binary-1");
    expect(binary).toMatchObject({
      body: { id: "o-1" },
      attributes: {
        "ce-specversion": "1.0",
        "ce-source": "/mailroom/orders",
        "ce-type": NAME,
        "ce-time": expect.stringMatching(/Z$/),
        "content-type": "application/json",
        traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
      },
    });
    expect(Object.keys(binary!.attributes as object).length).toBeLessThanOrEqual(10);
    const structured = seen.find((l) => (l.body as { id?: string } | undefined)?.id === "mr-structured-1");
    expect(structured).toMatchObject({
      body: { specversion: "1.0", type: NAME, source: "/mailroom/orders", data: { id: "o-2" } },
      attributes: { "content-type": "application/cloudevents+json" },
    });
    const protobuf = seen.find(
      (l) => (l.attributes as Record<string, string>)["mailroom-id"] === "mr-protobuf-1",
    );
    expect(protobuf).toMatchObject({
      attributes: {
        "mailroom-name": TYPE,
        "content-type": "application/protobuf",
        "mailroom-body-encoding": "base64",
      },
    });
    expect(Buffer.from(String(protobuf!.body_text), "base64")).toEqual(
      Buffer.from(toBinary(OrderCreatedSchema, order)),
    );
  });
});
