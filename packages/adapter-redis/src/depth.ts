import type { QueueDepth } from "@mailroom/core";
import { isReply } from "./connection.ts";
import type { StreamContext } from "./stream.ts";

/** A group as XINFO GROUPS describes it. */
interface GroupInfo {
  pending: number;
  /** Entries not yet read by the group; null when Redis cannot tell (entries deleted past its position). */
  lag: number | null;
}

/**
 * The stream's counts for the group: ready = entries the group has not read yet (XINFO GROUPS
 * `lag`, else the stream's length less the pending entries, which holds while acked entries are
 * deleted as Mailroom does), in flight = pending entries, delayed = the delayed set plus the FIFO
 * messages parked behind their group's head.
 */
export async function streamDepth(ctx: StreamContext): Promise<QueueDepth> {
  await ctx.connection.ready();
  const commands = ctx.connection.commands;
  const { stream, delayed, parked } = ctx.keys;
  const [length, group, scheduled, waiting] = await Promise.all([
    commands.xlen(stream),
    groupInfo(ctx),
    commands.zcard(delayed),
    commands.get(parked),
  ]);
  const pending = group?.pending ?? 0;
  const ready = group?.lag ?? Math.max(0, length - pending);
  return { ready, delayed: scheduled + Math.max(0, Number(waiting ?? 0)), inFlight: pending };
}

async function groupInfo(ctx: StreamContext): Promise<GroupInfo | undefined> {
  let reply: unknown;
  try {
    reply = await ctx.connection.commands.call("XINFO", "GROUPS", ctx.keys.stream);
  } catch (error) {
    // No stream yet: nothing is waiting.
    if (isReply(error) && /no such key/i.test((error as Error).message)) return undefined;
    throw error;
  }
  for (const flat of reply as unknown[][]) {
    const info = new Map<string, unknown>();
    for (let i = 0; i + 1 < flat.length; i += 2) info.set(String(flat[i]), flat[i + 1]);
    if (String(info.get("name")) !== ctx.group) continue;
    const lag = info.get("lag");
    return {
      pending: Number(info.get("pending") ?? 0),
      lag: lag === null || lag === undefined ? null : Number(lag),
    };
  }
  return undefined;
}
