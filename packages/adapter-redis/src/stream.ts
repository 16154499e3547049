import { randomUUID } from "node:crypto";
import { type Codec, RefusedError, within } from "@mailroom/core";
import { AckBatcher } from "./acks.ts";
import { isReply, type RedisConnection, redisFailure } from "./connection.ts";
import { fieldPairs, type StreamEntry } from "./fields.ts";
import { type StreamKeys, scriptKeys, streamKeys } from "./keys.ts";
import { ACK, EXTEND, FORGET_CONSUMER, RECEIVE, type RedisArg, SCHEDULE, SETTLE } from "./script.ts";

/** What the sources, deliveries, publisher and admin of one stream share. */
export interface StreamContext {
  readonly connection: RedisConnection;
  readonly keys: StreamKeys;
  /** The consumer group that is the queue. */
  readonly group: string;
  readonly codec: Codec;
  /** Create the stream and group when missing. */
  readonly create: boolean;
  readonly visibilityTimeoutMs: number;
  readonly waitMs: number;
  /** Prefix of consumer names. */
  readonly consumerPrefix: string;
  /** The stream's acks, coalesced into script calls of many. */
  readonly acks: AckBatcher;
}

/** A stream context: the settings, and the ack batcher of that stream. */
export function streamContext(settings: Omit<StreamContext, "acks">): StreamContext {
  return { ...settings, acks: new AckBatcher(settings.connection, settings.keys, settings.group) };
}

/** One read of the receive script. */
export interface ReadResult {
  cursor: string;
  /** Entries read or moved (some may have been parked behind their FIFO head): worth reading again at once. */
  activity: number;
  /** Until the earliest delayed entry is due, ms; -1 when there is none. */
  nextDueInMs: number;
  /** Stream and wake-stream ids a blocking read waits after. */
  lastId: string;
  lastWakeId: string;
  entries: StreamEntry[];
  /** Where the next reclaim round goes on checking FIFO heads. */
  headsCursor: string;
}

/** Where a consumer's reclaim rounds have got to. */
export interface ReclaimCursors {
  /** XAUTOCLAIM's cursor in the pending entries. */
  pending: string;
  /** HSCAN's cursor in the FIFO heads. */
  heads: string;
}

