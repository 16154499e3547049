import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
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
