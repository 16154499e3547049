import { create, createRegistry, toBinary } from "@bufbuild/protobuf";
import {
  cloudEventsCodec,
  createApp,
  defineHandler,
  type Envelope,
  type Outgoing,
  registerAll,
  silentLogger,
} from "@mailroom/core";
import { testApp } from "@mailroom/core/testkit";
import { decodeEnvelope, jsonCodec } from "@mailroom/core/transport";
import { describe, expect, expectTypeOf, it } from "vitest";
import { protobufCodec, protobufSchema } from "../src/index.ts";
import {
  file_acme_orders_v1_orders,
  type OrderCreated,
  OrderCreatedSchema,
  OrderShippedSchema,
} from "./fixtures/orders_pb.ts";

const order = () =>
  create(OrderCreatedSchema, { id: "o-1", customer: "c-1", total: 12.5, quantity: 3n, tags: ["new"] });
const info = { attempt: 1, transport: { kind: "test", queue: "q", raw: undefined } };
const TYPE = "acme.orders.v1.OrderCreated";

function encodeWith(codec: ReturnType<typeof protobufCodec>, name: string, data: unknown) {
  return codec.encode({ id: "m-1", name, data, publishedAt: new Date("2026-01-02T03:04:05Z"), headers: {} });
}

describe("a handler whose schema is a protobuf message type", () => {
  it("is named by the type, and its data is the message read from a protobuf body (typed from the schema)", async () => {
    const app = createApp({ name: "pb", logger: silentLogger });
    const seen: OrderCreated[] = [];
    app.handle({ schema: OrderCreatedSchema, codec: protobufCodec() }, (o, ctx) => {
      expectTypeOf(o).toEqualTypeOf<OrderCreated>();
      seen.push(o);
      expect(ctx.envelope.data).toBeInstanceOf(Uint8Array);
    });
    expect(app.handlerNames()).toEqual([TYPE]);
    const result = await testApp(app).send(TYPE, order());
    expect(result.outcome).toEqual({ kind: "ack" });
    expect(seen[0]).toEqual(order());
    expect(result.envelope).toMatchObject({
      name: TYPE,
      headers: { "content-type": "application/protobuf" },
    });
  });

  it("reads JSON data (a CloudEvent's, a { name, data } body's) with the protobuf JSON mapping", async () => {
    const app = createApp({ name: "pb", logger: silentLogger, codec: protobufCodec() });
    const seen: OrderCreated[] = [];
    app.handle(TYPE, { schema: OrderCreatedSchema }, (o) => {
      seen.push(o);
    });
    const json = { id: "o-2", customer: "c-2", total: 1, quantity: "7", tags: [] };
    for (const codec of [jsonCodec(), cloudEventsCodec(), cloudEventsCodec({ mode: "binary" })]) {
      const result = await testApp(app).send(TYPE, json, { codec });
      expect(result.outcome).toEqual({ kind: "ack" });
    }
    expect(seen.map((o) => [o.id, o.quantity])).toEqual([
      ["o-2", 7n],
      ["o-2", 7n],
      ["o-2", 7n],
    ]);
  });

  it("dead-letters bytes that are not the message, naming the type", async () => {
    const app = createApp({ name: "pb", logger: silentLogger });
    app.handle({ schema: OrderCreatedSchema, codec: protobufCodec() }, () => {});
    const bad = await testApp(app).sendRaw(new Uint8Array([0x0a, 0xff, 0xff]), {
      headers: { "content-type": "application/protobuf" },
    });
    expect(bad.outcome).toEqual({
      kind: "deadLetter",
      reason:
        "decode_failed: a application/protobuf body needs its message name beside it (a CloudEvent type, the AMQP type property, a mailroom-name attribute)",
    });
    const codec = protobufCodec({ types: [OrderCreatedSchema] });
    const wire = encodeWith(codec, TYPE, new Uint8Array([0x0a, 0xff, 0xff]));
    const envelope = decodeEnvelope(jsonCodec(), wire.body, wire.meta, info) as Envelope;
    const result = await testApp(app).send(TYPE, envelope.data, { codec });
    expect(result.outcome.kind).toBe("deadLetter");
    expect((result.outcome as { reason: string }).reason).toMatch(
      /^schema_validation_failed: not a acme\.orders\.v1\.OrderCreated: /,
    );
  });

  it("is refused at registration without a codec that reads it, saying which to add", () => {
    const app = createApp({ name: "pb", logger: silentLogger });
    expect(() => app.handle({ schema: OrderCreatedSchema }, () => {})).toThrow(
      /message type \(acme\.orders\.v1\.OrderCreated\) that no codec can read: give the handler \(or the app\) codec: protobufCodec\(\)/,
    );
    expect(() => app.handle({ schema: { foo: 1 } } as never, () => {})).toThrow(
      /needs a schema that names its messages/,
    );
  });

  it("may be declared in a handler file with defineHandler, named by the type", () => {
    const definition = defineHandler({ schema: OrderShippedSchema, codec: protobufCodec() }, (shipped) => {
      expectTypeOf(shipped.carrier).toEqualTypeOf<string>();
    });
    expect(definition.name).toBe("acme.orders.v1.OrderShipped");
    const app = registerAll(createApp({ name: "pb", logger: silentLogger }), [definition]);
    expect(app.lookup("acme.orders.v1.OrderShipped")?.schema).toBeDefined();
  });

  it("protobufSchema(type) is the same schema for use anywhere, and names its handler", async () => {
    const app = createApp({ name: "pb", logger: silentLogger });
    const totals: number[] = [];
    app.handle({ schema: protobufSchema(OrderCreatedSchema) }, (o) => {
      totals.push(o.total);
    });
    await testApp(app).send(TYPE, toBinary(OrderCreatedSchema, order()), {
      headers: { "content-type": "application/protobuf" },
      codec: jsonCodec(),
    });
    expect(await protobufSchema(OrderShippedSchema)["~standard"].validate(order())).toEqual({
      issues: [{ message: "expected a acme.orders.v1.OrderShipped, got a acme.orders.v1.OrderCreated" }],
    });
  });
});

