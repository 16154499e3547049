import { beforeAll, describe, expect, it } from "vitest";
import { buildCli, examples, started, workdir } from "./helpers.ts";

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
    expect(metrics).toMatch(/^mailroom_queue_depth\{transport="sqlite",queue="[^"]+",state="ready",app="worker"\} 0$/m);
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    run.child.kill("SIGTERM");
    const out = await run.done;
    expect(out.code).toBe(0);
    expect(out.stdout).toMatch(/^done in .*: 0 acked/m);
  });
});
