import { randomBytes } from "node:crypto";
import { EventEmitter } from "node:events";
import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { DatabaseSync, type StatementSync } from "node:sqlite";
import { Headers, type MessageMeta } from "../envelope.ts";
import { ConfigError } from "../errors.ts";
import type { DeadLetter, QueueDepth } from "../transport.ts";
import { LocalTransport, type LocalTransportOptions } from "./local.ts";
import type { LocalStore, NewRow, StoredRow } from "./local-store.ts";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS mailroom_messages (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  queue TEXT NOT NULL,
  body BLOB NOT NULL,
  meta TEXT NOT NULL,
  group_id TEXT,
  visible_at INTEGER NOT NULL,
  receive_count INTEGER NOT NULL DEFAULT 0,
  in_flight INTEGER NOT NULL DEFAULT 0,
  receipt TEXT,
  enqueued_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS mailroom_messages_due ON mailroom_messages (queue, visible_at, seq);
CREATE INDEX IF NOT EXISTS mailroom_messages_group ON mailroom_messages (queue, group_id, seq) WHERE group_id IS NOT NULL;
CREATE TABLE IF NOT EXISTS mailroom_dead_letters (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  queue TEXT NOT NULL,
  body BLOB NOT NULL,
  meta TEXT NOT NULL,
  reason TEXT NOT NULL,
  attempts INTEGER NOT NULL,
  dead_lettered_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS mailroom_dead_letters_queue ON mailroom_dead_letters (queue, seq);
`;

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
 * timeout; a process killed mid-handler loses nothing — the message reappears.
 */
export class SqliteStore implements LocalStore {
  readonly kind = "sqlite";
  readonly path: string;
  readonly #db: DatabaseSync;
  readonly #pollMs: number;
  readonly #s: Record<string, StatementSync>;
  #receipt = 0;
  readonly #salt = randomBytes(6).toString("hex");

  constructor(path: string, options: SqliteStoreOptions = {}) {
    this.path = path === ":memory:" ? path : resolve(path);
    if (this.path !== ":memory:") mkdirSync(dirname(this.path), { recursive: true });
    this.#db = new DatabaseSync(this.path, { timeout: 10_000 });
    const sync = (options.sync ?? "normal").toUpperCase();
    if (!["NORMAL", "FULL", "OFF"].includes(sync))
      throw new ConfigError(`sqlite sync must be normal, full or off, not "${options.sync}"`);
    // A larger WAL between checkpoints: every checkpoint syncs the file, and a busy queue commits
    // twice per received batch (take, then the coalesced acks).
    this.#db.exec(
      `PRAGMA journal_mode = WAL; PRAGMA synchronous = ${sync}; PRAGMA wal_autocheckpoint = 10000;`,
    );
    this.#db.exec(SCHEMA);
    this.#pollMs = options.pollMs ?? 50;
    const p = (sql: string) => this.#db.prepare(sql);
    this.#s = {
      insert: p(
        "INSERT INTO mailroom_messages (queue, body, meta, group_id, visible_at, enqueued_at) VALUES (?, ?, ?, ?, ?, ?)",
      ),
      // A FIFO group's messages are received one at a time, oldest first: only the group's head qualifies.
      due: p(`SELECT seq, body, meta, receive_count, group_id FROM mailroom_messages AS m
        WHERE queue = ?1 AND visible_at <= ?2
          AND (group_id IS NULL OR NOT EXISTS (SELECT 1 FROM mailroom_messages AS g
            WHERE g.queue = m.queue AND g.group_id = m.group_id AND g.seq < m.seq))
        ORDER BY visible_at, seq LIMIT ?3`),
      take: p(
        "UPDATE mailroom_messages SET visible_at = ?, receive_count = receive_count + 1, receipt = ?, in_flight = 1 WHERE seq = ?",
      ),
      ack: p("DELETE FROM mailroom_messages WHERE seq = ? AND receipt = ?"),
      reschedule: p(`UPDATE mailroom_messages SET visible_at = ?, receipt = NULL, in_flight = 0,
        receive_count = receive_count - ? WHERE seq = ? AND receipt = ?`),
      extend: p("UPDATE mailroom_messages SET visible_at = ? WHERE seq = ? AND receipt = ?"),
      toDead: p(`INSERT INTO mailroom_dead_letters (queue, body, meta, reason, attempts, dead_lettered_at)
        SELECT queue, body, ?, ?, receive_count, ? FROM mailroom_messages WHERE seq = ? AND receipt = ?`),
      metaOf: p("SELECT meta, receive_count FROM mailroom_messages WHERE seq = ? AND receipt = ?"),
      depth: p(`SELECT coalesce(sum(visible_at <= ?1), 0) AS ready,
        coalesce(sum(visible_at > ?1 AND in_flight = 0), 0) AS delayed,
        coalesce(sum(visible_at > ?1 AND in_flight = 1), 0) AS inflight FROM mailroom_messages WHERE queue = ?2`),
      queues: p("SELECT queue FROM mailroom_messages UNION SELECT queue FROM mailroom_dead_letters"),
      deadCount: p("SELECT count(*) AS n FROM mailroom_dead_letters WHERE queue = ?"),
      deadList: p("SELECT * FROM mailroom_dead_letters WHERE queue = ? ORDER BY seq LIMIT ?"),
      deadDelete: p("DELETE FROM mailroom_dead_letters WHERE seq = ?"),
    };
  }

  enqueue(queue: string, rows: NewRow[]): void {
    const now = Date.now();
    this.#tx(() => {
      for (const r of rows) {
        this.#s.insert!.run(queue, r.body, serializeMeta(r.meta), r.groupId ?? null, r.visibleAt, now);
      }
    }, rows.length > 1);
    local.emit(this.#key(queue));
  }

  receive(queue: string, max: number, visibilityMs: number): StoredRow[] {
    const now = Date.now();
    const receipt = `${this.#salt}${(++this.#receipt).toString(36)}`;
    type Row = {
      seq: number;
      body: Uint8Array;
      meta: string;
      receive_count: number;
      group_id: string | null;
    };
    let rows: Row[] = [];
    // Select and mark in one write transaction, so two processes never take the same message.
    this.#tx(() => {
      rows = this.#s.due!.all(queue, now, max) as Row[];
      for (const r of rows) this.#s.take!.run(now + visibilityMs, receipt, r.seq);
    }, true);
    return rows.map((r) => ({
      handle: `${r.seq}:${receipt}`,
      body: r.body,
      meta: parseMeta(r.meta),
      receiveCount: r.receive_count + 1,
      groupId: r.group_id ?? undefined,
    }));
  }

  ack(handles: string[]): void {
    this.#tx(() => {
      for (const h of handles) {
        const [seq, receipt] = split(h);
        this.#s.ack!.run(seq, receipt);
      }
    }, handles.length > 1);
  }

  reschedule(handle: string, visibleAt: number, counted: boolean): void {
    const [seq, receipt] = split(handle);
    this.#s.reschedule!.run(visibleAt, counted ? 0 : 1, seq, receipt);
    if (visibleAt <= Date.now()) local.emit("*");
  }

  extend(handle: string, visibleAt: number): void {
    const [seq, receipt] = split(handle);
    this.#s.extend!.run(visibleAt, seq, receipt);
  }

  deadLetter(queue: string, handle: string, reason: string): void {
    const [seq, receipt] = split(handle);
    this.#tx(() => {
      const row = this.#s.metaOf!.get(seq, receipt) as { meta: string; receive_count: number } | undefined;
      if (!row) return;
      const meta = parseMeta(row.meta);
      meta.headers = {
        ...meta.headers,
        [Headers.deadLetterReason]: reason,
        [Headers.deadLetteredAt]: new Date().toISOString(),
        [Headers.originalQueue]: queue,
        [Headers.attempt]: String(row.receive_count),
      };
      this.#s.toDead!.run(serializeMeta(meta), reason, Date.now(), seq, receipt);
      this.#s.ack!.run(seq, receipt);
    }, true);
  }

  depth(queue: string): QueueDepth {
    const r = this.#s.depth!.get(Date.now(), queue) as { ready: number; delayed: number; inflight: number };
    return { ready: Number(r.ready), delayed: Number(r.delayed), inFlight: Number(r.inflight) };
  }

  queues(): string[] {
    return (this.#s.queues!.all() as Array<{ queue: string }>).map((r) => r.queue);
  }

  deadLetterCount(queue: string): number {
    return Number((this.#s.deadCount!.get(queue) as { n: number }).n);
  }

  listDeadLetters(queue: string, limit: number): DeadLetter[] {
    const rows = this.#s.deadList!.all(queue, limit) as Array<{
      seq: number;
      queue: string;
      body: Uint8Array;
      meta: string;
      reason: string;
      attempts: number;
      dead_lettered_at: number;
    }>;
    return rows.map((r) => {
      const meta = parseMeta(r.meta);
      return {
        handle: String(r.seq),
        id: meta.id ?? String(r.seq),
        name: meta.name,
        reason: r.reason,
        attempts: r.attempts,
        deadLetteredAt: new Date(r.dead_lettered_at),
        queue: r.queue,
        body: Buffer.from(r.body).toString("utf8"),
        headers: meta.headers,
      };
    });
  }

  redrive(queue: string, limit: number): number {
    let moved = 0;
    this.#tx(() => {
      const rows = this.#s.deadList!.all(queue, limit) as Array<{
        seq: number;
        body: Uint8Array;
        meta: string;
      }>;
      const now = Date.now();
      for (const r of rows) {
        const meta = parseMeta(r.meta);
        for (const h of [
          Headers.deadLetterReason,
          Headers.deadLetteredAt,
          Headers.originalQueue,
          Headers.attempt,
        ]) {
          delete meta.headers[h];
        }
        this.#s.insert!.run(queue, r.body, serializeMeta(meta), null, now, now);
        this.#s.deadDelete!.run(r.seq);
        moved++;
      }
    }, true);
    if (moved > 0) local.emit(this.#key(queue));
    return moved;
  }

  subscribe(queue: string, wake: () => void): () => void {
    const key = this.#key(queue);
    local.on(key, wake);
    local.on("*", wake);
    const timer = setInterval(wake, this.#pollMs);
    return () => {
      clearInterval(timer);
      local.off(key, wake);
      local.off("*", wake);
    };
  }

  close(): void {
    if (this.#db.isOpen) this.#db.close();
  }

  #key(queue: string): string {
    return `${this.path}\u0000${queue}`;
  }

  #tx(fn: () => void, transaction: boolean): void {
    if (!transaction) {
      fn();
      return;
    }
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

function split(handle: string): [number, string] {
  const i = handle.indexOf(":");
  return [Number(handle.slice(0, i)), handle.slice(i + 1)];
}

function serializeMeta(meta: MessageMeta): string {
  return JSON.stringify({ ...meta, publishedAt: meta.publishedAt?.toISOString() });
}

function parseMeta(text: string): MessageMeta {
  const m = JSON.parse(text) as MessageMeta & { publishedAt?: string };
  return { ...m, publishedAt: m.publishedAt ? new Date(m.publishedAt) : undefined, headers: m.headers ?? {} };
}

/** Open the SQLite transport on `path` (created with its folder if missing). */
export function sqliteTransport(
  path: string,
  options: LocalTransportOptions & SqliteStoreOptions = {},
): LocalTransport {
  return new LocalTransport(new SqliteStore(path, options), options, true);
}
