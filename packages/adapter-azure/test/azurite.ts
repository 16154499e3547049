import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { QueueServiceClient } from "@azure/storage-queue";
import { DEV_ACCOUNT, DEV_ACCOUNT_KEY as DEV_KEY } from "../src/limits.ts";

/** A running Azurite queue service (a child process: Azurite cannot be imported in-process). */
export interface Azurite {
  /** Queue service endpoint, path-style: `http://127.0.0.1:<port>/devstoreaccount1`. */
  readonly endpoint: string;
  readonly port: number;
  /** A connection string for the development account on this port. */
  readonly connectionString: string;
  /** The account key of the development account. */
  readonly key: string;
  /** `azure-queue+http://127.0.0.1:<port>/devstoreaccount1/<queue>?<query>`. */
  url(queue: string, query?: string): string;
  /** The SDK's own client on this Azurite, as a foreign producer uses it. */
  service(): QueueServiceClient;
  stop(): Promise<void>;
}

let n = 0;
/** A queue name unique to this run (Storage names: lowercase letters, digits, hyphens). */
export function uniqueQueue(what: string): string {
  return `mr-${what}-${process.pid}-${Date.now().toString(36)}-${n++}`.toLowerCase();
}

/**
 * Start `azurite-queue` on a free port (`--queuePort 0`) in memory, and resolve once it printed
 * where it listens. `stop()` ends it (SIGTERM, then SIGKILL after 5 s) and removes its folder.
 */
export async function startAzurite(): Promise<Azurite> {
  const pkg = createRequire(import.meta.url).resolve("azurite/package.json");
  const main = join(dirname(pkg), "dist/src/queue/main.js");
  const location = await mkdtemp(join(tmpdir(), "mailroom-azurite-"));
  const child = spawn(
    process.execPath,
    [
      main,
      "--inMemoryPersistence",
      "--silent",
      "--disableTelemetry",
      "--queueHost",
      "127.0.0.1",
      "--queuePort",
      "0",
    ],
    // Its own folder as the working directory: whatever it might write stays there and is removed.
    { cwd: location, stdio: ["ignore", "pipe", "pipe"] },
  );
  const port = await listening(child);
  const endpoint = `http://127.0.0.1:${port}/${DEV_ACCOUNT}`;
  const connectionString = `DefaultEndpointsProtocol=http;AccountName=${DEV_ACCOUNT};AccountKey=${DEV_KEY};QueueEndpoint=${endpoint};`;
  return {
    endpoint,
    port,
    connectionString,
    key: DEV_KEY,
    url: (queue, query = "") =>
      `azure-queue+http://127.0.0.1:${port}/${DEV_ACCOUNT}/${queue}${query ? `?${query}` : ""}`,
    service: () => QueueServiceClient.fromConnectionString(connectionString),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once("exit", resolve));
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
        await exited;
        clearTimeout(timer);
      }
      await rm(location, { recursive: true, force: true });
    },
  };
}

/** The port Azurite prints once it listens; rejects if it exits or stays silent for 30 s. */
function listening(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`azurite-queue did not say where it listens within 30 s: ${out.slice(-500)}`));
    }, 30_000);
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      const m = /successfully listens on http:\/\/[^:]+:(\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        child.stdout?.off("data", onData);
        // Keep draining its output so a full pipe never blocks it.
        child.stdout?.resume();
        child.stderr?.resume();
        resolve(Number(m[1]));
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", (c: Buffer) => {
      out += c.toString();
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`azurite-queue exited (${code}) before listening: ${out.slice(-500)}`));
    });
  });
}
