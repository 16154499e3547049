// The small chaos run of CI: every transport through the same scenario as `npm run chaos`, with
// 1,500 messages instead of 20,000 (still 1% poison, 5% failing once, two competing workers,
// three kill -9, and the broker restarted and stalled where the runner owns it). Each transport
// must lose nothing, do no side effect twice with idempotency on, and dead-letter only poison.
import { afterAll, describe, expect, it } from "vitest";
import { type ChaosResult, runScenario } from "../scenario.ts";
import { formatNotes, formatTable } from "../table.ts";
import { targets } from "../targets/index.ts";

const results: ChaosResult[] = [];
afterAll(() => {
  if (results.length > 0)
    process.stdout.write(`\nchaos (CI run)\n${formatTable(results)}\n${formatNotes(results)}\n`);
});

describe("chaos: kill -9, broker restarts and stalls, poison and transient failures", () => {
  for (const target of targets) {
    it(`${target.name}: 1,500 messages through three kill -9, competing workers and the broker's restart and stall: none lost, no duplicate side effect with idempotency, only poison dead-lettered`, async () => {
      const result = await runScenario(target, {
        count: 1_500,
        seed: Number(process.env.MAILROOM_CHAOS_SEED ?? 7),
        workers: 2,
        kills: 3,
        stallMs: 2_000,
        visibilityMs: 3_000,
        inProgressTtlMs: 8_000,
        timeoutMs: 75_000,
        redisUrl: process.env.MAILROOM_REDIS_URL ?? "redis://127.0.0.1:6379",
        log: () => {},
      });
      results.push(result);
      const summary = `${formatTable([result])}\n${formatNotes([result])}`;
      expect(result.finished, summary).toBe(true);
      expect(result.lost, summary).toBe(0);
      expect(result.duplicatesIdempotent, summary).toBe(0);
      expect(result.wronglyDeadLettered, summary).toBe(0);
      expect(result.processed, summary).toBe(result.sent - Math.round(result.sent * 0.01));
      expect(result.events.filter((e) => e.startsWith("kill -9"))).toHaveLength(3);
    }, 150_000);
  }
});
