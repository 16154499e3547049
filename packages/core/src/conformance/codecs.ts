import { expect, it } from "vitest";
import { createApp } from "../app.ts";
import { cloudEventsCodec } from "../codec/cloudevents.ts";
import type { Codec } from "../codec/codec.ts";
import { PROTOBUF_MEDIA_TYPE } from "../codec/wire-format.ts";
import { type Envelope, RELAXED_MESSAGE_NAME } from "../envelope.ts";
import { silentLogger } from "../logger.ts";
import type { Harness } from "./harness.ts";

const NAME = "com.example.order.created";
const TRACE = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

/**
 * Codecs on the transport: what Mailroom publishes as a structured CloudEvent, a binary
 * CloudEvent and a protobuf body (bytes with their content type) is read back beside JSON from
 * one queue — id, name, time, lineage, headers and data — and a structured CloudEvent that a
 * foreign producer put on the queue with nothing beside it is handled with its own attributes.
 */
export function codecTests(h: Harness): void {
  it("codecs: a structured CloudEvent, a binary CloudEvent, a protobuf body and JSON published to one queue are each read back whole", async () => {
    const queue = h.queueName("codecs");
    const t = await h.open(queue);
    const app = createApp({
      name: "conformance",
      logger: silentLogger,
      names: { pattern: RELAXED_MESSAGE_NAME },
    });
    const seen = new Map<string, Envelope>();
    app.handle(NAME, (_data, ctx) => {
      seen.set(ctx.envelope.id, ctx.envelope);
    });
    const { spy } = h.start(app, t);
    const formats: Array<[string, Codec | undefined, unknown]> = [
      ["json", undefined, { format: "json" }],
      ["structured", cloudEventsCodec({ source: "/conformance" }), { format: "structured" }],
      ["binary", cloudEventsCodec({ source: "/conformance", mode: "binary" }), { format: "binary" }],
      ["protobuf", bytesCodec(), new Uint8Array([0x0a, 0x03, 0x6f, 0x2d, 0x31, 0x00, 0xff])],
    ];
    const sent = formats.map(([format, codec, data]) =>
      h.msg(NAME, data, {
        parentId: `parent-${format}`,
        correlationId: `conversation-${format}`,
        headers: { traceparent: TRACE, "ce-tenant": "t-1" },
        ...(codec ? { codec } : {}),
      }),
    );
    const before = Date.now();
    await t.publisher().publish(sent);
    await spy.waitFor({ name: NAME, outcome: "ack", count: sent.length });
    for (const [i, message] of sent.entries()) {
      const [format] = formats[i]!;
      const envelope = seen.get(message.id);
      expect(envelope, `the ${format} message`).toBeDefined();
      expect(envelope).toMatchObject({
        name: NAME,
        attempt: 1,
        parentId: `parent-${format}`,
        correlationId: `conversation-${format}`,
      });
      expect(envelope!.headers).toMatchObject({ traceparent: TRACE, "ce-tenant": "t-1" });
      // Some transports keep whole seconds of the time they carry themselves.
      expect(Math.abs(envelope!.publishedAt.getTime() - before)).toBeLessThan(60_000);
      if (format === "structured" || format === "binary")
        expect(envelope!.headers["ce-source"]).toBe("/conformance");
      if (format === "protobuf") {
        expect(new Uint8Array(envelope!.data as Uint8Array)).toEqual(message.data);
        expect(envelope!.headers["content-type"]).toBe(PROTOBUF_MEDIA_TYPE);
      } else expect(envelope!.data).toEqual(message.data);
    }
  });

  it("codecs: a structured CloudEvent a foreign producer sent with nothing beside it runs with its own id, type, time, source, extensions and data", async () => {
    const queue = h.queueName("codecs-raw");
    const t = await h.open(queue);
    const app = createApp({
      name: "conformance",
      logger: silentLogger,
      names: { pattern: RELAXED_MESSAGE_NAME },
    });
    const seen: Envelope[] = [];
    app.handle(NAME, (_data, ctx) => {
      seen.push(ctx.envelope);
    });
    const { spy } = h.start(app, t);
    const event = {
      specversion: "1.0",
      type: NAME,
      source: "https://shop.example.com/orders",
      id: "ce-raw-1",
      time: "2026-05-06T07:08:09.123Z",
      subject: "o-42",
      tenant: "t-2",
      correlationid: "conversation-raw",
      datacontenttype: "application/json",
      data: { id: "o-42", total: 9.5 },
    };
    await h.target.sendRaw(queue, new TextEncoder().encode(JSON.stringify(event)));
    await spy.waitFor({ name: NAME, outcome: "ack" });
    expect(seen[0]).toMatchObject({
      id: "ce-raw-1",
      name: NAME,
      publishedAt: new Date("2026-05-06T07:08:09.123Z"),
      correlationId: "conversation-raw",
      data: { id: "o-42", total: 9.5 },
    });
    expect(seen[0]!.headers).toMatchObject({
      "ce-source": "https://shop.example.com/orders",
      "ce-subject": "o-42",
      "ce-tenant": "t-2",
    });
  });
}

/**
 * A codec writing bytes as they are with `content-type: application/protobuf`, as
 * `@mailroom/codec-protobuf` does (core cannot depend on it); self-contained as a CloudEvent.
 */
function bytesCodec(): Codec {
  const events = cloudEventsCodec({ source: "/conformance" });
  const withType = (headers: Record<string, string>) => ({ ...headers, "content-type": PROTOBUF_MEDIA_TYPE });
  const codec: Codec = {
    name: "protobuf",
    encode(input) {
      return {
        body: input.data as Uint8Array,
        meta: {
          id: input.id,
          name: input.name,
          publishedAt: input.publishedAt,
          parentId: input.parentId,
          correlationId: input.correlationId,
          replyTo: input.replyTo,
          headers: withType(input.headers),
        },
        contentType: PROTOBUF_MEDIA_TYPE,
      };
    },
    decode: (body, meta) => events.decode(body, meta),
    selfContained: () => ({
      ...codec,
      encode: (input) => events.encode({ ...input, headers: withType(input.headers) }),
    }),
  };
  return codec;
}
