/** Sends up to `max` entries in one request; resolves with each entry's error (or undefined). */
export type BatchSend<E> = (entries: E[]) => Promise<Array<Error | undefined>>;

interface Pending<E> {
  entry: E;
  resolve: () => void;
  reject: (error: Error) => void;
}

/**
 * Coalesces single operations (deletes, visibility changes) from many handlers into batch
 * requests: a batch goes out when `max` entries wait or `flushMs` after the first one, whichever
 * comes first. Each caller's promise settles with its own entry's result. Shared by the
 * adapters whose brokers have batch deletes (SQS DeleteMessageBatch, MNS BatchDeleteMessage).
 *
 * @example
 * const acks = new Coalescer<string>((handles) => deleteBatch(handles), { max: 16, flushMs: 5 });
 * await acks.add(receiptHandle);
 */
export class Coalescer<E> {
  readonly #send: BatchSend<E>;
  readonly #max: number;
  readonly #flushMs: number;
  #pending: Array<Pending<E>> = [];
  #timer: NodeJS.Timeout | undefined;
  readonly #inFlight = new Set<Promise<void>>();

  constructor(send: BatchSend<E>, options: { max?: number; flushMs?: number } = {}) {
    this.#send = send;
    this.#max = options.max ?? 10;
    this.#flushMs = options.flushMs ?? 5;
  }

  /** Queue one entry; resolves when the batch holding it has been accepted for this entry. */
  add(entry: E): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#pending.push({ entry, resolve, reject });
      if (this.#pending.length >= this.#max) this.flush();
      else if (!this.#timer) this.#timer = setTimeout(() => this.flush(), this.#flushMs);
    });
  }

  /** Send what waits now. */
  flush(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    while (this.#pending.length > 0) {
      const batch = this.#pending.splice(0, this.#max);
      const p = this.#sendBatch(batch);
      this.#inFlight.add(p);
      void p.finally(() => this.#inFlight.delete(p));
    }
  }

  /** Flush and wait for every batch in flight. */
  async drain(): Promise<void> {
    this.flush();
    while (this.#inFlight.size > 0) await Promise.all([...this.#inFlight]);
  }

  async #sendBatch(batch: Array<Pending<E>>): Promise<void> {
    let results: Array<Error | undefined>;
    try {
      results = await this.#send(batch.map((p) => p.entry));
    } catch (error) {
      const e = error instanceof Error ? error : new Error(String(error));
      for (const p of batch) p.reject(e);
      return;
    }
    batch.forEach((p, i) => {
      const e = results[i];
      if (e) p.reject(e);
      else p.resolve();
    });
  }
}
