import { join } from "node:path";
import { Redis } from "ioredis";
import { ServerProcess } from "../brokers/server-process.ts";
import type { ChaosTarget } from "./target.ts";

/**
 * Redis Streams on a private redis-server started for the run (never the shared one of
 * scripts/services.sh, which holds the idempotency keys and other tests' streams), keeping an
 * append-only file so a restart gives back what it held; stalled with SIGSTOP.
 */
export const redisTarget: ChaosTarget = {
  name: "redis",
  async start({ dir, runId, visibilityMs, log }) {
    log("starting a private redis-server");
    const server = await ServerProcess.start({
      name: "redis-server",
      command: (port) => ({
        file: process.env.MAILROOM_REDIS_SERVER ?? "redis-server",
        args: [
          "--bind",
          "127.0.0.1",
          "--port",
          String(port),
          "--dir",
          dir,
          "--appendonly",
          "yes",
          "--appendfsync",
          "everysec",
          "--save",
          "",
          "--logfile",
          join(dir, "redis.log"),
        ],
      }),
    });
    const stream = `chaos-${runId}`;
    const url = `redis://127.0.0.1:${server.port}/0?stream=${stream}&visibility=${visibilityMs}ms`;
    const { openTransport } = await import("@mailroom/adapter-redis");
    return {
      workers: { kind: "process", url, env: {} },
      binaryBodies: true,
      open: () => openTransport(url),
      async sendRaw(bytes) {
        // A foreign producer: an entry with the body alone.
        const client = new Redis({ host: "127.0.0.1", port: server.port, lazyConnect: true });
        try {
          await client.connect();
          await client.xadd(stream, "*", "body", Buffer.from(bytes));
        } finally {
          client.disconnect();
        }
      },
      broker: {
        restart: () => server.restart(),
        stall: (ms) => server.stall(ms),
      },
      stop: () => server.stop(),
    };
  },
};
