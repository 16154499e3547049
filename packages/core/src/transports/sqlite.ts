import { EventEmitter } from "node:events";
import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import type { DatabaseSync } from "node:sqlite";
import { ConfigError } from "../errors.ts";
import { deadLetterHeaders, redriveHeaders } from "../runtime/attempts.ts";
import type { DeadLetter, QueueDepth } from "../transport.ts";
import { LocalTransport, type LocalTransportOptions } from "./local.ts";
import type { LocalStore, NewRow, StoredRow } from "./local-store.ts";
import { prepareStatements, type Statements } from "./sqlite-queries.ts";
import {
  type DeadRow,
  type DueRow,
  parseMeta,
  type SettledRow,
  serializeMeta,
  splitHandle,
  type TakenRow,
  toDeadLetter,
} from "./sqlite-rows.ts";
import { openSchema } from "./sqlite-schema.ts";

/** In-process wake-ups, so a publish in this process reaches a waiting receive at once. */
const local = new EventEmitter();
local.setMaxListeners(0);

/** Options of the SQLite store. */
export interface SqliteStoreOptions {
  /** How often a waiting receive looks for messages written by other processes, ms. Default 50. */
  pollMs?: number;
  /**
   * SQLite `synchronous` level. `normal` (default): nothing is lost when a process dies (even
   * `kill -9`); a power cut may lose the last commits, never the file. `full`: survives power
   * cuts, slower. `off`: fastest; a power cut or OS crash may damage the file.
   */
  sync?: "normal" | "full" | "off";
}

/**
 * A durable queue in one SQLite file (Node's built-in `node:sqlite`, WAL mode). Many queues per
 * file; several processes may share it. A received message is invisible until its visibility
 * timeout; a process killed mid-handler loses nothing — the message reappears. FIFO groups behave
 * as on Amazon SQS FIFO: a receive takes a group's head and the due messages after it, in order;
 * while any is in flight the group is locked.
 */
export class SqliteStore implements LocalStore {
  readonly kind = "sqlite";
  readonly path: string;
  readonly #db: DatabaseSync;
  readonly #pollMs: number;
  readonly #statements: Statements;
  #receipts = 0;
  /** Makes receipts unique across processes sharing the file. */
  readonly #receiptPrefix = process.getBuiltinModule("node:crypto").randomBytes(6).toString("hex");

  constructor(path: string, options: SqliteStoreOptions = {}) {
    this.path = path === ":memory:" ? path : resolve(path);
    const sync = (options.sync ?? "normal").toUpperCase();
    if (!["NORMAL", "FULL", "OFF"].includes(sync))
      throw new ConfigError(`sqlite sync must be normal, full or off, not "${options.sync}"`);
    try {
      if (this.path !== ":memory:") mkdirSync(dirname(this.path), { recursive: true });
      // Loaded here, not at import: code that never opens a SQLite queue (a cloud function) never loads it.
      const { DatabaseSync } = process.getBuiltinModule("node:sqlite");
      this.#db = new DatabaseSync(this.path, { timeout: 10_000 });
      // A larger WAL between checkpoints: every checkpoint syncs the file, and a busy queue commits
      // twice per received batch (take, then the coalesced acks).
      this.#db.exec(
        `PRAGMA journal_mode = WAL; PRAGMA synchronous = ${sync}; PRAGMA wal_autocheckpoint = 10000;`,
      );
    } catch (error) {
      // A path that cannot hold a queue is the configuration's to fix, not a crash.
      throw new ConfigError(
        `cannot open the SQLite queue ${this.path}: ${(error as Error).message}; check that its folder can be made and the file is a Mailroom queue`,
        { cause: error },
      );
    }
    openSchema(this.#db);
    this.#pollMs = options.pollMs ?? 50;
    this.#statements = prepareStatements(this.#db);
  }

