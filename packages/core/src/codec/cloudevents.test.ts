import { CloudEvent, HTTP, Kafka } from "cloudevents";
import { describe, expect, it } from "vitest";
import type { Envelope, MessageMeta } from "../envelope.ts";
import { cloudEventsCodec } from "./cloudevents.ts";
import { type Codec, decodeEnvelope, type EncodeInput } from "./codec.ts";
import { jsonCodec } from "./json.ts";

const text = (b: Uint8Array) => new TextDecoder().decode(b);
const info = { attempt: 1, transport: { kind: "test", queue: "q", raw: undefined } };
const at = new Date("2026-03-04T05:06:07.089Z");

/** Decode as a transport whose own codec is the JSON one does. */
function read(body: Uint8Array | string, meta: MessageMeta, codec: Codec = jsonCodec()): Envelope {
  const envelope = decodeEnvelope(codec, body, meta, info);
  if ("failed" in envelope) throw new Error(`expected an envelope, got ${envelope.reason}`);
  return envelope;
}

function reason(body: Uint8Array | string, meta: MessageMeta): string {
  const decoded = decodeEnvelope(jsonCodec(), body, meta, info);
  if (!("failed" in decoded)) throw new Error(`expected a decode failure, got ${decoded.name}`);
  return decoded.reason;
}

const input = (over: Partial<EncodeInput> = {}): EncodeInput => ({
  id: "m-1",
  name: "com.example.order.created",
  data: { id: "o-1", total: 12.5 },
  publishedAt: at,
  parentId: "p-1",
  correlationId: "c-1",
  replyTo: "reply-queue",
  headers: {
    traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
    "not-before": "2026-03-04T06:00:00.000Z",
    "mailroom-attempt": "2",
    "ce-subject": "o-1",
    "ce-source": "/shop",
    "ce-tenant": "t-9",
  },
  ...over,
});

describe("cloudEventsCodec, structured mode", () => {
  const codec = cloudEventsCodec({ source: "/orders" });

  it("writes one JSON event: required attributes first, lineage and headers as extensions, data last", () => {
    const wire = codec.encode(input());
    expect(wire.contentType).toBe("application/cloudevents+json");
    expect(wire.meta.headers).toEqual({ "content-type": "application/cloudevents+json" });
    const body = text(wire.body);
    expect(
      body.startsWith('{"specversion":"1.0","id":"m-1","source":"/shop","type":"com.example.order.created"'),
    ).toBe(true);
    expect(JSON.parse(body)).toEqual({
      specversion: "1.0",
      id: "m-1",
      source: "/shop",
      type: "com.example.order.created",
      time: "2026-03-04T05:06:07.089Z",
      subject: "o-1",
      parentid: "p-1",
      correlationid: "c-1",
      replyto: "reply-queue",
      traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
      notbefore: "2026-03-04T06:00:00.000Z",
      mailroomattempt: "2",
      tenant: "t-9",
      datacontenttype: "application/json",
      data: { id: "o-1", total: 12.5 },
    });
  });

  it("reads back the id, name, time, lineage, data and every header, on a transport whose codec is JSON", () => {
    const wire = codec.encode(input());
    const envelope = read(wire.body, wire.meta);
    expect(envelope).toMatchObject({
      id: "m-1",
      name: "com.example.order.created",
      data: { id: "o-1", total: 12.5 },
      publishedAt: at,
      parentId: "p-1",
      correlationId: "c-1",
      replyTo: "reply-queue",
    });
    expect(envelope.headers).toEqual(input().headers);
  });

  it("is found without a content type, by the body alone, as text and as bytes", () => {
    const wire = codec.encode(input());
    expect(read(wire.body, { headers: {} }).name).toBe("com.example.order.created");
    expect(read(text(wire.body), { headers: {} }).id).toBe("m-1");
  });

  it("takes the default source when the message has no ce-source header", () => {
    const wire = codec.encode(input({ headers: {} }));
    expect(JSON.parse(text(wire.body)).source).toBe("/orders");
    expect(read(wire.body, wire.meta).headers["ce-source"]).toBe("/orders");
  });

  it("writes bytes as data_base64 with their content type, and reads them back as bytes", () => {
    const bytes = new Uint8Array([0, 1, 2, 250, 255]);
    const wire = codec.encode(input({ data: bytes, headers: { "content-type": "application/protobuf" } }));
    const event = JSON.parse(text(wire.body));
    expect(event).toMatchObject({ datacontenttype: "application/protobuf", data_base64: "AAEC+v8=" });
    const envelope = read(wire.body, wire.meta);
    expect(envelope.data).toEqual(Buffer.from(bytes));
    expect(envelope.headers["content-type"]).toBe("application/protobuf");
  });

  it("refuses a header that would take a reserved attribute's name", () => {
    expect(() => codec.encode(input({ headers: { type: "x" } }))).toThrow(/"type" cannot travel/);
  });
});

