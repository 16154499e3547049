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
import type { MnsClient } from "../client/client.ts";
import { MAX_DELAY_S } from "../delivery.ts";
import { deadLetterBody, reencode } from "../wire.ts";
import type { FcMessage } from "./events.ts";

/** What a push delivery needs to reach MNS, created only when a settle needs it. */
export interface FcDeliveryContext {
  /** The client for this message's account and region (created on first call). */
  client(message: FcMessage): MnsClient;
  /** Dead-letter queue for this message, or undefined when none is known. */
  deadLetterQueue(message: FcMessage): string | undefined;
  readonly encodeCodec: Codec;
  /** `resend`: retries are re-sent to the trigger's queue with their delay instead of failing the event. */
  readonly retryMode: "throw" | "resend";
}

/** How a push delivery was settled, for the FC answer. `retry` and `release` fail the event; `resent` does not. */
export type FcSettlement = "ack" | "deadLetter" | "deferred" | "resent" | "retry" | "release";

/**
 * A message pushed by an FC trigger. FC offers no per-message visibility: `ack` just records;
 * `retry` and `release` record a failure (the handler then throws so FC's retry policy applies),
 * or with `retryMode: "resend"` re-send the message to the trigger's queue with its delay;
 * `deadLetter` sends to the dead-letter queue (client created lazily) and counts as done;
 * `defer` (a `not-before` re-delay) re-sends to the trigger's queue with DelaySeconds and the
 * runs so far, and counts as done; `extend` is a no-op.
 */
export class FcDelivery implements Delivery {
  readonly envelope: Envelope | DecodeFailure;
  readonly message: FcMessage;
  settlement: FcSettlement | undefined;
  readonly #ctx: FcDeliveryContext;

  constructor(ctx: FcDeliveryContext, message: FcMessage, envelope: Envelope | DecodeFailure) {
    this.#ctx = ctx;
    this.message = message;
    this.envelope = envelope;
  }

  async ack(): Promise<void> {
    this.settlement = "ack";
  }

  /** `throw` mode: recorded, and the handler throws so FC retries the event. `resend` mode: re-sent to the queue with the delay, attempt counted. */
  async retry(delayMs: number): Promise<void> {
    if (this.#ctx.retryMode === "resend" && this.message.kind === "queue" && this.message.source) {
      await this.#resend(delayMs, this.envelope.attempt);
      this.settlement = "resent";
      return;
    }
    this.settlement = "retry";
  }

  async release(): Promise<void> {
    if (this.#ctx.retryMode === "resend" && this.message.kind === "queue" && this.message.source) {
      await this.#resend(0, this.envelope.attempt - 1);
      this.settlement = "resent";
      return;
    }
    this.settlement = "release";
  }

  async extend(_ms: number): Promise<void> {}

  /** Re-send to the trigger's queue with the remaining delay, not run, not counted. */
  async defer(delayMs: number): Promise<void> {
    await this.#resend(delayMs, this.envelope.attempt - 1);
    this.settlement = "deferred";
  }

  async #resend(delayMs: number, runsSoFar: number): Promise<void> {
    const env = this.envelope;
    const queue = this.message.kind === "queue" ? this.message.source : undefined;
    if (isDecodeFailure(env) || !queue) {
      throw new TransportError(
        "re-sending needs the trigger's queue (MNS queue trigger); FC will retry this message",
      );
    }
    const plan = planDelay(Date.now() + Math.max(0, delayMs), MAX_DELAY_S * 1000);
    const headers: Record<string, string> = {
      ...env.headers,
      [Headers.attempt]: String(Math.max(0, runsSoFar)),
    };
    if (plan.notBefore) headers[Headers.notBefore] = plan.notBefore;
    await this.#ctx.client(this.message).sendMessage(queue, {
      body: reencode(this.#ctx.encodeCodec, env, headers),
      delaySeconds: Math.ceil(plan.delayMs / 1000),
    });
  }

  async deadLetter(reason: string): Promise<void> {
    const dlq = this.#ctx.deadLetterQueue(this.message);
    if (!dlq) {
      throw new TransportError(
        `no dead-letter queue is known for this ${this.message.kind} trigger message (set deadLetterQueue); FC will retry it, then its async destination on failure gets it`,
      );
    }
    const { body, text } = deadLetterBody(this.#ctx.encodeCodec, this.envelope, {
      reason,
      attempts: this.envelope.attempt,
      deadLetteredAt: new Date().toISOString(),
      originalQueue: this.message.source ?? "",
    });
    await this.#ctx
      .client(this.message)
      .sendMessage(dlq, { body, ...(text ? { encoding: "text" as const } : {}) });
    this.settlement = "deadLetter";
  }
}
