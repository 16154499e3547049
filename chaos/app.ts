import { setTimeout as sleep } from "node:timers/promises";
import {
  type App,
  createApp,
  type IdempotencyStore,
  idempotency,
  type Logger,
  silentLogger,
} from "@mailroom/core";
import { IDEMPOTENT, PLAIN } from "./plan.ts";

/** The data of every chaos message. */
export interface ChaosData {
  n: number;
  transient: boolean;
}

/** Where a chaos handler writes its side effect. */
export interface EffectSink {
  record(n: number, handler: string, worker: string): void;
}

/** Options of `chaosApp`. */
export interface ChaosAppOptions {
  effects: EffectSink;
  store: IdempotencyStore;
  /** Names the worker in the effects table. */
  worker: string;
  /** Keeps the runs' idempotency keys apart in a shared Redis. */
  keyPrefix: string;
  /**
   * How long a claim of a killed worker holds. The middleware's default is 5 minutes; the run
   * shortens it so a claim left by kill -9 expires within a bounded run.
   */
  inProgressTtlMs: number;
  logger?: Logger;
}

/**
 * The app every chaos worker runs: two handlers doing the same work, one plain and one behind
 * the idempotency middleware (Redis store), at the app's default retry policy. A handler waits
 * 0–3 ms (so kills land on messages in flight), fails the first run of a transient item, and
 * records its side effect last.
 */
export function chaosApp(options: ChaosAppOptions): App {
  const app = createApp({ name: "chaos", logger: options.logger ?? silentLogger });
  const work = (handler: string) => async (data: unknown, ctx: { attempt: number }) => {
    const item = data as ChaosData;
    await sleep(item.n % 4);
    if (item.transient && ctx.attempt === 1) throw new Error(`transient failure of item ${item.n} (chaos)`);
    options.effects.record(item.n, handler, options.worker);
  };
  app.handle(PLAIN, work(PLAIN));
  app.handle(
    IDEMPOTENT,
    {
      middleware: [
        idempotency({
          store: options.store,
          prefix: options.keyPrefix,
          inProgressTtlMs: options.inProgressTtlMs,
        }),
      ],
    },
    work(IDEMPOTENT),
  );
  return app;
}
