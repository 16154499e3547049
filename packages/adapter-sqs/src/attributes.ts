import { CloudEventsHeaders, Headers, type MessageMeta, MetaAttributes } from "@mailroom/core/push";

/**
 * How Mailroom metadata travels in SQS message attributes, which allow at most 10 per message.
 * A few fixed attributes (id, name, trace context, dead-letter facts) stay readable by any
 * consumer and usable in filters; everything else (time, lineage, other headers) is one JSON
 * attribute, `mailroom-meta`.
 */
export const SqsAttributes = {
  id: MetaAttributes.id,
  name: MetaAttributes.name,
  /** JSON `{ publishedAt, parentId, correlationId, replyTo, headers }`. */
  meta: "mailroom-meta",
  /** `base64` when the body is base64 of bytes that SQS cannot carry as text (non-UTF-8, binary codecs). */
  bodyEncoding: "mailroom-body-encoding",
} as const;

/** Headers carried as attributes of their own (at most 5, so the total stays within SQS's 10). */
const LIFTED: readonly string[] = [
  Headers.traceparent,
  Headers.attempt,
  Headers.deadLetterReason,
  Headers.deadLetteredAt,
  Headers.originalQueue,
];

/**
 * A binary-mode CloudEvent's attributes that get message attributes of their own, so any SQS
 * consumer reads the event by them (Mailroom's id and name attributes are then left out: `ce-id`
 * and `ce-type` say the same). Other `ce-` attributes ride in `mailroom-meta` with the headers.
 */
const CLOUDEVENT_LIFTED: readonly string[] = [
  CloudEventsHeaders.specversion,
  CloudEventsHeaders.id,
  CloudEventsHeaders.source,
  CloudEventsHeaders.type,
  CloudEventsHeaders.time,
];

/** The SQS SDK's attribute value shape (the subset Mailroom writes). */
export interface StringAttribute {
  DataType: "String";
  StringValue: string;
}

/** Most message attributes SQS accepts on one message. */
export const MAX_ATTRIBUTES = 10;

/**
 * A message attribute in the SDK's shape, of any type (`String`, `Number`, `Binary` and their
 * custom `.suffix` forms). Received attributes Mailroom did not write are kept in this shape so a
 * re-sent copy (dead letter, long retry, defer, redrive) carries them exactly as they came.
 */
export interface SqsAttributeValue {
  DataType: string;
  StringValue?: string | undefined;
  BinaryValue?: Uint8Array | undefined;
}

/** Attribute names Mailroom owns: the fixed ones, the lifted headers, and any `mailroom-` name. */
function isMailroomAttribute(name: string): boolean {
  return name.startsWith("mailroom-") || LIFTED.includes(name);
}

/**
 * Pack metadata into at most 10 SQS message attributes. `bodyEncoding` is set for base64 bodies.
 */
export function packAttributes(meta: MessageMeta, bodyEncoding?: "base64"): Record<string, StringAttribute> {
  const out: Record<string, StringAttribute> = {};
  const put = (name: string, value: string) => {
    out[name] = { DataType: "String", StringValue: value };
  };
  const cloudEvent = meta.headers[CloudEventsHeaders.specversion] !== undefined;
  if (meta.id && !cloudEvent) put(SqsAttributes.id, meta.id);
  if (meta.name && !cloudEvent) put(SqsAttributes.name, meta.name);
  if (bodyEncoding) put(SqsAttributes.bodyEncoding, bodyEncoding);
  const rest: Record<string, unknown> = {};
  if (meta.publishedAt) rest.publishedAt = meta.publishedAt.toISOString();
  if (meta.parentId) rest.parentId = meta.parentId;
  if (meta.correlationId) rest.correlationId = meta.correlationId;
  if (meta.replyTo) rest.replyTo = meta.replyTo;
  const headers: Record<string, string> = {};
  let extra = 0;
  for (const [key, value] of Object.entries(meta.headers)) {
    // The content type (CloudEvents, protobuf) is an attribute of its own, as consumers look for it.
    if ((LIFTED.includes(key) || key === CloudEventsHeaders.contentType) && value !== "") put(key, value);
    else if (cloudEvent && CLOUDEVENT_LIFTED.includes(key) && value !== "") put(key, value);
    else {
      headers[key] = value;
      extra++;
    }
  }
  if (extra > 0) rest.headers = headers;
  if (Object.keys(rest).length > 0) put(SqsAttributes.meta, JSON.stringify(rest));
  return out;
}

/**
 * Pack metadata for a re-sent copy of a received message, keeping the attributes Mailroom did not
 * write (`foreign`) as they came, with their types. Headers that came from those attributes are
 * not packed twice. When Mailroom's attributes and the foreign ones together pass SQS's limit of
 * 10, the foreign attributes that do not fit are folded into `mailroom-meta` as headers (Binary
 * ones as base64 text), so nothing is lost.
 */
