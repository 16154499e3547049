import type { MnsClient } from "./client/client.ts";

interface Pending {
  handle: string;
  resolve(): void;
  reject(error: Error): void;
}

/**
 * Coalesces acks from many handlers into BatchDeleteMessage requests of up to 16 handles: a
 * batch goes out when 16 wait or `flushMs` after the first, whichever is sooner. Each ack's
 * promise settles with its own handle's result (MNS reports failures per handle).
 */
export class Acker {
  readonly #client: MnsClient;
  readonly #queue: string;
  readonly #flushMs: number;
  #pending: Pending[] = [];
  #timer: NodeJS.Timeout | undefined;
  readonly #inFlight = new Set<Promise<void>>();

  constructor(client: MnsClient, queue: string, flushMs: number) {
    this.#client = client;
    this.#queue = queue;
    this.#flushMs = flushMs;
  }

  /** Delete the message with this receipt handle; resolves when MNS confirmed it. */
  delete(handle: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#pending.push({ handle, resolve, reject });
      if (this.#pending.length >= 16) this.flush();
      else this.#timer ??= setTimeout(() => this.flush(), this.#flushMs);
    });
  }

  /** Send every waiting ack now. */
  flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    while (this.#pending.length > 0) {
      const p = this.#send(this.#pending.splice(0, 16));
      this.#inFlight.add(p);
      void p.finally(() => this.#inFlight.delete(p));
    }
  }

  /** Flush and wait until every batch has been answered. */
  async drain(): Promise<void> {
    this.flush();
    while (this.#inFlight.size > 0) await Promise.all([...this.#inFlight]);
  }

  async #send(batch: Pending[]): Promise<void> {
    let failed: Map<string, Error>;
    try {
      failed = await this.#client.batchDeleteMessage(
        this.#queue,
        batch.map((p) => p.handle),
      );
    } catch (error) {
      for (const p of batch) p.reject(error as Error);
      return;
    }
    for (const p of batch) {
      const e = failed.get(p.handle);
      if (e) p.reject(e);
      else p.resolve();
    }
  }
}
