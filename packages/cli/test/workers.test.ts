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
    const health = await fetch(`${base}/healthz`);
    expect(health.status).toBe(200);
    run.child.kill("SIGTERM");
    const r = await run.done;
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("2 workers stopped");
  }, 60_000);
});
