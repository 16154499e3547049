import { describe, expect, it } from "vitest";
import { backoffDelay, defaultRetryPolicy, retryPolicy } from "./retry.ts";

describe("retry policy", () => {
  it("defaults to 5 attempts, 1 s base, 5 min cap, full jitter", () => {
    expect(defaultRetryPolicy).toEqual({
      maxAttempts: 5,
      baseDelayMs: 1000,
      maxDelayMs: 300_000,
      jitter: "full",
    });
  });

  it("doubles the ceiling per attempt up to the cap", () => {
    const p = retryPolicy({ jitter: "none", baseDelayMs: 100, maxDelayMs: 1000 });
    expect([1, 2, 3, 4, 5, 6].map((a) => backoffDelay(p, a))).toEqual([100, 200, 400, 800, 1000, 1000]);
  });

  it("full jitter picks uniformly below the ceiling", () => {
    const p = retryPolicy({ baseDelayMs: 1000 });
    expect(backoffDelay(p, 3, () => 0.5)).toBe(2000);
    expect(backoffDelay(p, 3, () => 0)).toBe(0);
  });

  it("rejects nonsense with a clear error", () => {
    expect(() => retryPolicy({ maxAttempts: 0 })).toThrow(/maxAttempts must be an integer >= 1/);
    expect(() => retryPolicy({ baseDelayMs: 10, maxDelayMs: 5 })).toThrow(/baseDelayMs <= maxDelayMs/);
  });
});
