import type { App } from "../app.ts";
import { type Codec, decodeEnvelope } from "../codec/codec.ts";
import { jsonCodec } from "../codec/json.ts";
import type { DecodeFailure, Envelope, Outgoing, PublishOptions } from "../envelope.ts";
import { silentLogger } from "../logger.ts";
import type { Outcome } from "../runtime/outcome.ts";
import { toEncodeInput } from "../runtime/outgoing.ts";
import { processDelivery } from "../runtime/process.ts";
import type { Delivery, Publisher } from "../transport.ts";

export { HandlerSpy, type SpyRecord } from "./spy.ts";

/** What one `send` did. */
export interface SendResult {
  /** ack, retry (with delay), deadLetter (with reason), defer. */
  outcome: Outcome;
  /** Messages the handler published (ctx.publish / forward / reply), in order. */
  published: Array<Outgoing & { options?: PublishOptions }>;
  /** The envelope the handler saw (or the decode failure). */
  envelope: Envelope | DecodeFailure;
}

/** Options of one `send`. */
export interface SendOptions {
  /** Delivery attempt the handler sees. Default 1. */
  attempt?: number;
  headers?: Record<string, string>;
  id?: string;
  parentId?: string;
  correlationId?: string;
  replyTo?: string;
  groupId?: string;
  /** Write the message with this codec (`cloudEventsCodec({ mode: "binary" })`, …). Default: the app's for the name (`app.codecFor`), else JSON. */
  codec?: Codec;
}

/** The test kit: run an app's handlers in process, no broker. */
export interface TestApp {
  /** Run the handler for `name` on `data`, as a transport would deliver it, and report the outcome. */
  send(name: string, data: unknown, options?: SendOptions): Promise<SendResult>;
  /** Run raw bytes through decoding and the handler (poison-message tests). */
  sendRaw(body: Uint8Array | string, options?: SendOptions): Promise<SendResult>;
  /** Everything published by every `send` so far. */
  readonly published: Array<Outgoing & { options?: PublishOptions }>;
}

/**
 * Unit-test handlers without a broker: the message goes through the same codec, validation,
 * middleware and outcome rules as on a real transport.
 *
 * @example
 * const result = await testApp(app).send("order_created", { id: "o-1", total: 5 });
 * expect(result.outcome.kind).toBe("ack");
 * expect(result.published[0]).toMatchObject({ name: "invoice_requested" });
 */
export function testApp(app: App): TestApp {
  const codec = jsonCodec();
  const all: SendResult["published"] = [];

  async function run(
    body: Uint8Array,
    meta: Parameters<typeof decodeEnvelope>[2],
    options: SendOptions,
  ): Promise<SendResult> {
    const published: SendResult["published"] = [];
    const publisher: Publisher = {
      async publish(messages, publishOptions) {
        for (const m of messages) {
          const entry = publishOptions ? { ...m, options: publishOptions } : { ...m };
          published.push(entry);
          all.push(entry);
        }
      },
      async close() {},
    };
    const envelope = decodeEnvelope(codec, body, meta, {
      attempt: options.attempt ?? 1,
      transport: { kind: "test", queue: "test", raw: undefined, groupId: options.groupId },
    });
    const noop = async () => {};
    const delivery: Delivery = {
      envelope,
      ack: noop,
      retry: noop,
      defer: noop,
      release: noop,
      deadLetter: noop,
      extend: noop,
    };
    const { outcome } = await processDelivery(app, delivery, {
      logger: app.logger ?? silentLogger,
      signal: new AbortController().signal,
      publisher: () => publisher,
    });
    return { outcome, published, envelope };
  }

  return {
    published: all,
    send(name, data, options = {}) {
      const wire = (options.codec ?? app.codecFor(name) ?? codec).encode(
        toEncodeInput({
          name,
          data,
          id: options.id,
          parentId: options.parentId,
          correlationId: options.correlationId,
          replyTo: options.replyTo,
          headers: options.headers,
        } as Outgoing),
      );
      return run(wire.body, wire.meta, options);
    },
    sendRaw(body, options = {}) {
      const bytes = typeof body === "string" ? new TextEncoder().encode(body) : body;
      return run(bytes, { headers: options.headers ?? {}, id: options.id }, options);
    },
  };
}