export function packResendAttributes(
  meta: MessageMeta,
  bodyEncoding: "base64" | undefined,
  foreign: Readonly<Record<string, SqsAttributeValue>> | undefined,
): Record<string, SqsAttributeValue> {
  if (!foreign) return packAttributes(meta, bodyEncoding);
  const names = Object.keys(foreign);
  for (let keep = names.length; keep >= 0; keep--) {
    const kept = names.slice(0, keep);
    const headers: Record<string, string> = {};
    for (const [key, value] of Object.entries(meta.headers)) {
      if (!kept.includes(key)) headers[key] = value;
    }
    for (const key of names.slice(keep)) {
      const a = foreign[key] as SqsAttributeValue;
      if (headers[key] === undefined && a.BinaryValue !== undefined) {
        headers[key] = Buffer.from(a.BinaryValue).toString("base64");
      }
    }
    const own: Record<string, SqsAttributeValue> = packAttributes({ ...meta, headers }, bodyEncoding);
    if (Object.keys(own).length + keep > MAX_ATTRIBUTES) continue;
    for (const key of kept) own[key] = foreign[key] as SqsAttributeValue;
    return own;
  }
  return packAttributes(meta, bodyEncoding);
}

/** Received attributes, in the SDK's shape or Lambda's lowercase one (binary as base64 text). */
type AttributeBag = Record<
  string,
  | {
      StringValue?: string | undefined;
      stringValue?: string | null | undefined;
      BinaryValue?: Uint8Array | undefined;
      binaryValue?: string | null | undefined;
      DataType?: string | undefined;
      dataType?: string | undefined;
    }
  | undefined
>;

/**
 * Unpack received message attributes into metadata. Attributes Mailroom did not write (String and
 * Number types) become headers, so foreign producers' attributes reach handlers; all of them,
 * Binary included, are also returned as `foreign` in the SDK's shape, for re-sent copies. A
 * `mailroom-meta` that is not valid JSON is ignored (the message is still handled).
 */
export function unpackAttributes(attributes: AttributeBag | undefined): {
  meta: MessageMeta;
  bodyEncoding: string | undefined;
  foreign: Record<string, SqsAttributeValue> | undefined;
} {
  const headers: Record<string, string> = {};
  // Every field declared up front: one object shape for all messages.
  const meta: MessageMeta = {
    id: undefined,
    name: undefined,
    publishedAt: undefined,
    parentId: undefined,
    correlationId: undefined,
    replyTo: undefined,
    headers,
  };
  let bodyEncoding: string | undefined;
  let foreign: Record<string, SqsAttributeValue> | undefined;
  if (!attributes) return { meta, bodyEncoding, foreign };
  for (const key in attributes) {
    const a = attributes[key];
    if (!a) continue;
    const value = a.StringValue ?? a.stringValue ?? undefined;
    if (!isMailroomAttribute(key) && key !== "__proto__") {
      const kept = foreignValue(a, value);
      if (kept) {
        foreign ??= {};
        foreign[key] = kept;
      }
    }
    if (value === undefined) continue;
    switch (key) {
      case SqsAttributes.id:
        meta.id = value;
        break;
      case SqsAttributes.name:
        meta.name = value;
        break;
      case SqsAttributes.bodyEncoding:
        bodyEncoding = value;
        break;
      case SqsAttributes.meta:
        readPacked(value, meta, headers);
        break;
      default:
        headers[key] = value;
    }
  }
  return { meta, bodyEncoding, foreign };
}

function foreignValue(
  a: NonNullable<AttributeBag[string]>,
  value: string | undefined,
): SqsAttributeValue | undefined {
  const type = a.DataType ?? a.dataType;
  if (!type) return undefined;
  if (value !== undefined) return { DataType: type, StringValue: value };
  const binary = a.BinaryValue ?? (a.binaryValue ? Buffer.from(a.binaryValue, "base64") : undefined);
  return binary === undefined ? undefined : { DataType: type, BinaryValue: binary };
}

function readPacked(text: string, meta: MessageMeta, headers: Record<string, string>): void {
  let packed: unknown;
  try {
    packed = JSON.parse(text);
  } catch {
    return;
  }
  if (typeof packed !== "object" || packed === null) return;
  const p = packed as Record<string, unknown>;
  const str = (v: unknown) => (typeof v === "string" && v.length > 0 ? v : undefined);
  const at = str(p.publishedAt);
  if (at) {
    const d = new Date(at);
    if (!Number.isNaN(d.getTime())) meta.publishedAt = d;
  }
  meta.parentId = str(p.parentId);
  meta.correlationId = str(p.correlationId);
  meta.replyTo = str(p.replyTo);
  if (typeof p.headers === "object" && p.headers !== null) {
    for (const [k, v] of Object.entries(p.headers)) {
      if (typeof v === "string" && k !== "__proto__") headers[k] = v;
    }
  }
}
