import {
  type DecodeFailure,
  type Envelope,
  isDecodeFailure,
  type QueueDepth,
  type Source,
} from "@mailroom/core";
import { attemptOf, decodeEnvelope, runsCarried } from "@mailroom/core/transport";
import type { Redis } from "ioredis";
import { redisFailure } from "./connection.ts";
import { RedisDelivery } from "./delivery.ts";
import { streamDepth } from "./depth.ts";
import { readEntry, type StreamEntry } from "./fields.ts";
import {
  checkStream,
  consumerName,
  forgetConsumer,
  type ReadResult,
  type ReclaimCursors,
  readEntries,
  type StreamContext,
} from "./stream.ts";

/**
 * Consumes one stream as one consumer of its group (a name of its own, so the group knows which
 * entries it holds). A receive is one Lua script — move due delayed entries into the stream,
 * reclaim entries idle past the visibility timeout (XAUTOCLAIM, at most every half visibility
 * timeout and 5 s), read new ones (XREADGROUP), park FIFO messages behind their group's head —
 * and, when that finds nothing, a blocking XREAD on a connection of its own until an entry is
 * added, the earliest delayed entry is due, the next reclaim is due or `waitMs` is over. An
 * aborted signal closes that connection, so the receive answers `[]` at once. Several receives
 * may run at once. `attempt` follows core's `attemptOf` with `counts: "runs"`: every uncounted
 * return is a copy carrying the runs so far, so each delivery of a copy (XPENDING's counter,
 * which reclaims raise) is a run.
 */
export class RedisSource implements Source {
  readonly visibilityTimeoutMs: number;
  /** This source's consumer name in the group. */
  readonly consumer: string;
  readonly #ctx: StreamContext;
  readonly #reclaimEveryMs: number;
  readonly #closing = new AbortController();
  readonly #idle: Redis[] = [];
  readonly #cursors: ReclaimCursors = { pending: "0-0", heads: "0" };
  #lastReclaim = 0;
  /** The group knows this consumer (it has read): on close it leaves the group if it holds nothing. */
  #joined = false;

  constructor(ctx: StreamContext) {
    this.#ctx = ctx;
    this.visibilityTimeoutMs = ctx.visibilityTimeoutMs;
    this.consumer = consumerName(ctx.consumerPrefix);
    this.#reclaimEveryMs = Math.max(50, Math.min(ctx.visibilityTimeoutMs / 2, 5_000));
  }

  /** The start-up check (see `checkStream`): server, credentials, database, stream and group, key types. */
  connect(signal: AbortSignal): Promise<void> {
    return checkStream(this.#ctx, signal);
  }

  async receive(max: number, signal: AbortSignal): Promise<RedisDelivery[]> {
    if (signal.aborted || this.#closing.signal.aborted) return [];
    const both = AbortSignal.any([signal, this.#closing.signal]);
    const deadline = Date.now() + this.#ctx.waitMs;
    const where = this.#ctx.connection.where;
    try {
      await this.#ctx.connection.ready(both);
    } catch (error) {
      if (both.aborted) return [];
      throw error;
    }
    for (;;) {
      const reclaim = Date.now() - this.#lastReclaim >= this.#reclaimEveryMs;
      let read: ReadResult;
      try {
        read = await readEntries(
          this.#ctx,
          this.consumer,
          Math.max(1, max),
          reclaim ? this.visibilityTimeoutMs : 0,
          this.#cursors,
        );
      } catch (error) {
        if (both.aborted) return [];
        throw redisFailure(error, `receive from stream "${this.#ctx.keys.stream}"`, where);
      }
      this.#joined = true;
      if (reclaim) {
        this.#lastReclaim = Date.now();
        this.#cursors.pending = read.cursor;
        this.#cursors.heads = read.headsCursor;
      }
      if (read.entries.length > 0) return read.entries.map((e) => this.#delivery(e));
      if (both.aborted) return [];
      if (read.activity > 0) continue;
      const now = Date.now();
      if (now >= deadline) return [];
      let wait = Math.min(deadline - now, this.#lastReclaim + this.#reclaimEveryMs - now);
      if (read.nextDueInMs >= 0) wait = Math.min(wait, read.nextDueInMs + 1);
      if (wait >= 1) await this.#waitForEntries(read, wait, both);
    }
  }

  /** Ready (not yet read by the group), delayed (and parked behind a FIFO head) and in flight (pending). */
  depth(): Promise<QueueDepth> {
    return streamDepth(this.#ctx);
  }

  /** Abort waiting receives, close their connections, and leave the group if this consumer holds nothing. */
  async close(): Promise<void> {
    if (this.#closing.signal.aborted) return;
    this.#closing.abort();
    for (const client of this.#idle.splice(0)) this.#ctx.connection.discard(client);
    if (this.#joined) await forgetConsumer(this.#ctx, this.consumer);
  }

  /** Block until the stream or the wake stream gets an entry, `ms` pass, or `signal` aborts. */
  async #waitForEntries(read: ReadResult, ms: number, signal: AbortSignal): Promise<void> {
    if (signal.aborted) return;
    const connection = this.#ctx.connection;
    const client = this.#idle.pop() ?? connection.blocking();
    const { stream, wake } = this.#ctx.keys;
    const wait = client.xreadBuffer(
      "COUNT",
      1,
      "BLOCK",
      Math.ceil(ms),
      "STREAMS",
      stream,
      wake,
      read.lastId,
      read.lastWakeId,
    );
    // A blocking read cannot be cancelled: an abort closes its connection and answers at once,
    // without waiting for ioredis to reject the read.
    let abort = () => {};
    const aborted = new Promise<void>((resolve) => {
      abort = () => {
        connection.discard(client);
        resolve();
      };
    });
    signal.addEventListener("abort", abort, { once: true });
    try {
      await Promise.race([wait, aborted]);
      if (!signal.aborted) this.#idle.push(client);
    } catch (error) {
      connection.discard(client);
      if (signal.aborted) return;
      throw redisFailure(error, `waiting on stream "${stream}"`, connection.where);
    } finally {
      signal.removeEventListener("abort", abort);
      wait.catch(() => {});
    }
  }

  #delivery(entry: StreamEntry): RedisDelivery {
    const content = readEntry(entry);
    const transport = { kind: "redis", queue: this.#ctx.keys.stream, raw: entry, groupId: content.groupId };
    const info = { attempt: entry.deliveryCount, transport };
    let envelope: Envelope | DecodeFailure;
    if (content.body === undefined) {
      envelope = {
        failed: true,
        reason: `decode_failed: the stream entry has no "body" field (nor "name" and "data"); its fields: ${entry.fields.map(([k]) => k).join(", ")}`,
        meta: content.meta,
        body: new Uint8Array(0),
        ...info,
      };
    } else {
      envelope = decodeEnvelope(this.#ctx.codec, content.body, content.meta, info);
      if (!isDecodeFailure(envelope)) {
        const attempt = attemptOf({
          runsBefore: runsCarried(envelope.headers),
          receiveCount: entry.deliveryCount,
          counts: "runs",
        });
        envelope = { ...envelope, attempt };
      }
    }
    return new RedisDelivery(this.#ctx, this.consumer, entry, content, envelope);
  }
}
