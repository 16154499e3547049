import {
  type Codec,
  type DecodeFailure,
  type Envelope,
  isDecodeFailure,
  TransportError,
} from "@mailroom/core";
import { planCopy, runsForCopy } from "@mailroom/core/transport";
import { AzureMessageTooLargeError, type BodyEncoding, encodeBody } from "./body.ts";
import type { StorageQueues } from "./client.ts";
import { call } from "./errors.ts";
import { MAX_VISIBILITY_S, NEVER_EXPIRES } from "./limits.ts";
import { deadLetterBody, reencode } from "./wire.ts";

/** How copies are written and sent. */
export interface CopyWriter {
  readonly queues: StorageQueues;
  /** Must carry metadata in the body: Storage Queues have no message attributes. */
  readonly encodeCodec: Codec;
  readonly bodyEncoding: BodyEncoding;
  /** Time-to-live of copies, seconds; -1 never expires. */
  readonly ttlSeconds: number;
  readonly maxMessageBytes: number;
}

/**
 * The message being copied. `removeOriginal` runs once the copy is safely sent: a pulled message
 * is deleted with its pop receipt of that moment; a pushed one (Functions trigger) has nothing to
 * remove, since the host deletes it when the function returns. That is the one difference.
 */
export interface CopyOrigin {
  readonly envelope: Envelope | DecodeFailure;
  /** Queue it came from: the dead letter's original queue, where redrive sends it. */
  readonly queue: string;
  removeOriginal(): Promise<void>;
}

/** Longest send delay (`visibilitytimeout` of Put Message) for messages of this time-to-live, seconds. */
export function maxSendDelaySeconds(ttlSeconds: number): number {
  // A message must become visible before it expires.
  return ttlSeconds === NEVER_EXPIRES
    ? MAX_VISIBILITY_S
    : Math.max(0, Math.min(MAX_VISIBILITY_S, ttlSeconds - 1));
}

/** Put one message text on `queue` (Put Message), visible after `delaySeconds`. */
export async function putMessage(
  writer: Pick<CopyWriter, "queues">,
  queue: string,
  text: string,
  delaySeconds: number,
  ttlSeconds: number,
): Promise<void> {
  await call(`Put Message on queue "${queue}"`, () =>
    writer.queues
      .queue(queue)
      .sendMessage(text, { visibilityTimeout: delaySeconds, messageTimeToLive: ttlSeconds }),
  );
}

/**
 * Re-send `origin` to `queue` for a `retry` (pulled: only past the 7-day visibility ceiling or the
 * message's expiry; pushed: never), `defer` or `release`, then remove the original. The copy
 * carries the runs so far and, past the send-delay ceiling, `not-before` (core's `planCopy`), so
 * by core's `attemptOf` (counts: "runs") its next receive is attempt `runsForCopy(kind, attempt) + 1`.
 */
export async function resendCopy(
  writer: CopyWriter,
  origin: CopyOrigin,
  queue: string,
  kind: "retry" | "defer" | "release",
  delayMs: number,
): Promise<void> {
  const env = origin.envelope;
  if (isDecodeFailure(env)) throw new TransportError("an undecodable message can only be dead-lettered");
  const plan = planCopy(
    kind,
    env.attempt,
    delayMs,
    maxSendDelaySeconds(writer.ttlSeconds) * 1000,
    env.headers,
  );
  const text = encodeBody(
    reencode(writer.encodeCodec, env, plan.headers),
    writer.bodyEncoding,
    writer.maxMessageBytes,
  );
  await putMessage(writer, queue, text, Math.ceil(plan.delayMs / 1000), writer.ttlSeconds);
  await origin.removeOriginal();
}

/**
 * Send `origin` to the poison queue with core's dead-letter headers (reason, time, runs, original
 * queue), never expiring, then remove the original, only once the service accepted the copy. A
 * dead letter too large for base64 goes as text (receives read both).
 */
export async function sendDeadLetter(
  writer: CopyWriter,
  origin: CopyOrigin,
  poisonQueue: string,
  reason: string,
): Promise<void> {
  const body = deadLetterBody(writer.encodeCodec, origin.envelope, {
    reason,
    attempts: runsForCopy("deadLetter", origin.envelope.attempt),
    queue: origin.queue,
  });
  let text: string;
  try {
    text = encodeBody(body, writer.bodyEncoding, writer.maxMessageBytes);
  } catch (error) {
    if (!(error instanceof AzureMessageTooLargeError) || writer.bodyEncoding === "text") throw error;
    text = encodeBody(body, "text", writer.maxMessageBytes);
  }
  await putMessage(writer, poisonQueue, text, 0, NEVER_EXPIRES);
  await origin.removeOriginal();
}
