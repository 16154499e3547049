import type { DecodeFailure, Delivery, Envelope } from "@mailroom/core";
import { Headers } from "@mailroom/core";
import { MAX_SEND_DELAY_MS, seconds, visibilityRoom } from "./limits.ts";
import { attemptOf, type Received } from "./message.ts";
import type { SqsQueue } from "./queue.ts";

/**
 * A message received by the long-poller. ack deletes (coalesced into DeleteMessageBatch);
 * retry and extend change visibility (coalesced into ChangeMessageVisibilityBatch); defer and
 * retries beyond the 12-hour ceiling re-send with a delay and the `mailroom-attempt` header,
 * then delete; deadLetter sends to the dead-letter queue, then deletes. Only the first settling
 * call acts; later ones resolve without doing anything.
 */
export class SqsDelivery implements Delivery {
  readonly envelope: Envelope | DecodeFailure;
  readonly received: Received;
  readonly #queue: SqsQueue;
  #settled = false;

  constructor(queue: SqsQueue, received: Received, envelope: Envelope | DecodeFailure) {
    this.#queue = queue;
    this.received = received;
    this.envelope = envelope;
  }

  ack(): Promise<void> {
    if (!this.#settle()) return Promise.resolve();
    return this.#queue.ack(this.received);
  }

  async retry(delayMs: number): Promise<void> {
    if (!this.#settle()) return;
    if (delayMs <= this.#visibilityRoom()) {
      await this.#queue.changeVisibility(this.received, seconds(delayMs));
      return;
    }
    // Beyond the visibility ceiling: re-send with not-before; this run counts as an attempt.
    await this.#redelay(delayMs, attemptOf(this.received));
  }

  async defer(delayMs: number): Promise<void> {
    if (!this.#settle()) return;
    if (this.#queue.fifo) {
      // FIFO has no per-message delay and a re-send would reorder the group: keep it in place.
      await this.#queue.changeVisibility(this.received, seconds(Math.min(delayMs, this.#visibilityRoom())));
      return;
    }
    await this.#redelay(delayMs, attemptOf(this.received) - 1);
  }

  release(): Promise<void> {
    if (!this.#settle()) return Promise.resolve();
    return this.#queue.changeVisibility(this.received, 0);
  }

  async deadLetter(reason: string): Promise<void> {
    if (!this.#settle()) return;
    await this.#queue.deadLetter(this.received, reason, attemptOf(this.received));
    await this.#queue.delete(this.received);
  }

  extend(ms: number): Promise<void> {
    if (this.#settled) return Promise.resolve();
    return this.#queue.changeVisibility(this.received, seconds(Math.min(ms, this.#visibilityRoom())));
  }

  /** Re-send with `runs` handler runs so far, delayed up to 15 min and `not-before` beyond; then delete. */
  async #redelay(delayMs: number, runs: number): Promise<void> {
    const headers: Record<string, string> = { [Headers.attempt]: String(Math.max(0, runs)) };
    if (delayMs > MAX_SEND_DELAY_MS) {
      headers[Headers.notBefore] = new Date(Date.now() + delayMs).toISOString();
    }
    await this.#queue.resend(this.received, this.#queue, headers, Math.min(delayMs, MAX_SEND_DELAY_MS));
    await this.#queue.delete(this.received);
  }

  #visibilityRoom(): number {
    return visibilityRoom(this.received.receivedAt);
  }

  #settle(): boolean {
    if (this.#settled) return false;
    this.#settled = true;
    return true;
  }
}
