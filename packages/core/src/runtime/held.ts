import { isDecodeFailure } from "../envelope.ts";
import { describeError } from "../errors.ts";
import type { Logger } from "../logger.ts";
import type { Delivery } from "../transport.ts";
import type { WorkerStats } from "./stats.ts";

/**
 * Every delivery a Worker holds — waiting for a slot, gathered into a batch, or running — and
 * the visibility heartbeat that keeps each of them invisible until it is settled. A message the
 * Worker holds is never redelivered to another consumer just because it waited its turn here.
 */
export class HeldDeliveries {
  /** Each held delivery and when its visibility was last set (received or extended), epoch ms. */
  readonly #held = new Map<Delivery, number>();
  readonly #visibilityMs: number;
  readonly #logger: Logger;
  readonly #stats: WorkerStats;
  readonly #onExtendError: (error: unknown) => void;
  #timer: NodeJS.Timeout | undefined;

  constructor(
    visibilityMs: number,
    logger: Logger,
    stats: WorkerStats,
    onExtendError: (error: unknown) => void,
  ) {
    this.#visibilityMs = visibilityMs;
    this.#logger = logger;
    this.#stats = stats;
    this.#onExtendError = onExtendError;
  }

  get size(): number {
    return this.#held.size;
  }

  add(delivery: Delivery, at = Date.now()): void {
    this.#held.set(delivery, at);
  }

  delete(delivery: Delivery): void {
    this.#held.delete(delivery);
  }

  /** Start the heartbeat: every quarter of the visibility timeout, extend what is past half of it. */
  start(): void {
    if (this.#visibilityMs <= 0 || this.#timer) return;
    const every = Math.max(50, Math.floor(this.#visibilityMs / 4));
    this.#timer = setInterval(() => this.beat(), every);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Extend every held delivery whose visibility is past half used. */
  beat(now = Date.now()): void {
    const half = this.#visibilityMs / 2;
    for (const [delivery, extendedAt] of this.#held) {
      if (now - extendedAt < half) continue;
      // Setting a key already in the Map during iteration keeps its place: no entry is visited twice.
      this.#held.set(delivery, now);
      this.#stats.extended++;
      let extending: Promise<void>;
      try {
        extending = delivery.extend(this.#visibilityMs);
      } catch (error) {
        extending = Promise.reject(error);
      }
      extending.catch((error: unknown) => {
        this.#onExtendError(error);
        const e = delivery.envelope;
        this.#logger.warn(
          isDecodeFailure(e)
            ? { messageId: e.meta.id, error: describeError(error) }
            : { messageId: e.id, messageName: e.name, error: describeError(error) },
          "visibility heartbeat failed",
        );
      });
    }
  }
}
