import { type ChildProcess, fork } from "node:child_process";
import { createServer, type Server } from "node:http";
import { ExitCode } from "../errors.ts";
import { formatDuration } from "../format.ts";
import { listen } from "../listen.ts";
import { mergeMetrics } from "../metrics.ts";
import type { Output } from "../output.ts";

/** The environment variable a supervised worker finds its index in (0 … N−1). */
export const WORKER_INDEX_ENV = "MAILROOM_WORKER_INDEX";

/** A message a supervised worker sends its supervisor over IPC. */
export interface WorkerReport {
  type: "health";
  /** Where the worker serves /healthz and /metrics. */
  url: string;
}

/** Options of the supervisor of `mailroom run --workers N`. */
export interface SuperviseOptions {
  workers: number;
  /** `mailroom run`'s arguments for each worker (without `--workers` and the health options). */
  args: string[];
  /** Serve the merged /metrics and /healthz of all workers here. */
  healthPort?: number | undefined;
  healthHost?: string | undefined;
  /** Each worker stops when the queue is drained; the supervisor then stops too. */
  untilEmpty: boolean;
}

interface Slot {
  index: number;
  child?: ChildProcess | undefined;
  healthUrl?: string | undefined;
  restarts: number;
  startedAt: number;
  done: boolean;
}

/** Restart delays after a crash: 1 s doubling to 30 s; a worker that ran a minute starts over at 1 s. */
const RESTART_MIN_MS = 1_000;
const RESTART_MAX_MS = 30_000;
const STABLE_AFTER_MS = 60_000;

/**
 * `mailroom run --workers N`: N worker processes of this same command. A worker that crashes
 * (exits other than 0, or is killed) is started again with backoff; SIGTERM / SIGINT is passed
 * to every worker, which drain, and the supervisor exits once all have. With `--health-port`, the
 * supervisor serves every worker's metrics (labelled `worker="i"`), a /healthz that is ok
 * while every worker's is and a /readyz that is ready while every worker's is.
 */
