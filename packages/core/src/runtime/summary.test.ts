import { describe, expect, it } from "vitest";
import { createApp } from "../app.ts";
import type { Logger } from "../logger.ts";
import { silentLogger } from "../logger.ts";
import { memoryTransport } from "../transports/memory.ts";
import { WorkerStats } from "./stats.ts";
import { summaryLine, summaryPoint } from "./summary.ts";
import { Worker } from "./worker.ts";

describe("the worker's summary line", () => {
  it("states what happened since the last one: consumed, acked, failed, dead-lettered, CPU, RSS, host", () => {
    const stats = new WorkerStats();
    const from = summaryPoint(stats, 1_000);
    stats.received = 12;
    stats.acked = 9;
    stats.retried = 2;
    stats.deadLettered = 1;
    const line = summaryLine(from, { ...summaryPoint(stats, 61_000), cpuMicros: from.cpuMicros + 6_000_000 });
    expect(line).toMatchObject({
      intervalS: 60,
      consumed: 12,
      acked: 9,
      failed: 3,
      deadLettered: 1,
      cpuPercent: 10,
    });
    expect(line.rssMb).toBeGreaterThan(0);
    expect(line.msg).toMatch(
      /^summary 60 s: consumed 12, acked 9, failed 3, dead-lettered 1, CPU 10%, RSS \d+ MB, host \S+$/,
    );
  });

  it("is logged at info every summaryIntervalMs while the Worker runs, and not after it stopped", async () => {
    const lines: Array<{ obj: object; msg?: string }> = [];
    const logger: Logger = {
      ...silentLogger,
      info: (obj, msg) => void lines.push({ obj, msg }),
      child: () => logger,
    };
    const t = memoryTransport({ namespace: `summary-${process.pid}`, queue: "q", waitMs: 10 });
    const app = createApp({ name: "s", logger: silentLogger });
    app.handle("ping", () => {});
    const worker = new Worker(app, t.source(), { logger, summaryIntervalMs: 40, logOutcomes: false });
    const running = worker.start();
    await t.publisher().publish([
      { name: "ping", data: 1 },
      { name: "ping", data: 2 },
    ]);
    const summaries = () => lines.filter((l) => l.msg?.startsWith("summary "));
    for (let i = 0; i < 100 && !summaries().some((l) => (l.obj as { consumed: number }).consumed > 0); i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    await worker.stop();
    await running;
    const counted = summaries().reduce((n, l) => n + (l.obj as { consumed: number }).consumed, 0);
    expect(counted).toBe(2);
    const after = summaries().length;
    await new Promise((r) => setTimeout(r, 120));
    expect(summaries().length).toBe(after);
    await t.close();
  });
});
