import type { App } from "../app.ts";
import type { Envelope } from "../envelope.ts";
import { silentLogger } from "../logger.ts";
import { getOrCreate } from "../map.ts";
import type { Delivery, Publisher } from "../transport.ts";
import { runBatch } from "./batch.ts";
import type { Runtime } from "./context.ts";
import { type Outcome, SKIPPED } from "./outcome.ts";
import { logOutcome } from "./outcome-log.ts";
import { processDelivery, settle, triage } from "./process.ts";

/** One delivery's result in push mode. */
export interface DispatchResult {
  readonly delivery: Delivery;
  readonly outcome: Outcome;
  /** Set when settling failed (e.g. the DLQ send failed): treat the item as failed. */
  readonly settleError?: unknown;
}

/** Options of `dispatch`. */
export interface DispatchOptions {
  /** Most handlers running at once. Default: all of the batch. */
  concurrency?: number;
  /**
   * FIFO mode: deliveries of one `transport.groupId` run one at a time in order; at the first
   * one that is not acked or dead-lettered, the rest of that group are `skipped` (reported as
   * failed so the provider redelivers them in order). Other groups run in parallel.
   */
  fifo?: boolean;
  /** Creates the publisher on first use (`ctx.publish`, replies). No client is made otherwise. */
  publisher?: () => Publisher;
  /** Aborted when the function is about to time out. */
  signal?: AbortSignal;
  /** Log every outcome (ack at debug, retry at warn, dead-letter at error). Default true. */
  logOutcomes?: boolean;
}

const never = new AbortController().signal;

/** Build the runtime a push adapter hands to handlers. The publisher is created on first use only. */
export function pushRuntime(app: App, options: DispatchOptions = {}): Runtime {
  let publisher: Publisher | undefined;
  return {
    logger: app.logger ?? silentLogger,
    signal: options.signal ?? never,
    publisher() {
      if (!publisher) {
        if (!options.publisher)
          throw new Error("this function has no publisher configured; pass `publisher` to the adapter");
        publisher = options.publisher();
      }
      return publisher;
    },
  };
}

/**
 * Run a batch of deliveries pushed by a cloud function trigger and settle each. Returns every
 * delivery's outcome in input order so the adapter can answer the provider (e.g. Lambda
 * `batchItemFailures`). Never throws for a handler's failure.
 *
 * @example
 * const results = await dispatch(app, deliveries, { fifo: true });
 * const failed = results.filter((r) => r.outcome.kind === "retry" || r.outcome.kind === "skipped");
 */
export async function dispatch(
  app: App,
  deliveries: Delivery[],
  options: DispatchOptions = {},
): Promise<DispatchResult[]> {
  const runtime = pushRuntime(app, options);
  const log = options.logOutcomes ?? true;
  const results: DispatchResult[] = new Array(deliveries.length);
  const one = async (i: number) => {
    const d = deliveries[i]!;
    const r = await processDelivery(app, d, runtime);
    if (log) logOutcome(runtime.logger, d.envelope, r.outcome);
    results[i] = r.settleError === undefined ? { delivery: d, outcome: r.outcome } : { delivery: d, ...r };
    return r.outcome;
  };
  const batched =
    options.fifo || !app.hasBatchHandlers
      ? undefined
      : await runBatches(app, deliveries, runtime, results, log);
  const todo: number[] = [];
  for (let i = 0; i < deliveries.length; i++) if (!batched?.has(i)) todo.push(i);
  if (options.fifo) {
    const groups = new Map<string, number[]>();
    for (const i of todo) {
      const g = deliveries[i]!.envelope.transport.groupId ?? `\u0000${i}`;
      getOrCreate(groups, g, () => []).push(i);
    }
    await limit([...groups.values()], options.concurrency, async (group) => {
      let blocked = false;
      for (const i of group) {
        if (blocked) {
          results[i] = { delivery: deliveries[i]!, outcome: SKIPPED };
          continue;
        }
        const outcome = await one(i);
        if (outcome.kind === "retry" || outcome.kind === "release") blocked = true;
      }
    });
  } else {
    await limit(todo, options.concurrency, one);
  }
  return results;
}

/** Deliveries whose handler is a batch handler run together by name; returns their indexes. */
async function runBatches(
  app: App,
  deliveries: Delivery[],
  runtime: Runtime,
  results: DispatchResult[],
  log: boolean,
): Promise<Set<number>> {
  const byName = new Map<string, number[]>();
  for (let i = 0; i < deliveries.length; i++) {
    const t = triage(app, deliveries[i]!.envelope);
    if (!("kind" in t) && t.mode === "batch") {
      getOrCreate(byName, t.name, () => []).push(i);
    }
  }
  const done = new Set<number>();
  for (const [name, indexes] of byName) {
    const reg = app.lookup(name)!;
    for (let start = 0; start < indexes.length; start += reg.maxSize) {
      const chunk = indexes.slice(start, start + reg.maxSize);
      const outcomes = await runBatch(
        reg,
        chunk.map((i) => deliveries[i]!.envelope as Envelope),
        runtime,
      );
      await Promise.all(
        chunk.map(async (i, k) => {
          const delivery = deliveries[i]!;
          const outcome = outcomes[k]!;
          if (log) logOutcome(runtime.logger, delivery.envelope, outcome);
          try {
            await settle(delivery, outcome);
            results[i] = { delivery, outcome };
          } catch (settleError) {
            results[i] = { delivery, outcome, settleError };
          }
        }),
      );
      for (const i of chunk) done.add(i);
    }
  }
  return done;
}

/** Run `fn` over items with at most `n` at once (all at once when n is undefined or large). */
async function limit<T>(items: T[], n: number | undefined, fn: (item: T) => Promise<unknown>): Promise<void> {
  if (n === undefined || n >= items.length) {
    await Promise.all(items.map(fn));
    return;
  }
  let next = 0;
  const lane = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.max(1, n) }, lane));
}
