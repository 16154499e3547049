import type { MessageMeta, WireMessage } from "@mailroom/core";
import { CloudEventsHeaders, hasBinaryCloudEvent, readsContentType } from "@mailroom/core/transport";
import type { MessageProperties, Options } from "amqplib";
import { type NameSource, nameFromProperties, propertyBeforeBody } from "./names.ts";

/** AMQP headers Mailroom adds beside the standard properties. */
export const AmqpHeaders = {
  parentId: "mailroom-parent-id",
  /** Exchange and routing key a message was first published with (kept across retries, for dead letters). */
  originalExchange: "mailroom-original-exchange",
  originalRoutingKey: "mailroom-original-routing-key",
} as const;

/** Broker-added headers that are not strings and mean nothing to handlers. */
const SKIP = new Set([
  "x-death",
  "x-first-death-exchange",
  "x-first-death-queue",
  "x-first-death-reason",
  "x-delivery-count",
]);

/** Headers as strings: strings kept, numbers and booleans stringified, buffers read as UTF-8, tables dropped. */
export function stringHeaders(raw: Record<string, unknown> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!raw) return out;
  let plain = true;
  for (const key in raw) {
    if (typeof raw[key] !== "string") {
      plain = false;
      break;
    }
  }
  // The common case (only string headers, or none): a shallow copy is all it takes.
  if (plain) return { ...(raw as Record<string, string>) };
  for (const key in raw) {
    const v = raw[key];
    if (typeof v === "string") out[key] = v;
    else if (SKIP.has(key) || v === null || v === undefined) continue;
    else if (typeof v === "number" || typeof v === "boolean" || typeof v === "bigint") out[key] = String(v);
    else if (Buffer.isBuffer(v)) out[key] = v.toString("utf8");
  }
  return out;
}

/** What a received message's properties tell, before the codec reads the body. */
export interface ReadProperties {
  meta: MessageMeta;
  /** True when a property named the message and the resolution order ranks it above the body. */
  propertyWins: boolean;
}

/**
 * Read message metadata from AMQP properties. `timestamp` is seconds per the spec (values that
 * are clearly milliseconds are accepted too).
 */
export function readProperties(properties: MessageProperties, order: readonly NameSource[]): ReadProperties {
  const headers = stringHeaders(properties.headers as Record<string, unknown> | undefined);
  const parentId = headers[AmqpHeaders.parentId];
  if (parentId !== undefined) delete headers[AmqpHeaders.parentId];
  // The decoder finds CloudEvents and protobuf bodies by their content type, a property here.
  const contentType = properties.contentType;
  if (
    typeof contentType === "string" &&
    headers[CloudEventsHeaders.contentType] === undefined &&
    (readsContentType(contentType) || hasBinaryCloudEvent(headers))
  ) {
    headers[CloudEventsHeaders.contentType] = contentType;
  }
  const named = nameFromProperties(order, properties);
  let publishedAt: Date | undefined;
  const ts = properties.timestamp;
  if (typeof ts === "number" && ts > 0) publishedAt = new Date(ts > 1e11 ? ts : ts * 1000);
  return {
    meta: {
      id: typeof properties.messageId === "string" && properties.messageId ? properties.messageId : undefined,
      name: named?.name,
      publishedAt,
      parentId,
      correlationId:
        typeof properties.correlationId === "string" && properties.correlationId
          ? properties.correlationId
          : undefined,
      replyTo: typeof properties.replyTo === "string" && properties.replyTo ? properties.replyTo : undefined,
      headers,
    },
    propertyWins: named !== undefined && propertyBeforeBody(order, named.rank),
  };
}

