import { Buffer } from "node:buffer";
import { ConfigError } from "../errors.ts";
import {
  CLOUDEVENTS_JSON,
  CloudEventsHeaders,
  extensionOfHeader,
  LineageExtensions,
  mediaType,
} from "./cloudevents-names.ts";
import type { Codec, EncodeInput, WireMessage } from "./codec.ts";
import { jsonCodec } from "./json.ts";
import { readWireFormat } from "./wire-format.ts";

/** Options of `cloudEventsCodec`. */
export interface CloudEventsCodecOptions {
  /**
   * `structured` (default): the whole event — attributes, extensions and data — as one JSON
   * object in the body (`application/cloudevents+json`). `binary`: the attributes as headers
   * (`ce-type`, … — `cloudEvents:type` on RabbitMQ) and the data alone as the body, its media type
   * in `content-type`. Transports without message attributes (MNS, Azure Storage Queues) write
   * binary mode as structured.
   */
  mode?: "structured" | "binary";
  /** The events' `source` when a message carries no `ce-source` header. Default `/mailroom`. */
  source?: string;
  /** Reads the messages that are not CloudEvents (Mailroom's `{ name, data }`, …). Default `jsonCodec()`. */
  fallback?: Codec;
}

const encoder = new TextEncoder();
const SPECVERSION = "1.0";

/**
 * CloudEvents 1.0, in structured or binary mode. The message name is the event `type`; the id,
 * `publishedAt` and lineage are `id`, `time` and the extensions `parentid`, `correlationid`,
 * `replyto`; `source`, `subject` and `dataschema` are the headers `ce-source`, `ce-subject`,
 * `ce-dataschema`; other headers travel as they are (binary) or as extensions (structured,
 * see the README). Data that is bytes is written as `data_base64` / the raw body with its
 * `content-type` header (default `application/octet-stream`); any other data as JSON.
 *
 * Decoding takes both modes and anything the `fallback` codec reads, message by message, as
 * every transport does whatever its codec.
 *
 * @example
 * const app = createApp({ name: "orders", codec: cloudEventsCodec({ source: "/orders", mode: "binary" }) });
 * // ctx.publish("com.example.invoice.requested", data) now writes a binary-mode CloudEvent.
 */
export function cloudEventsCodec(options: CloudEventsCodecOptions = {}): Codec {
  const mode = options.mode ?? "structured";
  if (mode !== "structured" && mode !== "binary") {
    throw new ConfigError(`CloudEvents mode is "structured" or "binary", got "${String(mode)}"`);
  }
  const source = options.source ?? "/mailroom";
  if (typeof source !== "string" || source.length === 0) {
    throw new ConfigError("a CloudEvents source must be a non-empty URI reference, e.g. /orders");
  }
  const fallback = options.fallback ?? jsonCodec();
  let structured: Codec | undefined;
  const codec: Codec = {
    name: mode === "binary" ? "cloudevents-binary" : "cloudevents",
    encode:
      mode === "binary" ? (input) => encodeBinary(input, source) : (input) => encodeStructured(input, source),
    decode(body, meta) {
      return readWireFormat(body, meta) ?? fallback.decode(body, meta);
    },
    decodeText(text, meta) {
      const read = readWireFormat(text, meta);
      if (read) return read;
      return fallback.decodeText
        ? fallback.decodeText(text, meta)
        : fallback.decode(encoder.encode(text), meta);
    },
    selfContained() {
      if (mode === "structured") return codec;
      structured ??= cloudEventsCodec({ ...options, mode: "structured" });
      return structured;
    },
  };
  return codec;
}