/** A consumer name unique to one source. */
export function consumerName(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

/** Read up to `count` entries for `consumer` (moving due delayed entries, reclaiming when `minIdleMs` > 0). */
export async function readEntries(
  ctx: StreamContext,
  consumer: string,
  count: number,
  minIdleMs: number,
  cursors: ReclaimCursors,
): Promise<ReadResult> {
  const args = [ctx.group, consumer, count, minIdleMs, cursors.pending, ctx.keys.parkedPrefix, cursors.heads];
  let reply: unknown;
  try {
    reply = await RECEIVE.run(ctx.connection.commands, scriptKeys(ctx.keys), args);
  } catch (error) {
    if (!isReply(error) || !/NOGROUP/.test((error as Error).message)) throw error;
    // The stream or its group went away (deleted by hand, a FLUSHDB): make them again, or say so.
    if (!ctx.create) throw missingGroup(ctx);
    await ensureGroup(ctx);
    reply = await RECEIVE.run(ctx.connection.commands, scriptKeys(ctx.keys), args);
  }
  const [nextCursor, activity, nextDue, lastId, lastWakeId, entries, headsCursor] = reply as [
    Buffer,
    number,
    number,
    Buffer,
    Buffer,
    Array<[Buffer, number, unknown]>,
    Buffer,
  ];
  return {
    cursor: String(nextCursor),
    activity: Number(activity),
    nextDueInMs: Number(nextDue),
    lastId: String(lastId),
    lastWakeId: String(lastWakeId),
    headsCursor: String(headsCursor),
    entries: entries.map(([id, count, fields]) => ({
      id: String(id),
      deliveryCount: Number(count),
      fields: fieldPairs(fields),
    })),
  };
}

/** How a settle writes. */
export interface SettleWrite {
  kind: "copy" | "dead";
  /** `copy`: into the delayed set for this long, ms; 0 straight into the stream. */
  delayMs?: number;
  /** The message's FIFO group and id, so a head is followed or handed on. */
  groupId: string | undefined;
  messageId: string;
  fields?: RedisArg[];
}

/** Settle `entry` (see the SETTLE script). False when it was not this consumer's any more. */
export async function settleEntry(
  ctx: StreamContext,
  consumer: string,
  entry: string,
  write: SettleWrite,
): Promise<boolean> {
  const args: RedisArg[] = [
    ctx.group,
    consumer,
    entry,
    write.kind,
    Math.max(0, Math.ceil(write.delayMs ?? 0)),
    randomUUID(),
    ctx.keys.parkedPrefix,
    write.groupId ?? "",
    write.messageId,
    ...(write.fields ?? []),
  ];
  return Number(await SETTLE.run(ctx.connection.commands, scriptKeys(ctx.keys), args)) === 1;
}

/** Reset `entry`'s idle time while `consumer` holds it. False when it was reclaimed elsewhere or is gone. */
export async function extendEntry(ctx: StreamContext, consumer: string, entry: string): Promise<boolean> {
  const reply = await EXTEND.run(ctx.connection.commands, [ctx.keys.stream], [ctx.group, consumer, entry]);
  return Number(reply) === 1;
}

/** Put fields into `stream`'s delayed set, due in `ms` (`in`) or at the Unix time `ms` (`at`). */
export async function scheduleFields(
  ctx: StreamContext,
  stream: string,
  mode: "in" | "at",
  ms: number,
  fields: RedisArg[],
): Promise<void> {
  const keys = stream === ctx.keys.stream ? ctx.keys : streamKeys(stream);
  await SCHEDULE.run(ctx.connection.commands, scriptKeys(keys), [
    mode,
    Math.ceil(ms),
    randomUUID(),
    ...fields,
  ]);
}

/** Remove `consumer` from the group when it holds nothing (best effort: a consumer left behind is harmless). */
export async function forgetConsumer(ctx: StreamContext, consumer: string): Promise<void> {
  const forget = FORGET_CONSUMER.run(ctx.connection.commands, [ctx.keys.stream], [ctx.group, consumer]);
  // A server that stopped answering must not hold up a close.
  await within(1_000, forget, () => new Error("no answer")).catch(() => {});
}

/** Create the stream and the group, reading from the stream's first entry, unless the group exists. */
export async function ensureGroup(ctx: StreamContext): Promise<void> {
  try {
    await ctx.connection.commands.call("XGROUP", "CREATE", ctx.keys.stream, ctx.group, "0", "MKSTREAM");
  } catch (error) {
    if (!(isReply(error) && (error as Error).message.startsWith("BUSYGROUP"))) throw error;
  }
}

/** What a key must hold, when it exists. */
const KEY_TYPES: Array<[keyof StreamKeys, string, string]> = [
  ["deadLetters", "stream", "the dead-letter stream (?dlq=)"],
  ["delayed", "zset", "the delayed entries"],
  ["heads", "hash", "the FIFO group heads"],
  ["parked", "string", "the count of parked FIFO messages"],
  ["wake", "stream", "waking waiting receives"],
];

/**
 * The start-up check of a stream: the server is ready (see `RedisConnection.ready`), the stream
 * and group exist (made when `create`), the keys Mailroom adds beside the stream hold what they
 * should, and the user may run the scripts. Rejects with a `RefusedError` or a `TransportError`.
 */
export async function checkStream(ctx: StreamContext, signal: AbortSignal): Promise<void> {
  await ctx.connection.ready(signal);
  const commands = ctx.connection.commands;
  const { stream } = ctx.keys;
  try {
    if (ctx.create) await ensureGroup(ctx);
    else {
      const type = String(await commands.type(stream));
      if (type === "none") throw missingGroup(ctx);
      if (type !== "stream") throw wrongType(ctx, stream, type, "the stream");
      const groups = (await commands.call("XINFO", "GROUPS", stream)) as unknown[][];
      if (!groups.some((g) => String(g[1]) === ctx.group)) throw missingGroup(ctx);
    }
    for (const [key, expected, what] of KEY_TYPES) {
      const type = String(await commands.type(ctx.keys[key]));
      if (type !== "none" && type !== expected) throw wrongType(ctx, ctx.keys[key], type, what);
    }
    for (const script of [RECEIVE, ACK, SETTLE, EXTEND, SCHEDULE, FORGET_CONSUMER])
      await script.load(commands);
  } catch (error) {
    throw redisFailure(error, `the start-up check of stream "${stream}" failed`, ctx.connection.where);
  }
}

function missingGroup(ctx: StreamContext): RefusedError {
  const { stream } = ctx.keys;
  return new RefusedError(
    `the stream "${stream}" or its consumer group "${ctx.group}" does not exist in Redis at ${ctx.connection.where}: create them (XGROUP CREATE ${stream} ${ctx.group} 0 MKSTREAM), or let Mailroom create them (drop ?create=false)`,
  );
}

function wrongType(ctx: StreamContext, key: string, type: string, what: string): RefusedError {
  return new RefusedError(
    `the key "${key}" in Redis at ${ctx.connection.where} holds a ${type}, but Mailroom keeps ${what} there: delete the key or choose other names`,
  );
}
