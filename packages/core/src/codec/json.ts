import { Buffer, isUtf8 } from "node:buffer";
import type { MessageMeta } from "../envelope.ts";
import { uuidv7 } from "../ids.ts";
import type { Codec, Decoded, EncodeInput, WireMessage } from "./codec.ts";
import { deeperThan, prototypeKey } from "./json-read.ts";

/** Limits applied to every received body. Defaults are safe for untrusted producers. */
export interface DecodeLimits {
  /** Largest body accepted, in bytes. Default 1 MiB. */
  maxBytes?: number;
  /** Deepest JSON nesting accepted. Default 64. */
  maxDepth?: number;
  /**
   * `__proto__` keys, and `constructor` keys holding a `prototype`, anywhere in the body:
   * `reject` (default) dead-letters the message; `allow` keeps them as plain own properties.
   */
  prototypeKeys?: "reject" | "allow";
}

/** Options of the JSON codec. */
export interface JsonCodecOptions extends DecodeLimits {
  /**
   * Also write the metadata into the body as `"meta": { id, publishedAt, headers, … }`, for
   * transports that have no message attributes (MNS, Azure Storage Queues). Always read when present.
   */
  embedMeta?: boolean;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * The default codec: the JSON body `{ "name": "...", "data": ... }` that existing services
 * already send. `data` may be any JSON value. When the body has no `name` but the transport
 * carried one (AMQP `type`, CloudEvents binary mode, …) the whole body is the data.
 *
 * @example
 * const codec = jsonCodec({ maxBytes: 256 * 1024 });
 * const wire = codec.encode({ id, name: "order_created", data: { id: 1 }, publishedAt: new Date(), headers: {} });
 */
export function jsonCodec(options: JsonCodecOptions = {}): Codec {
  const maxBytes = options.maxBytes ?? 1024 * 1024;
  const maxDepth = options.maxDepth ?? 64;
  const rejectProto = (options.prototypeKeys ?? "reject") === "reject";
  const embed = options.embedMeta ?? false;

  return {
    name: "json",
    encode(input: EncodeInput): WireMessage {
      const meta: MessageMeta = {
        id: input.id,
        name: input.name,
        publishedAt: input.publishedAt,
        parentId: input.parentId,
        correlationId: input.correlationId,
        replyTo: input.replyTo,
        headers: input.headers,
      };
      const body: Record<string, unknown> = {
        name: input.name,
        data: input.data === undefined ? null : input.data,
      };
      if (embed) body.meta = embeddedMeta(meta);
      return { body: encoder.encode(JSON.stringify(body)), meta, contentType: "application/json" };
    },
    decode(bytes: Uint8Array, meta: MessageMeta) {
      if (bytes.byteLength > maxBytes) {
        return fail(`body is ${bytes.byteLength} bytes, over the limit of ${maxBytes}`);
      }
      if (!isUtf8(bytes)) return fail("body is not valid UTF-8");
      return parse(decoder.decode(bytes), meta);
    },
    decodeText(text: string, meta: MessageMeta) {
      // UTF-8 takes 1 to 3 bytes per UTF-16 unit: count exactly only when the bounds straddle the limit.
      if (text.length * 3 > maxBytes) {
        const size = Buffer.byteLength(text, "utf8");
        if (size > maxBytes) return fail(`body is ${size} bytes, over the limit of ${maxBytes}`);
      }
      // A lone surrogate has no UTF-8 form: the same body as bytes would not be UTF-8.
      if (!text.isWellFormed()) return fail("body is not valid UTF-8");
      return parse(text, meta);
    },
  };

  /** The checks on the text both entry points share, then `JSON.parse` and the prototype-key check. */
  function parse(text: string, meta: MessageMeta): Decoded | { failed: true; reason: string } {
    if (deeperThan(text, maxDepth)) return fail(`JSON nesting is deeper than ${maxDepth}`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      return fail(`body is not JSON (${(error as Error).message.slice(0, 120)})`);
    }
    if (rejectProto && (text.includes("__proto__") || text.includes("constructor"))) {
      const bad = prototypeKey(parsed);
      if (bad) return fail(`body has a forbidden key "${bad}"`);
    }
    return fromParsed(parsed, meta);
  }
}

function fail(reason: string) {
  return { failed: true as const, reason: `decode_failed: ${reason}` };
}

function fromParsed(parsed: unknown, meta: MessageMeta): Decoded | { failed: true; reason: string } {
  let name: string | undefined;
  let data: unknown;
  let m = meta;
  const obj = isObject(parsed) ? parsed : undefined;
  if (obj && typeof obj.name === "string" && "data" in obj) {
    name = obj.name;
    data = obj.data;
    if (isObject(obj.meta)) m = mergeEmbedded(meta, obj.meta);
  } else if (meta.name) {
    name = meta.name;
    data = parsed;
  } else if (obj && typeof obj.name === "string") {
    name = obj.name;
    data = null;
  }
  if (!name) return fail('missing message name (expected a JSON body { "name": ..., "data": ... })');
  if (name.length > 256) return fail("message name is longer than 256 characters");
  return {
    id: m.id ?? uuidv7(),
    name,
    data,
    publishedAt: m.publishedAt ?? new Date(),
    parentId: m.parentId,
    correlationId: m.correlationId,
    replyTo: m.replyTo,
    headers: m.headers,
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Metadata as it is embedded in a body (`meta` key) for attribute-less transports. */
function embeddedMeta(meta: MessageMeta): Record<string, unknown> {
  const out: Record<string, unknown> = { id: meta.id, publishedAt: meta.publishedAt?.toISOString() };
  if (meta.parentId) out.parentId = meta.parentId;
  if (meta.correlationId) out.correlationId = meta.correlationId;
  if (meta.replyTo) out.replyTo = meta.replyTo;
  if (Object.keys(meta.headers).length > 0) out.headers = meta.headers;
  return out;
}

function mergeEmbedded(meta: MessageMeta, embedded: Record<string, unknown>): MessageMeta {
  const str = (v: unknown) => (typeof v === "string" && v.length > 0 ? v : undefined);
  const headers: Record<string, string> = { ...meta.headers };
  if (isObject(embedded.headers)) {
    for (const [k, v] of Object.entries(embedded.headers)) if (typeof v === "string") headers[k] = v;
  }
  const at = str(embedded.publishedAt);
  const date = at ? new Date(at) : undefined;
  return {
    id: str(embedded.id) ?? meta.id,
    name: meta.name,
    publishedAt: date && !Number.isNaN(date.getTime()) ? date : meta.publishedAt,
    parentId: str(embedded.parentId) ?? meta.parentId,
    correlationId: str(embedded.correlationId) ?? meta.correlationId,
    replyTo: str(embedded.replyTo) ?? meta.replyTo,
    headers,
  };
}
