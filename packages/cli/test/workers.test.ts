// `mailroom run --workers N`: worker processes under a supervisor, on one SQLite queue file.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { sqliteTransport, uuidv7 } from "@mailroom/core";
import { beforeAll, describe, expect, it } from "vitest";
import { buildCli, cli, fixtures, started, workdir } from "./helpers.ts";

beforeAll(buildCli, 120_000);

const handlers = join(fixtures, "worker-handlers");

async function publish(db: string, data: unknown[]): Promise<string[]> {
  const t = sqliteTransport(db);
  const messages = data.map((d) => ({ id: uuidv7(), name: "work", data: d }));
  await t.publisher().publish(messages);
  await t.close();
  return messages.map((m) => m.id);
}

function handled(out: string): Array<{ pid: string; id: string }> {
  if (!existsSync(out)) return [];
  return readFileSync(out, "utf8")
    .trim()
    .split("\n")
    .filter(Boolean)
    .map((l) => {
      const [pid = "", id = ""] = l.split(" ");
      return { pid, id };
    });
}

describe("mailroom run --workers N", () => {
  it("runs N processes on one queue until it is empty: every message handled once, by more than one process", async () => {
    const { dir, db, queue } = workdir();
    const out = join(dir, "handled.txt");
    const ids = await publish(
      db,
      Array.from({ length: 150 }, (_, i) => ({ i, slow: true })),
    );
    // One message at a time per worker (~25 ms each): one process alone would need seconds, so
    // the others, started at the same time, get work even on a loaded machine.
    const r = await cli(
      [
        ...["run", "--workers", "3", "--until-empty", "--concurrency", "1", "--batch-size", "1"],
        ...["--handlers", handlers, "--transport", queue],
      ],
      { cwd: dir, env: { MAILROOM_TEST_OUT: out } },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain("supervising 3 worker processes");
    const seen = handled(out);
    expect(seen.map((s) => s.id).sort()).toEqual([...ids].sort());
    expect(new Set(seen.map((s) => s.pid)).size).toBeGreaterThan(1);
  }, 60_000);

  it("starts a crashed worker again; the message it held is redelivered and handled", async () => {
    const { dir, db } = workdir();
    const out = join(dir, "handled.txt");
    const ids = await publish(db, [{ crash: true }, ...Array.from({ length: 10 }, (_, i) => ({ i }))]);
    const r = await cli(
      [
        "run",
        "--workers",
        "2",
        "--until-empty",
        "--handlers",
        handlers,
        "--transport",
        `sqlite:${db}?visibility=1s`,
      ],
      { cwd: dir, env: { MAILROOM_TEST_OUT: out } },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/! worker \d exited with code 1; starting it again in 1(\.0)?s/);
    expect(
      handled(out)
        .map((s) => s.id)
        .sort(),
    ).toEqual([...ids].sort());
  }, 60_000);

  it("serves every worker's metrics with a worker label, and SIGTERM drains them all", async () => {
    const { dir, queue } = workdir();
    const run = started(
      ["run", "--workers", "2", "--health-port", "0", "--handlers", handlers, "--transport", queue],
      { cwd: dir, env: { MAILROOM_TEST_OUT: join(dir, "handled.txt") } },
    );
    const stderr = await run.stderrIncludes("/healthz");
    const base = /health: (http:\/\/[^/\s]+)\/healthz/.exec(stderr)![1]!;
    let metrics = "";
    for (let i = 0; i < 100 && !(metrics.includes('worker="0"') && metrics.includes('worker="1"')); i++) {
      metrics = await (await fetch(`${base}/metrics`)).text();
      if (!metrics.includes('worker="1"')) await new Promise((r) => setTimeout(r, 100));
    }
    expect(metrics).toMatch(/^# HELP mailroom_messages_received_total /m);
    expect(metrics.match(/^# TYPE mailroom_messages_received_total counter$/gm)).toHaveLength(1);
    expect(metrics).toMatch(/^mailroom_receive_errors_total\{worker="0",app="worker"\} \d+$/m);
    expect(metrics).toMatch(/^mailroom_receive_errors_total\{worker="1",app="worker"\} \d+$/m);
    expect(metrics.match(/^# TYPE mailroom_handler_duration_seconds histogram$/gm)).toHaveLength(1);
    // The workers share the queue: its depth is shown once, without a worker label, so sum() is right.
    expect(metrics).not.toMatch(/^mailroom_queue_depth\{[^}]*worker=/m);
    expect(
      metrics.match(
        /^mailroom_queue_depth\{transport="sqlite",queue="[^"]+",state="ready",app="worker"\} \d+$/gm,
      ),
    ).toHaveLength(1);
    const health = await fetch(`${base}/healthz`);
    expect(health.status).toBe(200);
    let ready = await fetch(`${base}/readyz`);
    for (let i = 0; i < 100 && ready.status !== 200; i++) {
      await new Promise((r) => setTimeout(r, 100));
      ready = await fetch(`${base}/readyz`);
    }
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({
      ok: true,
      workers: [
        { worker: 0, ok: true },
        { worker: 1, ok: true },
      ],
    });
    run.child.kill("SIGTERM");
    const r = await run.done;
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("2 workers stopped");
  }, 60_000);

  it("answers /readyz 503 with each worker's reason while the workers wait for the broker", async () => {
    const { dir } = workdir();
    const run = started(
      [
        ...["run", "--workers", "2", "--health-port", "0", "--handlers", handlers],
        ...["--transport", "amqp://127.0.0.1:1?queue=q", "--connect-timeout", "60s"],
      ],
      { cwd: dir },
    );
    const stderr = await run.stderrIncludes("(all workers)");
    const base = /health: (http:\/\/[^/\s]+)\/healthz/.exec(stderr)![1]!;
    type Readiness = { ok: boolean; workers: Array<{ worker: number; ok: boolean; reason?: string }> };
    const waiting = (b: Readiness) =>
      b.workers.every((w) => w.reason?.startsWith("waiting for the transport"));
    let status = 0;
    let body: Readiness = { ok: true, workers: [] };
    // Each worker's reason is "starting" until it serves its own /readyz, then the broker's error.
    for (let i = 0; i < 100; i++) {
      const r = await fetch(`${base}/readyz`);
      status = r.status;
      body = (await r.json()) as Readiness;
      if (waiting(body)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(status).toBe(503);
    expect(body.ok).toBe(false);
    expect(body.workers.map((w) => [w.worker, w.ok])).toEqual([
      [0, false],
      [1, false],
    ]);
    for (const w of body.workers) expect(w.reason).toMatch(/^waiting for the transport: .*127\.0\.0\.1:1/);
    run.child.kill("SIGTERM");
    expect((await run.done).code).toBe(0);
  }, 60_000);
});

describe("mailroom run --workers N with a configuration error", () => {
  it("stops every worker and exits 2 with the worker's one line, instead of starting them again and again", async () => {
    const { dir } = workdir();
    // An AMQP URL without a queue: each worker ends at start-up with exit code 2.
    const r = await cli(
      ["run", "--workers", "2", "--handlers", handlers, "--transport", "amqp://127.0.0.1:1"],
      {
        cwd: dir,
      },
    );
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain("needs a queue");
    expect(r.stderr).toContain("exited with code 2 at start-up; stopping every worker");
    expect(r.stderr).not.toContain("starting it again");
  }, 60_000);
});
