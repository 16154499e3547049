import {
  type Codec,
  ConfigError,
  type DecodeFailure,
  type Delivery,
  type Envelope,
} from "@mailroom/core/push";
import type { MnsClient } from "../client/client.ts";
import { type CopyOrigin, resendCopy, sendDeadLetter } from "../copies.ts";
import type { FcMessage } from "./events.ts";
import type { FcDone, FcMemory } from "./memory.ts";

/** The trigger took the message off the queue: a copy has no original to delete. */
async function nothingToRemove(): Promise<void> {}

/** What a push delivery needs to reach MNS; the client is created only when a settle needs it. */
export interface FcDeliveryContext {
  /** The client for this message's account and region (created on first call). */
  client(message: FcMessage): MnsClient;
  /** Dead-letter queue for this message, or undefined when none is known. */
  deadLetterQueue(message: FcMessage): string | undefined;
  /** Queue a topic message not due yet is re-sent to (the `queue` option), if any. */
  readonly deferQueue: string | undefined;
  readonly encodeCodec: Codec;
  /** `resend`: a queue-trigger retry or release is a copy re-sent to the trigger's queue; `throw`: it fails the event. */
  readonly retryMode: "throw" | "resend";
  readonly memory: FcMemory;
}

/** How a push delivery was settled, for the FC answer: `retry` and `release` fail the event, the rest are done. */
export type FcSettlement = FcDone | "retry" | "release";

/**
 * A message pushed by an FC trigger. FC offers no per-message visibility, so every outcome that
 * is not left to FC is a copy, sent through the same `resendCopy` / `sendDeadLetter` as the pull
 * delivery (with nothing to delete: the trigger took the message off the queue):
 * - `ack` records; `deadLetter` sends to the dead-letter queue;
 * - `retry`: queue trigger in `resend` mode, a copy to the trigger's queue with the delay and
 *   the runs so far (attempt + 1 on its next push); otherwise recorded as a failure, and the
 *   handler throws so FC's retry policy re-runs the event;
 * - `release`: as `retry`, but the copy does not count a run;
 * - `defer` (a `not-before` re-delay): a copy with the remaining delay to the trigger's queue
 *   (topic messages: to the `queue` option), not counted;
 * - `extend` is a no-op.
 * A copy that cannot be made throws (a `ConfigError` when no queue is known): the event fails.
 * Every finished message is remembered in `FcMemory`, so a re-run of the event skips it.
 */
export class FcDelivery implements Delivery {
  readonly envelope: Envelope | DecodeFailure;
  readonly message: FcMessage;
  settlement: FcSettlement | undefined;
  readonly #ctx: FcDeliveryContext;
  readonly #key: string | undefined;

  /** `key`: the message's key in `ctx.memory`, when the caller has made it already. */
  constructor(
    ctx: FcDeliveryContext,
    message: FcMessage,
    envelope: Envelope | DecodeFailure,
    key: string | undefined = ctx.memory.keyOf(message),
  ) {
    this.#ctx = ctx;
    this.message = message;
    this.envelope = envelope;
    this.#key = key;
  }

  /** What a copy is made from: built only when one is (an acked message needs none). */
  get #origin(): CopyOrigin {
    return { envelope: this.envelope, queue: this.message.source ?? "", removeOriginal: nothingToRemove };
  }

  async ack(): Promise<void> {
    this.#finish("ack");
  }

  /** See the class: a copy counting this run (queue trigger, `resend`), else the event fails. */
  async retry(delayMs: number): Promise<void> {
    // The handler ran and did not finish the message: until a copy carries it, this instance counts it.
    this.#ctx.memory.recordRun(this.#key);
    if (!this.#resends()) {
      this.settlement = "retry";
      return;
    }
    await resendCopy(this.#writer(), this.#origin, this.#triggerQueue(), "retry", delayMs);
    this.#finish("resent");
  }

  /** Give it back unrun: a copy not counting a run (queue trigger, `resend`), else the event fails. */
  async release(): Promise<void> {
    if (!this.#resends()) {
      this.settlement = "release";
      return;
    }
    await resendCopy(this.#writer(), this.#origin, this.#triggerQueue(), "release", 0);
    this.#finish("resent");
  }

  async extend(_ms: number): Promise<void> {}

  /** Not due yet: a copy with the remaining delay, not run, not counted. */
  async defer(delayMs: number): Promise<void> {
    const queue = this.message.kind === "queue" ? this.#triggerQueue() : this.#ctx.deferQueue;
    if (queue === undefined) {
      throw new ConfigError(
        `a ${this.message.kind}-trigger message that is not due yet (not-before) cannot wait on a topic: set the \`queue\` option of toAliyunFC to a queue this app also consumes, and it is re-sent there with the remaining delay`,
      );
    }
    await resendCopy(this.#writer(), this.#origin, queue, "defer", delayMs);
    this.#finish("deferred");
  }

  async deadLetter(reason: string): Promise<void> {
    const dlq = this.#ctx.deadLetterQueue(this.message);
    if (dlq === undefined) {
      throw new ConfigError(
        `no dead-letter queue is known for this ${this.message.kind}-trigger message: set the \`deadLetterQueue\` option of toAliyunFC (until then FC retries the event, then hands it to its destination on failure)`,
      );
    }
    await sendDeadLetter(this.#writer(), this.#origin, dlq, reason);
    this.#finish("deadLetter");
  }

  #resends(): boolean {
    return this.#ctx.retryMode === "resend" && this.message.kind === "queue";
  }

  #triggerQueue(): string {
    const queue = this.message.source;
    if (queue === undefined) {
      throw new ConfigError(
        'this queue-trigger event does not name its queue (push format "RawData"): set the `queue` option of toAliyunFC so retries and re-delays can be re-sent to it',
      );
    }
    return queue;
  }

  #writer() {
    return { client: this.#ctx.client(this.message), encodeCodec: this.#ctx.encodeCodec };
  }

  #finish(how: FcDone): void {
    this.settlement = how;
    this.#ctx.memory.finish(this.#key, how);
  }
}
