import { cloudEventsCodec, jsonCodec } from "@mailroom/core";
import type { MessageProperties } from "amqplib";
import { describe, expect, it } from "vitest";
import { carriedHeaders, publishProperties, readProperties, stringHeaders } from "./properties.ts";

const props = (p: Partial<MessageProperties>): MessageProperties => p as MessageProperties;

describe("AMQP properties", () => {
  it("round-trips envelope metadata through publish properties", () => {
    const wire = jsonCodec().encode({
      id: "id-1",
      name: "order_created",
      data: { n: 1 },
      publishedAt: new Date("2026-01-02T03:04:05Z"),
      parentId: "p-1",
      correlationId: "c-1",
      replyTo: "amq.rabbitmq.reply-to.x",
      headers: { traceparent: "00-abc-def-01" },
    });
    const out = publishProperties(wire, { priority: 3, mandatory: true });
    expect(out).toMatchObject({
      persistent: true,
      messageId: "id-1",
      type: "order_created",
      priority: 3,
      correlationId: "c-1",
    });
    const read = readProperties(
      props({ ...out, headers: { ...out.headers, "mailroom-attempt": "2" } } as never),
      ["body", "type"],
    );
    expect(read.meta).toMatchObject({
      id: "id-1",
      name: "order_created",
      parentId: "p-1",
      correlationId: "c-1",
      replyTo: "amq.rabbitmq.reply-to.x",
      publishedAt: new Date("2026-01-02T03:04:05Z"),
    });
    expect(read.meta.headers).toEqual({ traceparent: "00-abc-def-01", "mailroom-attempt": "2" });
  });

  it("stringifies header values and drops the broker's dead-letter tables", () => {
    expect(
      stringHeaders({
        a: "x",
        b: 2,
        c: true,
        d: Buffer.from("hi"),
        "x-death": [{ count: 1 }],
        e: { nested: 1 },
      }),
    ).toEqual({
      a: "x",
      b: "2",
      c: "true",
      d: "hi",
    });
  });

  it("carries headers onto copies with integers typed 32 or 64-bit, never the byte pika misreads", () => {
    const decimal = { "!": "decimal", value: { places: 2, digits: 1234 } };
    const timestamp = { "!": "timestamp", value: 1714566600 };
    expect(
      carriedHeaders({
        small: -7,
        int: 70_000,
        big: 2 ** 40,
        ratio: 0.5,
        text: "x",
        flag: true,
        nothing: null,
        raw: Buffer.from([0, 255]),
        price: decimal,
        at: timestamp,
        meta: { version: 2, tags: [-1, "a"] },
        "x-death": [{ count: 1 }],
      }),
    ).toEqual({
      small: { "!": "int", value: -7 },
      int: { "!": "int", value: 70_000 },
      big: { "!": "long", value: 2 ** 40 },
      ratio: 0.5,
      text: "x",
      flag: true,
      nothing: null,
      raw: Buffer.from([0, 255]),
      price: decimal,
      at: timestamp,
      meta: { version: { "!": "int", value: 2 }, tags: [{ "!": "int", value: -1 }, "a"] },
    });
  });

  it("accepts a millisecond timestamp as well as seconds", () => {
    expect(
      readProperties(props({ timestamp: 1_700_000_000_123 }), ["body"]).meta.publishedAt?.getTime(),
    ).toBe(1_700_000_000_123);
    expect(readProperties(props({ timestamp: 1_700_000_000 }), ["body"]).meta.publishedAt?.getTime()).toBe(
      1_700_000_000_000,
    );
  });

  it("writes a binary-mode CloudEvent's attributes under the AMQP binding's cloudEvents: prefix and its data's media type as content_type", () => {
    const wire = cloudEventsCodec({ mode: "binary", source: "/orders" }).encode({
      id: "e-1",
      name: "com.example.order.created",
      data: new Uint8Array([8, 1]),
      publishedAt: new Date("2026-01-02T03:04:05Z"),
      headers: { "content-type": "application/protobuf", traceparent: "00-abc-def-01" },
    });
    const out = publishProperties(wire, { mandatory: true });
    expect(out.contentType).toBe("application/protobuf");
    expect(out.headers).toEqual({
      traceparent: "00-abc-def-01",
      "cloudEvents:specversion": "1.0",
      "cloudEvents:id": "e-1",
      "cloudEvents:source": "/orders",
      "cloudEvents:type": "com.example.order.created",
      "cloudEvents:time": "2026-01-02T03:04:05.000Z",
    });
    // Read back, the content type is where the decoder looks for it.
    const read = readProperties(props(out as never), ["body", "type"]);
    expect(read.meta.headers["content-type"]).toBe("application/protobuf");
  });

  it("passes a content_type that decides the format (CloudEvents, protobuf) to the decoder, and no other", () => {
    const ce = readProperties(props({ contentType: "application/cloudevents+json" }), ["body"]);
    expect(ce.meta.headers).toEqual({ "content-type": "application/cloudevents+json" });
    const proto = readProperties(props({ contentType: "application/x-protobuf", type: "acme.Thing" }), [
      "body",
      "type",
    ]);
    expect(proto.meta.headers).toEqual({ "content-type": "application/x-protobuf" });
    const plain = readProperties(props({ contentType: "application/json" }), ["body"]);
    expect(plain.meta.headers).toEqual({});
  });
});
