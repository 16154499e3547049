import {
  type Codec,
  type DeadLetter,
  Headers,
  isDecodeFailure,
  type QueueAdmin,
  type QueueDepth,
} from "@mailroom/core";
import { decodeEnvelope, redriveHeaders, runsCarried } from "@mailroom/core/transport";
import type { MnsClient, ReceivedMessage } from "./client/client.ts";
import { MnsQueueNotExistError } from "./client/errors.ts";
import { type PoisonFacts, reencode, unwrapPoison } from "./wire.ts";

/** What the admin needs. */
export interface MnsAdminContext {
  readonly client: MnsClient;
  readonly queue: string;
  readonly deadLetterQueue: string;
  readonly codec: Codec;
  readonly encodeCodec: Codec;
}

/** A dead letter read back: the facts and the original body. */
interface ReadBack {
  /** Undecodable when it was dead-lettered: `original` is the bytes as they came. */
  poison: boolean;
  facts: Partial<PoisonFacts>;
  name: string | undefined;
  original: Uint8Array;
  headers: Record<string, string>;
}

/**
 * `mailroom stats`, `mailroom dlq list | redrive | purge` for an MNS queue and its
 * dead-letter queue. Listing up to 16 peeks (changes nothing); more receives each dead letter
 * and gives it back (visible again in 1 s) once the listing is done. Redrive moves dead letters
 * back to their original queue with a fresh attempt count, 16 per request; purge receives and
 * deletes them, 16 per request.
 */
export class MnsAdmin implements QueueAdmin {
  readonly #ctx: MnsAdminContext;

  constructor(ctx: MnsAdminContext) {
    this.#ctx = ctx;
  }

  async stats(): Promise<Array<{ queue: string } & QueueDepth & { deadLettered: number }>> {
    const { client, queue, deadLetterQueue } = this.#ctx;
    const q = await client.getQueueAttributes(queue);
    let deadLettered = 0;
    try {
      const d = await client.getQueueAttributes(deadLetterQueue);
      deadLettered = d.activeMessages + d.inactiveMessages + d.delayMessages;
    } catch (error) {
      if (!(error instanceof MnsQueueNotExistError)) throw error;
    }
    return [
      {
        queue,
        ready: q.activeMessages,
        delayed: q.delayMessages,
        inFlight: q.inactiveMessages,
        deadLettered,
      },
    ];
  }

  async listDeadLetters(options: { limit?: number } = {}): Promise<DeadLetter[]> {
    const limit = options.limit ?? 100;
    const { client, deadLetterQueue } = this.#ctx;
    // Peeking changes nothing; only when 16 or more are visible does listing need receives.
    const peeked = await client.batchPeekMessage(deadLetterQueue, Math.min(16, limit));
    if (limit <= 16 || peeked.length < 16) {
      return peeked.map((m) => this.#toDeadLetter({ ...m, receiptHandle: "" }));
    }
    const seen = new Map<string, ReceivedMessage>();
    try {
      while (seen.size < limit) {
        const got = await client.batchReceiveMessage(deadLetterQueue, Math.min(16, limit - seen.size), 0);
        const before = seen.size;
        for (const m of got) seen.set(m.messageId, m);
        // Nothing new: empty, or only messages that came back because this pass outlasted the
        // queue's visibility timeout (a big queue, a slow link). Receiving on would never end.
        if (seen.size === before) break;
      }
    } finally {
      await Promise.allSettled(
        [...seen.values()].map((m) => client.changeMessageVisibility(deadLetterQueue, m.receiptHandle, 1)),
      );
    }
    return [...seen.values()].map((m) => this.#toDeadLetter(m));
  }

  async redrive(
    options: { limit?: number; onProgress?: (done: number, total: number) => void } = {},
  ): Promise<number> {
    const { client, deadLetterQueue } = this.#ctx;
    return this.#batches(options, async (got, progress) => {
      const byQueue = new Map<string, Array<{ m: ReceivedMessage; body: Uint8Array }>>();
      for (const m of got) {
        const back = this.#readBack(m);
        const target = back.facts.originalQueue ?? this.#ctx.queue;
        const list = byQueue.get(target) ?? [];
        if (list.length === 0) byQueue.set(target, list);
        list.push({ m, body: this.#fresh(m, back) });
      }
      for (const [target, items] of byQueue) {
        const sent = await client.batchSendMessage(
          target,
          items.map((i) => ({ body: i.body, priority: i.m.priority })),
        );
        const ok = items.filter((_, k) => !("error" in sent[k]!));
        const failed = await client.batchDeleteMessage(
          deadLetterQueue,
          ok.map((i) => i.m.receiptHandle),
        );
        progress(ok.length - failed.size);
      }
    });
  }

  async purge(
    options: { limit?: number; onProgress?: (done: number, total: number) => void } = {},
  ): Promise<number> {
    const { client, deadLetterQueue } = this.#ctx;
    return this.#batches(options, async (got, progress) => {
      const failed = await client.batchDeleteMessage(
        deadLetterQueue,
        got.map((m) => m.receiptHandle),
      );
      progress(got.length - failed.size);
    });
  }

