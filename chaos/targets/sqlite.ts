import { join } from "node:path";
import { sqliteTransport } from "@mailroom/core";
import { SqliteStore } from "@mailroom/core/transport";
import type { ChaosTarget } from "./target.ts";

/** The durable local queue: a file shared by the worker processes. No broker to restart or stall. */
export const sqliteTarget: ChaosTarget = {
  name: "sqlite",
  async start({ dir, visibilityMs }) {
    const file = join(dir, "queue.db");
    const queue = "chaos";
    return {
      workers: {
        kind: "process",
        url: `sqlite:${file}?queue=${queue}&visibility=${visibilityMs}ms`,
        env: {},
      },
      binaryBodies: true,
      open: async () => sqliteTransport(file, { queue, visibilityTimeoutMs: visibilityMs }),
      async sendRaw(bytes) {
        const store = new SqliteStore(file);
        store.enqueue(queue, [{ body: bytes, meta: { headers: {} }, visibleAt: Date.now() }]);
        store.close();
      },
      // The file goes with the run's folder.
      stop: async () => {},
    };
  },
};
