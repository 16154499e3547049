import { createServer } from "node:net";
import { type App, type Logger, type Source, silentLogger, Worker, type WorkerOptions } from "@mailroom/core";
import { HandlerSpy } from "@mailroom/core/testkit";
import { connect } from "amqplib";
import { AmqpTransport } from "../src/index.ts";
import type { AmqpTransportOptions } from "../src/options.ts";
import { BROKER_LOCK } from "./broker-lock.ts";

/** The broker started by scripts/services.sh. */
export const AMQP_URL = process.env.MAILROOM_AMQP_URL ?? "amqp://guest:guest@127.0.0.1:5672";

let n = 0;
/** A queue name unique to this test run. */
export function uniqueName(what: string): string {
  return `mr-amqp-${what}-${process.pid}-${Date.now().toString(36)}-${n++}`;
}

const created = new Set<string>();

/** A transport on `queue`, remembered so `cleanup` deletes its queues. */
export function transport(queue: string, options: AmqpTransportOptions = {}): AmqpTransport {
  created.add(queue);
  return new AmqpTransport(AMQP_URL, {
    queue,
    reconnect: { minMs: 50, maxMs: 1_000 },
    logger: silentLogger,
    ...options,
  });
}

/** Publish raw bytes straight to a queue, as a foreign producer would. */
export async function sendRaw(
  queue: string,
  body: Uint8Array | string,
  properties: Record<string, unknown> = {},
): Promise<void> {
  const conn = await connect(AMQP_URL);
  try {
    const ch = await conn.createConfirmChannel();
    ch.sendToQueue(queue, Buffer.from(body), properties);
    await ch.waitForConfirms();
  } finally {
    await conn.close();
  }
}

/** Delete every queue (and its retry / dead-letter queues) the tests created. */
export async function cleanup(extraExchanges: string[] = []): Promise<void> {
  const conn = await connect(AMQP_URL);
  try {
    const ch = await conn.createChannel();
    for (const q of created) {
      for (const name of [
        q,
        `${q}.dlq`,
        ...[100, 500, 1000, 5000, 15000, 60000, 300000, 900000, 3600000].map((b) => `${q}.retry.${b}`),
      ]) {
        await ch.deleteQueue(name);
      }
    }
    for (const ex of extraExchanges) await ch.deleteExchange(ex);
    await ch.close();
  } finally {
    await conn.close();
  }
  created.clear();
}

/** Resolve when `check` returns true, polling; reject after `timeoutMs`. For broker state only, never for handler outcomes. */
export async function until(
  check: () => boolean | Promise<boolean>,
  timeoutMs = 20_000,
  what = "condition",
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Hold the broker lock: shared by ordinary test files, exclusive for tests that restart the
 * broker, so a restart never lands in the middle of another file's test. Backed by flock(1) in a
 * child process, so a crashed test process releases it. Returns the release function.
 */
export async function brokerLock(mode: "shared" | "exclusive"): Promise<() => Promise<void>> {
  const { spawn } = await import("node:child_process");
  const child = spawn(
    "flock",
    [mode === "shared" ? "-s" : "-x", BROKER_LOCK, "sh", "-c", "echo locked; cat >/dev/null"],
    { stdio: ["pipe", "pipe", "inherit"] },
  );
  await new Promise<void>((resolve, reject) => {
    child.stdout.once("data", () => resolve());
    child.once("error", reject);
    child.once("exit", (code) => reject(new Error(`flock exited with ${code}`)));
  });
  return async () => {
    const exited = new Promise((r) => child.once("exit", r));
    child.stdin.end();
    await exited;
  };
}

/** Take the shared broker lock for the whole file. Call at the top level of a test file. */
export function sharedBrokerLock(hooks: {
  beforeAll: (fn: () => Promise<void>, timeout?: number) => void;
  afterAll: (fn: () => Promise<void>) => void;
}): void {
  let release: (() => Promise<void>) | undefined;
  hooks.beforeAll(async () => {
    release = await brokerLock("shared");
  }, 300_000);
  hooks.afterAll(async () => {
    await release?.();
  });
}

/**
 * A test file's scope: things to stop and exchanges to delete once its tests are done, and
 * `run`, which starts a Worker (with a HandlerSpy) stopped together with its transport.
 * Call at the top level of a test file.
 */
export function testScope(afterAll: (fn: () => Promise<void>) => void, options: { tolerant?: boolean } = {}) {
  const exchanges: string[] = [];
  const stops: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const stop of stops.reverse()) {
      // After a broker restart or a kill, some of these have nothing left to close.
      if (options.tolerant) await stop().catch(() => {});
      else await stop();
    }
    await cleanup(exchanges);
  });
  function run(app: App, t: AmqpTransport, workerOptions: WorkerOptions = {}, source: Source = t.source()) {
    const worker = new Worker(app, source, {
      concurrency: 4,
      publisher: t.publisher(),
      logger: silentLogger,
      ...workerOptions,
    });
    const spy = new HandlerSpy(worker);
    void worker.start();
    stops.push(async () => {
      await worker.stop();
      await t.close();
    });
    return { worker, spy };
  }
  return { exchanges, stops, run };
}

