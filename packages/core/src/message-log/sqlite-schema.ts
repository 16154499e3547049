import type { DatabaseSync, StatementSync } from "node:sqlite";
import type { MessageLogEntry, OutcomeKind } from "./entry.ts";

/** The log's table: one row per settled delivery. Lineage walks `parent_id`. */
const SCHEMA = `
CREATE TABLE IF NOT EXISTS mailroom_message_log (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL,
  name TEXT,
  parent_id TEXT,
  correlation_id TEXT,
  attempt INTEGER NOT NULL,
  outcome TEXT NOT NULL,
  reason TEXT,
  delay_ms INTEGER,
  received_at INTEGER NOT NULL,
  started_at INTEGER NOT NULL,
  finished_at INTEGER NOT NULL,
  transport TEXT NOT NULL,
  queue TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS mailroom_message_log_id ON mailroom_message_log (id);
CREATE INDEX IF NOT EXISTS mailroom_message_log_parent ON mailroom_message_log (parent_id)
  WHERE parent_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS mailroom_message_log_outcome ON mailroom_message_log (outcome, seq);
CREATE INDEX IF NOT EXISTS mailroom_message_log_name ON mailroom_message_log (name, seq);
`;

const COLUMNS =
  "id, name, parent_id, correlation_id, attempt, outcome, reason, delay_ms, received_at, started_at, finished_at, transport, queue";

/** Create the table and indexes (once, whichever process opens the file first). */
export function createSchema(db: DatabaseSync): void {
  db.exec("BEGIN IMMEDIATE");
  try {
    db.exec(SCHEMA);
    db.exec("COMMIT");
  } catch (error) {
    db.exec("ROLLBACK");
    throw error;
  }
}

/** True when the file holds a message log. */
export function hasSchema(db: DatabaseSync): boolean {
  return (
    db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'mailroom_message_log'").get() !==
    undefined
  );
}

/** The log's prepared statements. */
export interface LogStatements {
  insert: StatementSync | undefined;
  byId: StatementSync;
  byParent: StatementSync;
  idsLike: StatementSync;
  recent: StatementSync;
  recentByOutcome: StatementSync;
  recentByName: StatementSync;
  recentByBoth: StatementSync;
  pruneRows: StatementSync | undefined;
  pruneAge: StatementSync | undefined;
}

export function prepareLogStatements(db: DatabaseSync, readOnly: boolean): LogStatements {
  const select = `SELECT ${COLUMNS} FROM mailroom_message_log`;
  return {
    insert: readOnly
      ? undefined
      : db.prepare(
          `INSERT INTO mailroom_message_log (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        ),
    byId: db.prepare(`${select} WHERE id = ? ORDER BY seq`),
    byParent: db.prepare(`${select} WHERE parent_id = ? ORDER BY seq`),
    // The range on `id` lets a prefix use the index; a suffix alone reads the whole index.
    idsLike: db.prepare(
      `SELECT DISTINCT id FROM mailroom_message_log
       WHERE id >= ?1 AND id < ?1 || char(1114111) AND id <> ''
         AND (?2 = '' OR substr(id, -length(?2)) = ?2) AND length(id) >= length(?1) + length(?2)
       ORDER BY id LIMIT ?3`,
    ),
    recent: db.prepare(`${select} ORDER BY seq DESC LIMIT ?`),
    recentByOutcome: db.prepare(`${select} WHERE outcome = ? ORDER BY seq DESC LIMIT ?`),
    recentByName: db.prepare(`${select} WHERE name = ? ORDER BY seq DESC LIMIT ?`),
    recentByBoth: db.prepare(`${select} WHERE outcome = ? AND name = ? ORDER BY seq DESC LIMIT ?`),
    pruneRows: readOnly
      ? undefined
      : db.prepare(
          "DELETE FROM mailroom_message_log WHERE seq <= (SELECT MAX(seq) FROM mailroom_message_log) - ?",
        ),
    // The oldest rows first, a bounded slice at a time: no index on time is needed.
    pruneAge: readOnly
      ? undefined
      : db.prepare(
          "DELETE FROM mailroom_message_log WHERE seq IN (SELECT seq FROM mailroom_message_log ORDER BY seq LIMIT 5000) AND finished_at < ?",
        ),
  };
}

/** A row as SQLite returns it. */
export interface LogRow {
  id: string;
  name: string | null;
  parent_id: string | null;
  correlation_id: string | null;
  attempt: number;
  outcome: string;
  reason: string | null;
  delay_ms: number | null;
  received_at: number;
  started_at: number;
  finished_at: number;
  transport: string;
  queue: string;
}

export function toRow(e: MessageLogEntry): Array<string | number | null> {
  return [
    e.id,
    e.name ?? null,
    e.parentId ?? null,
    e.correlationId ?? null,
    e.attempt,
    e.outcome,
    e.reason ?? null,
    e.delayMs ?? null,
    e.receivedAt,
    e.startedAt,
    e.finishedAt,
    e.transport,
    e.queue,
  ];
}

export function fromRow(r: LogRow): MessageLogEntry {
  return {
    id: r.id,
    name: r.name ?? undefined,
    parentId: r.parent_id ?? undefined,
    correlationId: r.correlation_id ?? undefined,
    attempt: r.attempt,
    outcome: r.outcome as OutcomeKind,
    reason: r.reason ?? undefined,
    delayMs: r.delay_ms ?? undefined,
    receivedAt: r.received_at,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    durationMs: r.finished_at - r.started_at,
    transport: r.transport,
    queue: r.queue,
  };
}