describe("cloudEventsCodec, binary mode", () => {
  const codec = cloudEventsCodec({ source: "/orders", mode: "binary" });

  it("writes the attributes as ce- headers beside the others, and the data alone as the body", () => {
    const wire = codec.encode(input());
    expect(text(wire.body)).toBe('{"id":"o-1","total":12.5}');
    expect(wire.contentType).toBe("application/json");
    expect(wire.meta.headers).toEqual({
      traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
      "not-before": "2026-03-04T06:00:00.000Z",
      "mailroom-attempt": "2",
      "ce-subject": "o-1",
      "ce-tenant": "t-9",
      "ce-specversion": "1.0",
      "ce-id": "m-1",
      "ce-source": "/shop",
      "ce-type": "com.example.order.created",
      "ce-time": "2026-03-04T05:06:07.089Z",
      "ce-parentid": "p-1",
      "ce-correlationid": "c-1",
      "ce-replyto": "reply-queue",
      "content-type": "application/json",
    });
  });

  it("reads back the same envelope, whatever the transport's metadata says beside it", () => {
    const wire = codec.encode(input());
    const envelope = read(wire.body, { headers: wire.meta.headers });
    expect(envelope).toMatchObject({
      id: "m-1",
      name: "com.example.order.created",
      data: { id: "o-1", total: 12.5 },
      publishedAt: at,
      parentId: "p-1",
      correlationId: "c-1",
      replyTo: "reply-queue",
    });
    expect(envelope.headers).toEqual(input().headers);
  });

  it("reads the AMQP (cloudEvents: and cloudEvents_) and Kafka (ce_) prefixes", () => {
    for (const prefix of ["cloudEvents:", "cloudEvents_", "ce_"]) {
      const envelope = read('{"n":1}', {
        headers: {
          [`${prefix}specversion`]: "1.0",
          [`${prefix}id`]: "e-1",
          [`${prefix}source`]: "/amqp",
          [`${prefix}type`]: "thing.happened",
          [`${prefix}tenant`]: "t",
        },
      });
      expect(envelope).toMatchObject({ id: "e-1", name: "thing.happened", data: { n: 1 } });
      expect(envelope.headers).toEqual({ "ce-source": "/amqp", "ce-tenant": "t" });
    }
  });

  it("keeps bytes and text bodies as they are, with their content type", () => {
    const bytes = codec.encode(input({ data: new Uint8Array([9, 8, 7]), headers: {} }));
    expect(bytes.meta.headers["content-type"]).toBe("application/octet-stream");
    expect(read(bytes.body, bytes.meta).data).toEqual(new Uint8Array([9, 8, 7]));
    const plain = codec.encode(
      input({ data: "héllo", headers: { "content-type": "text/plain; charset=utf-8" } }),
    );
    expect(text(plain.body)).toBe("héllo");
    expect(read(plain.body, plain.meta).data).toBe("héllo");
    // A text transport (SQS, MNS) holds bytes as base64.
    expect(read("CQgH", bytes.meta).data).toEqual(Buffer.from([9, 8, 7]));
  });

  it("writes its structured form for transports without message attributes", () => {
    const structured = codec.selfContained!();
    expect(structured.name).toBe("cloudevents");
    expect(structured.encode(input()).meta.headers).toEqual({
      "content-type": "application/cloudevents+json",
    });
  });
});

describe("one queue, every format", () => {
  it("reads structured events, binary events and Mailroom's JSON messages message by message", () => {
    const all = [jsonCodec(), cloudEventsCodec(), cloudEventsCodec({ mode: "binary" })].map((codec, i) => {
      const wire = codec.encode(input({ id: `m-${i}`, name: `n${i}`, data: { i }, headers: { "x-k": "v" } }));
      return read(wire.body, wire.meta);
    });
    expect(all.map((e) => [e.id, e.name, e.data])).toEqual([
      ["m-0", "n0", { i: 0 }],
      ["m-1", "n1", { i: 1 }],
      ["m-2", "n2", { i: 2 }],
    ]);
    expect(all[0]!.headers["x-k"]).toBe("v");
    expect(all[1]!.headers["ce-xk"]).toBe("v");
    expect(all[2]!.headers["x-k"]).toBe("v");
  });

  it("leaves Mailroom bodies that merely mention specversion to the codec", () => {
    expect(read('{"name":"x","data":{"specversion":"1.0"}}', { headers: {} }).data).toEqual({
      specversion: "1.0",
    });
    expect(read('["specversion"]', { headers: {}, name: "list" }).data).toEqual(["specversion"]);
  });
});

