import { existsSync, mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import type { DatabaseSync } from "node:sqlite";
import { ConfigError } from "../errors.ts";
import type { MessageLogEntry, MessageLogSink, OutcomeKind } from "./entry.ts";
import { type Lineage, lineageOf } from "./lineage.ts";
import {
  createSchema,
  fromRow,
  hasSchema,
  type LogRow,
  type LogStatements,
  prepareLogStatements,
  toRow,
} from "./sqlite-schema.ts";

/** Options of `sqliteMessageLog`. */
export interface SqliteMessageLogOptions {
  /**
   * Keep about this many entries: older ones are deleted, a slice at a time as new ones are
   * written. Default 1,000,000; 0 keeps every entry.
   */
  maxRows?: number;
  /** Delete entries settled longer ago than this, ms. Default: no age limit. */
  maxAgeMs?: number;
  /**
   * How long entries wait in memory before they are written together, ms. Default 200. A
   * process killed with `kill -9` loses at most this long's entries; a normal exit (or `close()`)
   * writes them.
   */
  flushMs?: number;
  /** Open an existing log to read only (`mailroom trace`); the file must exist. */
  readOnly?: boolean;
  /**
   * Told when a background write fails (its entries are dropped; handlers are never affected).
   * Default: a process warning, once per failure.
   */
  onError?: (error: unknown) => void;
}

/** Options of `SqliteMessageLog.recent`. */
export interface RecentOptions {
  /** Most entries, newest first. Default 50. */
  limit?: number;
  outcome?: OutcomeKind;
  name?: string;
}

/** Entries written at once when this many wait. */
const FLUSH_AT = 500;

/** Logs still holding entries when the process exits normally: written then, synchronously. */
const open = new Set<SqliteMessageLog>();
let exitHooked = false;
function flushAllOnExit(): void {
  for (const log of open) {
    try {
      log.flush();
    } catch {
      // Exiting: nothing left to tell.
    }
  }
}

/**
 * The message log in one SQLite file (Node's built-in `node:sqlite`, WAL mode): a sink for the
 * `messageLog` middleware and the reader `mailroom trace` and the dashboard use. Entries are
 * kept in memory and written together every `flushMs` (or each 500), so a handler never waits on
 * the disk. Several processes may write one file. Reads see this process's entries at once.
 *
 * @example
 * const log = sqliteMessageLog("./data/messages.db");
 * app.use(messageLog({ sink: log }));
 * // later, anywhere:
 * const tree = sqliteMessageLog("./data/messages.db", { readOnly: true }).lineage(id);
 */
export class SqliteMessageLog implements MessageLogSink {
  readonly path: string;
  readonly #db: DatabaseSync;
  readonly #statements: LogStatements;
  readonly #flushMs: number;
  readonly #maxRows: number;
  readonly #maxAgeMs: number | undefined;
  readonly #pruneEvery: number;
  readonly #onError: (error: unknown) => void;
  #buffer: MessageLogEntry[] = [];
  #timer: NodeJS.Timeout | undefined;
  #sincePrune = 0;
  #closed = false;

  constructor(path: string, options: SqliteMessageLogOptions = {}) {
    this.path = path === ":memory:" ? path : resolve(path);
    const readOnly = options.readOnly ?? false;
    this.#flushMs = options.flushMs ?? 200;
    this.#maxRows = options.maxRows ?? 1_000_000;
    this.#maxAgeMs = options.maxAgeMs;
    this.#onError =
      options.onError ??
      ((error) => process.emitWarning(`the message log ${this.path} could not write: ${String(error)}`));
    this.#pruneEvery = Math.max(100, Math.min(10_000, Math.floor(this.#maxRows / 100) || 10_000));
    for (const [key, value] of [
      ["maxRows", this.#maxRows],
      ["maxAgeMs", this.#maxAgeMs ?? 0],
      ["flushMs", this.#flushMs],
    ] as const) {
      if (!(value >= 0))
        throw new ConfigError(`message log option ${key} must be a number >= 0, not ${value}`);
    }
    if (readOnly && this.path !== ":memory:" && !existsSync(this.path)) {
      throw new ConfigError(
        `no message log at ${this.path}; turn it on with mailroom run --log-messages PATH`,
      );
    }
    try {
      if (!readOnly && this.path !== ":memory:") mkdirSync(dirname(this.path), { recursive: true });
      // Loaded here, not at import: an app that never opens a log never loads node:sqlite.
      const { DatabaseSync } = process.getBuiltinModule("node:sqlite");
      this.#db = new DatabaseSync(this.path, { timeout: 10_000, readOnly });
      if (!readOnly) this.#db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;");
      if (!readOnly) createSchema(this.#db);
      else if (!hasSchema(this.#db)) throw new Error("it holds no Mailroom message log");
    } catch (error) {
      throw new ConfigError(`cannot open the message log ${this.path}: ${(error as Error).message}`, {
        cause: error,
      });
    }
    this.#statements = prepareLogStatements(this.#db, readOnly);
  }

  /** Buffer one entry; it is written within `flushMs`. Never waits on the disk. */
  record(entry: MessageLogEntry): void {
    if (this.#closed) return;
    if (!this.#statements.insert) throw new ConfigError(`the message log ${this.path} is open read-only`);
    this.#buffer.push(entry);
    if (this.#buffer.length === 1) {
      open.add(this);
      if (!exitHooked) {
        exitHooked = true;
        process.once("exit", flushAllOnExit);
      }
    }
    if (this.#buffer.length >= FLUSH_AT) this.#flushInBackground();
    else if (!this.#timer) {
      this.#timer = setTimeout(() => this.#flushInBackground(), this.#flushMs);
      this.#timer.unref();
    }
  }

  #flushInBackground(): void {
    try {
      this.flush();
    } catch (error) {
      this.#onError(error);
    }
  }

  /** Write the buffered entries now, in one transaction. Throws what SQLite throws (the entries are dropped). */
  flush(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    const entries = this.#buffer;
    if (entries.length === 0) return;
    this.#buffer = [];
    open.delete(this);
    const insert = this.#statements.insert!;
    this.#db.exec("BEGIN IMMEDIATE");
    try {
      for (const e of entries) insert.run(...toRow(e));
      this.#db.exec("COMMIT");
    } catch (error) {
      this.#db.exec("ROLLBACK");
      throw error;
    }
    this.#sincePrune += entries.length;
    if (this.#sincePrune >= this.#pruneEvery) this.prune();
  }

  /** Delete what the retention options no longer keep. Runs by itself every so many writes. */
  prune(now = Date.now()): void {
    this.#sincePrune = 0;
    if (this.#maxRows > 0) this.#statements.pruneRows?.run(this.#maxRows);
    if (this.#maxAgeMs !== undefined && this.#statements.pruneAge) {
      while (Number(this.#statements.pruneAge.run(now - this.#maxAgeMs).changes) > 0) {}
    }
  }

  /** Every entry of a message (one per attempt), oldest first; `[]` when it is not in the log. */
  get(id: string): MessageLogEntry[] {
    this.flush();
    return (this.#statements.byId.all(id) as unknown as LogRow[]).map(fromRow);
  }

  /**
   * Ids in the log that start with `prefix` and end with `suffix` (either may be left out; they
   * do not overlap), sorted, at most `limit` (default 10). For finding a message by the shortened
   * id a terminal shows (`0193…a1b2c3`) or by a part of its id. The empty id (a body that could
   * not be decoded and had no id) never matches.
   */
  findIds(part: { prefix?: string; suffix?: string }, limit = 10): string[] {
    this.flush();
    const rows = this.#statements.idsLike.all(part.prefix ?? "", part.suffix ?? "", Math.max(1, limit));
    return (rows as unknown as Array<{ id: string }>).map((r) => r.id);
  }

  /** The entries of messages whose parent is `id`, oldest first. */
  children(id: string): MessageLogEntry[] {
    this.flush();
    return (this.#statements.byParent.all(id) as unknown as LogRow[]).map(fromRow);
  }

  /**
   * A message's lineage by `parentId`: its ancestors (root first), its own entries, and the tree
   * of its descendants. Undefined when the message is not in the log.
   */
  lineage(id: string): Lineage | undefined {
    this.flush();
    return lineageOf(id, {
      get: (x) => (this.#statements.byId.all(x) as unknown as LogRow[]).map(fromRow),
      children: (x) => (this.#statements.byParent.all(x) as unknown as LogRow[]).map(fromRow),
    });
  }

  /** The newest entries, newest first, optionally of one outcome and / or name. */
  recent(options: RecentOptions = {}): MessageLogEntry[] {
    this.flush();
    const limit = Math.max(1, Math.min(options.limit ?? 50, 100_000));
    const s = this.#statements;
    const { outcome, name } = options;
    const rows =
      outcome !== undefined && name !== undefined
        ? s.recentByBoth.all(outcome, name, limit)
        : outcome !== undefined
          ? s.recentByOutcome.all(outcome, limit)
          : name !== undefined
            ? s.recentByName.all(name, limit)
            : s.recent.all(limit);
    return (rows as unknown as LogRow[]).map(fromRow);
  }

  /** Write what is buffered and close the file. Later `record` calls are dropped. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.flush();
    this.#closed = true;
    open.delete(this);
    this.#db.close();
  }
}

/**
 * Open (or create) the message log at `path`; `:memory:` keeps it in memory. See
 * `SqliteMessageLog`. A path that cannot hold a log is a `ConfigError` naming it.
 */
export function sqliteMessageLog(path: string, options?: SqliteMessageLogOptions): SqliteMessageLog {
  return new SqliteMessageLog(path, options);
}