  enqueue(queue: string, rows: NewRow[]): void {
    const now = Date.now();
    this.#transaction(() => {
      for (const r of rows) {
        this.#statements.insert.run(
          queue,
          r.body,
          serializeMeta(r.meta),
          r.groupId ?? null,
          r.visibleAt,
          now,
        );
      }
    });
    local.emit(this.#key(queue));
  }

  receive(queue: string, max: number, visibilityMs: number): StoredRow[] {
    const now = Date.now();
    const receipt = `${this.#receiptPrefix}${(++this.#receipts).toString(36)}`;
    const taken: TakenRow[] = [];
    // Select and mark in one write transaction, so two processes never take the same message.
    this.#transaction(() => {
      const seenGroups = new Set<string>();
      // Rows of busy groups stay in the ready range (their visibility may run out): page past them.
      let after: { visible_at: number; seq: number } = { visible_at: Number.MIN_SAFE_INTEGER, seq: 0 };
      while (taken.length < max) {
        const limit = max - taken.length;
        const candidates = this.#statements.due.all(
          queue,
          now,
          after.visible_at,
          after.seq,
          limit,
        ) as DueRow[];
        for (const candidate of candidates) {
          if (taken.length >= max) break;
          const group = candidate.group_id;
          if (group === null) taken.push(this.#take(candidate.seq, now + visibilityMs, receipt));
          else if (!seenGroups.has(group)) {
            seenGroups.add(group);
            this.#takeRun(queue, group, max - taken.length, now, now + visibilityMs, receipt, taken);
          }
        }
        if (candidates.length < limit) break;
        after = candidates[candidates.length - 1]!;
      }
    });
    return taken.map((r) => ({
      handle: `${r.seq}:${receipt}`,
      body: r.body,
      meta: parseMeta(r.meta),
      receiveCount: r.receive_count,
      groupId: r.group_id ?? undefined,
    }));
  }

  ack(handles: string[]): void {
    const unblocked = new Set<string>();
    this.#transaction(() => {
      for (const handle of handles) {
        const queue = this.#remove(handle);
        if (queue !== undefined) unblocked.add(queue);
      }
    });
    for (const queue of unblocked) local.emit(this.#key(queue));
  }

  reschedule(handle: string, visibleAt: number, counted: boolean): void {
    const [seq, receipt] = splitHandle(handle);
    const row = this.#statements.reschedule.get(visibleAt, counted ? 0 : 1, seq, receipt) as
      | SettledRow
      | undefined;
    // Due now, or its group may be free: wake the waiting receives.
    if (row && (visibleAt <= Date.now() || row.group_id !== null)) local.emit(this.#key(row.queue));
  }

  extend(handle: string, visibleAt: number): void {
    const [seq, receipt] = splitHandle(handle);
    this.#statements.extend.run(visibleAt, seq, receipt);
  }

  deadLetter(queue: string, handle: string, reason: string): void {
    const [seq, receipt] = splitHandle(handle);
    let unblocked: string | undefined;
    this.#transaction(() => {
      const row = this.#statements.received.get(seq, receipt) as
        | { meta: string; receive_count: number }
        | undefined;
      if (!row) return;
      const meta = parseMeta(row.meta);
      const at = new Date();
      meta.headers = deadLetterHeaders(meta.headers, { reason, attempts: row.receive_count, queue, at });
      this.#statements.toDead.run(serializeMeta(meta), reason, at.getTime(), seq, receipt);
      unblocked = this.#remove(handle);
    });
    if (unblocked !== undefined) local.emit(this.#key(unblocked));
  }

  depth(queue: string): QueueDepth {
    const r = this.#statements.depth.get(Date.now(), queue) as {
      ready: number;
      delayed: number;
      inflight: number;
    };
    return { ready: Number(r.ready), delayed: Number(r.delayed), inFlight: Number(r.inflight) };
  }

  queues(): string[] {
    return (this.#statements.queues.all() as Array<{ queue: string }>).map((r) => r.queue);
  }

  deadLetterCount(queue: string): number {
    return Number((this.#statements.deadCount.get(queue) as { n: number }).n);
  }

  listDeadLetters(queue: string, limit: number): DeadLetter[] {
    const rows = this.#statements.deadList.all(queue, limit) as DeadRow[];
    return rows.map(toDeadLetter);
  }

  redrive(queue: string, limit: number): number {
    let moved = 0;
    this.#transaction(() => {
      const now = Date.now();
      for (const r of this.#statements.deadList.all(queue, limit) as DeadRow[]) {
        const meta = parseMeta(r.meta);
        meta.headers = redriveHeaders(meta.headers);
        // Back at the end of its group, parked behind the group's messages if it has any.
        this.#statements.insert.run(queue, r.body, serializeMeta(meta), r.group_id, now, now);
        this.#statements.deadDelete.run(r.seq);
        moved++;
      }
    });
    if (moved > 0) local.emit(this.#key(queue));
    return moved;
  }

  purge(queue: string, limit: number): number {
    let deleted = 0;
    this.#transaction(() => {
      const capped = Number.isFinite(limit) ? limit : -1;
      deleted = Number(this.#statements.deadPurge.run(queue, capped).changes);
    });
    return deleted;
  }

  subscribe(queue: string, wake: () => void): () => void {
    const key = this.#key(queue);
    local.on(key, wake);
    const timer = setInterval(wake, this.#pollMs);
    return () => {
      clearInterval(timer);
      local.off(key, wake);
    };
  }

  dropQueue(queue: string): void {
    this.#transaction(() => {
      this.#statements.dropMessages.run(queue);
      this.#statements.dropDeadLetters.run(queue);
    });
  }

  close(): void {
    if (this.#db.isOpen) this.#db.close();
  }

  /** Take a group's head and the due messages after it, unless a message of the group is in flight. */
  #takeRun(
    queue: string,
    group: string,
    room: number,
    now: number,
    until: number,
    receipt: string,
    taken: TakenRow[],
  ): void {
    if (this.#statements.groupBusy.get(queue, group, now)) return;
    const run = this.#statements.groupRun.all(queue, group, room) as Array<{
      seq: number;
      visible_at: number;
    }>;
    if (run.length === 0) return;
    let through = run[0]!.seq;
    for (const m of run) {
      if (m.visible_at > now) break;
      taken.push(this.#take(m.seq, until, receipt));
      through = m.seq;
    }
    // Messages whose visibility ran out behind the run wait for it again.
    this.#statements.parkAfter.run(queue, group, through);
  }

  #take(seq: number, until: number, receipt: string): TakenRow {
    return this.#statements.take.get(until, receipt, seq) as TakenRow;
  }

  /** Delete a received message; when it headed a FIFO group, the next one becomes receivable. Returns the queue to wake. */
  #remove(handle: string): string | undefined {
    const [seq, receipt] = splitHandle(handle);
    const row = this.#statements.ack.get(seq, receipt) as SettledRow | undefined;
    if (!row || row.group_id === null) return undefined;
    this.#statements.promoteHead.run(row.queue, row.group_id);
    return row.queue;
  }

  #key(queue: string): string {
    return `${this.path}\u0000${queue}`;
  }

  #transaction(fn: () => void): void {
    this.#db.exec("BEGIN IMMEDIATE");
    try {
      fn();
      this.#db.exec("COMMIT");
    } catch (error) {
      this.#db.exec("ROLLBACK");
      throw error;
    }
  }
}

/** Open the SQLite transport on `path` (created with its folder if missing). */
export function sqliteTransport(
  path: string,
  options: LocalTransportOptions & SqliteStoreOptions = {},
): LocalTransport {
  return new LocalTransport(new SqliteStore(path, options), options, true);
}
