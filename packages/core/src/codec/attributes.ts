import type { MessageMeta } from "../envelope.ts";

/** Attribute names used when metadata travels as string attributes (SQS message attributes, …). */
export const MetaAttributes = {
  id: "mailroom-id",
  name: "mailroom-name",
  publishedAt: "mailroom-published-at",
  parentId: "mailroom-parent-id",
  correlationId: "mailroom-correlation-id",
  replyTo: "mailroom-reply-to",
} as const;

/** Flatten metadata into one string map: the fields above plus every header. */
export function metaToAttributes(meta: MessageMeta): Record<string, string> {
  const out: Record<string, string> = { ...meta.headers };
  if (meta.id) out[MetaAttributes.id] = meta.id;
  if (meta.name) out[MetaAttributes.name] = meta.name;
  if (meta.publishedAt) out[MetaAttributes.publishedAt] = meta.publishedAt.toISOString();
  if (meta.parentId) out[MetaAttributes.parentId] = meta.parentId;
  if (meta.correlationId) out[MetaAttributes.correlationId] = meta.correlationId;
  if (meta.replyTo) out[MetaAttributes.replyTo] = meta.replyTo;
  return out;
}

/** The inverse of `metaToAttributes`: known fields are lifted out, the rest are headers. */
export function attributesToMeta(attributes: Record<string, string>): MessageMeta {
  const headers: Record<string, string> = {};
  const meta: MessageMeta = { headers };
  for (const [key, value] of Object.entries(attributes)) {
    switch (key) {
      case MetaAttributes.id:
        meta.id = value;
        break;
      case MetaAttributes.name:
        meta.name = value;
        break;
      case MetaAttributes.publishedAt: {
        const d = new Date(value);
        if (!Number.isNaN(d.getTime())) meta.publishedAt = d;
        break;
      }
      case MetaAttributes.parentId:
        meta.parentId = value;
        break;
      case MetaAttributes.correlationId:
        meta.correlationId = value;
        break;
      case MetaAttributes.replyTo:
        meta.replyTo = value;
        break;
      default:
        headers[key] = value;
    }
  }
  return meta;
}
