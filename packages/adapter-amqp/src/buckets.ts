import { ConfigError } from "@mailroom/core";

/**
 * Default delay-queue TTLs, ms. Each bucket is its own queue with one fixed TTL, so messages in
 * it expire in arrival order = due order: a 1-hour delay never holds up a 1-second one.
 */
export const DEFAULT_DELAY_BUCKETS: readonly number[] = [
  100, 500, 1_000, 5_000, 15_000, 60_000, 300_000, 900_000, 3_600_000,
];

/** Sort, dedupe and check bucket TTLs. */
export function normaliseBuckets(buckets: readonly number[]): number[] {
  const out = [...new Set(buckets)].sort((a, b) => a - b);
  if (out.length === 0) throw new ConfigError("delayBuckets needs at least one TTL");
  for (const b of out) {
    if (!Number.isInteger(b) || b < 1) throw new ConfigError(`delay bucket TTLs are whole ms >= 1, got ${b}`);
  }
  return out;
}

/** One hop towards a due time: wait `bucket` ms; `notBefore` (ms epoch) is set when one hop is not enough. */
export interface BucketHop {
  bucket: number;
  notBefore: number | undefined;
}

/** A bucket this much longer than the delay (2%, at least the smallest bucket) is taken in one hop. */
function tolerance(delayMs: number, smallest: number): number {
  return Math.max(smallest, delayMs * 0.02);
}

/**
 * The hop for a delay: the largest bucket not longer than the delay, or a slightly longer one
 * (within 2%) to arrive in one hop; the smallest bucket for shorter delays. When the bucket is
 * shorter than the delay, the message carries `not-before` and the worker that receives it early
 * sends it round again (`defer`), so any delay is reached in a few hops with no broker plugin.
 * A message is never handled before its delay. Returns undefined for a delay of 0.
 */
export function chooseHop(
  delayMs: number,
  buckets: readonly number[],
  now = Date.now(),
): BucketHop | undefined {
  if (!(delayMs > 0)) return undefined;
  let bucket = buckets[0]!;
  const slack = tolerance(delayMs, bucket);
  for (const b of buckets) {
    if (b <= delayMs) bucket = b;
    else {
      if (b - delayMs <= slack && bucket < delayMs) bucket = b;
      break;
    }
  }
  return { bucket, notBefore: bucket < delayMs ? now + delayMs : undefined };
}
