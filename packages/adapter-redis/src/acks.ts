import { Coalescer } from "@mailroom/core/transport";
import type { RedisConnection } from "./connection.ts";
import { type StreamKeys, scriptKeys } from "./keys.ts";
import { ACK, type RedisArg } from "./script.ts";

/** One ack waiting to go out with others. */
export interface AckEntry {
  /** The stream entry id. */
  entry: string;
  /** FIFO group and message id, so an acked head hands its group on. */
  groupId: string | undefined;
  messageId: string;
}

/** Most acks in one script call. */
const MAX_ACKS = 100;

/**
 * The acks of one stream, coalesced by core's `Coalescer`: those made within a millisecond (a
 * worker's handlers finishing together) go out as one script call of up to 100 — a round trip
 * and a script run per batch instead of per message.
 */
export function ackBatcher(
  connection: RedisConnection,
  keys: StreamKeys,
  group: string,
): Coalescer<AckEntry> {
  return new Coalescer<AckEntry>(
    async (entries) => {
      const args: RedisArg[] = [group, keys.parkedPrefix];
      for (const e of entries) args.push(e.entry, e.groupId ?? "", e.messageId);
      await ACK.run(connection.commands, scriptKeys(keys), args);
      return entries.map(() => undefined);
    },
    { max: MAX_ACKS, flushMs: 0 },
  );
}
