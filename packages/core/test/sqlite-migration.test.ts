import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { Headers } from "@mailroom/core";
import { SqliteStore } from "@mailroom/core/transport";
import { afterEach, describe, expect, it } from "vitest";

const v1Schema = readFileSync(new URL("./fixtures/sqlite-schema-v1.sql", import.meta.url), "utf8");
const dirs: string[] = [];

afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A queue file as Mailroom 0.1 left it: group `a` with its head in flight, an ungrouped message, a dead letter. */
function v1File(): { file: string; headHandle: string } {
  const dir = mkdtempSync(join(tmpdir(), "mailroom-migrate-"));
  dirs.push(dir);
  const file = join(dir, "queue.db");
  const db = new DatabaseSync(file);
  db.exec(v1Schema);
  const insert = db.prepare(`INSERT INTO mailroom_messages
    (queue, body, meta, group_id, visible_at, receive_count, in_flight, receipt, enqueued_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0)`);
  const body = (label: string) => new TextEncoder().encode(label);
  const now = Date.now();
  const head = insert.run("q", body("a1"), '{"headers":{}}', "a", now + 60_000, 1, 1, "old-receipt");
  insert.run("q", body("a2"), '{"headers":{}}', "a", 0, 0, 0, null);
  insert.run("q", body("a3"), '{"headers":{}}', "a", 0, 0, 0, null);
  insert.run("q", body("u1"), '{"headers":{}}', null, 0, 0, 0, null);
  const deadMeta = {
    id: "d1",
    headers: { [Headers.deadLetterReason]: "broken", [Headers.attempt]: "3", keep: "1" },
  };
  db.prepare(`INSERT INTO mailroom_dead_letters (queue, body, meta, reason, attempts, dead_lettered_at)
    VALUES ('q', ?, ?, 'broken', 3, 0)`).run(body("d1"), JSON.stringify(deadMeta));
  db.close();
  return { file, headHandle: `${head.lastInsertRowid}:old-receipt` };
}

const labels = (rows: Array<{ body: Uint8Array }>) => rows.map((r) => Buffer.from(r.body).toString("utf8"));

describe("SQLite queue files of the previous schema", () => {
  it("open, keep their FIFO group's order and lock, and receive a whole group run once it is free", () => {
    const { file, headHandle } = v1File();
    const store = new SqliteStore(file);
    expect(labels(store.receive("q", 10, 30_000))).toEqual(["u1"]);
    store.ack([headHandle]);
    expect(labels(store.receive("q", 10, 30_000))).toEqual(["a2", "a3"]);
    store.close();
  });

  it("redrive their dead letters without the dead-letter headers", () => {
    const store = new SqliteStore(v1File().file);
    expect(store.redrive("q", 10)).toBe(1);
    const rows = store.receive("q", 10, 30_000);
    expect(labels(rows)).toEqual(["u1", "d1"]);
    expect(rows[1]!.meta.headers).toEqual({ keep: "1" });
    store.close();
  });

  it("open again after the migration, by several stores at once", () => {
    const { file } = v1File();
    const stores = [new SqliteStore(file), new SqliteStore(file)];
    stores.push(new SqliteStore(file));
    expect(labels(stores[2]!.receive("q", 10, 30_000))).toEqual(["u1"]);
    for (const s of stores) s.close();
  });
});