describe("protobufCodec", () => {
  const codec = protobufCodec({ registry: createRegistry(file_acme_orders_v1_orders) });

  it("writes a message as its binary form with content-type application/protobuf beside it", () => {
    const wire = encodeWith(codec, TYPE, order());
    expect(wire.body).toEqual(toBinary(OrderCreatedSchema, order()));
    expect(wire.contentType).toBe("application/protobuf");
    expect(wire.meta).toMatchObject({
      id: "m-1",
      name: TYPE,
      headers: { "content-type": "application/protobuf" },
    });
    const envelope = decodeEnvelope(jsonCodec(), wire.body, wire.meta, info) as Envelope;
    expect(envelope).toMatchObject({ id: "m-1", name: TYPE, data: toBinary(OrderCreatedSchema, order()) });
  });

  it("writes JSON data named by a known type as that message, and anything else with the fallback (JSON)", () => {
    const fromJson = encodeWith(codec, TYPE, {
      id: "o-1",
      customer: "c-1",
      total: 12.5,
      quantity: "3",
      tags: ["new"],
    });
    expect(fromJson.body).toEqual(toBinary(OrderCreatedSchema, order()));
    const other = encodeWith(codec, "invoice_requested", { orderId: "o-1" });
    expect(other.contentType).toBe("application/json");
    expect(JSON.parse(new TextDecoder().decode(other.body))).toEqual({
      name: "invoice_requested",
      data: { orderId: "o-1" },
    });
  });

  it("refuses data of a known type that is neither the message nor its JSON form", () => {
    expect(() => encodeWith(codec, TYPE, { total: "lots" })).toThrow(
      /neither a message of that type \(make it with create\(OrderCreatedSchema, …\)\) nor its protobuf JSON form/,
    );
  });

  it("writes a structured CloudEvent with the bytes in data_base64 where a transport has no attributes", async () => {
    const wire = codec.selfContained!().encode({
      id: "m-2",
      name: TYPE,
      data: order(),
      publishedAt: new Date("2026-01-02T03:04:05Z"),
      headers: { traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01" },
    });
    const event = JSON.parse(new TextDecoder().decode(wire.body));
    expect(event).toMatchObject({ specversion: "1.0", type: TYPE, datacontenttype: "application/protobuf" });
    expect(Buffer.from(event.data_base64, "base64")).toEqual(
      Buffer.from(toBinary(OrderCreatedSchema, order())),
    );
    // With no attributes at all, the body alone says everything.
    const app = createApp({ name: "pb", logger: silentLogger });
    const seen: OrderCreated[] = [];
    app.handle({ schema: OrderCreatedSchema, codec }, (o, ctx) => {
      seen.push(o);
      expect(ctx.envelope.headers).toMatchObject({
        "content-type": "application/protobuf",
        traceparent: expect.any(String),
      });
    });
    expect((await testApp(app).sendRaw(wire.body)).outcome).toEqual({ kind: "ack" });
    expect(seen).toEqual([order()]);
  });

  it("is what ctx.publish writes a handler's follow-ups with, by their name", async () => {
    const app = createApp({ name: "pb", logger: silentLogger });
    app.handle({ schema: OrderShippedSchema, codec: protobufCodec() }, () => {});
    app.handle({ schema: OrderCreatedSchema, codec: protobufCodec() }, async (o, ctx) => {
      await ctx.forward(
        OrderShippedSchema.typeName,
        create(OrderShippedSchema, { id: o.id, carrier: "dhl" }),
      );
      await ctx.publish("invoice_requested", { orderId: o.id });
    });
    const result = await testApp(app).send(TYPE, order());
    const [shipped, invoice] = result.published as Outgoing[];
    expect(shipped!.codec?.name).toBe("protobuf");
    expect(invoice!.codec).toBeUndefined();
    const wire = shipped!.codec!.encode({
      id: "x",
      name: shipped!.name,
      data: shipped!.data,
      publishedAt: new Date(),
      headers: {},
    });
    expect(wire.body).toEqual(
      toBinary(OrderShippedSchema, create(OrderShippedSchema, { id: "o-1", carrier: "dhl" })),
    );
  });
});
