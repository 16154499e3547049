import {
  SendMessageBatchCommand,
  type SendMessageBatchCommandOutput,
  type SendMessageBatchRequestEntry,
} from "@aws-sdk/client-sqs";
import { type Codec, ConfigError, type Outgoing, type Publisher, type PublishOptions } from "@mailroom/core";
import { dueAt, planDelay, toEncodeInput, withNotBefore, withProducerSpans } from "@mailroom/core/transport";
import { packAttributes } from "./attributes.ts";
import { toSqsBody } from "./body.ts";
import { type FailedEntry, PublishFailedError } from "./errors.ts";
import { MAX_SEND_DELAY_MS } from "./limits.ts";
import type { QueueRef, SqsQueue } from "./queue.ts";

/** Options of an `SqsPublisher`. */
export interface SqsPublisherOptions {
  codec: Codec;
  /** Most bytes in one SendMessageBatch (bodies + attributes). Default 262,144 (256 KiB). */
  maxBatchBytes?: number | undefined;
  /** Retries of entries SQS failed on its side (not sender faults). Default 3. */
  entryRetries?: number | undefined;
  /** MessageGroupId for FIFO messages published without `groupId`. Default: none (an error). */
  defaultGroupId?: string | undefined;
}

interface Entry {
  id: string;
  bytes: number;
  request: Omit<SendMessageBatchRequestEntry, "Id">;
}

/**
 * Publishes with SendMessageBatch: chunks of at most 10 messages and `maxBatchBytes`, chunks in
 * parallel; entries SQS fails on its side are retried, sender faults are surfaced at once in a
 * `PublishFailedError`. Delays up to 15 min are DelaySeconds; longer delays and `at` carry
 * `not-before`. FIFO queues get MessageGroupId and MessageDeduplicationId (default: the id).
 */
export class SqsPublisher implements Publisher {
  readonly #queue: SqsQueue;
  readonly #codec: Codec;
  readonly #maxBytes: number;
  readonly #retries: number;
  readonly #defaultGroup: string | undefined;
  readonly #destinations = new Map<string, Promise<QueueRef>>();

  constructor(queue: SqsQueue, options: SqsPublisherOptions) {
    this.#queue = queue;
    this.#codec = options.codec;
    this.#maxBytes = options.maxBatchBytes ?? 262_144;
    this.#retries = options.entryRetries ?? 3;
    this.#defaultGroup = options.defaultGroupId;
  }

  publish(messages: Outgoing[], options?: PublishOptions): Promise<void> {
    if (messages.length === 0) return Promise.resolve();
    return withProducerSpans("sqs", this.#queueOf, messages, (traced) => this.#publish(traced, options));
  }

  readonly #queueOf = (m: Outgoing): string => m.to ?? this.#queue.name;

  async #publish(messages: Outgoing[], options?: PublishOptions): Promise<void> {
    const now = Date.now();
    const plan = planDelay(dueAt(options, now), MAX_SEND_DELAY_MS, now);
    const byQueue = new Map<string | undefined, Outgoing[]>();
    for (const m of messages) {
      const list = byQueue.get(m.to);
      if (list) list.push(m);
      else byQueue.set(m.to, [m]);
    }
    await Promise.all(
      [...byQueue].map(async ([to, list]) => {
        const queue = to === undefined ? this.#queue : await this.#destination(to);
        await this.#publishTo(queue, list, plan, now);
      }),
    );
  }