/**
 * Apply a RabbitMQ policy to the queues matching `pattern` (e.g. a dead-letter queue that refuses
 * every publish: `{ "max-length": 0, "overflow": "reject-publish" }`). Policies change a live
 * queue without re-declaring it, so the transport's own declarations still match. Returns the
 * function that removes it.
 */
export async function applyQueuePolicy(
  name: string,
  pattern: string,
  definition: Record<string, unknown>,
): Promise<() => Promise<void>> {
  const { execFile } = await import("node:child_process");
  const { promisify } = await import("node:util");
  const ctl = (...args: string[]) => promisify(execFile)("rabbitmqctl", ["-q", ...args], { timeout: 60_000 });
  await ctl(
    "set_policy",
    "--apply-to",
    "queues",
    "--priority",
    "100",
    name,
    pattern,
    JSON.stringify(definition),
  );
  return async () => {
    await ctl("clear_policy", name);
  };
}

/** Messages ready in a queue (not counting those delivered and unacknowledged); 0 when the queue does not exist. */
export async function readyCount(queue: string): Promise<number> {
  const conn = await connect(AMQP_URL);
  try {
    const ch = await conn.createChannel();
    ch.on("error", () => {});
    return await ch.checkQueue(queue).then(
      (q) => q.messageCount,
      () => 0,
    );
  } finally {
    await conn.close();
  }
}

/** One line a `recordingLogger` kept. */
export interface LoggedLine {
  level: string;
  obj: object;
  msg?: string | undefined;
}

/** A logger that keeps every line, for tests of what the adapter logs; `next` awaits a matching line. */
export function recordingLogger(): Logger & {
  lines: LoggedLine[];
  next(match: (line: LoggedLine) => boolean): Promise<LoggedLine>;
} {
  const lines: LoggedLine[] = [];
  let waiters: Array<{ match: (line: LoggedLine) => boolean; resolve: (line: LoggedLine) => void }> = [];
  const at =
    (level: string) =>
    (obj: object, msg?: string): void => {
      const line = { level, obj, msg };
      lines.push(line);
      waiters = waiters.filter((w) => {
        if (!w.match(line)) return true;
        w.resolve(line);
        return false;
      });
    };
  const logger = {
    lines,
    debug: at("debug"),
    info: at("info"),
    warn: at("warn"),
    error: at("error"),
    child: () => logger,
    next(match: (line: LoggedLine) => boolean): Promise<LoggedLine> {
      const seen = lines.find(match);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve) => waiters.push({ match, resolve }));
    },
  };
  return logger;
}

/** The broker URL with other credentials, vhost or port. */
export function brokerUrl(
  change: { password?: string; vhost?: string; port?: number },
  query: string,
): string {
  const url = new URL(AMQP_URL);
  if (change.password !== undefined) url.password = change.password;
  if (change.vhost !== undefined) url.pathname = `/${encodeURIComponent(change.vhost)}`;
  if (change.port !== undefined) url.port = String(change.port);
  return `${url.toString().replace(/\/$/, "")}?${query}`;
}

/** A local port nothing listens on. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}
