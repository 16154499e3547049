import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { memoryTransport, sqliteTransport } from "@mailroom/core";
import { runConformance } from "@mailroom/core/conformance";
import { memoryStore, SqliteStore } from "@mailroom/core/transport";

const dir = mkdtempSync(join(tmpdir(), "mailroom-conf-"));
const file = join(dir, "queue.db");

runConformance({
  name: "sqlite",
  features: { fifo: true },
  open: async (queue, o) =>
    sqliteTransport(file, { queue, visibilityTimeoutMs: o.visibilityTimeoutMs, waitMs: 500, codec: o.codec }),
  sendRaw: async (queue, body) => {
    const store = new SqliteStore(file);
    store.enqueue(queue, [{ body, meta: { headers: {} }, visibleAt: Date.now() }]);
    store.close();
  },
  // A trigger makes the file refuse this queue's dead letters, as a full or missing DLQ would.
  refuseDeadLetters: async (queue) => {
    const db = new DatabaseSync(file, { timeout: 10_000 });
    const name = queue.replace(/[^A-Za-z0-9]/g, "_");
    db.exec(`CREATE TRIGGER refuse_${name} BEFORE INSERT ON mailroom_dead_letters
      WHEN NEW.queue = '${queue.replace(/'/g, "''")}' BEGIN SELECT RAISE(ABORT, 'dead letters refused'); END`);
    db.close();
  },
  teardown: async () => rmSync(dir, { recursive: true, force: true }),
});

const ns = `conf-${process.pid}`;
runConformance({
  name: "memory",
  features: { fifo: true },
  open: async (queue, o) =>
    memoryTransport({
      namespace: ns,
      queue,
      visibilityTimeoutMs: o.visibilityTimeoutMs,
      waitMs: 500,
      codec: o.codec,
    }),
  sendRaw: async (queue, body) => {
    memoryStore(ns).enqueue(queue, [{ body, meta: { headers: {} }, visibleAt: Date.now() }]);
  },
});
