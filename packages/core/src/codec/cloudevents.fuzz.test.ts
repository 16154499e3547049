// Property-based tests of the CloudEvents codec and the format detection every transport runs
// (fast-check, bounded runs): any envelope comes back whole through both modes, and whatever
// bytes, headers and content types arrive, decoding answers — an envelope or a decode failure
// with a reason — and never throws or pollutes a prototype.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Headers, type MessageMeta } from "../envelope.ts";
import { cloudEventsCodec } from "./cloudevents.ts";
import { decodeEnvelope, type EncodeInput } from "./codec.ts";
import { jsonCodec } from "./json.ts";

const runs = { numRuns: 300 };
const info = { attempt: 1, transport: { kind: "fuzz", queue: "q", raw: undefined } };

/** Headers that round-trip in both modes: `ce-` extensions and Mailroom's own headers. */
const headers = fc.dictionary(
  fc.oneof(
    fc
      .stringMatching(/^[a-z0-9]{1,12}$/)
      .filter((n) => !RESERVED.has(n))
      .map((n) => `ce-${n}`),
    fc.constantFrom(...Object.values(Headers)),
  ),
  fc.string({ maxLength: 40 }),
  { maxKeys: 6 },
);
const RESERVED = new Set([
  "specversion",
  "id",
  "source",
  "type",
  "time",
  "subject",
  "dataschema",
  "datacontenttype",
  "data",
  "parentid",
  "correlationid",
  "replyto",
]);

const lineage = fc.option(fc.string({ minLength: 1, maxLength: 30 }), { nil: undefined });

const envelope: fc.Arbitrary<EncodeInput> = fc.record({
  id: fc.string({ minLength: 1, maxLength: 40 }),
  name: fc.string({ minLength: 1, maxLength: 256 }),
  data: fc.oneof(fc.jsonValue({ maxDepth: 4 }), fc.uint8Array({ maxLength: 64 })),
  publishedAt: fc.date({ min: new Date(0), max: new Date(4_000_000_000_000), noInvalidDate: true }),
  parentId: lineage,
  correlationId: lineage,
  replyTo: lineage,
  headers,
});

/** What a transport carries beside a body, garbage and CloudEvents attributes included. */
const carried: fc.Arbitrary<MessageMeta> = fc.record(
  {
    headers: fc.dictionary(
      fc.oneof(
        fc.constantFrom(
          "ce-specversion",
          "ce-id",
          "ce-type",
          "ce-source",
          "ce-time",
          "content-type",
          "cloudEvents:type",
        ),
        fc.constantFrom("ce_specversion", "cloudEvents:specversion", "__proto__", "constructor"),
        fc.string(),
      ),
      fc.oneof(
        fc.constantFrom(
          "1.0",
          "0.3",
          "",
          "application/cloudevents+json",
          "application/protobuf",
          "text/plain",
        ),
        fc.string(),
      ),
      { maxKeys: 6 },
    ),
    id: fc.string(),
    name: fc.string(),
    publishedAt: fc.date({ noInvalidDate: false }),
  },
  { requiredKeys: ["headers"] },
);

/** Bodies near the structured format, so decoding gets past its first checks. */
const body = fc.oneof(
  fc.uint8Array({ maxLength: 512 }),
  fc
    .record(
      {
        specversion: fc.oneof(fc.constant("1.0"), fc.jsonValue({ maxDepth: 1 })),
        id: fc.oneof(fc.string(), fc.jsonValue({ maxDepth: 1 })),
        source: fc.string(),
        type: fc.string(),
        time: fc.oneof(
          fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
          fc.string(),
        ),
        data: fc.jsonValue({ maxDepth: 3 }),
        data_base64: fc.oneof(fc.base64String(), fc.string()),
        tenant: fc.jsonValue({ maxDepth: 1 }),
      },
      { requiredKeys: [] },
    )
    .chain((event) => fc.tuple(fc.constant(event), fc.boolean()))
    .map(([event, polluting]) => {
      const json = JSON.stringify(event);
      // A key an object literal cannot hold: the attack as a producer would write it.
      const text = polluting ? json.replace(/^\{/, '{"__proto__":{"admin":true},') : json;
      return new TextEncoder().encode(text);
    }),
);

/**
 * True when `value` holds, at any depth, a key the JSON decoders refuse: `__proto__`, or a
 * `constructor` holding a `prototype` (other `constructor` keys are plain data).
 */
function prototypeKey(value: unknown): boolean {
  if (value === null || typeof value !== "object") return false;
  const v = value as Record<string, unknown>;
  if (Object.hasOwn(v, "__proto__")) return true;
  const ctor = v.constructor;
  if (
    Object.hasOwn(v, "constructor") &&
    ctor !== null &&
    typeof ctor === "object" &&
    Object.hasOwn(ctor, "prototype")
  ) {
    return true;
  }
  return Object.keys(v).some((key) => prototypeKey(v[key]));
}

describe("cloudEventsCodec under random input", () => {
  it("gives back any envelope whole through structured and binary mode, read by a JSON transport", () => {
    fc.assert(
      fc.property(envelope, fc.constantFrom("structured" as const, "binary" as const), (input, mode) => {
        const wire = cloudEventsCodec({ mode }).encode(input);
        const decoded = decodeEnvelope(jsonCodec(), wire.body, { headers: wire.meta.headers }, info);
        const bytes = input.data instanceof Uint8Array;
        // Data with a key the decoders refuse (`__proto__`, `constructor`) comes back a failure saying so.
        const forbidden = !bytes && prototypeKey(input.data);
        if (forbidden) {
          expect(decoded).toMatchObject({ failed: true, reason: expect.stringContaining("forbidden key") });
          return;
        }
        if ("failed" in decoded) throw new Error(decoded.reason);
        expect({
          ...decoded,
          data: bytes ? new Uint8Array(decoded.data as Uint8Array) : decoded.data,
        }).toEqual({
          id: input.id,
          name: input.name,
          data: bytes ? input.data : JSON.parse(JSON.stringify(input.data)),
          publishedAt: input.publishedAt,
          attempt: 1,
          parentId: input.parentId,
          correlationId: input.correlationId,
          replyTo: input.replyTo,
          headers: {
            "ce-source": "/mailroom",
            ...input.headers,
            ...(bytes ? { "content-type": "application/octet-stream" } : {}),
          },
          transport: info.transport,
        });
      }),
      runs,
    );
  });

  it("decodes any body beside any metadata to an envelope or a failure with a reason, never throwing or touching Object.prototype", () => {
    fc.assert(
      fc.property(body, carried, fc.boolean(), (bytes, meta, asText) => {
        const text = new TextDecoder().decode(bytes);
        const decoded = decodeEnvelope(jsonCodec(), asText ? text : bytes, meta, info);
        if ("failed" in decoded) expect(decoded.reason).toMatch(/^decode_failed: \S/);
        else {
          expect(decoded.name.length).toBeGreaterThan(0);
          expect(decoded.publishedAt).toBeInstanceOf(Date);
          for (const value of Object.values(decoded.headers)) expect(typeof value).toBe("string");
        }
        expect(Object.keys(Object.prototype)).toEqual([]);
        expect(({} as Record<string, unknown>).admin).toBeUndefined();
      }),
      runs,
    );
  });
});
