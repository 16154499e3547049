import { isUtf8 } from "node:buffer";
import type { DequeuedMessageItem, PeekedMessageItem } from "@azure/storage-queue";
import {
  type Codec,
  type DeadLetter,
  Headers,
  isDecodeFailure,
  type QueueAdmin,
  type QueueDepth,
} from "@mailroom/core";
import { decodeEnvelope, redriveHeaders, runsCarried } from "@mailroom/core/transport";
import { type BodyEncoding, decodeBody, encodeBody, type ReceiveEncoding } from "./body.ts";
import type { StorageQueues } from "./client.ts";
import { putMessage } from "./copies.ts";
import { AzureQueueError, call } from "./errors.ts";
import { MAX_RECEIVE_BATCH } from "./limits.ts";
import { type PoisonFacts, reencode, unwrapPoison } from "./wire.ts";

/** What the admin needs. */
export interface AzureQueueAdminContext {
  readonly queues: StorageQueues;
  readonly queue: string;
  readonly poisonQueue: string;
  readonly codec: Codec;
  readonly encodeCodec: Codec;
  readonly bodyEncoding: BodyEncoding;
  readonly receiveEncoding: ReceiveEncoding;
  readonly ttlSeconds: number;
  readonly maxMessageBytes: number;
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

/** Seconds a dead letter stays invisible while a listing or a redrive holds it. */
const HOLD_S = 60;

/**
 * `mailroom stats`, `mailroom dlq list | redrive | purge` for a Storage Queue and its
 * poison queue (`<queue>-poison`), whether Mailroom or the Azure Functions host put the dead
 * letters there. Listing up to 32 peeks (changes nothing); more receives each dead letter and gives
 * it back at once when the listing is done. Redrive moves dead letters back to their original queue
 * with a fresh attempt count: sent first, deleted from the poison queue only once sent. Purge
 * receives and deletes from the poison queue only.
 */
export class AzureQueueAdmin implements QueueAdmin {
  readonly #ctx: AzureQueueAdminContext;

  constructor(ctx: AzureQueueAdminContext) {
    this.#ctx = ctx;
  }

  /** The queue's approximate count (as `ready`: Storage Queues count visible and invisible together) and the poison queue's. */
  async stats(): Promise<Array<{ queue: string } & QueueDepth & { deadLettered: number }>> {
    const { queues, queue, poisonQueue } = this.#ctx;
    const q = await call(`Get Queue Metadata of "${queue}"`, () => queues.queue(queue).getProperties());
    let deadLettered = 0;
    try {
      const p = await call(`Get Queue Metadata of "${poisonQueue}"`, () =>
        queues.queue(poisonQueue).getProperties(),
      );
      deadLettered = p.approximateMessagesCount ?? 0;
    } catch (error) {
      if (!(error instanceof AzureQueueError && error.queueNotFound)) throw error;
    }
    return [{ queue, ready: q.approximateMessagesCount ?? 0, delayed: 0, inFlight: 0, deadLettered }];
  }

  async listDeadLetters(options: { limit?: number } = {}): Promise<DeadLetter[]> {
    const limit = options.limit ?? 100;
    const { queues, poisonQueue } = this.#ctx;
    const client = queues.queue(poisonQueue);
    const peeked = await call(`Peek Messages on "${poisonQueue}"`, () =>
      client.peekMessages({ numberOfMessages: Math.min(MAX_RECEIVE_BATCH, limit) }),
    );
    if (limit <= MAX_RECEIVE_BATCH || peeked.peekedMessageItems.length < MAX_RECEIVE_BATCH) {
      return peeked.peekedMessageItems.map((m) => this.#toDeadLetter(m, ""));
    }
    const seen = new Map<string, DequeuedMessageItem>();
    try {
      while (seen.size < limit) {
        const got = await call(`Get Messages on "${poisonQueue}"`, () =>
          client.receiveMessages({
            numberOfMessages: Math.min(MAX_RECEIVE_BATCH, limit - seen.size),
            visibilityTimeout: HOLD_S,
          }),
        );
        if (got.receivedMessageItems.length === 0) break;
        for (const m of got.receivedMessageItems) seen.set(m.messageId, m);
      }
    } finally {
      // Give every held dead letter back at once.
      await Promise.allSettled(
        [...seen.values()].map((m) => client.updateMessage(m.messageId, m.popReceipt, undefined, 0)),
      );
    }
    return [...seen.values()].map((m) => this.#toDeadLetter(m, m.popReceipt));
  }

  async redrive(
    options: { limit?: number; onProgress?: (done: number, total: number) => void } = {},
  ): Promise<number> {
    return this.#drainPoison(options, async (m) => {
      const back = this.#readBack(m);
      const target = back.facts.originalQueue ?? this.#ctx.queue;
      await putMessage(this.#ctx, target, this.#fresh(m, back), 0, this.#ctx.ttlSeconds);
    });
  }

  async purge(
    options: { limit?: number; onProgress?: (done: number, total: number) => void } = {},
  ): Promise<number> {
    return this.#drainPoison(options, async () => {});
  }

  /**
   * Take the poison queue's messages oldest first, up to `limit`: `keep` each (redrive sends a
   * fresh copy; purge nothing), then delete it from the poison queue. Returns how many.
   */
  async #drainPoison(
    options: { limit?: number; onProgress?: (done: number, total: number) => void },
    keep: (m: DequeuedMessageItem) => Promise<void>,
  ): Promise<number> {
    const { queues, poisonQueue } = this.#ctx;
    const client = queues.queue(poisonQueue);
    const props = await call(`Get Queue Metadata of "${poisonQueue}"`, () => client.getProperties());
    const total = Math.min(options.limit ?? Number.POSITIVE_INFINITY, props.approximateMessagesCount ?? 0);
    let done = 0;
    while (done < total) {
      const got = await call(`Get Messages on "${poisonQueue}"`, () =>
        client.receiveMessages({
          numberOfMessages: Math.min(MAX_RECEIVE_BATCH, total - done),
          visibilityTimeout: HOLD_S,
        }),
      );
      if (got.receivedMessageItems.length === 0) break;
      for (const m of got.receivedMessageItems) {
        await keep(m);
        await call(`Delete Message on "${poisonQueue}"`, () =>
          client.deleteMessage(m.messageId, m.popReceipt),
        );
        done++;
        options.onProgress?.(done, total);
      }
    }
    return done;
  }

