import { describe, expect, it } from "vitest";
import { Coalescer } from "./coalescer.ts";

describe("Coalescer", () => {
  it("sends a batch as soon as 10 entries wait, in one call", async () => {
    const calls: number[][] = [];
    const c = new Coalescer<number>(
      async (e) => {
        calls.push(e);
        return e.map(() => undefined);
      },
      { flushMs: 60_000 },
    );
    await Promise.all(Array.from({ length: 10 }, (_, i) => c.add(i)));
    expect(calls).toEqual([[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]]);
  });

  it("sends fewer after flushMs, and each caller sees its own entry's failure", async () => {
    const c = new Coalescer<string>(
      async (e) => e.map((x) => (x === "bad" ? new Error("refused") : undefined)),
      {
        flushMs: 2,
      },
    );
    const results = await Promise.allSettled([c.add("a"), c.add("bad"), c.add("b")]);
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
  });

  it("rejects every entry of a batch whose request failed, and drain waits for batches in flight", async () => {
    let sent = 0;
    const c = new Coalescer<number>(async () => {
      sent++;
      throw new Error("network");
    });
    const p = c.add(1);
    await c.drain();
    await expect(p).rejects.toThrow("network");
    expect(sent).toBe(1);
  });
});
