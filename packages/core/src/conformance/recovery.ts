import { expect, it } from "vitest";
import { idempotency, MemoryIdempotencyStore } from "../middleware/idempotency.ts";
import { isDone } from "../runtime/outcome.ts";
import type { SpyRecord } from "../testkit/spy.ts";
import type { Harness } from "./harness.ts";

/**
 * The suite's recovery part: cases the chaos run (`npm run chaos`, chaos/README.md) found, kept
 * here so every transport is held to them.
 */
export function recoveryTests(h: Harness): void {
  const { features } = h;

  it("a message whose idempotency claim a dead worker left behind waits for the claim to expire without spending attempts, then runs once", async () => {
    const queue = h.queueName("claimheld");
    const t = await h.open(queue);
    const store = new MemoryIdempotencyStore();
    const m = h.msg("conf_claimed", {});
    // A worker claimed the message, then died (kill -9) before completing it: the claim holds on
    // for its in-progress TTL, longer than maxAttempts retry delays.
    const waitMs = Math.max(features.minDelayMs, 250);
    await store.begin(`conf:conf_claimed:${m.id}`, waitMs * 4);
    const app = h.newApp();
    const runs: number[] = [];
    app.handle(
      "conf_claimed",
      {
        retry: { maxAttempts: 2 },
        middleware: [idempotency({ store, prefix: "conf:", retryDelayMs: waitMs })],
      },
      (_data, ctx) => {
        runs.push(ctx.attempt);
      },
    );
    await t.publisher().publish([m]);
    const { spy } = h.start(app, t);
    const ours = (r: SpyRecord) => !("failed" in r.envelope) && r.envelope.id === m.id;
    const [end] = await spy.waitFor((r) => ours(r) && isDone(r.outcome), 30_000);
    expect(end!.outcome).toEqual({ kind: "ack" });
    expect(runs).toEqual([1]);
    expect(spy.records.filter(ours).map((r) => r.outcome.kind)).toContain("defer");
  });
}
