import { describe, expect, it } from "vitest";
import { jsonCodec } from "./json.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const meta = () => ({ headers: {} });

describe("jsonCodec", () => {
  const codec = jsonCodec();

  it("round-trips name, data and metadata", () => {
    const at = new Date("2026-01-02T03:04:05.000Z");
    const wire = codec.encode({
      id: "m1",
      name: "order_created",
      data: { id: 1 },
      publishedAt: at,
      correlationId: "c",
      headers: { a: "b" },
    });
    expect(JSON.parse(new TextDecoder().decode(wire.body))).toEqual({
      name: "order_created",
      data: { id: 1 },
    });
    const decoded = codec.decode(wire.body, wire.meta);
    expect(decoded).toMatchObject({
      id: "m1",
      name: "order_created",
      data: { id: 1 },
      publishedAt: at,
      correlationId: "c",
      headers: { a: "b" },
    });
  });

  it("accepts any JSON value as data, including a bare id", () => {
    expect(codec.decode(enc('{"name":"x","data":42}'), meta())).toMatchObject({ name: "x", data: 42 });
    expect(codec.decode(enc('{"name":"x","data":"abc"}'), meta())).toMatchObject({ data: "abc" });
    expect(codec.decode(enc('{"name":"x","data":null}'), meta())).toMatchObject({ data: null });
  });

  it("takes the name from transport metadata when the body has none, and then the whole body is the data", () => {
    expect(codec.decode(enc("12345"), { headers: {}, name: "user_deleted" })).toMatchObject({
      name: "user_deleted",
      data: 12345,
    });
    expect(codec.decode(enc('{"id":1}'), { headers: {}, name: "user_deleted" })).toMatchObject({
      data: { id: 1 },
    });
  });

  it("gives a new uuid v7 id and the current time when the producer sent none", () => {
    const d = codec.decode(enc('{"name":"x","data":1}'), meta());
    expect("failed" in d).toBe(false);
    if (!("failed" in d)) {
      expect(d.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(Math.abs(d.publishedAt.getTime() - Date.now())).toBeLessThan(1000);
    }
  });

  it.each([
    ["not JSON", enc("{"), /^decode_failed: body is not JSON/],
    ["invalid UTF-8", new Uint8Array([0x22, 0xc3, 0x28, 0x22]), /^decode_failed: body is not valid UTF-8/],
    ["no name", enc('{"data":1}'), /^decode_failed: missing message name/],
    ["an array", enc("[1,2]"), /^decode_failed: missing message name/],
    ["__proto__ key", enc('{"name":"x","data":{"__proto__":{"admin":true}}}'), /forbidden key "__proto__"/],
    [
      "constructor.prototype",
      enc('{"name":"x","data":{"constructor":{"prototype":{"admin":true}}}}'),
      /forbidden key "constructor.prototype"/,
    ],
    [
      "deep nesting",
      enc(`{"name":"x","data":${"[".repeat(65)}${"]".repeat(65)}}`),
      /nesting is deeper than 64/,
    ],
  ])("rejects %s with a reason instead of throwing", (_label, body, reason) => {
    const d = codec.decode(body, meta());
    expect(d).toMatchObject({ failed: true });
    expect((d as { reason: string }).reason).toMatch(reason);
  });

  it("keeps a plain constructor field and brackets inside strings", () => {
    const body = enc(`{"name":"x","data":{"constructor":"Ford","s":"${"[".repeat(100)}"}}`);
    expect(codec.decode(body, meta())).toMatchObject({ data: { constructor: "Ford" } });
  });

  it("enforces a configurable size limit", () => {
    const small = jsonCodec({ maxBytes: 10 });
    expect(small.decode(enc('{"name":"x","data":1}'), meta())).toMatchObject({
      failed: true,
      reason: "decode_failed: body is 21 bytes, over the limit of 10",
    });
  });

  it("prototypeKeys: allow keeps them as plain properties without polluting Object.prototype", () => {
    const lax = jsonCodec({ prototypeKeys: "allow" });
    const d = lax.decode(enc('{"name":"x","data":{"__proto__":{"polluted":1}}}'), meta());
    expect("failed" in d).toBe(false);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("embeds metadata in the body for attribute-less transports and reads it back", () => {
    const c = jsonCodec({ embedMeta: true });
    const at = new Date("2026-05-06T07:08:09.000Z");
    const wire = c.encode({
      id: "m9",
      name: "a",
      data: 1,
      publishedAt: at,
      parentId: "p",
      headers: { "mailroom-attempt": "2" },
    });
    const body = JSON.parse(new TextDecoder().decode(wire.body));
    expect(body).toMatchObject({
      name: "a",
      data: 1,
      meta: { id: "m9", parentId: "p", headers: { "mailroom-attempt": "2" } },
    });
    expect(c.decode(wire.body, { headers: {} })).toMatchObject({
      id: "m9",
      parentId: "p",
      publishedAt: at,
      headers: { "mailroom-attempt": "2" },
    });
  });

  it("decodeText reads a text body exactly as decode reads its UTF-8 bytes, failures and reasons included", () => {
    const bodies = [
      '{"name":"a","data":{"x":[1,2,{"y":"é 😀"}]}}',
      '{"name": "a", "data": {',
      '{"data": {"n": 1}}',
      `{"name":"a","data":${"[".repeat(10_000)}${"]".repeat(10_000)}}`,
      `{"name":"a","data":${"[".repeat(64)}${"]".repeat(64)}}`,
      `{"name":"a","data":${"[".repeat(63)}${"]".repeat(63)}}`,
      `{"name":"a","data":{"s":"${"[".repeat(100)}"}}`,
      '{"name":"a","data":{"__proto__":{"p":1}}}',
      `{"name":"a","data":"${"é".repeat(600)}"}`,
      `{"name":"a","data":"${"x".repeat(2048)}"}`,
    ];
    const small = jsonCodec({ maxBytes: 1024 });
    const fixed = { id: "fixed", publishedAt: new Date(0), headers: {} };
    for (const body of bodies) {
      expect(small.decodeText?.(body, fixed)).toEqual(small.decode(enc(body), fixed));
    }
    expect(small.decodeText?.(bodies[8]!, fixed)).toEqual({
      failed: true,
      reason: "decode_failed: body is 1222 bytes, over the limit of 1024",
    });
    // A lone surrogate has no UTF-8 form.
    expect(small.decodeText?.(`{"name":"a","data":"${String.fromCharCode(0xd800)}"}`, fixed)).toEqual({
      failed: true,
      reason: "decode_failed: body is not valid UTF-8",
    });
  });
});
