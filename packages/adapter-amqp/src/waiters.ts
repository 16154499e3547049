import type { Delivery } from "@mailroom/core";

interface Waiter {
  max: number;
  deadline: number;
  signal: AbortSignal;
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
  /**
   * Signals listened to, once each: a Worker passes the same signal to every receive, and an
   * abort listener added and removed per receive would cost more than the receive itself.
   */
  readonly #watched = new WeakSet<AbortSignal>();

  constructor(waitTimeMs: number) {
    this.#waitTimeMs = waitTimeMs;
  }

  /** Wait for deliveries offered later. */
  wait(max: number, signal: AbortSignal): Promise<Delivery[]> {
    if (!this.#watched.has(signal)) {
      this.#watched.add(signal);
      signal.addEventListener("abort", () => this.#aborted(signal), { once: true });
    }
    return new Promise((resolve) => {
      this.#waiters.push({ max, deadline: Date.now() + this.#waitTimeMs, signal, resolve });
      // One sweep timer for all waiters rather than a timer per receive call.
      this.#sweeper ??= setInterval(() => this.#sweep(), Math.min(1_000, this.#waitTimeMs)).unref();
    });
  }

  /** Every waiter on an aborted signal resolves empty. */
  #aborted(signal: AbortSignal): void {
    for (let i = this.#waiters.length - 1; i >= 0; i--) {
      const waiter = this.#waiters[i]!;
      if (waiter.signal === signal) {
        this.#waiters.splice(i, 1);
        waiter.resolve([]);
      }
    }
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
