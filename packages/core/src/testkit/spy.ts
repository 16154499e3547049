import type { DecodeFailure, Envelope } from "../envelope.ts";
import { isDecodeFailure } from "../envelope.ts";
import type { Outcome } from "../runtime/outcome.ts";
import type { Worker } from "../runtime/worker.ts";

/** One settled delivery as the spy saw it. */
export interface SpyRecord {
  envelope: Envelope | DecodeFailure;
  outcome: Outcome;
  at: number;
}

type Matcher = (r: SpyRecord) => boolean;

/**
 * Watches a Worker's settled deliveries so tests await a specific message instead of sleeping.
 *
 * @example
 * const spy = new HandlerSpy(worker);
 * await publisher.publish([{ id, name: "order_created", data }]);
 * await spy.waitFor({ id, outcome: "ack" });
 */
export class HandlerSpy {
  readonly records: SpyRecord[] = [];
  #waiters: Array<{ match: Matcher; count: number; resolve: (r: SpyRecord[]) => void }> = [];

  constructor(worker?: Worker) {
    worker?.on("settled", ({ envelope, outcome }) => this.record(envelope, outcome));
  }

  /** Feed a record by hand (push mode, custom runtimes). */
  record(envelope: Envelope | DecodeFailure, outcome: Outcome): void {
    this.records.push({ envelope, outcome, at: Date.now() });
    this.#waiters = this.#waiters.filter((w) => {
      const hits = this.records.filter(w.match);
      if (hits.length < w.count) return true;
      w.resolve(hits);
      return false;
    });
  }

  /** Resolve with the matching records once `count` (default 1) have been seen; reject after `timeoutMs`. */
  waitFor(
    criteria: { id?: string; name?: string; outcome?: Outcome["kind"]; count?: number } | Matcher,
    timeoutMs = 20_000,
  ): Promise<SpyRecord[]> {
    const match: Matcher =
      typeof criteria === "function"
        ? criteria
        : (r) =>
            (criteria.id === undefined || idOf(r.envelope) === criteria.id) &&
            (criteria.name === undefined ||
              (!isDecodeFailure(r.envelope) && r.envelope.name === criteria.name)) &&
            (criteria.outcome === undefined || r.outcome.kind === criteria.outcome);
    const count = typeof criteria === "function" ? 1 : (criteria.count ?? 1);
    const hits = this.records.filter(match);
    if (hits.length >= count) return Promise.resolve(hits);
    return new Promise((resolve, reject) => {
      const waiter = {
        match,
        count,
        resolve: (r: SpyRecord[]) => {
          clearTimeout(timer);
          resolve(r);
        },
      };
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w !== waiter);
        reject(
          new Error(
            `HandlerSpy: timed out after ${timeoutMs} ms waiting for ${count} match(es) of ${describe(criteria)}; saw ${this.records.length} record(s): ${this.records
              .slice(-10)
              .map((r) => `${idOf(r.envelope)}:${r.outcome.kind}`)
              .join(", ")}`,
          ),
        );
      }, timeoutMs);
      this.#waiters.push(waiter);
    });
  }
}

function idOf(e: Envelope | DecodeFailure): string | undefined {
  return isDecodeFailure(e) ? e.meta.id : e.id;
}

function describe(c: unknown): string {
  return typeof c === "function" ? "a predicate" : JSON.stringify(c);
}
