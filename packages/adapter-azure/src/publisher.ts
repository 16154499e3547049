import type { Codec, Outgoing, Publisher, PublishOptions } from "@mailroom/core";
import {
  dueAt,
  planDelay,
  selfContained,
  toEncodeInput,
  withNotBefore,
  withProducerSpans,
} from "@mailroom/core/transport";
import { type BodyEncoding, encodeBody } from "./body.ts";
import type { StorageQueues } from "./client.ts";
import { maxSendDelaySeconds, putMessage } from "./copies.ts";
import { AzureQueueError } from "./errors.ts";

/** Some messages of a publish were refused; the others were sent. */
export class AzurePublishError extends AzureQueueError {
  /** Ids of the messages that were not sent, with why. */
  readonly failures: Array<{ id: string; error: Error }>;
  constructor(failures: Array<{ id: string; error: Error }>, total: number) {
    const first = failures[0]?.error;
    super(
      `Put Message of ${failures.length} of ${total} messages (the others were sent; publish the failed ones again): ${failures
        .slice(0, 3)
        .map((f) => `${f.id}: ${f.error.message}`)
        .join("; ")}`,
      first instanceof AzureQueueError ? first.status : undefined,
      first instanceof AzureQueueError ? first.azureCode : undefined,
    );
    this.failures = failures;
  }
}

/** What a publisher needs. */
export interface AzureQueuePublisherContext {
  readonly queues: StorageQueues;
  readonly queue: string;
  readonly encodeCodec: Codec;
  readonly bodyEncoding: BodyEncoding;
  /** Default time-to-live, seconds; -1 never expires. */
  readonly ttlSeconds: number;
  readonly maxMessageBytes: number;
  /** Told of each queue that got a message visible at once, so a receive pausing on it can poll now. */
  readonly sent?: ((queue: string) => void) | undefined;
}

/** Put Message calls in flight at once for one publish (Storage Queues have no batch send). */
const PARALLEL_SENDS = 16;

/**
 * Publishes with Put Message, one request per message (Storage Queues have no batch send), up to
 * 16 at once, to `Outgoing.to` or the transport's queue. A delay is the message's initial
 * visibility timeout (whole seconds, rounded up) up to 7 days, or up to its time-to-live less a
 * second; later times ride the `not-before` chain. `Outgoing.expiresInMs` sets that message's
 * time-to-live. Every body is encoded and checked against the 64 KiB limit before anything is
 * sent (`AzureMessageTooLargeError`).
 */
export class AzureQueuePublisher implements Publisher {
  readonly #ctx: AzureQueuePublisherContext;

  constructor(ctx: AzureQueuePublisherContext) {
    this.#ctx = ctx;
  }

  publish(messages: Outgoing[], options?: PublishOptions): Promise<void> {
    if (messages.length === 0) return Promise.resolve();
    return withProducerSpans("azure-queue", this.#queueOf, messages, (traced) =>
      this.#publish(traced, options),
    );
  }

  readonly #queueOf = (m: Outgoing): string => m.to ?? this.#ctx.queue;

  async #publish(messages: Outgoing[], options?: PublishOptions): Promise<void> {
    const now = Date.now();
    const due = dueAt(options, now);
    const ready = messages.map((m) => {
      const input = toEncodeInput(m, new Date(now));
      const ttlSeconds =
        m.expiresInMs === undefined ? this.#ctx.ttlSeconds : Math.max(1, Math.ceil(m.expiresInMs / 1000));
      const plan = planDelay(due, maxSendDelaySeconds(ttlSeconds) * 1000, now);
      input.headers = withNotBefore(input.headers, plan);
      const text = encodeBody(
        // Storage Queues carry nothing beside the body: a message's own codec writes its self-contained form.
        (m.codec ? selfContained(m.codec) : this.#ctx.encodeCodec).encode(input).body,
        this.#ctx.bodyEncoding,
        this.#ctx.maxMessageBytes,
      );
      return {
        id: input.id,
        queue: m.to ?? this.#ctx.queue,
        text,
        delaySeconds: Math.ceil(plan.delayMs / 1000),
        ttlSeconds,
      };
    });
    const failures: Array<{ id: string; error: Error }> = [];
    const visibleNow = new Set<string>();
    let next = 0;
    const lane = async () => {
      while (next < ready.length) {
        const m = ready[next++]!;
        try {
          await putMessage(this.#ctx, m.queue, m.text, m.delaySeconds, m.ttlSeconds);
          if (m.delaySeconds === 0) visibleNow.add(m.queue);
        } catch (error) {
          failures.push({ id: m.id, error: error as Error });
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(PARALLEL_SENDS, ready.length) }, lane));
    for (const queue of visibleNow) this.#ctx.sent?.(queue);
    if (failures.length === 1 && messages.length === 1) throw failures[0]!.error;
    if (failures.length > 0) throw new AzurePublishError(failures, messages.length);
  }

  async close(): Promise<void> {}
}
