import { isUtf8 } from "node:buffer";
import { type Codec, type DecodeFailure, type Envelope, Headers, isDecodeFailure } from "@mailroom/core";

/** Key of the JSON wrapper that carries an undecodable body into the dead-letter queue. */
export const POISON_KEY = "mailroom-dead-letter";

/** Facts about a dead letter, written beside the body (MNS has no message attributes). */
export interface DeadLetterFacts {
  reason: string;
  attempts: number;
  deadLetteredAt: string;
  originalQueue: string;
}

/**
 * Re-encode an envelope with new headers (the `not-before`, attempt and dead-letter facts ride
 * in the body's embedded metadata, since MNS has no message attributes).
 */
export function reencode(codec: Codec, envelope: Envelope, headers: Record<string, string>): Uint8Array {
  return codec.encode({
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

/** A dead-letter body and whether it is plain JSON text (then it is sent as text, not base64, to stay small). */
export interface DeadLetterBody {
  body: Uint8Array;
  text: boolean;
}

/**
 * The dead-letter body: a decodable envelope is re-encoded with the facts in its headers; an
 * undecodable one is wrapped as `{ "mailroom-dead-letter": { reason, … }, "text": "…" }` (or
 * `"base64"` for bytes that are not UTF-8) so the original bytes survive for redrive.
 */
export function deadLetterBody(
  codec: Codec,
  envelope: Envelope | DecodeFailure,
  facts: DeadLetterFacts,
): DeadLetterBody {
  if (isDecodeFailure(envelope)) {
    const original = Buffer.from(envelope.body.buffer, envelope.body.byteOffset, envelope.body.byteLength);
    const wrapper = {
      [POISON_KEY]: { ...facts, id: envelope.meta.id },
      ...(isUtf8(original) ? { text: original.toString("utf8") } : { base64: original.toString("base64") }),
    };
    return { body: new TextEncoder().encode(JSON.stringify(wrapper)), text: true };
  }
  const headers = { ...envelope.headers };
  delete headers[Headers.notBefore];
  headers[Headers.attempt] = String(facts.attempts);
  headers[Headers.deadLetterReason] = facts.reason;
  headers[Headers.deadLetteredAt] = facts.deadLetteredAt;
  headers[Headers.originalQueue] = facts.originalQueue;
  return { body: reencode(codec, envelope, headers), text: false };
}

/** The original bytes inside a poison wrapper, or undefined when `text` is not one. */
export function unwrapPoison(
  text: string,
): { facts: Partial<DeadLetterFacts> & { id?: string }; original: Uint8Array } | undefined {
  if (!text.startsWith(`{"${POISON_KEY}"`)) return undefined;
  try {
    const w = JSON.parse(text) as {
      [POISON_KEY]: DeadLetterFacts & { id?: string };
      text?: string;
      base64?: string;
    };
    const original =
      typeof w.text === "string" ? Buffer.from(w.text, "utf8") : Buffer.from(w.base64 ?? "", "base64");
    return { facts: w[POISON_KEY], original };
  } catch {
    return undefined;
  }
}

/** Attempts made before this copy was (re-)published, from the `mailroom-attempt` header; 0 when absent. */
export function attemptBase(headers: Readonly<Record<string, string>>): number {
  const n = Number(headers[Headers.attempt]);
  return Number.isInteger(n) && n >= 0 ? n : 0;
}