  async #publishTo(
    queue: QueueRef,
    messages: Outgoing[],
    plan: { delayMs: number; notBefore?: string },
    now: number,
  ): Promise<void> {
    // FIFO queues have no per-message delay: the whole wait goes through not-before.
    const fifoPlan =
      queue.fifo && plan.delayMs > 0
        ? { delayMs: 0, notBefore: plan.notBefore ?? new Date(now + plan.delayMs).toISOString() }
        : plan;
    const entries = messages.map((m) => this.#entry(queue, m, fifoPlan, now));
    const chunks: Entry[][] = [];
    let chunk: Entry[] = [];
    let bytes = 0;
    for (const e of entries) {
      if (chunk.length === 10 || (chunk.length > 0 && bytes + e.bytes > this.#maxBytes)) {
        chunks.push(chunk);
        chunk = [];
        bytes = 0;
      }
      chunk.push(e);
      bytes += e.bytes;
    }
    if (chunk.length > 0) chunks.push(chunk);
    const failed = (await Promise.all(chunks.map((c) => this.#send(queue, c)))).flat();
    if (failed.length > 0) throw new PublishFailedError(queue.name, failed);
  }

  #entry(queue: QueueRef, m: Outgoing, plan: { delayMs: number; notBefore?: string }, now: number): Entry {
    const input = toEncodeInput(m, new Date(now));
    input.headers = withNotBefore(input.headers, plan);
    const wire = (m.codec ?? this.#codec).encode(input);
    const { body, encoding } = toSqsBody(wire.body);
    const attributes = packAttributes(wire.meta, encoding);
    let bytes = Buffer.byteLength(body);
    for (const [k, v] of Object.entries(attributes)) bytes += k.length + 6 + Buffer.byteLength(v.StringValue);
    const request: Omit<SendMessageBatchRequestEntry, "Id"> = {
      MessageBody: body,
      MessageAttributes: attributes,
    };
    if (queue.fifo) {
      const group = m.groupId ?? this.#defaultGroup;
      if (!group) {
        throw new ConfigError(
          `"${queue.name}" is a FIFO queue: give each message a groupId (or set ?group= on the transport URL)`,
        );
      }
      request.MessageGroupId = group;
      request.MessageDeduplicationId = m.dedupId ?? input.id;
    } else {
      if (plan.delayMs > 0) request.DelaySeconds = Math.min(900, Math.ceil(plan.delayMs / 1000));
      if (m.groupId) request.MessageGroupId = m.groupId;
    }
    return { id: input.id, bytes, request };
  }

  /** Send one chunk; retry entries SQS failed on its side; return what still failed. */
  async #send(queue: QueueRef, chunk: Entry[]): Promise<FailedEntry[]> {
    const surfaced: FailedEntry[] = [];
    let todo = chunk;
    for (let round = 0; todo.length > 0; round++) {
      if (round > 0) await new Promise((r) => setTimeout(r, 50 * 2 ** (round - 1)));
      let out: SendMessageBatchCommandOutput;
      try {
        out = await this.#queue.client.send(
          new SendMessageBatchCommand({
            QueueUrl: queue.url,
            Entries: todo.map((e, i) => ({ Id: String(i), ...e.request })),
          }),
        );
      } catch (error) {
        // The whole request was refused (e.g. one message over the queue's size limit): send the
        // entries one by one so only the offending ones fail.
        if ((error as { $fault?: string }).$fault !== "client") throw error;
        if (todo.length === 1) {
          const e = error as Error & { name: string };
          surfaced.push({ id: todo[0]!.id, code: e.name, message: e.message, senderFault: true });
          return surfaced;
        }
        const singles = await Promise.all(todo.map((entry) => this.#send(queue, [entry])));
        return [...surfaced, ...singles.flat()];
      }
      const next: Entry[] = [];
      for (const f of out.Failed ?? []) {
        const entry = todo[Number(f.Id)];
        if (!entry) continue;
        const failure = {
          id: entry.id,
          code: f.Code ?? "unknown",
          message: f.Message ?? "",
          senderFault: f.SenderFault ?? false,
        };
        if (failure.senderFault || round >= this.#retries) surfaced.push(failure);
        else next.push(entry);
      }
      todo = next;
    }
    return surfaced;
  }

  #destination(to: string): Promise<QueueRef> {
    let ref = this.#destinations.get(to);
    if (!ref) {
      ref = this.#queue.lookup(to);
      this.#destinations.set(to, ref);
      ref.catch(() => this.#destinations.delete(to));
    }
    return ref;
  }

  /** Nothing is buffered: every publish resolves only once SQS has accepted it. */
  async close(): Promise<void> {}
}
