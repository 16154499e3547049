import type { Delivery } from "@mailroom/core";

interface Waiter {
  max: number;
  deadline: number;
  resolve: (deliveries: Delivery[]) => void;
}

/**
 * The `receive` calls waiting for a message: a push consumer's deliveries turned into long polls.
 * Each waiter gets at most `max` deliveries, or `[]` when its signal aborts or `waitTimeMs`
 * passes (an empty long poll, which the Worker's health check counts as progress).
 */
export class ReceiveWaiters {
  readonly #waitTimeMs: number;
  #waiters: Waiter[] = [];
  #sweeper: NodeJS.Timeout | undefined;
  #handOutQueued = false;

  constructor(waitTimeMs: number) {
    this.#waitTimeMs = waitTimeMs;
  }

  /** Wait for deliveries offered later. */
  wait(max: number, signal: AbortSignal): Promise<Delivery[]> {
    return new Promise((resolve) => {
      const waiter: Waiter = {
        max,
        deadline: Date.now() + this.#waitTimeMs,
        resolve: (deliveries) => {
          signal.removeEventListener("abort", onAbort);
          resolve(deliveries);
        },
      };
      const onAbort = () => {
        const i = this.#waiters.indexOf(waiter);
        if (i !== -1) this.#waiters.splice(i, 1);
        resolve([]);
      };
      signal.addEventListener("abort", onAbort, { once: true });
      this.#waiters.push(waiter);
      // One sweep timer for all waiters rather than a timer per receive call.
      this.#sweeper ??= setInterval(() => this.#sweep(), Math.min(1_000, this.#waitTimeMs)).unref();
    });
  }

  /**
   * Deliveries arrived in `buffer` (which the waiters take from). Handed out in a microtask, so
   * every delivery of one socket read goes to the waiters together rather than one by one.
   */
  offer(buffer: Delivery[]): void {
    if (this.#waiters.length === 0 || this.#handOutQueued) return;
    this.#handOutQueued = true;
    queueMicrotask(() => {
      this.#handOutQueued = false;
      while (this.#waiters.length > 0 && buffer.length > 0) {
        const waiter = this.#waiters.shift()!;
        waiter.resolve(buffer.splice(0, waiter.max));
      }
    });
  }

  /** Answer every waiter empty and stop the sweep (the source is closing). */
  endAll(): void {
    if (this.#sweeper) clearInterval(this.#sweeper);
    this.#sweeper = undefined;
    for (const waiter of this.#waiters.splice(0)) waiter.resolve([]);
  }

  /** End the long poll of waiters past their deadline (they resolve empty, like an empty long poll). */
  #sweep(): void {
    const now = Date.now();
    for (let i = this.#waiters.length - 1; i >= 0; i--) {
      const waiter = this.#waiters[i]!;
      if (waiter.deadline <= now) {
        this.#waiters.splice(i, 1);
        waiter.resolve([]);
      }
    }
  }
}