export async function supervise(options: SuperviseOptions, io: Output): Promise<number> {
  const slots: Slot[] = Array.from({ length: options.workers }, (_, index) => ({
    index,
    restarts: 0,
    startedAt: 0,
    done: false,
  }));
  let stopping = false;
  /** The exit code of a worker that failed at start-up (2 or 3): the supervisor's too. */
  let failedWith: number | undefined;
  let server: Server | undefined;
  const began = performance.now();
  let finished: () => void = () => {};
  const allDone = new Promise<void>((resolve) => {
    finished = resolve;
  });
  const checkDone = () => {
    if (slots.every((s) => s.done)) finished();
  };

  const start = (slot: Slot) => {
    const args = ["run", ...options.args, "--workers", "1"];
    if (options.healthPort !== undefined) args.push("--health-port", "0");
    const child = fork(process.argv[1]!, args, {
      env: { ...process.env, [WORKER_INDEX_ENV]: String(slot.index) },
      execArgv: process.execArgv,
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    slot.child = child;
    slot.startedAt = Date.now();
    slot.healthUrl = undefined;
    child.on("message", (m: WorkerReport) => {
      if (m && m.type === "health" && typeof m.url === "string") slot.healthUrl = m.url;
    });
    child.on("exit", (code, signal) => {
      slot.child = undefined;
      slot.healthUrl = undefined;
      if (stopping || (code === 0 && options.untilEmpty)) {
        slot.done = true;
        checkDone();
        return;
      }
      // A usage or configuration error, or a broker refused or out of reach past the connect
      // timeout, ends a worker at start-up: every worker runs the same command, so another
      // start would only repeat it. Stop them all and exit as a single `mailroom run` would.
      if (code === ExitCode.usage || code === ExitCode.unavailable) {
        failedWith ??= code;
        io.err(`! worker ${slot.index} exited with code ${code} at start-up; stopping every worker`);
        slot.done = true;
        stop();
        return;
      }
      if (Date.now() - slot.startedAt > STABLE_AFTER_MS) slot.restarts = 0;
      const delay = Math.min(RESTART_MAX_MS, RESTART_MIN_MS * 2 ** slot.restarts);
      slot.restarts++;
      io.err(
        `! worker ${slot.index} ${signal ? `was killed (${signal})` : `exited with code ${code}`}; starting it again in ${formatDuration(delay)}`,
      );
      setTimeout(() => {
        if (stopping) {
          slot.done = true;
          checkDone();
        } else start(slot);
      }, delay).unref();
    });
  };

  const stop = () => {
    if (stopping) return;
    stopping = true;
    io.err(`mailroom run: stopping ${options.workers} workers (each drains its in-flight messages)`);
    for (const slot of slots) {
      if (slot.child) slot.child.kill("SIGTERM");
      else slot.done = true;
    }
    checkDone();
  };
  // Listened on before any worker starts: a port in use ends the command with nothing to stop.
  if (options.healthPort !== undefined) {
    server = await serveMerged(slots, options.healthPort, options.healthHost ?? "127.0.0.1");
    const address = server.address();
    const port = typeof address === "object" && address ? address.port : options.healthPort;
    io.err(
      `health: http://${options.healthHost ?? "127.0.0.1"}:${port}/healthz, metrics: …/metrics (all workers)`,
    );
  }
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);

  io.err(`mailroom run: supervising ${options.workers} worker processes`);
  for (const slot of slots) start(slot);
  await allDone;
  process.off("SIGTERM", stop);
  process.off("SIGINT", stop);
  server?.close();
  io.err(
    `mailroom run: ${options.workers} workers stopped after ${formatDuration(performance.now() - began)}`,
  );
  return failedWith ?? ExitCode.ok;
}

/** Families every worker reports the same figure of: the queue is shared. */
const SHARED_FAMILIES = ["mailroom_queue_depth"];

/**
 * /metrics: every worker's, merged with a `worker` label (the queue depth once, from one worker);
 * /healthz: ok while every worker's is; /readyz: ready while every worker's is, else 503 with
 * which worker is not and why.
 */
async function serveMerged(slots: Slot[], port: number, host: string): Promise<Server> {
  const server = createServer(async (req, res) => {
    const live = slots.filter((s) => s.healthUrl);
    if (req.url === "/metrics") {
      const texts = await Promise.all(
        live.map(async (s) => ({
          labels: { worker: String(s.index) },
          text: await fetchText(`${s.healthUrl}/metrics`),
        })),
      );
      res.writeHead(200, { "content-type": "text/plain; version=0.0.4" });
      res.end(
        mergeMetrics(
          texts.filter((t): t is { labels: { worker: string }; text: string } => t.text !== undefined),
          { once: SHARED_FAMILIES },
        ),
      );
      return;
    }
    if (req.url === "/healthz") {
      const workers = await Promise.all(
        slots.map(async (s) => ({
          worker: s.index,
          ok: s.healthUrl !== undefined && (await fetchOk(`${s.healthUrl}/healthz`)),
        })),
      );
      const ok = workers.every((w) => w.ok);
      res.writeHead(ok ? 200 : 503, { "content-type": "application/json" });
      res.end(JSON.stringify({ ok, workers }));
      return;
    }
    if (req.url === "/readyz") {
      const workers = await Promise.all(slots.map((s) => workerReadiness(s)));
      const ok = workers.every((w) => w.ok);
      res.writeHead(ok ? 200 : 503, { "content-type": "application/json" });
      res.end(JSON.stringify({ ok, workers }));
      return;
    }
    res.writeHead(404).end();
  });
  await listen(server, host, port, "--health-port");
  return server;
}

/** One worker's /readyz: ok, else why not (its own reason, or why it could not be asked). */
async function workerReadiness(slot: Slot): Promise<{ worker: number; ok: boolean; reason?: string }> {
  const worker = slot.index;
  if (slot.healthUrl === undefined) {
    const reason = slot.child ? "starting" : slot.done ? "stopped" : "exited; waiting to be started again";
    return { worker, ok: false, reason };
  }
  try {
    const r = await fetch(`${slot.healthUrl}/readyz`, { signal: AbortSignal.timeout(2_000) });
    const body = (await r.json().catch(() => undefined)) as { reason?: unknown; state?: unknown } | undefined;
    if (r.ok) return { worker, ok: true };
    const reason =
      typeof body?.reason === "string"
        ? body.reason
        : typeof body?.state === "string"
          ? body.state
          : `HTTP ${r.status}`;
    return { worker, ok: false, reason };
  } catch (error) {
    return { worker, ok: false, reason: `no answer from ${slot.healthUrl}/readyz: ${describe(error)}` };
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function fetchText(url: string): Promise<string | undefined> {
  try {
    const r = await fetch(url, { signal: AbortSignal.timeout(2_000) });
    return r.ok ? await r.text() : undefined;
  } catch {
    return undefined;
  }
}

async function fetchOk(url: string): Promise<boolean> {
  try {
    const r = await fetch(url, { signal: AbortSignal.timeout(2_000) });
    await r.body?.cancel();
    return r.ok;
  } catch {
    return false;
  }
}
