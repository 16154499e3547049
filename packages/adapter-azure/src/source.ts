import type { DequeuedMessageItem } from "@azure/storage-queue";
import { type Codec, type Delivery, isDecodeFailure, type QueueDepth, type Source } from "@mailroom/core";
import { attemptOf, decodeEnvelope, runsCarried } from "@mailroom/core/transport";
import { decodeBody, type ReceiveEncoding } from "./body.ts";
import { checkQueues } from "./connect.ts";
import { AzureQueueDelivery, type DeliveryContext } from "./delivery.ts";
import { call } from "./errors.ts";
import { MAX_RECEIVE_BATCH, MAX_VISIBILITY_S } from "./limits.ts";
import type { PollPacer } from "./polling.ts";

/** What a source needs. */
export interface AzureQueueSourceContext extends DeliveryContext {
  readonly codec: Codec;
  readonly receiveEncoding: ReceiveEncoding;
  readonly visibilityTimeoutMs: number;
  /** Longest one `receive` keeps polling an empty queue before it answers `[]`. */
  readonly waitMs: number;
  readonly pacer: PollPacer;
}

/**
 * Receives from one Storage Queue with Get Messages (up to 32 per call, each received message
 * invisible for the visibility timeout, whole seconds). Storage Queues have no long poll, so a
 * `receive` polls with the `PollPacer`'s adaptive pause until messages come or `waitMs` pass,
 * and an idle queue costs one request per `maxPollMs`. An aborted receive resolves `[]` at once.
 * `attempt` follows core's `attemptOf` with `counts: "runs"`: every uncounted return (`defer`,
 * `release`) is a re-sent copy carrying the runs so far, so each receive of a copy is a run and
 * attempt = runs carried + dequeueCount. `connect` checks the queue, its poison queue and the
 * credentials before the first receive.
 */
export class AzureQueueSource implements Source {
  readonly visibilityTimeoutMs: number;
  readonly maxConcurrentReceives = 4;
  readonly #ctx: AzureQueueSourceContext;
  readonly #closing = new AbortController();

  constructor(ctx: AzureQueueSourceContext) {
    this.#ctx = ctx;
    this.visibilityTimeoutMs = ctx.visibilityTimeoutMs;
  }

  async receive(max: number, signal: AbortSignal): Promise<Delivery[]> {
    const both = AbortSignal.any([signal, this.#closing.signal]);
    const { pacer, waitMs } = this.#ctx;
    const deadline = Date.now() + waitMs;
    while (!both.aborted) {
      const release = await pacer.turn(both);
      if (!release) return [];
      try {
        const due = pacer.nextPollAt;
        if (!(await pacer.pause(Math.min(due, deadline), both))) return [];
        // Past the window without being woken: answer empty; a wake polls at once.
        if (pacer.nextPollAt > deadline && Date.now() >= deadline) return [];
        const got = await this.#poll(Math.min(MAX_RECEIVE_BATCH, Math.max(1, max)), both);
        pacer.polled(got.length);
        if (got.length > 0) return got.map((m) => this.#delivery(m));
      } catch (error) {
        if (both.aborted) return [];
        throw error;
      } finally {
        release();
      }
      if (Date.now() >= deadline) return [];
    }
    return [];
  }

  /** The start-up check: credentials accepted, queue and poison queue exist (see `checkQueues`). */
  connect(signal: AbortSignal): Promise<void> {
    return checkQueues(this.#ctx, signal);
  }

  /**
   * `ready`: visible messages (a peek of up to 32 tells them exactly below 32); `inFlight`: the rest
   * of the approximate count — received, delayed or waiting out a retry (Storage Queues do not
   * tell these apart).
   */
  async depth(): Promise<QueueDepth> {
    const { queues, queue } = this.#ctx;
    const client = queues.queue(queue);
    const [props, peeked] = await Promise.all([
      call(`Get Queue Metadata of "${queue}"`, () => client.getProperties()),
      call(`Peek Messages on "${queue}"`, () => client.peekMessages({ numberOfMessages: MAX_RECEIVE_BATCH })),
    ]);
    const total = props.approximateMessagesCount ?? 0;
    const visible = peeked.peekedMessageItems.length;
    const ready = visible < MAX_RECEIVE_BATCH ? visible : Math.max(visible, total);
    return { ready, delayed: 0, inFlight: Math.max(0, total - ready) };
  }

  /** Abort pending receives. Settles are confirmed one by one, so nothing is left to flush. */
  async close(): Promise<void> {
    this.#closing.abort();
  }

  async #poll(max: number, signal: AbortSignal): Promise<DequeuedMessageItem[]> {
    const { queues, queue, visibilityTimeoutMs } = this.#ctx;
    const visibilityTimeout = Math.min(MAX_VISIBILITY_S, Math.max(1, Math.ceil(visibilityTimeoutMs / 1000)));
    const answer = await call(`Get Messages on queue "${queue}"`, () =>
      queues.queue(queue).receiveMessages({ numberOfMessages: max, visibilityTimeout, abortSignal: signal }),
    );
    return answer.receivedMessageItems;
  }

  #delivery(m: DequeuedMessageItem): AzureQueueDelivery {
    const transport = { kind: "azure-queue", queue: this.#ctx.queue, raw: m };
    const { bytes } = decodeBody(m.messageText, this.#ctx.receiveEncoding);
    const meta = { id: m.messageId, publishedAt: m.insertedOn, headers: {} };
    const decoded = decodeEnvelope(this.#ctx.codec, bytes, meta, { attempt: m.dequeueCount, transport });
    const envelope = isDecodeFailure(decoded)
      ? decoded
      : {
          ...decoded,
          attempt: attemptOf({
            runsBefore: runsCarried(decoded.headers),
            receiveCount: m.dequeueCount,
            counts: "runs",
          }),
        };
    return new AzureQueueDelivery(this.#ctx, m, envelope);
  }
}
