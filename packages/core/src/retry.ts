/** How a handler's failures are retried. Every field has a documented default. */
export interface RetryOptions {
  /** Handler runs before the message is dead-lettered. Default 5. */
  maxAttempts?: number;
  /** First backoff ceiling, ms. Default 1,000. */
  baseDelayMs?: number;
  /** Largest backoff, ms. Default 300,000 (5 min). */
  maxDelayMs?: number;
  /** `full` (default): a random delay in [0, ceiling) — AWS's "full jitter". `none`: the ceiling itself. */
  jitter?: "full" | "none";
  /**
   * Receives after which a message is dead-lettered with reason `max_receives_exceeded`, on
   * transports whose receive count cannot tell handler runs (FIFO queues, where a deferred,
   * released or skipped message stays in place). Default: 10 × maxAttempts, at least 100.
   * Elsewhere `maxAttempts` alone applies.
   */
  maxReceives?: number;
}

/** A retry policy with every field resolved (`maxReceives` stays undefined when derived). */
export type RetryPolicy = Required<Omit<RetryOptions, "maxReceives">> & { maxReceives?: number | undefined };

/** The receive limit of a policy: its `maxReceives`, else 10 × maxAttempts, at least 100. */
export function receiveLimit(policy: RetryPolicy): number {
  return policy.maxReceives ?? Math.max(100, 10 * policy.maxAttempts);
}

/** The defaults: 5 attempts, exponential backoff from 1 s to 5 min with full jitter. */
export const defaultRetryPolicy: RetryPolicy = Object.freeze({
  maxAttempts: 5,
  baseDelayMs: 1_000,
  maxDelayMs: 300_000,
  jitter: "full",
});

/** Resolve options over a base policy, rejecting nonsense early. */
export function retryPolicy(
  options: RetryOptions | undefined,
  base: RetryPolicy = defaultRetryPolicy,
): RetryPolicy {
  const p = { ...base, ...stripUndefined(options ?? {}) };
  if (!Number.isInteger(p.maxAttempts) || p.maxAttempts < 1) {
    throw new RangeError(`retry.maxAttempts must be an integer >= 1, got ${p.maxAttempts}`);
  }
  if (p.maxReceives !== undefined && !(Number.isInteger(p.maxReceives) && p.maxReceives >= p.maxAttempts)) {
    throw new RangeError(`retry.maxReceives must be an integer >= maxAttempts, got ${p.maxReceives}`);
  }
  if (!(p.baseDelayMs >= 0) || !(p.maxDelayMs >= p.baseDelayMs)) {
    throw new RangeError("retry delays must satisfy 0 <= baseDelayMs <= maxDelayMs");
  }
  return p;
}

/** Backoff before the next run after `attempt` failed runs: min(max, base·2^(attempt−1)), jittered. */
export function backoffDelay(
  policy: RetryPolicy,
  attempt: number,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  return policy.jitter === "full" ? Math.floor(random() * ceiling) : ceiling;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}
