import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SqliteStore } from "./sqlite.ts";
import { QUERIES } from "./sqlite-queries.ts";

describe("SQLite queue statements", () => {
  let dir: string;
  let db: DatabaseSync;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "mailroom-plan-"));
    const file = join(dir, "queue.db");
    new SqliteStore(file).close();
    db = new DatabaseSync(file);
  });
  afterAll(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const plan = (sql: string) =>
    (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all() as Array<{ detail: string }>).map((r) => r.detail);

  it("the receive looks up due messages through the ready index, with no scan and no subquery", () => {
    expect(plan(QUERIES.due)).toEqual([
      expect.stringMatching(
        /^SEARCH mailroom_messages USING INDEX mailroom_messages_ready \(queue=\? AND parked=\?/,
      ),
    ]);
  });

  it.each([
    "insert",
    "groupRun",
    "groupBusy",
    "take",
    "parkAfter",
    "ack",
    "promoteHead",
    "reschedule",
    "extend",
    "deadPurge",
  ] as const)("%s reaches rows by index or primary key, never by scanning the table", (name) => {
    const lines = plan(QUERIES[name]);
    expect(lines.filter((l) => l.startsWith("SEARCH"))).not.toHaveLength(0);
    expect(lines.filter((l) => l.startsWith("SCAN"))).toEqual([]);
  });
});
