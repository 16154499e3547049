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
 * The acks of one stream, coalesced by core's `Coalescer` into script calls of up to 100 (a round
 * trip and a script run per batch instead of per message). A batch goes out at the end of the
 * event-loop turn in which its first ack was made (`setImmediate`), so the acks of handlers that
 * finish together share a call without waiting on a timer.
 */
export class AckBatcher {
  readonly #coalescer: Coalescer<AckEntry>;
  #scheduled = false;

  constructor(connection: RedisConnection, keys: StreamKeys, group: string) {
    this.#coalescer = new Coalescer<AckEntry>(
      async (entries) => {
        const args: RedisArg[] = [group, keys.parkedPrefix];
        for (const e of entries) args.push(e.entry, e.groupId ?? "", e.messageId);
        await ACK.run(connection.commands, scriptKeys(keys), args);
        return entries.map(() => undefined);
      },
      // The timer is only a backstop: the flush below comes first.
      { max: MAX_ACKS, flushMs: 5 },
    );
  }

  /** Queue one ack; resolves once the script call holding it has run. */
  add(entry: AckEntry): Promise<void> {
    const done = this.#coalescer.add(entry);
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => {
        this.#scheduled = false;
        this.#coalescer.flush();
      });
    }
    return done;
  }

  /** Send what waits and wait for every call in flight. */
  drain(): Promise<void> {
    return this.#coalescer.drain();
  }
}
