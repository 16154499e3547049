import { type Codec, decodeEnvelope } from "../codec/codec.ts";
import { jsonCodec } from "../codec/json.ts";
import type { Outgoing, PublishOptions } from "../envelope.ts";
import { uuidv7 } from "../ids.ts";
import { getOrCreate } from "../map.ts";
import { attemptOf } from "../runtime/attempts.ts";
import { dueAt, toEncodeInput } from "../runtime/outgoing.ts";
import { QueueRequester } from "../runtime/requester.ts";
import { withProducerSpans } from "../tracing/producer.ts";
import type {
  Delivery,
  Publisher,
  QueueAdmin,
  QueueDepth,
  ReplyQueue,
  Requester,
  Source,
  Transport,
} from "../transport.ts";
import type { LocalStore, StoredRow } from "./local-store.ts";
import { waitFor } from "./wait.ts";

/** Options of the local transports (memory and SQLite). */
export interface LocalTransportOptions {
  /** Queue to consume and publish to. Default `default`. */
  queue?: string;
  /** How long a received message stays invisible, ms. Default 30,000. */
  visibilityTimeoutMs?: number;
  /** Longest a receive waits for a message, ms. Default 1,000. */
  waitMs?: number;
  codec?: Codec;
}

/** A Source, Publisher and admin over a `LocalStore`: the semantics both local transports share. */
export class LocalTransport implements Transport {
  readonly kind: string;
  readonly queue: string;
  readonly #store: LocalStore;
  readonly #visibilityMs: number;
  readonly #waitMs: number;
  readonly #codec: Codec;
  readonly #ownsStore: boolean;
  /** Acks of this tick, flushed together in one store call (one SQLite transaction). */
  #acks: string[] = [];
  #acked: Promise<void> | undefined;

  constructor(store: LocalStore, options: LocalTransportOptions = {}, ownsStore = true) {
    this.kind = store.kind;
    this.#store = store;
    this.queue = options.queue ?? "default";
    this.#visibilityMs = options.visibilityTimeoutMs ?? 30_000;
    this.#waitMs = options.waitMs ?? 1_000;
    this.#codec = options.codec ?? jsonCodec();
    this.#ownsStore = ownsStore;
  }

  /** A consumer of the transport's queue (or of `queue`, e.g. a reply queue). */
  source(queue: string = this.queue): Source {
    const store = this.#store;
    const vt = this.#visibilityMs;
    const waitMs = this.#waitMs;
    const toDelivery = (row: StoredRow) => this.#delivery(row, queue);
    return {
      visibilityTimeoutMs: vt,
      // Receives are synchronous store calls: a second loop would only split the batches.
      maxConcurrentReceives: 1,
      async receive(max: number, signal: AbortSignal): Promise<Delivery[]> {
        const deadline = Date.now() + waitMs;
        for (;;) {
          const rows = store.receive(queue, max, vt);
          if (rows.length > 0) return rows.map(toDelivery);
          const left = deadline - Date.now();
          if (left <= 0 || signal.aborted) return [];
          await waitFor(left, signal, (wake) => store.subscribe(queue, wake));
        }
      },
      async depth(): Promise<QueueDepth> {
        return store.depth(queue);
      },
      async close() {},
    };
  }

  publisher(): Publisher {
    const store = this.#store;
    const codec = this.#codec;
    const defaultQueue = this.queue;
    const kind = this.kind;
    const destinationOf = (message: Outgoing) => message.to ?? defaultQueue;
    const send = async (messages: Outgoing[], options?: PublishOptions): Promise<void> => {
      const now = Date.now();
      const visibleAt = dueAt(options, now) ?? now;
      const byQueue = new Map<string, Parameters<LocalStore["enqueue"]>[1]>();
      for (const message of messages) {
        const wire = (message.codec ?? codec).encode(toEncodeInput(message, new Date(now)));
        getOrCreate(byQueue, destinationOf(message), () => []).push({
          body: wire.body,
          meta: wire.meta,
          visibleAt,
          groupId: message.groupId,
        });
      }
      for (const [target, rows] of byQueue) store.enqueue(target, rows);
    };
    return {
      publish(messages: Outgoing[], options?: PublishOptions): Promise<void> {
        return withProducerSpans(kind, destinationOf, messages, (traced) => send(traced, options));
      },
      async close() {},
    };
  }

  /** Request / reply through a reply queue of the requester's own in the same store, dropped on close. */
  requester(): Requester {
    return new QueueRequester(this.publisher(), async () => this.openReplyQueue());
  }

  /** A reply queue named `mailroom-reply-<uuid>` in this store; `close` drops it. */
  openReplyQueue(): ReplyQueue {
    const address = `mailroom-reply-${uuidv7()}`;
    const store = this.#store;
    return { address, source: this.source(address), close: async () => store.dropQueue(address) };
  }

  admin(): QueueAdmin {
    const store = this.#store;
    const queue = this.queue;
    return {
      async stats() {
        const names = new Set([queue, ...store.queues()]);
        return [...names]
          .sort()
          .map((q) => ({ queue: q, ...store.depth(q), deadLettered: store.deadLetterCount(q) }));
      },
      async listDeadLetters(options) {
        return store.listDeadLetters(queue, options?.limit ?? 100);
      },
      async redrive(options) {
        const total = Math.min(store.deadLetterCount(queue), options?.limit ?? Number.POSITIVE_INFINITY);
        let done = 0;
        while (done < total) {
          const moved = store.redrive(queue, Math.min(500, total - done));
          if (moved === 0) break;
          done += moved;
          options?.onProgress?.(done, total);
        }
        return done;
      },
      async purge(options) {
        const total = Math.min(store.deadLetterCount(queue), options?.limit ?? Number.POSITIVE_INFINITY);
        if (total === 0) return 0;
        // One store call: a purge is all or nothing (one SQLite transaction).
        const done = store.purge(queue, total);
        options?.onProgress?.(done, total);
        return done;
      },
    };
  }

  async close(): Promise<void> {
    await this.#acked;
    if (this.#ownsStore) this.#store.close();
  }

  #ack(handle: string): Promise<void> {
    this.#acks.push(handle);
    this.#acked ??= new Promise<void>((resolve, reject) => {
      setImmediate(() => {
        const handles = this.#acks;
        this.#acks = [];
        this.#acked = undefined;
        try {
          this.#store.ack(handles);
          resolve();
        } catch (error) {
          reject(error);
        }
      });
    });
    return this.#acked;
  }

  #delivery(row: StoredRow, queue: string): Delivery {
    const store = this.#store;
    // The stores undo the receive of every uncounted return (defer, release), so their count is runs.
    const envelope = decodeEnvelope(this.#codec, row.body, row.meta, {
      attempt: attemptOf({ runsBefore: 0, receiveCount: row.receiveCount, counts: "runs" }),
      transport: { kind: this.kind, queue, raw: row, groupId: row.groupId },
    });
    const handle = row.handle;
    const ack = (h: string) => this.#ack(h);
    return {
      envelope,
      ack() {
        return ack(handle);
      },
      async retry(delayMs: number) {
        store.reschedule(handle, Date.now() + delayMs, true);
      },
      async defer(delayMs: number) {
        store.reschedule(handle, Date.now() + delayMs, false);
      },
      async release() {
        store.reschedule(handle, Date.now(), false);
      },
      async deadLetter(reason: string) {
        store.deadLetter(queue, handle, reason);
      },
      async extend(ms: number) {
        store.extend(handle, Date.now() + ms);
      },
    };
  }
}
