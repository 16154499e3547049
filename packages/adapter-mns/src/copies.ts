import {
  type Codec,
  type DecodeFailure,
  type Envelope,
  isDecodeFailure,
  planCopy,
  runsForCopy,
  TransportError,
} from "@mailroom/core/push";
import type { MnsClient } from "./client/client.ts";
import { MAX_DELAY_S } from "./limits.ts";
import { deadLetterBody, reencode } from "./wire.ts";

/** How copies are sent and written. */
export interface CopyWriter {
  readonly client: MnsClient;
  /** Must carry metadata in the body: MNS has no message attributes. */
  readonly encodeCodec: Codec;
}

/**
 * The message being copied. `removeOriginal` runs once the copy is safely sent: a pulled message
 * is deleted (its receipt handle read at that moment); a pushed one has nothing to remove (the
 * FC trigger already took it off the queue), so this is the one difference between the two.
 */
export interface CopyOrigin {
  readonly envelope: Envelope | DecodeFailure;
  /** Queue (or topic) it came from: the dead letter's original queue, where redrive sends it. */
  readonly queue: string;
  /** MNS priority to keep on the copy, when the message had one. */
  readonly priority?: number | undefined;
  removeOriginal(): Promise<void>;
}

/**
 * Re-send `origin` to `queue` for a `retry` (pulled: only beyond the 12-hour visibility ceiling;
 * pushed: always), `defer` or `release`, then remove the original. The copy carries the runs so
 * far and, past MNS's 7-day send delay, `not-before` (core's `planCopy`; a defer or release keeps
 * a schedule still ahead), so by core's `attemptOf` (counts: "runs") the
 * next receive of it is attempt `runsForCopy(kind, attempt) + 1`.
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
  const plan = planCopy(kind, env.attempt, delayMs, MAX_DELAY_S * 1000, env.headers);
  await writer.client.sendMessage(queue, {
    body: reencode(writer.encodeCodec, env, plan.headers),
    delaySeconds: Math.ceil(plan.delayMs / 1000),
    ...(origin.priority === undefined ? {} : { priority: origin.priority }),
  });
  await origin.removeOriginal();
}

/**
 * Send `origin` to `deadLetterQueue` with core's dead-letter headers (reason, time, runs,
 * original queue), then remove the original, only once MNS accepted the copy. A body too large
 * for its copy throws and stays where it is (MNS's DlqPolicy, if set, moves it untouched).
 */
export async function sendDeadLetter(
  writer: CopyWriter,
  origin: CopyOrigin,
  deadLetterQueue: string,
  reason: string,
): Promise<void> {
  const { body, text } = deadLetterBody(writer.encodeCodec, origin.envelope, {
    reason,
    attempts: runsForCopy("deadLetter", origin.envelope.attempt),
    queue: origin.queue,
  });
  await writer.client.sendMessage(deadLetterQueue, {
    body,
    ...(origin.priority === undefined ? {} : { priority: origin.priority }),
    ...(text ? { encoding: "text" as const } : {}),
  });
  await origin.removeOriginal();
}
