import type { DecodeFailure, Delivery, Envelope } from "@mailroom/core";
import { Headers } from "@mailroom/core";
import { MAX_SEND_DELAY_MS, seconds, visibilityRoom } from "./limits.ts";
import { attemptOf, type Received } from "./message.ts";
import type { SqsQueue } from "./queue.ts";

/**
 * A record of a Lambda SQS event. Lambda deletes what the function reports as successful, so:
 * ack → success; retry(delay) → ChangeMessageVisibility(delay) + failure; deadLetter → send to the
 * DLQ + success; defer → re-send with a delay + success (FIFO: visibility + failure);
 * release → failure. The SQS client is only obtained (and created) when one of these needs it.
 */
export class LambdaDelivery implements Delivery {
  readonly envelope: Envelope | DecodeFailure;
  readonly received: Received;
  /** True when this record must be reported in `batchItemFailures`. */
  failed = false;
  readonly #queue: () => Promise<SqsQueue>;
  readonly #fifo: boolean;
  #settled = false;

  constructor(
    received: Received,
    envelope: Envelope | DecodeFailure,
    queue: () => Promise<SqsQueue>,
    fifo: boolean,
  ) {
    this.received = received;
    this.envelope = envelope;
    this.#queue = queue;
    this.#fifo = fifo;
  }

  ack(): Promise<void> {
    this.#settled = true;
    return Promise.resolve();
  }

  async retry(delayMs: number): Promise<void> {
    if (!this.#settle()) return;
    const room = visibilityRoom(this.received.receivedAt);
    if (delayMs > room && !this.#fifo) {
      await this.#redelay(delayMs, attemptOf(this.received));
      return;
    }
    this.failed = true;
    const q = await this.#queue();
    await q.changeVisibility(this.received, seconds(Math.min(delayMs, room)));
  }

  async defer(delayMs: number): Promise<void> {
    if (!this.#settle()) return;
    if (this.#fifo) {
      this.failed = true;
      const q = await this.#queue();
      await q.changeVisibility(this.received, seconds(delayMs));
      return;
    }
    await this.#redelay(delayMs, attemptOf(this.received) - 1);
  }

  release(): Promise<void> {
    if (this.#settle()) this.failed = true;
    return Promise.resolve();
  }

  async deadLetter(reason: string): Promise<void> {
    if (!this.#settle()) return;
    const q = await this.#queue();
    await q.deadLetter(this.received, reason, attemptOf(this.received));
  }

  async extend(ms: number): Promise<void> {
    if (this.#settled) return;
    const q = await this.#queue();
    await q.changeVisibility(this.received, seconds(ms));
  }

  async #redelay(delayMs: number, runs: number): Promise<void> {
    const headers: Record<string, string> = { [Headers.attempt]: String(Math.max(0, runs)) };
    if (delayMs > MAX_SEND_DELAY_MS)
      headers[Headers.notBefore] = new Date(Date.now() + delayMs).toISOString();
    const q = await this.#queue();
    await q.resend(this.received, q, headers, Math.min(delayMs, MAX_SEND_DELAY_MS));
  }

  #settle(): boolean {
    if (this.#settled) return false;
    this.#settled = true;
    return true;
  }
}
