import { isUtf8 } from "node:buffer";
import { type Codec, type DecodeFailure, type Envelope, isDecodeFailure } from "@mailroom/core";
import { codecForCopy, type DeadLetterFacts, deadLetterHeaders } from "@mailroom/core/transport";

/** Key of the JSON wrapper that carries an undecodable body into the poison queue. */
export const POISON_KEY = "mailroom-dead-letter";

/** The facts a poison wrapper stores beside the original bytes (Storage Queues have no message attributes). */
export interface PoisonFacts {
  reason: string;
  attempts: number;
  deadLetteredAt: string;
  originalQueue: string;
  id?: string | undefined;
}

/**
 * Re-encode an envelope with new headers: `not-before`, runs and dead-letter facts ride in the
 * body's embedded metadata. A message that came as a CloudEvent, or with bytes as data, stays a
 * CloudEvent (`codecForCopy`).
 */
export function reencode(codec: Codec, envelope: Envelope, headers: Record<string, string>): Uint8Array {
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

/**
 * The dead-letter body: a decodable envelope is re-encoded with core's `deadLetterHeaders`; an
 * undecodable one is wrapped as `{ "mailroom-dead-letter": { reason, … }, "text": "…" }` (or
 * `"base64"` for bytes that are not UTF-8) so the original bytes survive for redrive.
 */
export function deadLetterBody(
  codec: Codec,
  envelope: Envelope | DecodeFailure,
  facts: DeadLetterFacts,
): Uint8Array {
  if (!isDecodeFailure(envelope))
    return reencode(codec, envelope, deadLetterHeaders(envelope.headers, facts));
  const original = Buffer.from(envelope.body.buffer, envelope.body.byteOffset, envelope.body.byteLength);
  const stored: PoisonFacts = {
    reason: facts.reason,
    attempts: facts.attempts,
    deadLetteredAt: (facts.at ?? new Date()).toISOString(),
    originalQueue: facts.queue,
    id: envelope.meta.id,
  };
  const wrapper = {
    [POISON_KEY]: stored,
    ...(isUtf8(original) ? { text: original.toString("utf8") } : { base64: original.toString("base64") }),
  };
  return new TextEncoder().encode(JSON.stringify(wrapper));
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
