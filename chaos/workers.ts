import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { onInterrupt } from "./interrupt.ts";
import type { WorkerSpec } from "./worker.ts";

const workerEntry = fileURLToPath(new URL("./worker.ts", import.meta.url));

/** One running chaos worker, whatever runs it. */
export interface WorkerHandle {
  readonly id: string;
  /** Resolves once it has connected and is about to receive. */
  readonly started: Promise<void>;
  /** Resolves when it ends, however it ends; `expected` is false for an exit nobody asked for. */
  readonly ended: Promise<{ expected: boolean; detail: string }>;
  /** kill -9 (or, in process, the same cut); resolves once it is gone. */
  kill(): Promise<void>;
  /** Ask it to drain and stop (SIGTERM); kill it if it has not ended within `graceMs`. */
  stop(graceMs: number): Promise<void>;
}

/** Starts workers with a fresh id each time. */
export type WorkerLauncher = (id: string) => WorkerHandle;

/** Workers as separate Node processes running `chaos/worker.ts`. */
export function processLauncher(
  spec: Omit<WorkerSpec, "id" | "url">,
  url: string,
  env: Record<string, string>,
): WorkerLauncher {
  return (id) => {
    const child = spawn(
      process.execPath,
      ["--conditions=@mailroom/source", "--no-warnings", workerEntry, JSON.stringify({ ...spec, id, url })],
      { stdio: ["ignore", "pipe", "inherit"], env: { ...process.env, ...env } },
    );
    const forget = onInterrupt(() => child.kill("SIGKILL"));
    child.once("exit", forget);
    return childHandle(id, child);
  };
}

function childHandle(id: string, child: ChildProcess): WorkerHandle {
  let asked = false;
  const exit = once(child, "exit") as Promise<[number | null, NodeJS.Signals | null]>;
  const ended = exit.then(([code, signal]) => ({
    expected: asked,
    detail: signal ? `killed by ${signal}` : `exited with code ${code}`,
  }));
  const started = new Promise<void>((resolve, reject) => {
    let seen = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      seen += chunk.toString("utf8");
      if (seen.includes("started\n")) resolve();
    });
    void ended.then((e) => reject(new Error(`worker ${id} ${e.detail} before it started`)));
  });
  started.catch(() => {});
  const gone = () => child.exitCode !== null || child.signalCode !== null;
  return {
    id,
    started,
    ended,
    async kill() {
      asked = true;
      if (!gone()) child.kill("SIGKILL");
      await exit;
    },
    async stop(graceMs) {
      asked = true;
      if (gone()) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
      await exit;
      clearTimeout(timer);
    },
  };
}

/** Past this many workers that ended on their own, they are no longer replaced (a target that cannot start). */
const MAX_UNEXPECTED_EXITS = 5;

/**
 * Two (or more) workers competing for one queue. A worker that ends without being asked is
 * counted and replaced, so the run goes on and the report says so.
 */
export class WorkerPool {
  readonly #launch: WorkerLauncher;
  readonly #workers: WorkerHandle[] = [];
  readonly unexpectedExits: string[] = [];
  #next = 0;
  #stopping = false;

  constructor(launch: WorkerLauncher) {
    this.#launch = launch;
  }

  /** Start `count` workers; resolves once all have connected. */
  async start(count: number): Promise<void> {
    const started = Array.from({ length: count }, () => this.#add());
    await Promise.all(started.map((w) => w.started));
  }

  /** kill -9 one worker chosen by `random`, then start a replacement (not awaited: it connects on its own). */
  async killOne(random: () => number): Promise<string> {
    const victim = this.#workers[Math.floor(random() * this.#workers.length)]!;
    this.#workers.splice(this.#workers.indexOf(victim), 1);
    await victim.kill();
    this.#add();
    return victim.id;
  }

  /** Drain and stop every worker. */
  async stop(graceMs = 30_000): Promise<void> {
    this.#stopping = true;
    await Promise.all(this.#workers.splice(0).map((w) => w.stop(graceMs)));
  }

  #add(): WorkerHandle {
    const worker = this.#launch(`w${++this.#next}`);
    this.#workers.push(worker);
    void worker.ended.then((end) => {
      if (end.expected || this.#stopping) return;
      this.unexpectedExits.push(`${worker.id} ${end.detail}`);
      const at = this.#workers.indexOf(worker);
      if (at >= 0) this.#workers.splice(at, 1);
      if (this.unexpectedExits.length <= MAX_UNEXPECTED_EXITS) this.#add();
    });
    return worker;
  }
}
