/** How an idle queue is polled: the pause after an empty receive doubles from `minPollMs` up to `maxPollMs`. */
export interface PollPacing {
  minPollMs: number;
  maxPollMs: number;
}

/**
 * Adaptive polling for a queue without long polls (a Storage Queue answers an empty Get Messages
 * at once), as the Azure Functions host polls with `maxPollingInterval`: while messages come,
 * every receive polls at once; after `n` empty polls in a row the next waits
 * `min(minPollMs · 2^(n-1), maxPollMs)`; one poll that finds messages resets it. While the queue
 * is idle only one receive of the source polls at a time (the others wait for its answer), so an
 * idle source costs `60,000 / maxPollMs` requests a minute however many receives the Worker runs.
 */
export class PollPacer {
  readonly pacing: PollPacing;
  #empties = 0;
  #nextPollAt = 0;
  #probe: Promise<void> | undefined;
  readonly #wakers = new Set<() => void>();

  constructor(pacing: PollPacing) {
    if (!(pacing.minPollMs >= 0 && pacing.maxPollMs >= pacing.minPollMs)) {
      throw new RangeError(
        `poll pacing needs 0 <= minPollMs <= maxPollMs, got ${pacing.minPollMs} and ${pacing.maxPollMs}`,
      );
    }
    this.pacing = pacing;
  }

  /** Empty polls in a row since messages last came. */
  get empties(): number {
    return this.#empties;
  }

  /** The pause after the last poll: 0 while messages flow. */
  get pauseMs(): number {
    if (this.#empties === 0) return 0;
    const { minPollMs, maxPollMs } = this.pacing;
    return Math.min(maxPollMs, minPollMs * 2 ** Math.min(this.#empties - 1, 30));
  }

  /** When the next poll may go (epoch ms). */
  get nextPollAt(): number {
    return this.#nextPollAt;
  }

  /** Record a poll's answer at `now`: messages reset the pause, an empty answer doubles it. */
  polled(found: number, now: number = Date.now()): void {
    this.#empties = found > 0 ? 0 : this.#empties + 1;
    this.#nextPollAt = now + this.pauseMs;
  }

  /**
   * Messages were just sent to the queue (by this process): poll at once again. A receive pausing
   * in `pause` wakes up; the back-off starts over.
   */
  wake(now: number = Date.now()): void {
    this.#empties = 0;
    this.#nextPollAt = now;
    for (const waker of this.#wakers) waker();
  }

  /** Pause until `at` (epoch ms), or until `wake`; false when `signal` aborted first. */
  async pause(at: number, signal: AbortSignal): Promise<boolean> {
    const woken = new AbortController();
    const waker = () => woken.abort();
    this.#wakers.add(waker);
    try {
      const slept = await sleepUntil(at, AbortSignal.any([signal, woken.signal]));
      return slept || !signal.aborted;
    } finally {
      this.#wakers.delete(waker);
    }
  }

  /**
   * Take the turn to poll. While messages flow every caller gets it at once; on an idle queue one
   * caller at a time does (the others wait until it answered). Resolves with the function that
   * gives the turn back, or undefined when `signal` aborted first.
   */
  async turn(signal: AbortSignal): Promise<(() => void) | undefined> {
    while (this.#empties > 0 && this.#probe) {
      if (!(await untilSettled(this.#probe, signal))) return undefined;
    }
    if (signal.aborted) return undefined;
    if (this.#empties === 0) return () => {};
    let release!: () => void;
    const probe = new Promise<void>((resolve) => {
      release = resolve;
    });
    this.#probe = probe;
    return () => {
      if (this.#probe === probe) this.#probe = undefined;
      release();
    };
  }
}

/** Wait for `promise` or `signal`; false when the signal aborted first. */
function untilSettled(promise: Promise<void>, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onAbort = () => resolve(false);
    signal.addEventListener("abort", onAbort, { once: true });
    void promise.then(() => {
      signal.removeEventListener("abort", onAbort);
      resolve(true);
    });
  });
}

/** Sleep until `at` (epoch ms); false when `signal` aborted first. */
export function sleepUntil(at: number, signal: AbortSignal): Promise<boolean> {
  const ms = at - Date.now();
  if (signal.aborted) return Promise.resolve(false);
  if (ms <= 0) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve(true);
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    signal.addEventListener("abort", onAbort, { once: true });
  });
}
