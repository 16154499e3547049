import { Buffer } from "node:buffer";
import type { MessageMeta } from "../envelope.ts";
import { uuidv7 } from "../ids.ts";
import {
  attributeOfHeader,
  CloudEventsHeaders,
  headerOfExtension,
  isJsonMediaType,
  LineageExtensions,
  mediaType,
} from "./cloudevents-names.ts";
import type { Decoded } from "./codec.ts";
import { DEFAULT_JSON_LIMITS, decodeFailed, type JsonReadLimits, readJson, readUtf8 } from "./json-read.ts";

/** A decoded CloudEvent, or why the message is not one Mailroom can read. */
export type CloudEventRead = Decoded | { failed: true; reason: string };

/** Attributes read into envelope fields rather than headers. */
interface Core {
  specversion?: string | undefined;
  id?: string | undefined;
  source?: string | undefined;
  type?: string | undefined;
  time?: string | undefined;
}

/**
 * Read a structured-mode CloudEvent (the JSON event format). `parsed` is the body already parsed;
 * transport metadata fills what the event leaves out, and transport headers win over extensions
 * of the same name (a re-sent copy carries a newer `mailroom-attempt` beside the same body).
 */
export function fromStructured(parsed: unknown, meta: MessageMeta): CloudEventRead {
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    return decodeFailed("a structured CloudEvent must be a JSON object");
  }
  const event = parsed as Record<string, unknown>;
  if (event.data !== undefined && event.data_base64 !== undefined) {
    return decodeFailed("a CloudEvent may carry data or data_base64, not both");
  }
  const core: Core = {};
  const headers: Record<string, string> = {};
  const lineage: Lineage = {};
  for (const key of Object.keys(event)) {
    if (key === "data" || key === "data_base64" || key === "datacontenttype") continue;
    const value = event[key];
    if (value === null || value === undefined) continue;
    if (typeof value !== "string" && typeof value !== "number" && typeof value !== "boolean") {
      return decodeFailed(`CloudEvents attribute "${key}" must be a string, number or boolean`);
    }
    place(key, String(value), core, headers, lineage);
  }
  const checked = checkCore(core, "");
  if ("failed" in checked) return checked;
  const contentType = typeof event.datacontenttype === "string" ? event.datacontenttype : undefined;
  let data: unknown = event.data ?? null;
  if (event.data_base64 !== undefined) {
    const bytes = base64(event.data_base64);
    if (!bytes) return decodeFailed("data_base64 is not base64 text");
    data = bytes;
  }
  if (contentType !== undefined && !isJsonMediaType(contentType))
    headers[CloudEventsHeaders.contentType] = contentType;
  for (const [key, value] of Object.entries(meta.headers)) {
    if (key !== CloudEventsHeaders.contentType) headers[key] = value;
  }
  return envelopeOf(checked, data, headers, lineage, meta);
}

/**
 * Read a binary-mode CloudEvent: the attributes in headers under any binding's prefix, the data
 * as the body, its media type in `content-type` (JSON when absent). Other headers pass through.
 */
export function fromBinary(
  body: Uint8Array | string,
  meta: MessageMeta,
  limits: JsonReadLimits = DEFAULT_JSON_LIMITS,
): CloudEventRead {
  const core: Core = {};
  const headers: Record<string, string> = {};
  const lineage: Lineage = {};
  let contentType: string | undefined;
  for (const [key, value] of Object.entries(meta.headers)) {
    const attribute = attributeOfHeader(key);
    if (attribute === "datacontenttype") contentType ??= value;
    else if (attribute !== undefined) place(attribute, value, core, headers, lineage);
    else if (key === CloudEventsHeaders.contentType) contentType = value;
    else headers[key] = value;
  }
  const checked = checkCore(core, CloudEventsHeaders.prefix);
  if ("failed" in checked) return checked;
  const data = dataOfBody(body, contentType, limits);
  if ("failed" in data) return data;
  if (contentType !== undefined && !isJsonMediaType(contentType))
    headers[CloudEventsHeaders.contentType] = contentType;
  return envelopeOf(checked, data.value, headers, lineage, meta);
}