/** Publish options for an encoded message: persistent, properties filled from the envelope. */
export function publishProperties(
  wire: WireMessage,
  extra: { priority?: number | undefined; expiresInMs?: number | undefined; mandatory: boolean },
): Options.Publish {
  const meta = wire.meta;
  let headers: Record<string, string> = amqpHeaders(meta.headers, wire.contentType);
  if (meta.parentId) headers = { ...headers, [AmqpHeaders.parentId]: meta.parentId };
  const options: Options.Publish = {
    persistent: true,
    contentType: wire.contentType,
    messageId: meta.id,
    type: meta.name,
    timestamp: meta.publishedAt ? Math.floor(meta.publishedAt.getTime() / 1000) : undefined,
    headers,
    mandatory: extra.mandatory,
  };
  if (meta.correlationId) options.correlationId = meta.correlationId;
  if (meta.replyTo) options.replyTo = meta.replyTo;
  if (extra.priority !== undefined) options.priority = extra.priority;
  if (extra.expiresInMs !== undefined)
    options.expiration = String(Math.max(0, Math.round(extra.expiresInMs)));
  return options;
}

/** Prefix of CloudEvents attributes in application properties, as the AMQP binding writes them. */
export const AMQP_CLOUDEVENTS_PREFIX = "cloudEvents:";

/**
 * Headers as AMQP carries them: a binary-mode CloudEvent's attributes (`ce-type`) under the AMQP
 * binding's prefix (`cloudEvents:type`), and no `content-type` header when it says what the
 * property of that name says.
 */
export function amqpHeaders(headers: Record<string, string>, contentType: string): Record<string, string> {
  const cloudEvent = headers[CloudEventsHeaders.specversion] !== undefined;
  const typed = headers[CloudEventsHeaders.contentType] === contentType;
  if (!cloudEvent && !typed) return headers;
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(headers)) {
    if (typed && key === CloudEventsHeaders.contentType) continue;
    if (cloudEvent && key.startsWith(CloudEventsHeaders.prefix)) {
      out[AMQP_CLOUDEVENTS_PREFIX + key.slice(CloudEventsHeaders.prefix.length)] = value;
    } else out[key] = value;
  }
  return out;
}

/** The publish options of a received message, to re-publish it (retry, defer, dead letter) unchanged but for headers. */
export function republishProperties(
  properties: MessageProperties,
  headers: Record<string, unknown>,
): Options.Publish {
  const options: Options.Publish = { persistent: true, headers };
  if (properties.contentType !== undefined) options.contentType = properties.contentType;
  if (properties.contentEncoding !== undefined) options.contentEncoding = properties.contentEncoding;
  if (properties.priority !== undefined) options.priority = properties.priority;
  if (properties.correlationId !== undefined) options.correlationId = properties.correlationId;
  if (properties.replyTo !== undefined) options.replyTo = properties.replyTo;
  if (properties.messageId !== undefined) options.messageId = properties.messageId;
  if (properties.timestamp !== undefined) options.timestamp = properties.timestamp;
  if (properties.type !== undefined) options.type = properties.type;
  if (properties.appId !== undefined) options.appId = properties.appId;
  return options;
}

/**
 * Headers of a received message, to carry onto a re-published copy (retry, defer, dead letter,
 * redrive), without the broker's dead-letter bookkeeping (it grows with every hop). Integers keep
 * an explicit width (see `widenIntegers`).
 */
export function carriedHeaders(raw: Record<string, unknown> | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (!raw) return out;
  for (const key in raw) if (!SKIP.has(key)) out[key] = widenIntegers(raw[key]);
  return out;
}

const INT32_MIN = -0x80000000;
const INT32_MAX = 0x7fffffff;

/**
 * An integer header value (also inside tables and arrays) typed as a signed 32-bit `I` or 64-bit
 * `l` field, as pika and the Java client write integers. Left untyped, amqplib re-encodes a small
 * integer as the signed byte `b`, which pika 1.2 (still what Debian ships) decodes as unsigned:
 * a -7 that a Python producer sent reached a Python reader of the dead-letter queue as 249. Typed
 * values amqplib decoded (decimal, timestamp), buffers and other values are returned as they are.
 */
export function widenIntegers(value: unknown): unknown {
  if (typeof value === "number") {
    if (!Number.isInteger(value)) return value;
    return { "!": value >= INT32_MIN && value <= INT32_MAX ? "int" : "long", value };
  }
  if (Array.isArray(value)) return value.map(widenIntegers);
  if (value === null || typeof value !== "object" || Buffer.isBuffer(value) || "!" in value) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = widenIntegers(v);
  return out;
}