  /**
   * Receive the dead-letter queue's messages 16 at a time, up to `limit`, and hand each batch
   * to `take`, which reports how many it removed through `progress`. Returns how many in all.
   */
  async #batches(
    options: { limit?: number; onProgress?: (done: number, total: number) => void },
    take: (got: ReceivedMessage[], progress: (removed: number) => void) => Promise<void>,
  ): Promise<number> {
    const { client, deadLetterQueue } = this.#ctx;
    const info = await client.getQueueAttributes(deadLetterQueue);
    const total = Math.min(options.limit ?? Number.POSITIVE_INFINITY, info.activeMessages);
    let done = 0;
    const progress = (removed: number) => {
      done += removed;
      options.onProgress?.(done, total);
    };
    while (done < total) {
      const got = await client.batchReceiveMessage(deadLetterQueue, Math.min(16, total - done), 0);
      if (got.length === 0) break;
      await take(got, progress);
    }
    return done;
  }

  /** The body to send back: the original bytes for poison, else the envelope without dead-letter facts and attempts. */
  #fresh(m: ReceivedMessage, back: ReadBack): Uint8Array {
    if (back.poison) return back.original;
    const meta = { id: m.messageId, headers: {} };
    const decoded = decodeEnvelope(this.#ctx.codec, back.original, meta, {
      attempt: 1,
      transport: { kind: "mns", queue: this.#ctx.deadLetterQueue, raw: m },
    });
    if (isDecodeFailure(decoded)) return back.original;
    return reencode(this.#ctx.encodeCodec, decoded, redriveHeaders(decoded.headers));
  }

  #readBack(m: ReceivedMessage): ReadBack {
    const poison = unwrapPoison(new TextDecoder().decode(m.body));
    if (poison)
      return { poison: true, facts: poison.facts, name: undefined, original: poison.original, headers: {} };
    const decoded = decodeEnvelope(
      this.#ctx.codec,
      m.body,
      { id: m.messageId, headers: {} },
      {
        attempt: m.dequeueCount,
        transport: { kind: "mns", queue: this.#ctx.deadLetterQueue, raw: m },
      },
    );
    if (isDecodeFailure(decoded))
      return { poison: true, facts: {}, name: undefined, original: m.body, headers: {} };
    const h = decoded.headers;
    return {
      facts: {
        reason: h[Headers.deadLetterReason],
        attempts: runsCarried(h),
        deadLetteredAt: h[Headers.deadLetteredAt],
        originalQueue: h[Headers.originalQueue],
        id: decoded.id,
      },
      poison: false,
      name: decoded.name,
      original: m.body,
      headers: { ...h },
    };
  }

  #toDeadLetter(m: ReceivedMessage): DeadLetter {
    const back = this.#readBack(m);
    const id = back.facts.id ?? m.messageId;
    const at = back.facts.deadLetteredAt ? new Date(back.facts.deadLetteredAt) : undefined;
    return {
      handle: m.receiptHandle || m.messageId,
      id,
      name: back.name,
      reason: back.facts.reason ?? "unknown (moved by MNS DlqPolicy, or sent by another producer)",
      attempts: back.facts.attempts ?? m.dequeueCount,
      deadLetteredAt: at && !Number.isNaN(at.getTime()) ? at : undefined,
      queue: back.facts.originalQueue ?? this.#ctx.queue,
      body: new TextDecoder().decode(back.original),
      headers: back.headers,
    };
  }
}
