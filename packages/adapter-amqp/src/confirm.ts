import type { ConfirmChannel, Options } from "amqplib";
import { PublishRejectedError } from "./errors.ts";

/** One message ready for `basic.publish`. */
export interface WireItem {
  exchange: string;
  routingKey: string;
  content: Buffer;
  options: Options.Publish;
}

/** A confirm channel plus whether it is still open (amqplib's own state is private). */
export interface Lane {
  readonly ch: ConfirmChannel;
  open: boolean;
  /** messageIds the broker returned as unroutable (`mandatory`); checked when their confirm arrives. */
  readonly returned: Set<string>;
}

/** Wait until the channel's write buffer drains, or it closes. */
function drained(lane: Lane): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      lane.ch.off("drain", done);
      lane.ch.off("close", done);
      resolve();
    };
    lane.ch.on("drain", done);
    lane.ch.on("close", done);
  });
}

/**
 * Publish every item on a confirm channel and wait for all confirms at once (one promise per
 * call, not per message). Honours back-pressure: when the channel's buffer is full it awaits
 * `drain` before writing more. Returns the items that were lost because the channel closed
 * (to be re-sent on the next channel); throws `PublishRejectedError` when the broker nacked a
 * message or returned it as unroutable.
 */
export async function publishConfirmed(lane: Lane, items: readonly WireItem[]): Promise<WireItem[]> {
  const lost: WireItem[] = [];
  let rejected: Error | undefined;
  let pending = items.length;
  let release: () => void = () => {};
  const all = new Promise<void>((resolve) => {
    release = resolve;
  });
  const settle = (item: WireItem, error: Error | null) => {
    const id = item.options.messageId;
    const returned = id !== undefined && lane.returned.size > 0 && lane.returned.delete(id);
    if (error) {
      if (error.message === "message nacked") {
        rejected ??= new PublishRejectedError(item.exchange, item.routingKey, "refused (nacked)");
      } else lost.push(item);
    } else if (returned) {
      rejected ??= new PublishRejectedError(item.exchange, item.routingKey, "could not route");
    }
    if (--pending === 0) release();
  };
  for (const item of items) {
    if (!lane.open) {
      lost.push(item);
      pending--;
      continue;
    }
    let writable: boolean;
    try {
      writable = lane.ch.publish(item.exchange, item.routingKey, item.content, item.options, (error) =>
        settle(item, error),
      );
    } catch (error) {
      if (!lane.open || (error as Error).name === "IllegalOperationError") {
        lost.push(item);
        pending--;
        continue;
      }
      throw error;
    }
    if (!writable && lane.open) await drained(lane);
  }
  if (pending > 0) await all;
  if (rejected) throw rejected;
  return lost;
}
