import { Buffer, isUtf8 } from "node:buffer";
import { type DecodeFailure, type Envelope, isDecodeFailure } from "../envelope.ts";
import { type DeadLetterFacts, deadLetterHeaders } from "../runtime/attempts.ts";
import { cloudEventsCodec } from "./cloudevents.ts";
import { CloudEventsHeaders } from "./cloudevents-names.ts";
import type { Codec } from "./codec.ts";
import { jsonCodec } from "./json.ts";

let embeddedJson: Codec | undefined;
let copies: Codec | undefined;

/**
 * The form of `codec` that writes every piece of metadata into the body, for transports that
 * carry nothing beside it (MNS, Azure Storage Queues): the codec's own `selfContained()`, the JSON
 * codec with `embedMeta`, or the codec itself when it has no other form.
 */
export function selfContained(codec: Codec): Codec {
  if (codec.selfContained) return codec.selfContained();
  if (codec.name === "json") {
    embeddedJson ??= jsonCodec({ embedMeta: true });
    return embeddedJson;
  }
  return codec;
}

/**
 * The codec a copy of a received message (a re-delay, a dead letter) is written with on a
 * transport that re-encodes copies because it has no message attributes (MNS, Azure Storage
 * Queues): a message that came as a CloudEvent (it has a `ce-source` header), or whose data is
 * bytes, stays a structured CloudEvent with its source, data and content type; any other is
 * written with the transport's `codec`.
 */
export function codecForCopy(envelope: Envelope, codec: Codec): Codec {
  if (envelope.headers[CloudEventsHeaders.source] === undefined && !(envelope.data instanceof Uint8Array)) {
    return codec;
  }
  copies ??= cloudEventsCodec();
  return copies;
}

/**
 * Re-encode a received envelope with new headers, for transports whose copies carry their
 * `not-before`, runs and dead-letter facts in the body (MNS, Azure Storage Queues). A message that
 * came as a CloudEvent, or with bytes as data, stays a CloudEvent (`codecForCopy`).
 */
export function reencodeWithHeaders(
  codec: Codec,
  envelope: Envelope,
  headers: Record<string, string>,
): Uint8Array {
  return codecForCopy(envelope, codec).encode({
    id: envelope.id,
    name: envelope.name,
    data: envelope.data,
    publishedAt: envelope.publishedAt,
    parentId: envelope.parentId,
    correlationId: envelope.correlationId,
    replyTo: envelope.replyTo,
    headers,
  }).body;
}

/** Key of the JSON wrapper that carries an undecodable body into a dead-letter queue without message attributes. */
export const POISON_KEY = "mailroom-dead-letter";

/** The facts a poison wrapper stores beside the original bytes. */
export interface PoisonFacts {
  reason: string;
  attempts: number;
  /** ISO 8601. */
  deadLetteredAt: string;
  originalQueue: string;
  id?: string | undefined;
}

/**
 * Wrap bytes that could not be decoded as `{ "mailroom-dead-letter": { reason, … }, "text": "…" }`
 * (or `"base64": "…"` for bytes that are not UTF-8), so the original survives a dead-letter queue
 * that has no message attributes and can be redriven as it came.
 */
export function wrapPoison(original: Uint8Array, facts: PoisonFacts): Uint8Array {
  const bytes = Buffer.from(original.buffer, original.byteOffset, original.byteLength);
  const wrapper = {
    [POISON_KEY]: facts,
    ...(isUtf8(bytes) ? { text: bytes.toString("utf8") } : { base64: bytes.toString("base64") }),
  };
  return new TextEncoder().encode(JSON.stringify(wrapper));
}

/**
 * The dead-letter body of a message on a transport without message attributes: a decodable
 * envelope re-encoded with `deadLetterHeaders`, an undecodable one wrapped (`wrapPoison`) so its
 * original bytes survive for redrive. `wrapped` tells which.
 */
export function deadLetterBody(
  codec: Codec,
  envelope: Envelope | DecodeFailure,
  facts: DeadLetterFacts,
): { body: Uint8Array; wrapped: boolean } {
  if (!isDecodeFailure(envelope)) {
    return {
      body: reencodeWithHeaders(codec, envelope, deadLetterHeaders(envelope.headers, facts)),
      wrapped: false,
    };
  }
  const body = wrapPoison(envelope.body, {
    reason: facts.reason,
    attempts: facts.attempts,
    deadLetteredAt: (facts.at ?? new Date()).toISOString(),
    originalQueue: facts.queue,
    id: envelope.meta.id,
  });
  return { body, wrapped: true };
}

/** The facts and original bytes inside a poison wrapper, or undefined when `text` is not one. */
export function unwrapPoison(
  text: string,
): { facts: Partial<PoisonFacts>; original: Uint8Array } | undefined {
  if (!text.startsWith(`{"${POISON_KEY}"`)) return undefined;
  try {
    const w = JSON.parse(text) as { [POISON_KEY]: PoisonFacts; text?: string; base64?: string };
    const original =
      typeof w.text === "string" ? Buffer.from(w.text, "utf8") : Buffer.from(w.base64 ?? "", "base64");
    return { facts: w[POISON_KEY], original };
  } catch {
    return undefined;
  }
}

/** How a received message text is read: `auto` (base64 when the text is canonical base64, else UTF-8 text), `base64` or `text`. */
export type TextBodyEncoding = "auto" | "base64" | "text";

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * The bytes of a message text (MNS `<MessageBody>`, a Storage Queues message). In `auto` mode a
 * text is base64 when it is non-empty canonical base64 — a JSON body such as `{"name":…}` never
 * is, so text from another producer stays text — else it is taken as UTF-8.
 */
export function decodeTextBody(
  text: string,
  encoding: TextBodyEncoding,
): { bytes: Uint8Array; encoding: "base64" | "text" } {
  const asBase64 =
    encoding === "base64" ||
    (encoding === "auto" && text.length > 0 && text.length % 4 === 0 && BASE64.test(text));
  if (asBase64) {
    const bytes = Buffer.from(text, "base64");
    if (encoding === "base64" || bytes.toString("base64") === text) return { bytes, encoding: "base64" };
  }
  return { bytes: Buffer.from(text, "utf8"), encoding: "text" };
}
