import { create } from "@bufbuild/protobuf";
import { protobufCodec } from "@mailroom/codec-protobuf";
import {
  cloudEventsCodec,
  createApp,
  type Envelope,
  RELAXED_MESSAGE_NAME,
  silentLogger,
} from "@mailroom/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type OrderCreated, OrderCreatedSchema } from "../../codec-protobuf/test/fixtures/orders_pb.ts";
import { toLambda } from "../src/lambda-entry.ts";
import { type Emulator, startEmulator } from "./helpers.ts";
import { eventFrom } from "./lambda-events.ts";

// The Lambda entry reads what the worker reads: CloudEvents in both modes and protobuf bodies,
// from records of real messages (sent through fauxqs, received, shaped as Lambda hands them over).

let emu: Emulator;
beforeAll(async () => {
  emu = await startEmulator();
});
afterAll(async () => {
  await emu?.stop();
});

const NAME = "com.example.order.created";
const order = create(OrderCreatedSchema, { id: "o-3", total: 7.25, quantity: 9_000_000_000n });

describe("toLambda and codecs", () => {
  it("runs binary and structured CloudEvents and a protobuf message from an SQS event, acking every record", async () => {
    const queue = `lambda-ce-${process.pid}`;
    const t = await emu.open(queue, { waitTimeSeconds: 1 });
    await t.publisher().publish([
      {
        id: "ce-binary-1",
        name: NAME,
        data: { id: "o-1" },
        correlationId: "conversation-1",
        codec: cloudEventsCodec({ mode: "binary", source: "/shop" }),
      },
      {
        id: "ce-structured-1",
        name: NAME,
        data: { id: "o-2" },
        codec: cloudEventsCodec({ source: "/shop" }),
      },
      {
        id: "pb-1",
        name: OrderCreatedSchema.typeName,
        data: order,
        codec: protobufCodec({ types: [OrderCreatedSchema] }),
      },
    ]);
    await t.close();
    const event = await eventFrom(emu, queue, 3);
    const app = createApp({ name: "fn", logger: silentLogger, names: { pattern: RELAXED_MESSAGE_NAME } });
    const events: Envelope[] = [];
    const orders: OrderCreated[] = [];
    app.handle(NAME, (_data, ctx) => {
      events.push(ctx.envelope);
    });
    app.handle({ schema: OrderCreatedSchema, codec: protobufCodec() }, (o) => {
      orders.push(o);
    });
    const handler = toLambda(app, {
      client: () => {
        throw new Error("no client expected: every record acks");
      },
    });
    expect(await handler(event)).toEqual({ batchItemFailures: [] });
    expect(events.find((e) => e.id === "ce-binary-1")).toMatchObject({
      name: NAME,
      data: { id: "o-1" },
      correlationId: "conversation-1",
      headers: { "ce-source": "/shop" },
    });
    expect(events.find((e) => e.id === "ce-structured-1")).toMatchObject({
      data: { id: "o-2" },
      headers: { "ce-source": "/shop" },
    });
    expect(orders).toEqual([order]);
  });
});
