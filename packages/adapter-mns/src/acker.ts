import { Coalescer } from "@mailroom/core/transport";
import type { MnsClient } from "./client/client.ts";

/**
 * Coalesces acks from many handlers into BatchDeleteMessage requests of up to 16 handles: a
 * batch goes out when 16 wait or `flushMs` after the first, whichever is sooner. Each ack's
 * promise settles with its own handle's result (MNS reports failures per handle).
 */
export class Acker {
  readonly #batches: Coalescer<string>;

  constructor(client: MnsClient, queue: string, flushMs: number) {
    this.#batches = new Coalescer<string>(
      async (handles) => {
        const failed = await client.batchDeleteMessage(queue, handles);
        return handles.map((h) => failed.get(h));
      },
      { max: 16, flushMs },
    );
  }

  /** Delete the message with this receipt handle; resolves when MNS confirmed it. */
  delete(handle: string): Promise<void> {
    return this.#batches.add(handle);
  }

  /** Send every waiting ack now. */
  flush(): void {
    this.#batches.flush();
  }

  /** Flush and wait until every batch has been answered. */
  async drain(): Promise<void> {
    await this.#batches.drain();
  }
}
