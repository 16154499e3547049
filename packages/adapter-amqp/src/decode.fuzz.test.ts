// Property-based tests of how the AMQP adapter reads a received message (fast-check, bounded
// runs): whatever properties, headers and body a foreign producer or a broker puts on a message,
// decoding answers an envelope with a usable name and attempt, or a failure with a reason —
// never a throw that would leave the message unsettled.
import { type DecodeFailure, type Envelope, isDecodeFailure, jsonCodec } from "@mailroom/core";
import { RunLedger } from "@mailroom/core/transport";
import type { ConsumeMessage } from "amqplib";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeMessage } from "./decode.ts";
import type { NameSource } from "./names.ts";
import { resolveOptions } from "./options.ts";

const runs = { numRuns: 300 };

/** Header values as AMQP tables carry them, and as amqplib hands them over. */
const headerValue = fc.oneof(
  fc.string(),
  fc.double(),
  fc.integer(),
  fc.boolean(),
  fc.bigInt(),
  fc.constant(null),
  fc.uint8Array({ maxLength: 32 }).map((b) => Buffer.from(b)),
  fc.date({ noInvalidDate: false }),
  fc.jsonValue({ maxDepth: 2 }),
);

const text = fc.oneof(fc.string(), fc.string({ unit: "binary" }), fc.stringMatching(/^[a-z_]{1,20}$/));
const maybe = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined });

const properties = fc.record({
  headers: maybe(
    fc.dictionary(
      fc.oneof(
        fc.string(),
        fc.constantFrom("x-delivery-count", "mailroom-attempt", "mailroom-parent-id", "x-death"),
      ),
      headerValue,
      { maxKeys: 6 },
    ),
  ),
  type: maybe(text),
  contentType: maybe(fc.oneof(text, fc.constant("application/json"), fc.constant("application/vnd.x+json"))),
  messageId: maybe(fc.oneof(text, fc.integer())),
  correlationId: maybe(text),
  replyTo: maybe(text),
  timestamp: maybe(fc.oneof(fc.integer(), fc.double(), fc.constant(Number.MAX_SAFE_INTEGER))),
  contentEncoding: maybe(text),
  deliveryMode: maybe(fc.constantFrom(1, 2)),
  priority: maybe(fc.integer({ min: 0, max: 255 })),
  expiration: maybe(text),
  userId: maybe(text),
  appId: maybe(text),
  clusterId: maybe(text),
});

const BOM = "\uFEFF";
const body = fc.oneof(
  fc.uint8Array({ maxLength: 1024 }).map((b) => Buffer.from(b)),
  fc.jsonValue().map((v) => Buffer.from(JSON.stringify(v))),
  fc.jsonValue().map((v) => Buffer.from(`${BOM}${JSON.stringify(v)}`)),
  fc
    .record({ name: text, data: fc.jsonValue({ maxDepth: 3 }) })
    .chain((v) => fc.constantFrom("", BOM).map((prefix) => Buffer.from(`${prefix}${JSON.stringify(v)}`))),
);

const nameOrder: fc.Arbitrary<readonly NameSource[]> = fc.shuffledSubarray(
  ["body", "type", "contentType"] as NameSource[],
  {
    minLength: 1,
  },
);

function check(envelope: Envelope | DecodeFailure): void {
  expect(Number.isInteger(envelope.attempt)).toBe(true);
  expect(envelope.attempt).toBeGreaterThanOrEqual(1);
  if (isDecodeFailure(envelope)) {
    expect(envelope.reason).toMatch(/^decode_failed: \S/);
    return;
  }
  expect(typeof envelope.name).toBe("string");
  expect(envelope.name.length).toBeGreaterThan(0);
  for (const value of Object.values(envelope.headers)) expect(typeof value).toBe("string");
}

function consumed(content: Buffer, props: Record<string, unknown>): ConsumeMessage {
  return {
    content,
    fields: { deliveryTag: 1, redelivered: false, exchange: "", routingKey: "fuzz", consumerTag: "c" },
    properties: props,
  } as unknown as ConsumeMessage;
}

describe("decodeMessage under random properties, headers and bodies", () => {
  it("reads a body that starts with a UTF-8 byte order mark when a property names the message (found by the fuzz run: it threw a SyntaxError)", () => {
    const options = resolveOptions({ queue: "fuzz", nameFrom: ["type", "body"] });
    const { envelope } = decodeMessage(
      consumed(Buffer.from(`${BOM}{"name":"legacy","data":7}`), { type: "order_created", headers: {} }),
      options,
      new RunLedger(),
    );
    expect(envelope).toMatchObject({ name: "order_created", data: { name: "legacy", data: 7 } });
  });

  it("answers an envelope (positive integer attempt, string headers) or a decode failure with a reason, never throwing", () => {
    fc.assert(
      fc.property(
        properties,
        body,
        nameOrder,
        fc.constantFrom("classic" as const, "quorum" as const),
        fc.boolean(),
        (props, content, nameFrom, queueType, embedMeta) => {
          const options = resolveOptions({
            queue: "fuzz",
            nameFrom,
            queueType,
            codec: jsonCodec({ embedMeta }),
          });
          check(decodeMessage(consumed(content, props), options, new RunLedger()).envelope);
        },
      ),
      runs,
    );
  });
});