describe("the cloudevents SDK", () => {
  const event = new CloudEvent({
    id: "sdk-1",
    type: "com.example.order.created",
    source: "/shop",
    time: at.toISOString(),
    subject: "o-1",
    data: { id: "o-1" },
    tenant: "t1",
  });

  it("its HTTP binary, HTTP structured and Kafka binary messages decode to the same envelope", () => {
    const http = HTTP.binary(event);
    const structured = HTTP.structured(event);
    const kafka = Kafka.binary(event);
    const kafkaHeaders = Object.fromEntries(
      Object.entries(kafka.headers).filter((e): e is [string, string] => typeof e[1] === "string"),
    );
    for (const [body, headers] of [
      [String(http.body), http.headers as Record<string, string>],
      [String(structured.body), structured.headers as Record<string, string>],
      [JSON.stringify(kafka.value), kafkaHeaders],
    ] as const) {
      const envelope = read(body, { headers });
      expect(envelope).toMatchObject({
        id: "sdk-1",
        name: "com.example.order.created",
        publishedAt: at,
        data: { id: "o-1" },
      });
      expect(envelope.headers).toMatchObject({
        "ce-source": "/shop",
        "ce-subject": "o-1",
        "ce-tenant": "t1",
      });
    }
  });

  it("accepts what Mailroom writes in both modes (the SDK validates every attribute)", () => {
    for (const mode of ["structured", "binary"] as const) {
      const wire = cloudEventsCodec({ mode }).encode(input());
      const parsed = HTTP.toEvent({
        headers: wire.meta.headers,
        body: text(wire.body),
      }) as CloudEvent<unknown>;
      expect(parsed.validate()).toBe(true);
      expect(parsed).toMatchObject({
        id: "m-1",
        type: "com.example.order.created",
        source: "/shop",
        subject: "o-1",
        parentid: "p-1",
        correlationid: "c-1",
        data: { id: "o-1", total: 12.5 },
      });
    }
  });
});

describe("invalid CloudEvents are decode failures with reasons", () => {
  const ct = { "content-type": "application/cloudevents+json" };
  const event = (over: Record<string, unknown>) =>
    JSON.stringify({ specversion: "1.0", id: "e", source: "/s", type: "t", ...over });
  const binary = { "ce-specversion": "1.0", "ce-id": "e", "ce-source": "/s", "ce-type": "t" };

  it.each([
    ["a structured body that is not JSON", "{nope", ct, "decode_failed: body is not JSON"],
    [
      "a structured body that is an array",
      "[]",
      ct,
      "decode_failed: a structured CloudEvent must be a JSON object",
    ],
    ["no id", event({ id: undefined }), ct, "decode_failed: CloudEvent without id"],
    ["an empty source", event({ source: "" }), ct, "decode_failed: CloudEvent without source"],
    ["no type", event({ type: undefined }), {}, "decode_failed: CloudEvent without type"],
    ["specversion 0.3", event({ specversion: "0.3" }), ct, 'specversion "0.3" is not supported (1.0 is)'],
    ["data and data_base64", event({ data: 1, data_base64: "AA==" }), ct, "data or data_base64, not both"],
    ["data_base64 that is not base64", event({ data_base64: "**" }), ct, "data_base64 is not base64 text"],
    ["a time that is not RFC 3339", event({ time: "yesterday" }), ct, 'time "yesterday" is not an RFC 3339'],
    [
      "an attribute that is an object",
      event({ tenant: { a: 1 } }),
      ct,
      'attribute "tenant" must be a string',
    ],
    [
      "a __proto__ key",
      event({ data: JSON.parse('{"__proto__":{"x":1}}') }),
      ct,
      'forbidden key "__proto__"',
    ],
    [
      "a batch",
      "[]",
      { "content-type": "application/cloudevents-batch+json" },
      "batched CloudEvents are not supported",
    ],
    [
      "the protobuf event format",
      "\n\u0001",
      { "content-type": "application/cloudevents+protobuf" },
      "event format is not supported",
    ],
    [
      "binary without ce-type",
      "{}",
      { ...binary, "ce-type": "" },
      "decode_failed: CloudEvent without ce-type",
    ],
    ["binary without ce-source", "{}", { ...binary, "ce-source": undefined }, "CloudEvent without ce-source"],
    ["binary with a body that is not JSON", "{nope", binary, "decode_failed: body is not JSON"],
    [
      "binary text that is not UTF-8",
      new Uint8Array([0xff, 0xfe]),
      { ...binary, "content-type": "text/plain" },
      "body is not valid UTF-8",
    ],
    [
      "binary bytes held as text that is not base64",
      "not base64!",
      { ...binary, "content-type": "image/png" },
      "must be base64",
    ],
    [
      "protobuf with no name beside it",
      new Uint8Array([8, 1]),
      { "content-type": "application/protobuf" },
      "needs its message name beside it",
    ],
  ])("%s", (_what, body, headers, expected) => {
    const clean = Object.fromEntries(
      Object.entries(headers).filter((e): e is [string, string] => e[1] !== undefined),
    );
    expect(reason(typeof body === "string" ? body : body, { headers: clean })).toContain(expected);
  });

  it("refuses bodies over 1 MiB and JSON nested deeper than 64", () => {
    const big = event({ data: "x".repeat(1024 * 1024) });
    expect(reason(big, { headers: {} })).toMatch(/over the limit of 1048576/);
    const deep = event({ data: JSON.parse(`${"[".repeat(70)}${"]".repeat(70)}`) });
    expect(reason(deep, { headers: {} })).toBe("decode_failed: JSON nesting is deeper than 64");
  });

  it("rejects an unknown mode or an empty source when the codec is made", () => {
    expect(() => cloudEventsCodec({ mode: "batch" as "binary" })).toThrow(/structured" or "binary/);
    expect(() => cloudEventsCodec({ source: "" })).toThrow(/non-empty URI reference/);
  });
});
