import { mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { QueueClient } from "@azure/storage-queue";
import { ServerProcess } from "../brokers/server-process.ts";
import type { ChaosTarget } from "./target.ts";

/** Azurite's development account, whose key is public (Azurite's documentation). */
const ACCOUNT = "devstoreaccount1";
const KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

/**
 * Azure Storage Queues as Azurite in a process of its own, keeping its data in a folder so a
 * restart gives back what it held; stalled with SIGSTOP.
 */
export const azureTarget: ChaosTarget = {
  name: "azure",
  async start({ dir, runId, visibilityMs, log }) {
    log("starting Azurite");
    const main = join(
      dirname(createRequire(import.meta.url).resolve("azurite/package.json")),
      "dist/src/queue/main.js",
    );
    const location = join(dir, "azurite");
    mkdirSync(location, { recursive: true });
    const server = await ServerProcess.start({
      name: "azurite-queue",
      command: (port) => ({
        file: process.execPath,
        args: [
          main,
          "--location",
          location,
          "--silent",
          "--disableTelemetry",
          "--queueHost",
          "127.0.0.1",
          "--queuePort",
          String(port),
        ],
        cwd: location,
      }),
    });
    const queue = `chaos-${runId}`.toLowerCase();
    const endpoint = `http://127.0.0.1:${server.port}/${ACCOUNT}`;
    const seconds = Math.max(1, Math.ceil(visibilityMs / 1000));
    const url = `azure-queue+http://127.0.0.1:${server.port}/${ACCOUNT}/${queue}?create=true&visibility=${seconds}s&wait=2s`;
    const { openTransport } = await import("@mailroom/adapter-azure");
    const connectionString = `DefaultEndpointsProtocol=http;AccountName=${ACCOUNT};AccountKey=${KEY};QueueEndpoint=${endpoint};`;
    return {
      workers: { kind: "process", url, env: {} },
      // Storage Queues hold text: a foreign producer sends text.
      binaryBodies: false,
      open: () => openTransport(url),
      async sendRaw(bytes) {
        await new QueueClient(connectionString, queue).sendMessage(new TextDecoder().decode(bytes));
      },
      broker: {
        restart: () => server.restart(),
        stall: (ms) => server.stall(ms),
      },
      stop: () => server.stop(),
    };
  },
};
