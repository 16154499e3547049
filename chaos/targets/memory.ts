import { memoryTransport } from "@mailroom/core";
import { memoryStore } from "@mailroom/core/transport";
import type { ChaosTarget } from "./target.ts";

/**
 * The in-process queue. Its workers run in the runner's process (the queue lives there), and a
 * kill cuts a worker off from the queue and its stores at once (see in-process.ts).
 */
export const memoryTarget: ChaosTarget = {
  name: "memory",
  async start({ runId, visibilityMs }) {
    const namespace = `chaos-${runId}`;
    const queue = "chaos";
    const open = async () => memoryTransport({ namespace, queue, visibilityTimeoutMs: visibilityMs });
    return {
      workers: { kind: "in-process", open },
      binaryBodies: true,
      open,
      async sendRaw(bytes) {
        memoryStore(namespace).enqueue(queue, [
          { body: bytes, meta: { headers: {} }, visibleAt: Date.now() },
        ]);
      },
      stop: async () => {},
    };
  },
};
