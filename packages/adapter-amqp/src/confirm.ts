import type { ConfirmChannel, Options } from "amqplib";
import { PublishRejectedError } from "./errors.ts";

/** One message ready for `basic.publish`. */
export interface WireItem {
  exchange: string;
  routingKey: string;
  content: Buffer;
  options: Options.Publish;
}

/**
 * A confirm channel with the state amqplib keeps private: whether it is still open, and which
 * messages the broker returned as unroutable. Made by `trackConfirmChannel`.
 */
export interface TrackedConfirmChannel {
  readonly channel: ConfirmChannel;
  open: boolean;
  /** messageIds the broker returned as unroutable (`mandatory`); checked when their confirm arrives. */
  readonly returned: Set<string>;
}

/**
 * Track `channel`: `open` turns false when it closes (then `onClose` runs once, unless the owner
 * had already marked it closed), and every message the broker returns is noted by its
 * `message_id`, so `publishConfirmed` can fail that publish. Channel errors are always followed
 * by `close`, so they are swallowed here rather than crashing the process.
 */
export function trackConfirmChannel(
  channel: ConfirmChannel,
  onClose?: (tracked: TrackedConfirmChannel) => void,
): TrackedConfirmChannel {
  const tracked: TrackedConfirmChannel = { channel, open: true, returned: new Set() };
  channel.on("error", () => {});
  channel.on("close", () => {
    if (!tracked.open) return;
    tracked.open = false;
    onClose?.(tracked);
  });
  channel.on("return", (message: { properties: { messageId?: unknown } }) => {
    if (typeof message.properties.messageId === "string") tracked.returned.add(message.properties.messageId);
  });
  return tracked;
}

/** Wait until the channel's write buffer drains, or it closes. */
function drained(tracked: TrackedConfirmChannel): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      tracked.channel.off("drain", done);
      tracked.channel.off("close", done);
      resolve();
    };
    tracked.channel.on("drain", done);
    tracked.channel.on("close", done);
  });
}

/**
 * Publish every item on a confirm channel and wait for all confirms at once (one promise per
 * call, not per message). Honours back-pressure: when the channel's buffer is full it awaits
 * `drain` before writing more. Returns the items that were lost because the channel closed
 * (to be re-sent on the next channel); throws `PublishRejectedError` when the broker nacked a
 * message or returned it as unroutable (detected only for items with a `messageId`: give every
 * `mandatory` publish one).
 */
export async function publishConfirmed(
  tracked: TrackedConfirmChannel,
  items: readonly WireItem[],
): Promise<WireItem[]> {
  const lost: WireItem[] = [];
  let rejected: Error | undefined;
  let pending = items.length;
  let release: () => void = () => {};
  const all = new Promise<void>((resolve) => {
    release = resolve;
  });
  const settle = (item: WireItem, error: Error | null) => {
    const id = item.options.messageId;
    const returned = id !== undefined && tracked.returned.size > 0 && tracked.returned.delete(id);
    if (error) {
      if (error.message === "message nacked") {
        rejected ??= new PublishRejectedError(item.exchange, item.routingKey, "nacked");
      } else lost.push(item);
    } else if (returned) {
      rejected ??= new PublishRejectedError(item.exchange, item.routingKey, "unroutable");
    }
    if (--pending === 0) release();
  };
  for (const item of items) {
    if (!tracked.open) {
      lost.push(item);
      pending--;
      continue;
    }
    let writable: boolean;
    try {
      writable = tracked.channel.publish(
        item.exchange,
        item.routingKey,
        item.content,
        item.options,
        (error) => settle(item, error),
      );
    } catch (error) {
      if (!tracked.open || (error as Error).name === "IllegalOperationError") {
        lost.push(item);
        pending--;
        continue;
      }
      throw error;
    }
    if (!writable && tracked.open) await drained(tracked);
  }
  if (pending > 0) await all;
  if (rejected) throw rejected;
  return lost;
}
