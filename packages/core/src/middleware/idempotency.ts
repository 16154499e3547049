import type { Envelope } from "../envelope.ts";
import { DeferLater } from "../errors.ts";
import type { Middleware } from "./middleware.ts";

/** Where a key stands. */
export type IdempotencyState = "started" | "in_progress" | "completed";

/**
 * Remembers which messages were processed. `begin` is atomic: of two workers racing on one key,
 * exactly one gets `started`.
 */
export interface IdempotencyStore {
  /** Claim `key` for `ttlMs`. Returns `started` when claimed, else what holds it. */
  begin(key: string, ttlMs: number): Promise<IdempotencyState>;
  /** Mark `key` done for `ttlMs`: later deliveries ack without running. */
  complete(key: string, ttlMs: number): Promise<void>;
  /** Drop the claim after a failure, so a retry can run. */
  release(key: string): Promise<void>;
}

/** Options of the idempotency middleware. */
export interface IdempotencyOptions {
  store: IdempotencyStore;
  /** The key of a message. Default: its id. Use a business key (`env.data.orderId`) when producers resend with new ids. */
  key?: (envelope: Envelope) => string;
  /** How long a completed key is remembered, ms. Default 24 h. */
  ttlMs?: number;
  /** How long an in-progress claim holds if the worker dies, ms. Default 5 min. */
  inProgressTtlMs?: number;
  /** When a key is in progress elsewhere, look again after this long, ms (no attempt is spent). Default 5,000. */
  retryDelayMs?: number;
  /** Key prefix (namespaces keys per app in a shared Redis). Default `mailroom:idem:`. */
  prefix?: string;
}

/**
 * Process each message (or business key) once: a completed key acks without running the
 * handler; a key in progress in another worker is deferred (put back without spending an
 * attempt: a claim left by a worker that died holds until `inProgressTtlMs`, and waiting for it
 * is not a run); a failure releases the claim.
 *
 * @example
 * app.use(idempotency({ store: new RedisIdempotencyStore(redis), key: (e) => `order:${(e.data as Order).id}` }));
 */
export function idempotency(options: IdempotencyOptions): Middleware {
  const key = options.key ?? ((e: Envelope) => e.id);
  const ttl = options.ttlMs ?? 86_400_000;
  const claimTtl = options.inProgressTtlMs ?? 300_000;
  const retryDelay = options.retryDelayMs ?? 5_000;
  const prefix = options.prefix ?? "mailroom:idem:";
  const keys = new WeakMap<object, string>();
  return {
    name: "idempotency",
    async before(request) {
      const claimed = `${prefix}${request.envelope.name}:${key(request.envelope)}`;
      const state = await options.store.begin(claimed, claimTtl);
      if (state === "completed") return { result: undefined };
      if (state === "in_progress")
        throw new DeferLater(retryDelay, `message ${claimed} is being processed elsewhere`);
      keys.set(request, claimed);
    },
    async after(request) {
      const claimed = keys.get(request);
      if (claimed) await options.store.complete(claimed, ttl);
    },
    async onError(request) {
      const claimed = keys.get(request);
      if (claimed) await options.store.release(claimed);
    },
  };
}

/** Below this many keys the memory store never sweeps. */
const SWEEP_FLOOR = 10_000;

/**
 * An in-process store with expiry: for one worker, tests and local runs. Expired keys are swept
 * when the map has doubled since the last sweep, so a sweep's cost is paid for by the begins
 * that grew the map: amortised O(1) per message however many keys are live.
 */
export class MemoryIdempotencyStore implements IdempotencyStore {
  readonly #entries = new Map<string, { state: "in_progress" | "completed"; expires: number }>();
  #sweepAbove = SWEEP_FLOOR;
  #swept = 0;

  /** Keys held, expired ones not yet swept included. */
  get size(): number {
    return this.#entries.size;
  }

  /** Entries visited by expiry sweeps since the store was created. */
  get sweptEntries(): number {
    return this.#swept;
  }

  async begin(key: string, ttlMs: number): Promise<IdempotencyState> {
    const now = Date.now();
    const entry = this.#entries.get(key);
    if (entry && entry.expires > now) return entry.state;
    this.#entries.set(key, { state: "in_progress", expires: now + ttlMs });
    if (this.#entries.size > this.#sweepAbove) this.#sweep(now);
    return "started";
  }

  async complete(key: string, ttlMs: number): Promise<void> {
    this.#entries.set(key, { state: "completed", expires: Date.now() + ttlMs });
  }

  async release(key: string): Promise<void> {
    if (this.#entries.get(key)?.state === "in_progress") this.#entries.delete(key);
  }

  #sweep(now: number): void {
    this.#swept += this.#entries.size;
    for (const [key, entry] of this.#entries) if (entry.expires <= now) this.#entries.delete(key);
    this.#sweepAbove = Math.max(SWEEP_FLOOR, 2 * this.#entries.size);
  }
}

/** The subset of an ioredis (or node-redis v4 legacy-mode) client the Redis store uses. */
export interface RedisLike {
  set(key: string, value: string, px: "PX", ttl: number, nx: "NX"): Promise<string | null>;
  set(key: string, value: string, px: "PX", ttl: number): Promise<string | null>;
  get(key: string): Promise<string | null>;
  eval(script: string, keys: number, ...args: string[]): Promise<unknown>;
}

const RELEASE_IF_IN_PROGRESS = `if redis.call("GET", KEYS[1]) == "in_progress" then return redis.call("DEL", KEYS[1]) else return 0 end`;

/**
 * A store shared by every worker, on Redis: `SET key in_progress PX ttl NX` claims atomically.
 * Pass an ioredis client; Mailroom does not create or close it.
 */
export class RedisIdempotencyStore implements IdempotencyStore {
  readonly #redis: RedisLike;

  constructor(redis: RedisLike) {
    this.#redis = redis;
  }

  async begin(key: string, ttlMs: number): Promise<IdempotencyState> {
    const ok = await this.#redis.set(key, "in_progress", "PX", ttlMs, "NX");
    if (ok === "OK") return "started";
    const state = await this.#redis.get(key);
    if (state === "completed") return "completed";
    if (state === null) return this.begin(key, ttlMs);
    return "in_progress";
  }

  async complete(key: string, ttlMs: number): Promise<void> {
    await this.#redis.set(key, "completed", "PX", ttlMs);
  }

  async release(key: string): Promise<void> {
    await this.#redis.eval(RELEASE_IF_IN_PROGRESS, 1, key);
  }
}
