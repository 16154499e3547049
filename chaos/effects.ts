import { DatabaseSync } from "node:sqlite";

/** What the effects table says about a run. */
export interface EffectCounts {
  /** Distinct items with at least one side effect. */
  distinct: number;
  /** Side effects beyond the first, by handler name (`chaos_plain`, `chaos_idem`). */
  duplicates: Record<string, number>;
}

/** An item whose side effect happened more than once, with the workers that did it, in order. */
export interface RepeatedEffect {
  n: number;
  workers: string[];
}

/**
 * The side effects of the chaos handlers: one row per item, keyed by the item (the unique key a
 * real service would have, an order id say). A second effect of one item is not refused: it is
 * counted in `times`, so duplicates can be measured. Several processes write it at once (WAL,
 * a busy timeout); a row is committed before the handler returns, so it survives a kill -9.
 */
export class EffectsTable {
  readonly #db: DatabaseSync;
  readonly #record;

  constructor(path: string) {
    this.#db = new DatabaseSync(path, { timeout: 30_000 });
    this.#db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;");
    this.#db.exec(
      `CREATE TABLE IF NOT EXISTS effects (
         n INTEGER PRIMARY KEY,
         handler TEXT NOT NULL,
         times INTEGER NOT NULL,
         first_worker TEXT NOT NULL,
         workers TEXT NOT NULL
       )`,
    );
    this.#record = this.#db.prepare(
      `INSERT INTO effects (n, handler, times, first_worker, workers) VALUES (?, ?, 1, ?, ?)
       ON CONFLICT (n) DO UPDATE SET times = times + 1, workers = workers || ',' || excluded.workers`,
    );
  }

  /** The side effect of item `n`, done by `worker`. */
  record(n: number, handler: string, worker: string): void {
    this.#record.run(n, handler, worker, worker);
  }

  /** How many distinct items have their effect: progress while the run goes on. */
  distinct(): number {
    const row = this.#db.prepare("SELECT count(*) AS c FROM effects").get() as { c: number };
    return row.c;
  }

  /** The items done, for the final accounting. */
  done(): Set<number> {
    const rows = this.#db.prepare("SELECT n FROM effects").all() as Array<{ n: number }>;
    return new Set(rows.map((r) => r.n));
  }

  counts(): EffectCounts {
    const rows = this.#db
      .prepare("SELECT handler, count(*) AS items, sum(times - 1) AS extra FROM effects GROUP BY handler")
      .all() as Array<{ handler: string; items: number; extra: number }>;
    const duplicates: Record<string, number> = {};
    let distinct = 0;
    for (const row of rows) {
      duplicates[row.handler] = row.extra;
      distinct += row.items;
    }
    return { distinct, duplicates };
  }

  /** The items of `handler` whose effect happened more than once, and by which workers. */
  repeated(handler: string): RepeatedEffect[] {
    const rows = this.#db
      .prepare("SELECT n, workers FROM effects WHERE handler = ? AND times > 1 ORDER BY n")
      .all(handler) as Array<{ n: number; workers: string }>;
    return rows.map((r) => ({ n: r.n, workers: r.workers.split(",") }));
  }

  close(): void {
    this.#db.close();
  }
}
