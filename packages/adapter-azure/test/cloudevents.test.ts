import { join } from "node:path";
import { create, toBinary } from "@bufbuild/protobuf";
import { protobufCodec } from "@mailroom/codec-protobuf";
import {
  cloudEventsCodec,
  createApp,
  type Envelope,
  PermanentError,
  RELAXED_MESSAGE_NAME,
  silentLogger,
  Worker,
} from "@mailroom/core";
import { HandlerSpy } from "@mailroom/core/testkit";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { requirePythonModules, runPython } from "../../adapter-amqp/test/python.ts";
import { type OrderCreated, OrderCreatedSchema } from "../../codec-protobuf/test/fixtures/orders_pb.ts";
import { openTransport } from "../src/index.ts";
import { type Azurite, startAzurite, uniqueQueue } from "./azurite.ts";

// Storage Queues carry nothing beside the body: CloudEvents go in structured mode, protobuf as a
// structured CloudEvent with its bytes in data_base64, and copies (dead letters) stay CloudEvents.
// The foreign side is the Azure SDK's v12 client for Python, against Azurite.

let azurite: Azurite;
const stops: Array<() => Promise<void>> = [];
const py = (script: string) => join(import.meta.dirname, "python", script);
const NAME = "com.example.order.created";
const TYPE = "acme.orders.v1.OrderCreated";
const order = create(OrderCreatedSchema, {
  id: "o-3",
  customer: "c-3",
  total: 7.25,
  quantity: 9_000_000_000n,
});

beforeAll(async () => {
  azurite = await startAzurite();
});
beforeEach(() => requirePythonModules(["azure.multiapi.storagev2.queue"]));
afterAll(async () => {
  for (const stop of stops.reverse()) await stop();
  await azurite?.stop();
});

async function open(queue: string) {
  const t = await openTransport(azurite.url(queue, "create=true&maxPoll=200ms&wait=3s"));
  stops.push(() => t.close());
  return t;
}

function start(app: ReturnType<typeof createApp>, t: Awaited<ReturnType<typeof open>>): HandlerSpy {
  const worker = new Worker(app, t.source(), { logger: silentLogger, publisher: t.publisher() });
  stops.push(() => worker.stop());
  const spy = new HandlerSpy(worker);
  void worker.start();
  return spy;
}

const receive = (queue: string, count: number) =>
  runPython(py("azure_receive.py"), [
    ...["--connection", azurite.connectionString, "--queue", queue, "--count", String(count)],
  ]);

describe("CloudEvents on Azure Storage Queues", () => {
  it("a structured CloudEvent the Python SDK sends (base64 and text) runs its handler with the producer's attributes", async () => {
    const queue = uniqueQueue("ce-in");
    const t = await open(queue);
    const event = (id: string) =>
      JSON.stringify({
        specversion: "1.0",
        id,
        source: "/subscriptions/x/resourceGroups/shop",
        type: NAME,
        time: "2026-05-06T07:08:09Z",
        tenant: "t-9",
        data: { id: "o-1", note: "<b>&é</b>" },
      });
    for (const [encoding, id] of [
      ["base64", "py-b64-1"],
      ["text", "py-text-1"],
    ]) {
      await runPython(py("azure_send.py"), [
        ...["--connection", azurite.connectionString, "--queue", queue, "--encoding", encoding!],
        ...["--body", event(id!)],
      ]);
    }
    const app = createApp({ name: "ce", logger: silentLogger, names: { pattern: RELAXED_MESSAGE_NAME } });
    const seen: Envelope[] = [];
    app.handle(NAME, (_data, ctx) => {
      seen.push(ctx.envelope);
    });
    const spy = start(app, t);
    await spy.waitFor({ name: NAME, outcome: "ack", count: 2 });
    for (const id of ["py-b64-1", "py-text-1"]) {
      expect(seen.find((e) => e.id === id)).toMatchObject({
        name: NAME,
        data: { id: "o-1", note: "<b>&é</b>" },
        publishedAt: new Date("2026-05-06T07:08:09Z"),
        headers: { "ce-source": "/subscriptions/x/resourceGroups/shop", "ce-tenant": "t-9" },
      });
    }
  });

  it("a binary-mode publish and a protobuf message reach the Python SDK as structured CloudEvents (protobuf in data_base64)", async () => {
    const queue = uniqueQueue("ce-out");
    const t = await open(queue);
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
    const events = (await receive(queue, 2)).map(
      (m) => JSON.parse(String(m.content)) as Record<string, unknown>,
    );
    expect(events.find((e) => e.id === "mr-binary-1")).toMatchObject({
      specversion: "1.0",
      type: NAME,
      source: "/mailroom/orders",
      subject: "o-1",
      data: { id: "o-1" },
    });
    const protobuf = events.find((e) => e.id === "mr-protobuf-1");
    expect(protobuf).toMatchObject({ type: TYPE, datacontenttype: "application/protobuf" });
    expect(Buffer.from(String(protobuf!.data_base64), "base64")).toEqual(
      Buffer.from(toBinary(OrderCreatedSchema, order)),
    );
  });

  it("a protobuf CloudEvent runs its handler, and its dead letter in <queue>-poison is still the CloudEvent with its bytes", async () => {
    const queue = uniqueQueue("ce-dead");
    const t = await open(queue);
    const app = createApp({ name: "ce", logger: silentLogger });
    const orders: OrderCreated[] = [];
    app.handle({ schema: OrderCreatedSchema, codec: protobufCodec() }, (o) => {
      orders.push(o);
      throw new PermanentError("refused");
    });
    const spy = start(app, t);
    await t.publisher().publish([
      {
        id: "mr-dead-1",
        name: TYPE,
        data: order,
        codec: protobufCodec({ types: [OrderCreatedSchema], source: "/shop" }),
      },
    ]);
    await spy.waitFor({ id: "mr-dead-1", outcome: "deadLetter" });
    expect(orders).toEqual([order]);
    const [dead] = await receive(`${queue}-poison`, 1);
    expect(JSON.parse(String(dead!.content))).toMatchObject({
      id: "mr-dead-1",
      source: "/shop",
      type: TYPE,
      datacontenttype: "application/protobuf",
      data_base64: Buffer.from(toBinary(OrderCreatedSchema, order)).toString("base64"),
      mailroomdeadletterreason: "permanent_error: refused",
    });
  });
});
