import { afterEach, describe, expect, it, vi } from "vitest";
import { MemoryIdempotencyStore } from "./idempotency.ts";

describe("MemoryIdempotencyStore expiry sweep", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("visits a bounded number of keys per begin however many live keys it holds", async () => {
    const store = new MemoryIdempotencyStore();
    expect(store.sweptEntries).toBe(0);
    // 50,000 live keys, then 10,000 more begins: a sweep of every key on every begin past
    // 10,000 keys would visit about 10,000 × 55,000 entries.
    for (let i = 0; i < 60_000; i++) await store.begin(`k${i}`, 3_600_000);
    expect(store.size).toBe(60_000);
    expect(store.sweptEntries).toBeLessThanOrEqual(2 * 60_000);
  });

  it("still drops expired keys, so a stream of short-lived keys stays bounded", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    let now = 0;
    vi.setSystemTime(now);
    const store = new MemoryIdempotencyStore();
    let largest = 0;
    for (let i = 0; i < 100_000; i++) {
      vi.setSystemTime(++now);
      await store.begin(`k${i}`, 10);
      largest = Math.max(largest, store.size);
    }
    expect(largest).toBeLessThanOrEqual(20_000);
  });

  it("a key that expired is claimed again", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(0);
    const store = new MemoryIdempotencyStore();
    expect(await store.begin("k", 10)).toBe("started");
    await store.complete("k", 10);
    expect(await store.begin("k", 10)).toBe("completed");
    vi.setSystemTime(10);
    expect(await store.begin("k", 10)).toBe("started");
  });
});
