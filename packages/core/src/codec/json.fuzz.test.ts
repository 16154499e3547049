// Property-based tests of the JSON codec (fast-check, bounded runs): whatever bytes, text, JSON
// or metadata arrive, decoding answers — an envelope or a failure with a reason — and never
// throws, and whatever a handler publishes comes back as it was sent.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { MessageMeta } from "../envelope.ts";
import { attributesToMeta, metaToAttributes } from "./attributes.ts";
import type { Codec } from "./codec.ts";
import { type JsonCodecOptions, jsonCodec } from "./json.ts";

const runs = { numRuns: 300 };
const encoder = new TextEncoder();

/** Options a user may set, small limits included so they are hit. */
const codecOptions: fc.Arbitrary<JsonCodecOptions> = fc.record(
  {
    maxBytes: fc.integer({ min: 1, max: 4096 }),
    maxDepth: fc.integer({ min: 1, max: 80 }),
    prototypeKeys: fc.constantFrom("reject" as const, "allow" as const),
    embedMeta: fc.boolean(),
  },
  { requiredKeys: [] },
);

/** Metadata a transport may carry beside a body, garbage included. */
const meta: fc.Arbitrary<MessageMeta> = fc.record(
  {
    headers: fc.dictionary(fc.string(), fc.string(), { maxKeys: 5 }),
    id: fc.string(),
    name: fc.string(),
    publishedAt: fc.date({ noInvalidDate: false }),
    parentId: fc.string(),
  },
  { requiredKeys: ["headers"] },
);

/** Keys that have bitten JSON decoders: prototype pollution and look-alikes. */
const trickyKey = fc.constantFrom(
  "__proto__",
  "constructor",
  "prototype",
  "toString",
  "name",
  "data",
  "meta",
);
const trickyJson = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small" },
    fc.jsonValue({ maxDepth: 2 }),
    fc.dictionary(fc.oneof(trickyKey, fc.string()), tie("value"), { maxKeys: 4 }),
    fc.array(tie("value"), { maxLength: 4 }),
  ),
})).value;

/** Bodies near the codec's own format, so decoding gets past the first checks. */
const bodyText = fc.oneof(
  fc.string({ unit: "binary" }),
  fc.jsonValue().map((v) => JSON.stringify(v)),
  fc
    .record({
      name: fc.oneof(fc.string(), fc.constant("x"), fc.integer()),
      data: trickyJson,
      meta: trickyJson,
    })
    .map((v) => JSON.stringify(v)),
  trickyJson.map((v) => `{"name":"x","data":${JSON.stringify(v)}}`),
  fc
    .tuple(fc.integer({ min: 0, max: 200 }), fc.constantFrom("[", '{"a":'))
    .map(([n, open]) => `{"name":"x","data":${open.repeat(n)}1${(open === "[" ? "]" : "}").repeat(n)}}`),
);

/** The result of a decode is either an envelope with a usable name or a failure with a reason. */
function checkDecoded(result: ReturnType<Codec["decode"]>): void {
  if ("failed" in result) {
    expect(result.reason).toMatch(/^decode_failed: \S/);
    return;
  }
  expect(typeof result.name).toBe("string");
  expect(result.name.length).toBeGreaterThan(0);
  expect(result.name.length).toBeLessThanOrEqual(256);
  expect(typeof result.id).toBe("string");
  expect(result.publishedAt).toBeInstanceOf(Date);
  for (const value of Object.values(result.headers)) expect(typeof value).toBe("string");
}

describe("jsonCodec under random input", () => {
  it("decodes any bytes to an envelope or a failure with a reason, never throwing", () => {
    fc.assert(
      fc.property(codecOptions, fc.uint8Array({ maxLength: 2048 }), meta, (options, bytes, m) => {
        checkDecoded(jsonCodec(options).decode(bytes, m));
      }),
      runs,
    );
  });

  it("decodes any text (lone surrogates, deep nesting, prototype keys) exactly as decode reads its UTF-8 bytes", () => {
    fc.assert(
      fc.property(codecOptions, bodyText, meta, (options, text, m) => {
        const codec = jsonCodec(options);
        const fixed = { ...m, id: m.id ?? "fixed", publishedAt: new Date(0) };
        const fromText = codec.decodeText!(text, fixed);
        checkDecoded(fromText);
        if (text.isWellFormed()) expect(fromText).toEqual(codec.decode(encoder.encode(text), fixed));
        else expect(fromText).toEqual({ failed: true, reason: "decode_failed: body is not valid UTF-8" });
      }),
      runs,
    );
  });

  it("never lets a body pollute Object.prototype, whatever prototypeKeys says", () => {
    fc.assert(
      fc.property(codecOptions, trickyJson, (options, data) => {
        const body = `{"name":"x","data":${JSON.stringify(data)},"meta":${JSON.stringify(data)}}`;
        jsonCodec(options).decodeText!(body, { headers: {} });
        expect(Object.keys(Object.prototype)).toEqual([]);
        expect(({} as Record<string, unknown>).admin).toBeUndefined();
      }),
      runs,
    );
  });

  it("gives back any JSON data a producer encoded, with its metadata, as JSON would carry it (a __proto__ key only where allowed)", () => {
    fc.assert(
      fc.property(
        fc.boolean(),
        fc.constantFrom("reject" as const, "allow" as const),
        fc.oneof(fc.jsonValue(), trickyJson),
        fc.stringMatching(/^[a-z][a-z0-9_]{0,40}$/),
        fc.dictionary(fc.string({ minLength: 1 }), fc.string(), { maxKeys: 5 }),
        (embedMeta, prototypeKeys, data, name, headers) => {
          const codec = jsonCodec({ embedMeta, prototypeKeys, maxBytes: 16 * 1024 * 1024, maxDepth: 1000 });
          const publishedAt = new Date(1_800_000_000_000);
          const wire = codec.encode({ id: "id-1", name, data, publishedAt, correlationId: "c-1", headers });
          // A transport carries the metadata beside the body, or (embedMeta) nothing at all.
          const carried = embedMeta ? { headers: {} } : wire.meta;
          const decoded = codec.decode(wire.body, carried);
          const text = new TextDecoder().decode(wire.body);
          if (prototypeKeys === "reject" && text.includes('"__proto__":')) {
            expect(decoded).toEqual({
              failed: true,
              reason: 'decode_failed: body has a forbidden key "__proto__"',
            });
            return;
          }
          if (prototypeKeys === "reject" && "failed" in decoded) {
            expect(decoded.reason).toBe('decode_failed: body has a forbidden key "constructor.prototype"');
            return;
          }
          expect(decoded).toEqual({
            id: "id-1",
            name,
            data: JSON.parse(JSON.stringify(data ?? null)),
            publishedAt,
            parentId: undefined,
            correlationId: "c-1",
            replyTo: undefined,
            headers,
          });
        },
      ),
      runs,
    );
  });

  it("turns any string map into metadata and back without losing a header", () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.string(), { maxKeys: 10 }), (attributes) => {
        const m = attributesToMeta(attributes);
        const back = metaToAttributes(m);
        for (const [key, value] of Object.entries(m.headers)) expect(back[key]).toBe(value);
      }),
      runs,
    );
  });
});
