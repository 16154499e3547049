import {
  type Codec,
  type DecodeFailure,
  type Delivery,
  type Envelope,
  Headers,
  isDecodeFailure,
  planDelay,
  TransportError,
} from "@mailroom/core";
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
}

/** How a push delivery was settled, for the FC answer. */
export type FcSettlement = "ack" | "deadLetter" | "deferred" | "retry" | "release";

/**
 * A message pushed by an FC trigger. FC offers no per-message visibility: `ack` just records;
 * `retry` and `release` record a failure (the handler then throws so FC's retry policy applies);
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

  async retry(_delayMs: number): Promise<void> {
    this.settlement = "retry";
  }

  async release(): Promise<void> {
    this.settlement = "release";
  }

  async extend(_ms: number): Promise<void> {}

  async defer(delayMs: number): Promise<void> {
    const env = this.envelope;
    const queue = this.message.kind === "queue" ? this.message.source : undefined;
    if (isDecodeFailure(env) || !queue) {
      throw new TransportError(
        "a not-before re-delay needs the trigger's queue (MNS queue trigger); FC will retry this message",
      );
    }
    const plan = planDelay(Date.now() + Math.max(0, delayMs), MAX_DELAY_S * 1000);
    const headers: Record<string, string> = { ...env.headers, [Headers.attempt]: String(env.attempt - 1) };
    if (plan.notBefore) headers[Headers.notBefore] = plan.notBefore;
    await this.#ctx.client(this.message).sendMessage(queue, {
      body: reencode(this.#ctx.encodeCodec, env, headers),
      delaySeconds: Math.ceil(plan.delayMs / 1000),
    });
    this.settlement = "deferred";
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
