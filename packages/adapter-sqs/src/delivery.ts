import type { BackgroundErrorListener, Codec, DecodeFailure, Delivery, Envelope } from "@mailroom/core";
import { decodeEnvelope, planCopy } from "@mailroom/core/push";
import { receivedBody } from "./body.ts";
import type { AttemptCounting } from "./counting.ts";
import { MAX_SEND_DELAY_MS, seconds, visibilityRoom } from "./limits.ts";
import type { Received } from "./message.ts";
import type { SqsQueue } from "./queue.ts";

const DONE: Promise<void> = Promise.resolve();

/**
 * What the deliveries of one queue share. The one difference between the long-poller and Lambda
 * is `mode`: who removes a message from the queue.
 */
export interface DeliveryScope {
  readonly queueName: string;
  readonly codec: Codec;
  readonly counting: AttemptCounting;
  /**
   * `pull` (long-poll worker): removing is DeleteMessageBatch. `push` (Lambda): Lambda deletes what
   * the function reports successful, so removing is reporting success and leaving a message in
   * the queue is reporting it in `batchItemFailures`.
   */
  readonly mode: "pull" | "push";
  /** The queue, on first need: in push mode the SDK client is created only then. */
  queue(): SqsQueue | Promise<SqsQueue>;
  /** Told about settles that failed after their promise resolved (queued acks); set by `Source.onBackgroundError`. */
  onBackgroundError?: BackgroundErrorListener | undefined;
}

/**
 * One received SQS message, pulled or pushed. Uncounted returns follow core's counting rule:
 * on standard queues `defer` and `release` re-send a copy carrying the runs so far (core's
 * `planCopy`) and remove the original; on FIFO queues they leave it in place (visibility), since
 * a copy would reorder its group. `retry` leaves it in place for its delay (visibility); beyond
 * the 12-hour ceiling a standard queue re-sends with `not-before`, a FIFO queue waits the ceiling.
 * `deadLetter` sends to the DLQ with core's dead-letter headers, then removes. Only the first
 * settling call acts; later ones resolve without doing anything.
 */
export class SqsDelivery implements Delivery {
  readonly envelope: Envelope | DecodeFailure;
  readonly received: Received;
  /** Push mode: true when this record must be reported in `batchItemFailures`. */
  failed = false;
  readonly #scope: DeliveryScope;
  #settled = false;

  constructor(scope: DeliveryScope, received: Received, envelope: Envelope | DecodeFailure) {
    this.#scope = scope;
    this.received = received;
    this.envelope = envelope;
  }

  ack(): Promise<void> {
    if (!this.#settle()) return DONE;
    this.#scope.counting.done(this.received);
    // Push: Lambda deletes what the function reports successful; nothing to send, no promise to make.
    if (this.#scope.mode === "push") return DONE;
    return this.#deleteAcked();
  }

  async #deleteAcked(): Promise<void> {
    const queue = await this.#scope.queue();
    await queue.ack(this.received, (error) => this.#scope.onBackgroundError?.(error, this.envelope));
  }

  async retry(delayMs: number): Promise<void> {
    if (!this.#settle()) return;
    const room = visibilityRoom(this.received.receivedAt);
    if (delayMs > room && !this.#scope.counting.fifo) {
      await this.#copy("retry", delayMs);
      return;
    }
    this.#scope.counting.ran(this.received);
    await this.#leave(Math.min(delayMs, room));
  }

  async defer(delayMs: number): Promise<void> {
    if (!this.#settle()) return;
    if (this.#scope.counting.fifo)
      await this.#leave(Math.min(delayMs, visibilityRoom(this.received.receivedAt)));
    else await this.#copy("defer", delayMs);
  }

  async release(): Promise<void> {
    if (!this.#settle()) return;
    if (this.#scope.counting.fifo) await this.#leave(0);
    else await this.#copy("release", 0);
  }

  async deadLetter(reason: string): Promise<void> {
    if (!this.#settle()) return;
    const queue = await this.#scope.queue();
    await queue.deadLetter(this.received, reason, this.envelope.attempt);
    this.#scope.counting.done(this.received);
    await this.#remove(queue);
  }

  async extend(ms: number): Promise<void> {
    if (this.#settled) return;
    const queue = await this.#scope.queue();
    await queue.changeVisibility(
      this.received,
      seconds(Math.min(ms, visibilityRoom(this.received.receivedAt))),
    );
  }

  /** Re-send a copy planned by core (runs so far, `not-before` beyond 15 min), then remove this one. */
  async #copy(kind: "retry" | "defer" | "release", delayMs: number): Promise<void> {
    const queue = await this.#scope.queue();
    const plan = planCopy(
      kind,
      this.envelope.attempt,
      delayMs,
      MAX_SEND_DELAY_MS,
      this.received.meta.headers,
    );
    await queue.resend(this.received, queue, plan.headers, plan.delayMs);
    await this.#remove(queue);
  }

  /** Done with the original: delete it (pull), or report it successful so Lambda deletes it (push). */
  async #remove(queue: SqsQueue): Promise<void> {
    if (this.#scope.mode === "pull") await queue.delete(this.received);
  }

  /** Leave the message in the queue, visible again in `ms` (push: and report it failed). */
  async #leave(ms: number): Promise<void> {
    if (this.#scope.mode === "push") this.failed = true;
    const queue = await this.#scope.queue();
    await queue.changeVisibility(this.received, seconds(ms));
  }

  #settle(): boolean {
    if (this.#settled) return false;
    this.#settled = true;
    return true;
  }
}

/** Decode a received message into a delivery of `scope`, its `attempt` by the queue's counting rule. */
export function toDelivery(scope: DeliveryScope, received: Received, raw: unknown): SqsDelivery {
  // Built field by field (no spread): one object shape for every message, FIFO or not.
  const facts = scope.counting.receiveFacts(received);
  const envelope = decodeEnvelope(
    scope.codec,
    receivedBody(received.body, received.bodyEncoding),
    received.meta,
    {
      attempt: scope.counting.attempt(received),
      transport: {
        kind: "sqs",
        queue: scope.queueName,
        raw,
        groupId: received.groupId,
        receiveCount: facts.receiveCount,
        deferHopMs: facts.deferHopMs,
      },
    },
  );
  return new SqsDelivery(scope, received, envelope);
}