/** A binary-mode body as data: JSON parsed, `text/*` as a string, anything else as bytes. */
export function dataOfBody(
  body: Uint8Array | string,
  contentType: string | undefined,
  limits: JsonReadLimits = DEFAULT_JSON_LIMITS,
): { value: unknown } | { failed: true; reason: string } {
  const empty = typeof body === "string" ? body.length === 0 : body.byteLength === 0;
  if (isJsonMediaType(contentType)) return empty ? { value: null } : readJson(body, limits);
  if (mediaType(contentType!).startsWith("text/"))
    return typeof body === "string" ? { value: body } : readUtf8(body, limits);
  if (typeof body !== "string") {
    if (body.byteLength <= limits.maxBytes) return { value: body };
    return decodeFailed(`body is ${body.byteLength} bytes, over the limit of ${limits.maxBytes}`);
  }
  // A transport that holds bodies as text (SQS, MNS) carries bytes as base64.
  const bytes = base64(body);
  return bytes
    ? { value: bytes }
    : decodeFailed(`a ${mediaType(contentType!)} body held as text must be base64`);
}

interface Lineage {
  parentId?: string;
  correlationId?: string;
  replyTo?: string;
}

/** One attribute into its place: an envelope field, the lineage, or a header. */
function place(
  name: string,
  value: string,
  core: Core,
  headers: Record<string, string>,
  lineage: Lineage,
): void {
  switch (name) {
    case "specversion":
    case "id":
    case "source":
    case "type":
    case "time":
      core[name] = value;
      if (name === "source") headers[CloudEventsHeaders.source] = value;
      return;
    case "subject":
      headers[CloudEventsHeaders.subject] = value;
      return;
    case "dataschema":
      headers[CloudEventsHeaders.dataschema] = value;
      return;
    case LineageExtensions.parentId:
      lineage.parentId = value || undefined;
      return;
    case LineageExtensions.correlationId:
      lineage.correlationId = value || undefined;
      return;
    case LineageExtensions.replyTo:
      lineage.replyTo = value || undefined;
      return;
    default:
      if (name !== "__proto__") headers[headerOfExtension(name)] = value;
  }
}

/** The required attributes (specversion 1.0, id, source, type) and a valid time, or the failure naming what is wrong. */
function checkCore(
  core: Core,
  prefix: string,
): { id: string; type: string; time: Date | undefined } | { failed: true; reason: string } {
  if (core.specversion === undefined) return decodeFailed(`CloudEvent without ${prefix}specversion`);
  if (core.specversion !== "1.0") {
    return decodeFailed(
      `CloudEvents specversion "${core.specversion.slice(0, 20)}" is not supported (1.0 is)`,
    );
  }
  for (const required of ["id", "source", "type"] as const) {
    if (!core[required]) return decodeFailed(`CloudEvent without ${prefix}${required}`);
  }
  if (core.type!.length > 256) return decodeFailed("CloudEvent type is longer than 256 characters");
  let time: Date | undefined;
  if (core.time !== undefined) {
    time = RFC3339.test(core.time) ? new Date(core.time) : undefined;
    if (!time || Number.isNaN(time.getTime())) {
      return decodeFailed(`CloudEvent time "${core.time.slice(0, 40)}" is not an RFC 3339 timestamp`);
    }
  }
  return { id: core.id!, type: core.type!, time };
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

function envelopeOf(
  core: { id: string; type: string; time: Date | undefined },
  data: unknown,
  headers: Record<string, string>,
  lineage: Lineage,
  meta: MessageMeta,
): Decoded {
  return {
    id: core.id || meta.id || uuidv7(),
    name: core.type,
    data,
    publishedAt: core.time ?? meta.publishedAt ?? new Date(),
    parentId: lineage.parentId ?? meta.parentId,
    correlationId: lineage.correlationId ?? meta.correlationId,
    replyTo: lineage.replyTo ?? meta.replyTo,
    headers,
  };
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{2,3})?$/;

/** Strict base64 (padding optional) to bytes; undefined for anything else. */
function base64(value: unknown): Uint8Array | undefined {
  if (typeof value !== "string") return undefined;
  const compact = value.replace(/\s+/g, "");
  if (!BASE64.test(compact)) return undefined;
  return Buffer.from(compact, "base64");
}
