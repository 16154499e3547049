import type { App } from "../app.ts";
import type { Envelope } from "../envelope.ts";
import { describeError } from "../errors.ts";
import { silentLogger } from "../logger.ts";
import { getOrCreate } from "../map.ts";
import type { SettledMessage } from "../middleware/middleware.ts";
import type { Delivery, Publisher } from "../transport.ts";
import { runBatch } from "./batch.ts";
import type { Runtime } from "./context.ts";
import { isDone, type Outcome, SKIPPED } from "./outcome.ts";
import { logOutcome } from "./outcome-log.ts";
import { decideNow, decideWith, settle, triage } from "./process.ts";
import { observesDispatched, observesSettled, tellDispatched, tellSettledMessage } from "./settled.ts";

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
   * FIFO mode: deliveries of one `transport.groupId` run one at a time in order; once one is not
   * done (anything but ack or dead-letter, or its settle failed), every later one of that group
   * is `skipped`: given back with `release()`, uncounted, so the provider redelivers the group
   * in order. Other groups run in parallel.
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
 * `batchItemFailures`). Never rejects: a failure anywhere is an outcome or a `settleError`.
 *
 * @example
 * const results = await dispatch(app, deliveries, { fifo: true });
 * const failed = results.filter((r) => r.settleError !== undefined || !isDone(r.outcome));
 */
export async function dispatch(
  app: App,
  deliveries: Delivery[],
  options: DispatchOptions = {},
): Promise<DispatchResult[]> {
  const runtime = pushRuntime(app, options);
  const log = options.logOutcomes ?? true;
  const results: DispatchResult[] = new Array(deliveries.length);
  let settleErrors = 0;
  const invocation = observesDispatched(app) ? ([] as SettledMessage[]) : undefined;
  const receivedAt = observesSettled(app) || invocation ? Date.now() : undefined;
  /** Record and log the outcome, then settle; the promise rejects with what the transport threw. */
  const settleOne = (i: number, outcome: Outcome): Promise<void> => {
    const delivery = deliveries[i]!;
    results[i] = { delivery, outcome };
    try {
      if (log) logOutcome(runtime.logger, delivery.envelope, outcome);
      if (receivedAt !== undefined) {
        const message = {
          envelope: delivery.envelope,
          outcome,
          receivedAt,
          startedAt: receivedAt,
          finishedAt: Date.now(),
        };
        tellSettledMessage(app, message);
        invocation?.push(message);
      }
      return settle(delivery, outcome);
    } catch (error) {
      return Promise.reject(error);
    }
  };
  const settleFailed = (i: number, outcome: Outcome, settleError: unknown): DispatchResult => {
    const delivery = deliveries[i]!;
    runtime.logger.warn(
      { queue: delivery.envelope.transport.queue, outcome: outcome.kind, error: describeError(settleError) },
      "could not settle the message; the provider will deliver it again",
    );
    results[i] = { delivery, outcome, settleError };
    settleErrors++;
    return results[i];
  };
  const finish = async (i: number, outcome: Outcome): Promise<DispatchResult> => {
    try {
      await settleOne(i, outcome);
      return results[i]!;
    } catch (settleError) {
      return settleFailed(i, outcome, settleError);
    }
  };
  const batched =
    options.fifo || !app.hasBatchHandlers ? undefined : await runBatches(app, deliveries, runtime, finish);
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
          await finish(i, SKIPPED);
          continue;
        }
        const r = await finish(i, await decideNow(app, deliveries[i]!, runtime));
        if (r.settleError !== undefined || !isDone(r.outcome)) blocked = true;
      }
    });
  } else if (options.concurrency === undefined || options.concurrency >= todo.length) {
    // The common push case: every message at once. One promise reaction per message at most
    // (none for a synchronous handler), settles started as each outcome is known.
    const settles = new Array<Promise<void>>(todo.length);
    const running: Array<Promise<void>> = [];
    const onOutcome = (k: number, outcome: Outcome) => {
      settles[k] = settleOne(todo[k]!, outcome);
    };
    for (let k = 0; k < todo.length; k++) {
      const pending = decideWith(app, deliveries[todo[k]!]!, runtime, onOutcome, k);
      if (pending) running.push(pending);
    }
    if (running.length > 0) await Promise.all(running);
    // Settles nearly always succeed: one Promise.all, and per-settle results only when one failed.
    const allSettled = await Promise.all(settles).then(
      () => true,
      () => false,
    );
    if (!allSettled) {
      const settled = await Promise.allSettled(settles);
      for (let k = 0; k < todo.length; k++) {
        const s = settled[k]!;
        if (s.status !== "rejected") continue;
        const i = todo[k]!;
        // The outcome is always recorded before its settle starts; the fallback only guards a bug.
        settleFailed(i, results[i]?.outcome ?? { kind: "retry", delayMs: 1_000, error: s.reason }, s.reason);
      }
    }
  } else {
    await limit(todo, options.concurrency, async (i) =>
      finish(i, await decideNow(app, deliveries[i]!, runtime)),
    );
  }
  if (invocation)
    tellDispatched(app, {
      messages: invocation,
      settleErrors,
      startedAt: receivedAt!,
      finishedAt: Date.now(),
    });
  return results;
}

/** Deliveries whose handler is a batch handler run together by name; returns their indexes. */
async function runBatches(
  app: App,
  deliveries: Delivery[],
  runtime: Runtime,
  finish: (i: number, outcome: Outcome) => Promise<DispatchResult>,
): Promise<Set<number>> {
  const byName = new Map<string, number[]>();
  for (let i = 0; i < deliveries.length; i++) {
    const t = triage(app, deliveries[i]!.envelope);
    if (!("kind" in t) && t.mode === "batch") getOrCreate(byName, t.name, () => []).push(i);
  }
  const done = new Set<number>();
  for (const [name, indexes] of byName) {
    const reg = app.lookup(name)!;
    for (let start = 0; start < indexes.length; start += reg.maxSize) {
      const chunk = indexes.slice(start, start + reg.maxSize);
      const envelopes = chunk.map((i) => deliveries[i]!.envelope as Envelope);
      const outcomes = await runBatch(app, reg, envelopes, runtime);
      await Promise.all(chunk.map((i, k) => finish(i, outcomes[k]!)));
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
  const runner = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.max(1, n) }, runner));
}
