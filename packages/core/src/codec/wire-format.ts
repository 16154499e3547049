import { Buffer } from "node:buffer";
import type { MessageMeta } from "../envelope.ts";
import { uuidv7 } from "../ids.ts";
import { CLOUDEVENTS_JSON, CloudEventsHeaders, hasBinaryCloudEvent, mediaType } from "./cloudevents-names.ts";
import { type CloudEventRead, dataOfBody, fromBinary, fromStructured } from "./cloudevents-read.ts";
import { decodeFailed, readJson } from "./json-read.ts";

/** The media type Mailroom writes protobuf bodies with. */
export const PROTOBUF_MEDIA_TYPE = "application/protobuf";

/** Media types read as protobuf bodies. */
const PROTOBUF_TYPES = new Set([
  PROTOBUF_MEDIA_TYPE,
  "application/x-protobuf",
  "application/vnd.google.protobuf",
]);

/**
 * Read a message in one of the formats every Mailroom transport understands, whatever its codec:
 * - a binary-mode CloudEvent: a `specversion` attribute among the headers (`ce-`, `ce_`,
 *   `cloudEvents:` or `cloudEvents_` prefix);
 * - a structured-mode CloudEvent: `content-type: application/cloudevents+json`, or, with no
 *   content type, a JSON object body carrying `specversion` (producers often leave it out);
 * - a protobuf body: `content-type: application/protobuf` (or `x-protobuf`), the name from the
 *   transport; `data` is the bytes, which a handler's protobuf schema reads into its message.
 * Undefined when the message is none of these: the transport's codec reads it. Never throws.
 */
export function readWireFormat(body: Uint8Array | string, meta: MessageMeta): CloudEventRead | undefined {
  const headers = meta.headers;
  if (hasBinaryCloudEvent(headers)) return fromBinary(body, meta);
  const contentType = headers[CloudEventsHeaders.contentType];
  if (contentType !== undefined) {
    const type = mediaType(contentType);
    if (type === CLOUDEVENTS_JSON) {
      const read = readJson(body);
      return "failed" in read ? read : fromStructured(read.value, meta);
    }
    if (type === "application/cloudevents-batch+json") {
      return decodeFailed("batched CloudEvents are not supported: send one event per message");
    }
    if (type.startsWith("application/cloudevents+")) {
      return decodeFailed(`the ${type} event format is not supported: send structured JSON or binary mode`);
    }
    if (PROTOBUF_TYPES.has(type)) return fromProtobuf(body, meta, contentType);
  }
  if (!mayBeStructured(body)) return undefined;
  const read = readJson(body);
  if ("failed" in read) return undefined;
  const value = read.value;
  if (typeof value !== "object" || value === null || !("specversion" in value)) return undefined;
  return fromStructured(value, meta);
}

/**
 * True for a content type that decides how a message is read (a CloudEvents event format, a
 * protobuf body): transports whose content type is a property of its own (AMQP) pass it to the
 * decoder as the `content-type` header.
 */
export function readsContentType(contentType: string): boolean {
  const type = mediaType(contentType);
  return type.startsWith("application/cloudevents") || PROTOBUF_TYPES.has(type);
}

/** A protobuf body: the bytes as data, the name and the rest from the transport. */
function fromProtobuf(body: Uint8Array | string, meta: MessageMeta, contentType: string): CloudEventRead {
  if (!meta.name) {
    return decodeFailed(
      `a ${mediaType(contentType)} body needs its message name beside it (a CloudEvent type, the AMQP type property, a mailroom-name attribute)`,
    );
  }
  const data = dataOfBody(body, contentType);
  if ("failed" in data) return data;
  return {
    id: meta.id || uuidv7(),
    name: meta.name,
    data: data.value,
    publishedAt: meta.publishedAt ?? new Date(),
    parentId: meta.parentId,
    correlationId: meta.correlationId,
    replyTo: meta.replyTo,
    headers: meta.headers,
  };
}

const NAME_FIRST = '{"name"';
const SPECVERSION = '"specversion"';
const NAME_FIRST_BYTES = Buffer.from(NAME_FIRST);
const SPECVERSION_BYTES = Buffer.from(SPECVERSION);
const bufferIndexOf = Buffer.prototype.indexOf;

/**
 * Cheap test before parsing: a JSON object that does not open with `"name"` (as Mailroom's own
 * bodies and most `{ name, data }` producers do) and mentions `"specversion"` somewhere.
 */
function mayBeStructured(body: Uint8Array | string): boolean {
  if (typeof body === "string") {
    let i = 0;
    while (i < body.length && isSpace(body.charCodeAt(i))) i++;
    if (body.charCodeAt(i) !== 123 || body.startsWith(NAME_FIRST, i)) return false;
    return body.includes(SPECVERSION, i);
  }
  let i = 0;
  if (body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf) i = 3;
  while (i < body.length && isSpace(body[i]!)) i++;
  if (body[i] !== 123 || startsWithBytes(body, NAME_FIRST_BYTES, i)) return false;
  // Buffer's native search works on any Uint8Array, with no view to make.
  return bufferIndexOf.call(body, SPECVERSION_BYTES, i) !== -1;
}

function startsWithBytes(body: Uint8Array, prefix: Uint8Array, at: number): boolean {
  if (at + prefix.length > body.length) return false;
  for (let j = 0; j < prefix.length; j++) if (body[at + j] !== prefix[j]) return false;
  return true;
}

function isSpace(c: number): boolean {
  return c === 32 || c === 10 || c === 13 || c === 9 || c === 0xfeff;
}
