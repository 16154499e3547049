import { type Codec, ConfigError, type Outgoing, type Publisher, type PublishOptions } from "@mailroom/core";
import {
  dueAt,
  planDelay,
  selfContained,
  toEncodeInput,
  withNotBefore,
  withProducerSpans,
} from "@mailroom/core/transport";
import type { MnsClient, SendEntry } from "./client/client.ts";
import { MnsError, MnsMessageTooLargeError } from "./client/errors.ts";
import { MAX_DELAY_S } from "./limits.ts";

/** Some messages of a publish were refused by MNS; the others were sent. */
export class MnsPublishError extends MnsError {
  /** Ids of the messages that were not sent, with why. */
  readonly failures: Array<{ id: string; error: MnsError }>;
  constructor(failures: Array<{ id: string; error: MnsError }>, total: number) {
    super(
      failures[0]?.error.mnsCode ?? "PublishFailed",
      `MNS refused ${failures.length} of ${total} messages (${failures
        .slice(0, 3)
        .map((f) => `${f.id}: ${f.error.message}`)
        .join("; ")}); the others were sent. Publish the failed ones again.`,
    );
    this.failures = failures;
  }
}

/** What a publisher needs. */
export interface MnsPublisherContext {
  readonly client: MnsClient;
  readonly queue: string;
  readonly encodeCodec: Codec;
  readonly defaultPriority: number | undefined;
}

const BATCH_BYTES = 65_536;

/**
 * Publishes with BatchSendMessage: up to 16 messages and 64 KB per call, grouped by destination
 * (`Outgoing.to`, default the transport's queue). Delays up to 7 days are MNS DelaySeconds
 * (rounded up to whole seconds); later times ride the `not-before` chain. Every body is checked
 * against the 64 KB limit before anything is sent.
 */
export class MnsPublisher implements Publisher {
  readonly #ctx: MnsPublisherContext;

  constructor(ctx: MnsPublisherContext) {
    this.#ctx = ctx;
  }

  publish(messages: Outgoing[], options?: PublishOptions): Promise<void> {
    if (messages.length === 0) return Promise.resolve();
    return withProducerSpans("mns", this.#queueOf, messages, (traced) => this.#publish(traced, options));
  }

  readonly #queueOf = (m: Outgoing): string => m.to ?? this.#ctx.queue;

  async #publish(messages: Outgoing[], options?: PublishOptions): Promise<void> {
    const now = Date.now();
    const plan = planDelay(dueAt(options, now), MAX_DELAY_S * 1000, now);
    const byQueue = new Map<string, Array<{ id: string; entry: SendEntry; size: number }>>();
    for (const m of messages) {
      const input = toEncodeInput(m, new Date(now));
      input.headers = withNotBefore(input.headers, plan);
      // MNS carries nothing beside the body: a message's own codec writes its self-contained form.
      const body = (m.codec ? selfContained(m.codec) : this.#ctx.encodeCodec).encode(input).body;
      const size = this.#ctx.client.storedSize(body);
      if (size > this.#ctx.client.maxMessageBytes)
        throw new MnsMessageTooLargeError(size, this.#ctx.client.maxMessageBytes);
      const priority = m.priority ?? this.#ctx.defaultPriority;
      if (priority !== undefined && !(Number.isInteger(priority) && priority >= 1 && priority <= 16)) {
        throw new ConfigError(`MNS priority must be an integer from 1 (first) to 16 (last), got ${priority}`);
      }
      const entry: SendEntry = { body, delaySeconds: Math.ceil(plan.delayMs / 1000) };
      if (priority !== undefined) entry.priority = priority;
      const queue = m.to ?? this.#ctx.queue;
      const list = byQueue.get(queue) ?? [];
      if (list.length === 0) byQueue.set(queue, list);
      list.push({ id: input.id, entry, size });
    }
    const failures: Array<{ id: string; error: MnsError }> = [];
    for (const [queue, items] of byQueue) {
      for (const batch of batches(items)) {
        const results = await this.#ctx.client.batchSendMessage(
          queue,
          batch.map((b) => b.entry),
        );
        results.forEach((r, i) => {
          if ("error" in r) failures.push({ id: batch[i]!.id, error: r.error });
        });
      }
    }
    if (failures.length > 0) throw new MnsPublishError(failures, messages.length);
  }

  async close(): Promise<void> {}
}

/** Split into batches of at most 16 messages and 64 KB. */
function batches<T extends { size: number }>(items: T[]): T[][] {
  const out: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const item of items) {
    if (current.length === 16 || (current.length > 0 && bytes + item.size > BATCH_BYTES)) {
      out.push(current);
      current = [];
      bytes = 0;
    }
    current.push(item);
    bytes += item.size;
  }
  if (current.length > 0) out.push(current);
  return out;
}
