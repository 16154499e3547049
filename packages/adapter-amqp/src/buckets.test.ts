import { describe, expect, it } from "vitest";
import { chooseHop, DEFAULT_DELAY_BUCKETS, normaliseBuckets } from "./buckets.ts";

describe("delay buckets", () => {
  const buckets = normaliseBuckets(DEFAULT_DELAY_BUCKETS);

  it("uses the largest bucket not longer than the delay, and not-before for the rest", () => {
    const now = 1_000_000;
    expect(chooseHop(5_000, buckets, now)).toEqual({ bucket: 5_000, notBefore: undefined });
    expect(chooseHop(45_000, buckets, now)).toEqual({ bucket: 15_000, notBefore: now + 45_000 });
    expect(chooseHop(3 * 3_600_000, buckets, now)).toEqual({
      bucket: 3_600_000,
      notBefore: now + 3 * 3_600_000,
    });
    expect(chooseHop(59_500, buckets, now)).toEqual({ bucket: 60_000, notBefore: undefined });
  });

  it("rounds delays shorter than the smallest bucket up to it, and 0 means no hop", () => {
    expect(chooseHop(30, buckets)).toEqual({ bucket: 100, notBefore: undefined });
    expect(chooseHop(0, buckets)).toBeUndefined();
  });

  it("reaches any delay in a bounded number of hops", () => {
    for (const delay of [550, 7_300, 59_999, 2 * 3_600_000 + 123]) {
      let left = delay;
      let hops = 0;
      while (left > 0 && hops < 100) {
        const hop = chooseHop(left, buckets, 0)!;
        left -= hop.bucket;
        hops++;
        if (hop.notBefore === undefined) break;
      }
      expect(left).toBeLessThanOrEqual(Math.max(100, delay * 0.02));
      expect(hops, `delay ${delay}`).toBeLessThanOrEqual(16);
    }
  });

  it("rejects an empty or invalid set", () => {
    expect(() => normaliseBuckets([])).toThrow(/at least one/);
    expect(() => normaliseBuckets([0])).toThrow(/whole ms/);
    expect(normaliseBuckets([1000, 100, 1000])).toEqual([100, 1000]);
  });
});
