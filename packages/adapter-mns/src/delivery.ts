import { type DecodeFailure, type Delivery, type Envelope, TransportError } from "@mailroom/core";
import type { Acker } from "./acker.ts";
import type { MnsClient, ReceivedMessage } from "./client/client.ts";
import { type CopyOrigin, type CopyWriter, resendCopy, sendDeadLetter } from "./copies.ts";
import { MAX_VISIBILITY_S } from "./limits.ts";

/** What a delivery needs from the source that received it. */
export interface DeliveryContext extends CopyWriter {
  readonly client: MnsClient;
  readonly queue: string;
  readonly deadLetterQueue: string;
  readonly acker: Acker;
}

/**
 * One received MNS message. Every call that touches it uses the CURRENT receipt handle: a
 * ChangeMessageVisibility (retry, extend) answers a new one and the old is dead, so calls are
 * serialised and each swaps the handle in. `retry` and `extend` change visibility
 * (1–43,200 s): the next receive is a run, so DequeueCount counts it. Every uncounted return
 * (`defer`, `release`) re-sends a copy carrying the runs so far, then deletes, so DequeueCount
 * never counts them (core's `attemptOf`, counts: "runs"). `deadLetter` sends to the dead-letter
 * queue first and deletes only once that is confirmed.
 */
export class MnsDelivery implements Delivery {
  readonly envelope: Envelope | DecodeFailure;
  readonly message: ReceivedMessage;
  readonly #ctx: DeliveryContext;
  readonly #origin: CopyOrigin;
  #handle: string;
  #chain: Promise<unknown> = Promise.resolve();
  #settled = false;

  constructor(ctx: DeliveryContext, message: ReceivedMessage, envelope: Envelope | DecodeFailure) {
    this.#ctx = ctx;
    this.message = message;
    this.envelope = envelope;
    this.#handle = message.receiptHandle;
    this.#origin = {
      envelope,
      queue: ctx.queue,
      priority: message.priority,
      removeOriginal: () => ctx.acker.delete(this.#handle),
    };
  }

  /** The receipt handle valid now (it changes with every visibility change). */
  get receiptHandle(): string {
    return this.#handle;
  }

  /** Delete, coalesced with other acks into BatchDeleteMessage. */
  ack(): Promise<void> {
    return this.#settle(() => this.#ctx.acker.delete(this.#handle));
  }

  /** Visible again after `delayMs` (rounded up to whole seconds, at least 1 s); the next receive is attempt + 1. */
  retry(delayMs: number): Promise<void> {
    const seconds = Math.ceil(delayMs / 1000);
    if (seconds <= MAX_VISIBILITY_S) return this.#settle(() => this.#changeVisibility(seconds));
    // Beyond 12 h visibility cannot wait: a copy with a delay (and not-before past 7 days) carries this run.
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

  /** Send to the dead-letter queue with reason, runs and original queue in the body, then delete. */
  deadLetter(reason: string): Promise<void> {
    return this.#settle(() => sendDeadLetter(this.#ctx, this.#origin, this.#ctx.deadLetterQueue, reason));
  }

  /** Stay invisible for another `ms` (rounded up to whole seconds, at most 12 h). */
  extend(ms: number): Promise<void> {
    if (this.#settled) return Promise.resolve();
    return this.#serial(() => this.#changeVisibility(Math.ceil(ms / 1000)));
  }

  async #changeVisibility(seconds: number): Promise<void> {
    const s = Math.min(MAX_VISIBILITY_S, Math.max(1, seconds));
    const r = await this.#ctx.client.changeMessageVisibility(this.#ctx.queue, this.#handle, s);
    this.#handle = r.receiptHandle;
  }

  #settle(fn: () => Promise<void>): Promise<void> {
    if (this.#settled) {
      return Promise.reject(
        new TransportError("this MNS message was already settled (ack, retry, defer, release or deadLetter)"),
      );
    }
    this.#settled = true;
    return this.#serial(fn);
  }

  /** Run after every earlier call on this delivery, so each sees the newest receipt handle. */
  #serial(fn: () => Promise<void>): Promise<void> {
    const run = this.#chain.then(fn, fn);
    this.#chain = run.catch(() => {});
    return run;
  }
}
