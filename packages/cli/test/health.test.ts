import { createServer } from "node:http";
import { beforeAll, describe, expect, it, onTestFinished } from "vitest";
import { buildCli, cli, examples, started, workdir } from "./helpers.ts";

beforeAll(buildCli, 120_000);

describe("mailroom run --health-port", () => {
  it("serves /healthz and /metrics while running, and stops cleanly on SIGTERM", async () => {
    const { dir, queue } = workdir();
    const run = started(
      ["run", "--handlers", `${examples}/handlers`, "--transport", queue, "--health-port", "0"],
      {
        cwd: dir,
      },
    );
    // The health line comes first; the banner once the worker is running.
    const stderr = await run.stderrIncludes("until SIGTERM");
    const base = /health: (http:\/\/127\.0\.0\.1:\d+)\/healthz/.exec(stderr)?.[1];
    expect(base).toBeDefined();
    const health = await fetch(`${base}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ ok: true, state: "running" });
    const metrics = await (await fetch(`${base}/metrics`)).text();
    // The prom-client registry: per-name families (no samples before a message), totals, depth.
    expect(metrics).toMatch(/^# TYPE mailroom_messages_received_total counter$/m);
    expect(metrics).toMatch(/^# TYPE mailroom_handler_duration_seconds histogram$/m);
    expect(metrics).toContain('mailroom_receive_errors_total{app="worker"} 0');
    expect(metrics).toMatch(
      /^mailroom_queue_depth\{transport="sqlite",queue="[^"]+",state="ready",app="worker"\} 0$/m,
    );
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    run.child.kill("SIGTERM");
    const out = await run.done;
    expect(out.code).toBe(0);
    expect(out.stdout).toMatch(/^done in .*: 0 acked/m);
  });

  it.each([
    ["one worker", []],
    ["--workers 2", ["--workers", "2"]],
  ])(
    "with %s, a port in use ends the command with one line and exit 2",
    async (_, workers) => {
      const { dir, queue } = workdir();
      const taken = createServer();
      await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
      onTestFinished(() => new Promise<void>((resolve) => taken.close(() => resolve())));
      const address = taken.address();
      const port = typeof address === "object" && address ? address.port : 0;
      const r = await cli(
        [
          "run",
          ...workers,
          "--handlers",
          `${examples}/handlers`,
          "--transport",
          queue,
          "--health-port",
          String(port),
        ],
        { cwd: dir },
      );
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr.trim().split("\n").at(-1)).toBe(
        `mailroom: port ${port} on 127.0.0.1 is in use; choose another with --health-port (0 = any free port)`,
      );
      expect(r.stderr).not.toContain("    at ");
      expect(r.stderr).not.toContain("supervising");
    },
    30_000,
  );
});
