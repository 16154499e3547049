import { createApp, silentLogger } from "@mailroom/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sharedBrokerLock, testScope, transport, uniqueName } from "./helpers.ts";

sharedBrokerLock({ beforeAll, afterAll });
const scope = testScope(afterAll);

describe("batch consume", () => {
  it("flushes by size and by interval, with per-message outcomes", async () => {
    const queue = uniqueName("batch");
    const t = await transport(queue, { prefetch: 50 }).connect();
    const app = createApp({ name: "t", logger: silentLogger, retry: { baseDelayMs: 0, maxDelayMs: 0 } });
    const calls: Array<{ size: number; at: number }> = [];
    let failed = false;
    app.handleBatch("row", { maxSize: 5, maxWaitMs: 400 }, (items) => {
      calls.push({ size: items.length, at: Date.now() });
      const bad = items.find((i) => (i.data as { n: number }).n === 3);
      if (bad && !failed) {
        failed = true;
        return [{ id: bad.envelope.id, error: new Error("row 3 failed once") }];
      }
      return undefined;
    });
    const { spy } = scope.run(app, t, { concurrency: 10, batchSize: 10 });
    await t.publisher().publish(Array.from({ length: 5 }, (_, n) => ({ name: "row", data: { n } })));
    await spy.waitFor({ name: "row", outcome: "ack", count: 4 });
    expect(calls[0]!.size).toBe(5);
    const retried = await spy.waitFor({ name: "row", outcome: "retry" });
    expect(retried.map((r) => (r.envelope as { data: { n: number } }).data.n)).toEqual([3]);
    await spy.waitFor({ name: "row", outcome: "ack", count: 5 });
    const before = calls.length;
    const sent = Date.now();
    await t.publisher().publish([
      { name: "row", data: { n: 10 } },
      { name: "row", data: { n: 11 } },
    ]);
    await spy.waitFor({ name: "row", outcome: "ack", count: 7 });
    const byInterval = calls.slice(before);
    expect(byInterval.map((c) => c.size)).toEqual([2]);
    expect(byInterval[0]!.at - sent).toBeGreaterThanOrEqual(350);
  });
});