  /** The text to send back: the original bytes for poison, else the envelope without dead-letter facts and runs. */
  #fresh(m: DequeuedMessageItem, back: ReadBack): string {
    const { maxMessageBytes, bodyEncoding } = this.#ctx;
    // Bytes that are not UTF-8 can only travel as base64.
    const encoding = bodyEncoding === "text" && !isUtf8(back.original) ? "base64" : bodyEncoding;
    if (back.poison) return encodeBody(back.original, encoding, maxMessageBytes);
    const decoded = decodeEnvelope(
      this.#ctx.codec,
      back.original,
      { id: m.messageId, headers: {} },
      {
        attempt: 1,
        transport: { kind: "azure-queue", queue: this.#ctx.poisonQueue, raw: m },
      },
    );
    if (isDecodeFailure(decoded)) return encodeBody(back.original, encoding, maxMessageBytes);
    const body = reencode(this.#ctx.encodeCodec, decoded, redriveHeaders(decoded.headers));
    return encodeBody(body, bodyEncoding, maxMessageBytes);
  }

  #readBack(m: PeekedMessageItem): ReadBack {
    const { bytes } = decodeBody(m.messageText, this.#ctx.receiveEncoding);
    const poison = unwrapPoison(new TextDecoder().decode(bytes));
    if (poison) {
      const wrapped = poison.facts as Partial<PoisonFacts>;
      return { poison: true, facts: wrapped, name: undefined, original: poison.original, headers: {} };
    }
    const decoded = decodeEnvelope(
      this.#ctx.codec,
      bytes,
      { id: m.messageId, headers: {} },
      {
        attempt: m.dequeueCount,
        transport: { kind: "azure-queue", queue: this.#ctx.poisonQueue, raw: m },
      },
    );
    // Moved by the Functions host after maxDequeueCount, or sent by another producer: no facts.
    if (isDecodeFailure(decoded))
      return { poison: true, facts: {}, name: undefined, original: bytes, headers: {} };
    const h = decoded.headers;
    return {
      facts: {
        reason: h[Headers.deadLetterReason],
        attempts: h[Headers.attempt] === undefined ? undefined : runsCarried(h),
        deadLetteredAt: h[Headers.deadLetteredAt],
        originalQueue: h[Headers.originalQueue],
        id: decoded.id,
      },
      poison: false,
      name: decoded.name,
      original: bytes,
      headers: { ...h },
    };
  }

  #toDeadLetter(m: PeekedMessageItem, popReceipt: string): DeadLetter {
    const back = this.#readBack(m);
    const at = back.facts.deadLetteredAt ? new Date(back.facts.deadLetteredAt) : undefined;
    return {
      handle: popReceipt ? `${m.messageId}:${popReceipt}` : m.messageId,
      id: back.facts.id ?? m.messageId,
      name: back.name,
      reason:
        back.facts.reason ??
        "unknown (moved by the Azure Functions host after maxDequeueCount, or sent by another producer)",
      attempts: back.facts.attempts ?? 0,
      deadLetteredAt: at && !Number.isNaN(at.getTime()) ? at : undefined,
      queue: back.facts.originalQueue ?? this.#ctx.queue,
      body: new TextDecoder().decode(back.original),
      headers: back.headers,
    };
  }
}
