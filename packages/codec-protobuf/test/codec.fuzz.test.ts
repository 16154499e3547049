// Property-based tests of the protobuf codec (fast-check, bounded runs): whatever bytes arrive
// under whatever content type, decoding answers an envelope or a failure with a reason, a
// handler's protobuf schema answers a message or issues — never a throw — and any message a
// producer encodes comes back equal.
import { create } from "@bufbuild/protobuf";
import type { MessageMeta } from "@mailroom/core";
import { decodeEnvelope } from "@mailroom/core/transport";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { protobufCodec, protobufSchema } from "../src/index.ts";
import { OrderCreatedSchema } from "./fixtures/orders_pb.ts";

const runs = { numRuns: 300 };
const TYPE = "acme.orders.v1.OrderCreated";
const info = { attempt: 1, transport: { kind: "fuzz", queue: "q", raw: undefined } };
const codec = protobufCodec({ types: [OrderCreatedSchema] });

const contentType = fc.constantFrom(
  "application/protobuf",
  "application/x-protobuf",
  "application/json",
  "application/cloudevents+json",
  "text/plain",
  "",
);
const meta: fc.Arbitrary<MessageMeta> = fc.record({
  name: fc.constantFrom(TYPE, "order_created", ""),
  headers: fc.record({ "content-type": contentType }, { requiredKeys: [] }),
});
/** Bytes, and bytes that are almost a message: valid ones with a few flipped or cut. */
const bytes = fc.oneof(
  fc.uint8Array({ maxLength: 512 }),
  fc
    .tuple(
      fc.string(),
      fc.double({ noNaN: true }),
      fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
      fc.nat(40),
    )
    .map(([id, total, quantity, cut]) => {
      const wire = codec.encode({
        id: "m",
        name: TYPE,
        data: create(OrderCreatedSchema, { id, customer: "c", total, quantity, tags: [id] }),
        publishedAt: new Date(0),
        headers: {},
      }).body;
      return wire.slice(0, Math.max(0, wire.length - cut));
    }),
);

describe("protobuf codec under random input", () => {
  it("decodes any bytes under any content type to an envelope or a failure with a reason, never throwing", () => {
    fc.assert(
      fc.property(bytes, meta, (body, m) => {
        const decoded = decodeEnvelope(codec, body, m, info);
        if ("failed" in decoded) expect(decoded.reason).toMatch(/^decode_failed: \S/);
        else expect(decoded.name.length).toBeGreaterThan(0);
      }),
      runs,
    );
  });

  it("a handler's protobuf schema answers a message or issues for any bytes or JSON, never throwing", async () => {
    const schema = protobufSchema(OrderCreatedSchema)["~standard"];
    await fc.assert(
      fc.asyncProperty(fc.oneof(bytes, fc.jsonValue()), async (value) => {
        const result = await schema.validate(value);
        if (result.issues) expect(result.issues.length).toBeGreaterThan(0);
        else expect(result.value.$typeName).toBe(TYPE);
      }),
      runs,
    );
  });

  it("gives back any message a producer encoded", () => {
    fc.assert(
      fc.property(
        fc.string(),
        fc.string(),
        fc.double({ noNaN: true }),
        fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
        fc.array(fc.string(), { maxLength: 5 }),
        (id, customer, total, quantity, tags) => {
          const order = create(OrderCreatedSchema, { id, customer, total, quantity, tags });
          const wire = codec.encode({
            id: "m",
            name: TYPE,
            data: order,
            publishedAt: new Date(0),
            headers: {},
          });
          const decoded = decodeEnvelope(codec, wire.body, wire.meta, info);
          expect("failed" in decoded).toBe(false);
          const back = protobufSchema(OrderCreatedSchema)["~standard"].validate(
            (decoded as { data: unknown }).data,
          ) as { value: unknown };
          expect(back.value).toEqual(order);
        },
      ),
      runs,
    );
  });
});
