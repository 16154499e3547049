import { jsonCodec } from "@mailroom/core";
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
});
