import { type Codec, type Delivery, isDecodeFailure, type QueueDepth, type Source } from "@mailroom/core";
import { attemptOf, decodeEnvelope, runsCarried } from "@mailroom/core/transport";
import type { Acker } from "./acker.ts";
import type { ReceivedMessage } from "./client/client.ts";
import { checkQueues } from "./connect.ts";
import { type DeliveryContext, MnsDelivery } from "./delivery.ts";

/** What a source needs. */
export interface MnsSourceContext extends DeliveryContext {
  readonly codec: Codec;
  readonly waitSeconds: number;
  readonly visibilityTimeoutMs: number;
  readonly acker: Acker;
}

/**
 * Long-polls one MNS queue with BatchReceiveMessage (up to 16 per call, `waitSeconds` ≤ 30).
 * Any number of `receive` calls may run at once (each is its own HTTP request); an aborted
 * receive resolves `[]` at once and its HTTP request is aborted. `attempt` follows core's
 * `attemptOf` with `counts: "runs"`: every uncounted return (`defer`, `release`) is a re-sent
 * copy carrying the runs so far in its body, so each receive of a copy is a run and
 * attempt = runs carried + DequeueCount. `connect` checks the queue, its dead-letter queue and
 * the credentials before the first receive.
 */
export class MnsSource implements Source {
  readonly visibilityTimeoutMs: number;
  readonly #ctx: MnsSourceContext;
  readonly #closing = new AbortController();

  constructor(ctx: MnsSourceContext) {
    this.#ctx = ctx;
    this.visibilityTimeoutMs = ctx.visibilityTimeoutMs;
  }

  async receive(max: number, signal: AbortSignal): Promise<Delivery[]> {
    if (this.#closing.signal.aborted || signal.aborted) return [];
    const both = AbortSignal.any([signal, this.#closing.signal]);
    const messages = await this.#ctx.client.batchReceiveMessage(
      this.#ctx.queue,
      Math.min(16, max),
      this.#ctx.waitSeconds,
      both,
    );
    return messages.map((m) => this.#delivery(m));
  }

  /** The start-up check: credentials accepted, queue and dead-letter queue exist (see `checkQueues`). */
  connect(signal: AbortSignal): Promise<void> {
    return checkQueues(this.#ctx, signal);
  }

  /** Ready (active), delayed and in flight (inactive), from GetQueueAttributes. */
  async depth(): Promise<QueueDepth> {
    const info = await this.#ctx.client.getQueueAttributes(this.#ctx.queue);
    return { ready: info.activeMessages, delayed: info.delayMessages, inFlight: info.inactiveMessages };
  }

  /** Abort pending receives and send waiting acks. */
  async close(): Promise<void> {
    this.#closing.abort();
    await this.#ctx.acker.drain();
  }

  #delivery(m: ReceivedMessage): MnsDelivery {
    const transport = { kind: "mns", queue: this.#ctx.queue, raw: m };
    const meta = { id: m.messageId, publishedAt: new Date(m.enqueueTime || Date.now()), headers: {} };
    const decoded = decodeEnvelope(this.#ctx.codec, m.body, meta, { attempt: m.dequeueCount, transport });
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
    return new MnsDelivery(this.#ctx, m, envelope);
  }
}
