import { Headers, type MessageMeta, MetaAttributes } from "@mailroom/core";

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

/** The SQS SDK's attribute value shape (the subset Mailroom writes). */
export interface StringAttribute {
  DataType: "String";
  StringValue: string;
}

/** Most message attributes SQS accepts on one message. */
export const MAX_ATTRIBUTES = 10;

/**
 * Pack metadata into at most 10 SQS message attributes. `bodyEncoding` is set for base64 bodies.
 */
export function packAttributes(meta: MessageMeta, bodyEncoding?: "base64"): Record<string, StringAttribute> {
  const out: Record<string, StringAttribute> = {};
  const put = (name: string, value: string) => {
    out[name] = { DataType: "String", StringValue: value };
  };
  if (meta.id) put(SqsAttributes.id, meta.id);
  if (meta.name) put(SqsAttributes.name, meta.name);
  if (bodyEncoding) put(SqsAttributes.bodyEncoding, bodyEncoding);
  const rest: Record<string, unknown> = {};
  if (meta.publishedAt) rest.publishedAt = meta.publishedAt.toISOString();
  if (meta.parentId) rest.parentId = meta.parentId;
  if (meta.correlationId) rest.correlationId = meta.correlationId;
  if (meta.replyTo) rest.replyTo = meta.replyTo;
  const headers: Record<string, string> = {};
  let extra = 0;
  for (const [key, value] of Object.entries(meta.headers)) {
    if (LIFTED.includes(key) && value !== "") put(key, value);
    else {
      headers[key] = value;
      extra++;
    }
  }
  if (extra > 0) rest.headers = headers;
  if (Object.keys(rest).length > 0) put(SqsAttributes.meta, JSON.stringify(rest));
  return out;
}

/** Reads one attribute's string value, whatever the shape (SDK `StringValue` or Lambda `stringValue`). */
type AttributeBag = Record<
  string,
  { StringValue?: string; stringValue?: string; DataType?: string; dataType?: string } | undefined
>;

/**
 * Unpack received message attributes into metadata. Attributes Mailroom did not write (String and
 * Number types) become headers, so foreign producers' attributes reach handlers. A `mailroom-meta`
 * that is not valid JSON is ignored (the message is still handled).
 */
export function unpackAttributes(attributes: AttributeBag | undefined): {
  meta: MessageMeta;
  bodyEncoding: string | undefined;
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
  if (!attributes) return { meta, bodyEncoding };
  for (const key in attributes) {
    const a = attributes[key];
    const value = a?.StringValue ?? a?.stringValue;
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
  return { meta, bodyEncoding };
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
