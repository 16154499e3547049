import {
  type Codec,
  type DecodeFailure,
  type Delivery,
  type Envelope,
  Headers,
  isDecodeFailure,
  TransportError,
} from "@mailroom/core";
import { planDelay } from "@mailroom/core/transport";
import type { Acker } from "./acker.ts";
import type { MnsClient, ReceivedMessage } from "./client/client.ts";
import { deadLetterBody, reencode } from "./wire.ts";

/** MNS limits, seconds. */
export const MAX_VISIBILITY_S = 43_200;
export const MAX_DELAY_S = 604_800;

/** What a delivery needs from the source that received it. */
export interface DeliveryContext {
  readonly client: MnsClient;
  readonly queue: string;
  readonly deadLetterQueue: string;
  readonly acker: Acker;
  readonly encodeCodec: Codec;
}

/**
 * One received MNS message. Every call that touches it uses the CURRENT receipt handle: a
 * ChangeMessageVisibility (retry, extend, release) answers a new one and the old is dead, so calls
 * are serialised and each swaps the handle in. `retry` and `extend` change visibility
 * (1–43,200 s); `defer` re-sends with DelaySeconds and the attempt count in the body, then deletes;
 * `deadLetter` sends to the dead-letter queue first and deletes only once that is confirmed.
 */
export class MnsDelivery implements Delivery {
  readonly envelope: Envelope | DecodeFailure;
  readonly message: ReceivedMessage;
  readonly #ctx: DeliveryContext;
  #handle: string;
  #chain: Promise<unknown> = Promise.resolve();
  #settled = false;

  constructor(ctx: DeliveryContext, message: ReceivedMessage, envelope: Envelope | DecodeFailure) {
    this.#ctx = ctx;
    this.message = message;
    this.envelope = envelope;
    this.#handle = message.receiptHandle;
  }

  /** The receipt handle valid now (it changes with every visibility change). */
  get receiptHandle(): string {
    return this.#handle;
  }

  /** Delete, coalesced with other acks into BatchDeleteMessage. */
  ack(): Promise<void> {
    return this.#settle(() => this.#ctx.acker.delete(this.#handle));
  }

  /** Visible again after `delayMs` (rounded up to whole seconds, at least 1 s); the next receive counts an attempt. */
  retry(delayMs: number): Promise<void> {
    const seconds = Math.ceil(delayMs / 1000);
    if (seconds <= MAX_VISIBILITY_S) return this.#settle(() => this.#changeVisibility(seconds));
    // Beyond 12 h: re-send with a delay (and not-before past 7 days); the attempt rides in the body.
    return this.#settle(() => this.#resend(delayMs, this.envelope.attempt));
  }

  /** Visible again after `delayMs` without counting an attempt: re-send with the runs so far, then delete. */
  defer(delayMs: number): Promise<void> {
    return this.#settle(() => this.#resend(delayMs, this.envelope.attempt - 1));
  }

  /** Give it back: visible again in 1 s (MNS refuses 0). MNS will count the next receive. */
  release(): Promise<void> {
    return this.#settle(() => this.#changeVisibility(1));
  }

  /** Send to the dead-letter queue with reason, attempts and original queue in the body, then delete. */
  deadLetter(reason: string): Promise<void> {
    return this.#settle(async () => {
      const { body, text } = deadLetterBody(this.#ctx.encodeCodec, this.envelope, {
        reason,
        attempts: this.envelope.attempt,
        deadLetteredAt: new Date().toISOString(),
        originalQueue: this.#ctx.queue,
      });
      // Too large even so: the error leaves the message in place, and MNS's DlqPolicy moves it untouched.
      await this.#ctx.client.sendMessage(this.#ctx.deadLetterQueue, {
        body,
        priority: this.message.priority,
        ...(text ? { encoding: "text" as const } : {}),
      });
      await this.#ctx.acker.delete(this.#handle);
    });
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

  async #resend(delayMs: number, runsSoFar: number): Promise<void> {
    const env = this.envelope;
    if (isDecodeFailure(env)) throw new TransportError("an undecodable message can only be dead-lettered");
    const plan = planDelay(Date.now() + Math.max(0, delayMs), MAX_DELAY_S * 1000);
    const headers: Record<string, string> = {
      ...env.headers,
      [Headers.attempt]: String(Math.max(0, runsSoFar)),
    };
    if (plan.notBefore) headers[Headers.notBefore] = plan.notBefore;
    const body = reencode(this.#ctx.encodeCodec, env, headers);
    await this.#ctx.client.sendMessage(this.#ctx.queue, {
      body,
      delaySeconds: Math.ceil(plan.delayMs / 1000),
      priority: this.message.priority,
    });
    await this.#ctx.acker.delete(this.#handle);
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
