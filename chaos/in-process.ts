// Workers inside the runner's process, for the memory queue (which lives in one process, so a
// kill -9 of its process would take the queue with it). A "kill" cuts a worker off from its
// queue and its stores at the same instant, as the end of a process would: its settles and
// heartbeats no longer reach the queue (its messages come back after their visibility timeout),
// its side effects and idempotency calls fail from then on, and it receives nothing more.
import type { Delivery, IdempotencyStore, Source, Transport } from "@mailroom/core";
import { RedisIdempotencyStore, Worker } from "@mailroom/core";
import { Redis } from "ioredis";
import { chaosApp, type EffectSink } from "./app.ts";
import type { WorkerLauncher } from "./workers.ts";

/** What in-process workers share with the runner. */
export interface InProcessOptions {
  open(): Promise<Transport>;
  effects: EffectSink;
  redisUrl: string;
  keyPrefix: string;
  inProgressTtlMs: number;
}

/** Workers as `Worker` objects in this process, cut off instead of killed. */
export function inProcessLauncher(options: InProcessOptions): WorkerLauncher {
  return (id) => {
    const cut = new AbortController();
    const dead = () => cut.signal.aborted;
    const redis = new Redis(options.redisUrl, { maxRetriesPerRequest: null });
    const app = chaosApp({
      effects: {
        record(n, handler, worker) {
          if (dead()) throw new Error(`worker ${id} was killed`);
          options.effects.record(n, handler, worker);
        },
      },
      store: cutOffStore(new RedisIdempotencyStore(redis), dead),
      worker: id,
      keyPrefix: options.keyPrefix,
      inProgressTtlMs: options.inProgressTtlMs,
    });
    let settled: (end: { expected: boolean; detail: string }) => void = () => {};
    const ended = new Promise<{ expected: boolean; detail: string }>((r) => {
      settled = r;
    });
    let worker: Worker | undefined;
    let transport: Transport | undefined;
    const started = (async () => {
      transport = await options.open();
      worker = new Worker(app, cutOffSource(transport.source(), cut.signal), {
        publisher: transport.publisher(),
      });
      const ready = new Promise<void>((resolve) => worker!.once("started", () => resolve()));
      void worker.start().then(
        () => settled({ expected: true, detail: "stopped" }),
        (error: unknown) => settled({ expected: false, detail: `failed: ${String(error)}` }),
      );
      await ready;
    })();
    const finish = async () => {
      await started.catch(() => {});
      await worker?.stop();
      await transport?.close();
      redis.disconnect();
    };
    return {
      id,
      started,
      ended,
      async kill() {
        cut.abort();
        await finish();
      },
      async stop() {
        await finish();
      },
    };
  };
}

/** A store that fails every call once the worker is cut off. */
function cutOffStore(store: IdempotencyStore, dead: () => boolean): IdempotencyStore {
  const guard = <T>(call: () => Promise<T>) =>
    dead() ? Promise.reject(new Error("the worker was killed")) : call();
  return {
    begin: (key, ttl) => guard(() => store.begin(key, ttl)),
    complete: (key, ttl) => guard(() => store.complete(key, ttl)),
    release: (key) => guard(() => store.release(key)),
  };
}

/** A source whose deliveries stop reaching the queue once `cut` aborts, and which receives nothing more. */
function cutOffSource(source: Source, cut: AbortSignal): Source {
  const unlessCut = (call: () => Promise<void>) => (cut.aborted ? Promise.resolve() : call());
  const wrap = (d: Delivery): Delivery => ({
    envelope: d.envelope,
    ack: () => unlessCut(() => d.ack()),
    retry: (ms) => unlessCut(() => d.retry(ms)),
    defer: (ms) => unlessCut(() => d.defer(ms)),
    release: () => unlessCut(() => d.release()),
    deadLetter: (reason) => unlessCut(() => d.deadLetter(reason)),
    extend: (ms) => unlessCut(() => d.extend(ms)),
  });
  return {
    visibilityTimeoutMs: source.visibilityTimeoutMs,
    maxConcurrentReceives: source.maxConcurrentReceives,
    depth: source.depth?.bind(source),
    connect: source.connect?.bind(source),
    subscribe: source.subscribe?.bind(source),
    onBackgroundError: source.onBackgroundError?.bind(source),
    close: () => source.close(),
    async receive(max, signal) {
      if (cut.aborted) return untilAborted(signal);
      const got = await source.receive(max, signal);
      // Received in the instant of the cut: never handed over, so they come back by their timeout.
      if (cut.aborted) return [];
      return got.map(wrap);
    },
  };
}

function untilAborted(signal: AbortSignal): Promise<Delivery[]> {
  if (signal.aborted) return Promise.resolve([]);
  return new Promise((resolve) => signal.addEventListener("abort", () => resolve([]), { once: true }));
}