/** The whole event as JSON: the required attributes first (readers detect the format by them), data last. */
function encodeStructured(input: EncodeInput, defaultSource: string): WireMessage {
  const headers = input.headers;
  const event: Record<string, unknown> = {
    specversion: SPECVERSION,
    id: input.id,
    source: headers[CloudEventsHeaders.source] || defaultSource,
    type: input.name,
    time: input.publishedAt.toISOString(),
  };
  if (headers[CloudEventsHeaders.subject]) event.subject = headers[CloudEventsHeaders.subject];
  if (headers[CloudEventsHeaders.dataschema]) event.dataschema = headers[CloudEventsHeaders.dataschema];
  if (input.parentId) event[LineageExtensions.parentId] = input.parentId;
  if (input.correlationId) event[LineageExtensions.correlationId] = input.correlationId;
  if (input.replyTo) event[LineageExtensions.replyTo] = input.replyTo;
  for (const [header, value] of Object.entries(headers)) {
    if (OWN_FIELDS.has(header)) continue;
    const extension = extensionOfHeader(header);
    if (extension === undefined) {
      throw new ConfigError(
        `the header "${header}" cannot travel in a structured CloudEvent (its attribute name would be empty or reserved); rename it`,
      );
    }
    event[extension] = value;
  }
  const contentType = headers[CloudEventsHeaders.contentType];
  if (input.data instanceof Uint8Array) {
    event.datacontenttype = contentType ?? "application/octet-stream";
    event.data_base64 = Buffer.from(input.data.buffer, input.data.byteOffset, input.data.byteLength).toString(
      "base64",
    );
  } else if (input.data !== undefined) {
    event.datacontenttype = contentType ?? "application/json";
    event.data = input.data;
  }
  return {
    body: encoder.encode(JSON.stringify(event)),
    meta: {
      id: input.id,
      name: input.name,
      publishedAt: input.publishedAt,
      parentId: input.parentId,
      correlationId: input.correlationId,
      replyTo: input.replyTo,
      headers: { [CloudEventsHeaders.contentType]: CLOUDEVENTS_JSON },
    },
    contentType: CLOUDEVENTS_JSON,
  };
}

/** Headers a structured event carries in attributes of their own. */
const OWN_FIELDS = new Set<string>([
  CloudEventsHeaders.contentType,
  CloudEventsHeaders.source,
  CloudEventsHeaders.subject,
  CloudEventsHeaders.dataschema,
]);

/** The attributes as `ce-` headers beside the other headers, the data alone as the body. */
function encodeBinary(input: EncodeInput, defaultSource: string): WireMessage {
  const headers: Record<string, string> = {};
  for (const [key, value] of Object.entries(input.headers)) {
    if (key !== CloudEventsHeaders.contentType) headers[key] = value;
  }
  headers[CloudEventsHeaders.specversion] = SPECVERSION;
  headers[CloudEventsHeaders.id] = input.id;
  headers[CloudEventsHeaders.source] = input.headers[CloudEventsHeaders.source] || defaultSource;
  headers[CloudEventsHeaders.type] = input.name;
  headers[CloudEventsHeaders.time] = input.publishedAt.toISOString();
  const prefix = CloudEventsHeaders.prefix;
  if (input.parentId) headers[prefix + LineageExtensions.parentId] = input.parentId;
  if (input.correlationId) headers[prefix + LineageExtensions.correlationId] = input.correlationId;
  if (input.replyTo) headers[prefix + LineageExtensions.replyTo] = input.replyTo;
  const given = input.headers[CloudEventsHeaders.contentType];
  let body: Uint8Array;
  let contentType: string;
  if (input.data instanceof Uint8Array) {
    body = input.data;
    contentType = given ?? "application/octet-stream";
  } else if (typeof input.data === "string" && given !== undefined && mediaType(given).startsWith("text/")) {
    body = encoder.encode(input.data);
    contentType = given;
  } else {
    body = encoder.encode(JSON.stringify(input.data === undefined ? null : input.data));
    contentType = given ?? "application/json";
  }
  headers[CloudEventsHeaders.contentType] = contentType;
  return {
    body,
    meta: {
      id: input.id,
      name: input.name,
      publishedAt: input.publishedAt,
      parentId: input.parentId,
      correlationId: input.correlationId,
      replyTo: input.replyTo,
      headers,
    },
    contentType,
  };
}
