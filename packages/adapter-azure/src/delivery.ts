import type { DequeuedMessageItem } from "@azure/storage-queue";
import { type DecodeFailure, type Delivery, type Envelope, TransportError } from "@mailroom/core";
import { type CopyOrigin, type CopyWriter, resendCopy, sendDeadLetter } from "./copies.ts";
import { call } from "./errors.ts";
import { MAX_VISIBILITY_S } from "./limits.ts";

/** What a delivery needs from the source that received it. */
export interface DeliveryContext extends CopyWriter {
  readonly queue: string;
  readonly poisonQueue: string;
}

/**
 * One received Storage Queue message. Every call that touches it uses the CURRENT pop receipt:
 * Update Message (retry, extend) answers a new one and the old is refused from then on
 * (`PopReceiptMismatch`), so calls on a delivery run one after another and each swaps the receipt
 * in. Visibility is whole seconds (rounded up). `retry` sets the visibility (0 s to 7 days): the
 * next receive is a run, so dequeueCount counts it; past 7 days or the message's expiry it is a
 * copy. Every uncounted return (`defer`, `release`) re-sends a copy carrying the runs so far,
 * then deletes, so dequeueCount never counts them (core's `attemptOf`, counts: "runs").
 * `deadLetter` sends to the poison queue first and deletes only once that is confirmed.
 */
export class AzureQueueDelivery implements Delivery {
  readonly envelope: Envelope | DecodeFailure;
  readonly message: DequeuedMessageItem;
  readonly #ctx: DeliveryContext;
  readonly #origin: CopyOrigin;
  #popReceipt: string;
  #chain: Promise<unknown> = Promise.resolve();
  #settled = false;

  constructor(ctx: DeliveryContext, message: DequeuedMessageItem, envelope: Envelope | DecodeFailure) {
    this.#ctx = ctx;
    this.message = message;
    this.envelope = envelope;
    this.#popReceipt = message.popReceipt;
    this.#origin = { envelope, queue: ctx.queue, removeOriginal: () => this.#delete() };
  }

  /** The pop receipt valid now (every Update Message gives a new one). */
  get popReceipt(): string {
    return this.#popReceipt;
  }

  /** Delete Message with the current pop receipt; resolves once the service confirmed it. */
  ack(): Promise<void> {
    return this.#settle(() => this.#delete());
  }

  /** Visible again after `delayMs` (whole seconds, rounded up); the next receive is attempt + 1. */
  retry(delayMs: number): Promise<void> {
    const seconds = Math.max(0, Math.ceil(delayMs / 1000));
    const expires = this.message.expiresOn.getTime();
    if (seconds <= MAX_VISIBILITY_S && Date.now() + seconds * 1000 < expires) {
      return this.#settle(() => this.#setVisibility(seconds));
    }
    // Past 7 days, or past the message's own expiry: a copy (with not-before past 7 days) carries this run.
    return this.#settle(() => resendCopy(this.#ctx, this.#origin, this.#ctx.queue, "retry", delayMs));
  }

  /** Visible again after `delayMs` without counting an attempt: a copy with the runs so far, then delete. */
  defer(delayMs: number): Promise<void> {
    return this.#settle(() => resendCopy(this.#ctx, this.#origin, this.#ctx.queue, "defer", delayMs));
  }

  /** Give it back unrun, visible at once: a copy with the runs so far, then delete (not counted). */
  release(): Promise<void> {
    return this.#settle(() => resendCopy(this.#ctx, this.#origin, this.#ctx.queue, "release", 0));
  }

  /** Send to the poison queue with reason, runs and original queue in the body, then delete. */
  deadLetter(reason: string): Promise<void> {
    return this.#settle(() => sendDeadLetter(this.#ctx, this.#origin, this.#ctx.poisonQueue, reason));
  }

  /** Stay invisible for another `ms` (whole seconds, rounded up, 1 s to 7 days). */
  extend(ms: number): Promise<void> {
    if (this.#settled) return Promise.resolve();
    return this.#serial(() =>
      this.#setVisibility(Math.min(MAX_VISIBILITY_S, Math.max(1, Math.ceil(ms / 1000)))),
    );
  }

  async #setVisibility(seconds: number): Promise<void> {
    const { queue, queues } = this.#ctx;
    const answer = await call(`Update Message on queue "${queue}"`, () =>
      queues.queue(queue).updateMessage(this.message.messageId, this.#popReceipt, undefined, seconds),
    );
    // The old receipt is dead from now on: every later call must use the new one.
    if (answer.popReceipt) this.#popReceipt = answer.popReceipt;
  }

  async #delete(): Promise<void> {
    const { queue, queues } = this.#ctx;
    await call(`Delete Message on queue "${queue}"`, () =>
      queues.queue(queue).deleteMessage(this.message.messageId, this.#popReceipt),
    );
  }

  #settle(fn: () => Promise<void>): Promise<void> {
    if (this.#settled) {
      return Promise.reject(
        new TransportError(
          "this Storage Queue message was already settled (ack, retry, defer, release or deadLetter)",
        ),
      );
    }
    this.#settled = true;
    return this.#serial(fn);
  }

  /** Run after every earlier call on this delivery, so each sees the newest pop receipt. */
  #serial(fn: () => Promise<void>): Promise<void> {
    const run = this.#chain.then(fn, fn);
    this.#chain = run.catch(() => {});
    return run;
  }
}
