import { EventEmitter } from "node:events";
import type { App, Registration } from "../app.ts";
import { type DecodeFailure, type Envelope, isDecodeFailure } from "../envelope.ts";
import { describeError } from "../errors.ts";
import type { Logger } from "../logger.ts";
import { getOrCreate } from "../map.ts";
import type { Delivery, Publisher, Source } from "../transport.ts";
import { runBatch } from "./batch.ts";
import type { Runtime } from "./context.ts";
import type { Outcome } from "./outcome.ts";
import { logOutcome } from "./outcome-log.ts";
import { processDelivery, settle, triage } from "./process.ts";
import { WorkerStats } from "./stats.ts";

/** Options of a `Worker`. Every one has a default. */
export interface WorkerOptions {
  /** Most handlers running at once. Default 16. */
  concurrency?: number;
  /** Most messages asked for per receive. Default 10. */
  batchSize?: number;
  /**
   * Receive calls in flight at once. Default: enough to fill `concurrency` (concurrency ÷ batchSize,
   * at least 1, at most 4), capped by the source's `maxConcurrentReceives`. Never more than
   * `concurrency + batchSize` messages are held.
   */
  receivers?: number;
  /** On stop, how long in-flight handlers may run before the worker gives up on them, ms. Default 30,000. */
  shutdownTimeoutMs?: number;
  /** Override the source's visibility timeout used for heartbeats, ms. 0 turns heartbeats off. */
  visibilityTimeoutMs?: number;
  /** Backoff after a failed receive: from `min` to `max` ms with full jitter. Default 100 → 30,000. */
  receiveBackoff?: { minMs?: number; maxMs?: number };
  /** Stop when the queue is empty (no ready, delayed or in-flight messages) — for batch jobs and tests. */
  untilEmpty?: boolean;
  /** Stop on SIGTERM / SIGINT. Default false (the CLI turns it on). */
  handleSignals?: boolean;
  /** Where handlers publish. Default: none (ctx.publish throws a clear error). */
  publisher?: Publisher;
  logger?: Logger;
  /** Log every outcome (ack at debug, retry at warn, dead-letter at error). Default true; off when the caller prints its own. */
  logOutcomes?: boolean;
}

/** Events a Worker emits, for logging and metrics. */
export interface WorkerEvents {
  started: [];
  received: [count: number];
  settled: [info: { envelope: Envelope | DecodeFailure; outcome: Outcome; durationMs: number }];
  receiveError: [error: unknown, consecutive: number];
  settleError: [error: unknown, envelope: Envelope | DecodeFailure];
  extendError: [error: unknown];
  stopping: [];
  stopped: [info: { abandoned: number }];
}

interface Batch {
  reg: Registration;
  items: Delivery[];
  timer?: NodeJS.Timeout | undefined;
}

interface Running {
  delivery: Delivery;
  startedAt: number;
  extendedAt: number;
}

/**
 * The long-poll runtime: receives from a `Source`, runs handlers with a concurrency limit,
 * settles every delivery, heartbeats visibility for long handlers, backs off on receive errors,
 * and drains on stop. Generic over every transport.
 *
 * @example
 * const worker = new Worker(app, transport.source(), { concurrency: 32, publisher: transport.publisher() });
 * worker.start();
 * process.on("SIGTERM", () => worker.stop());
 */
export class Worker extends EventEmitter<WorkerEvents> {
  readonly stats = new WorkerStats();
  readonly #app: App;
  readonly #source: Source;
  readonly #concurrency: number;
  readonly #batchSize: number;
  readonly #receivers: number;
  readonly #shutdownMs: number;
  readonly #visibilityMs: number;
  readonly #backoffMin: number;
  readonly #backoffMax: number;
  readonly #untilEmpty: boolean;
  readonly #handleSignals: boolean;
  readonly #logOutcomes: boolean;
  readonly #runtime: Runtime;
  readonly #logger: Logger;
  readonly #receiveAbort = new AbortController();
  readonly #handlerAbort = new AbortController();
  readonly #queue: Delivery[] = [];
  readonly #running = new Set<Running>();
  readonly #busyGroups = new Set<string>();
  readonly #batches = new Map<string, Batch>();
  #batchHeld = 0;
  #reserved = 0;
  #state: "idle" | "running" | "stopping" | "stopped" = "idle";
  #capacityWaiters: Array<() => void> = [];
  #idleWaiters: Array<() => void> = [];
  #heartbeat: NodeJS.Timeout | undefined;
  #done: Promise<void> | undefined;
  #resolveDone: (() => void) | undefined;
  #onSignal = () => void this.stop();
  #subscribed: Promise<void> | undefined;

  constructor(app: App, source: Source, options: WorkerOptions = {}) {
    super();
    this.#app = app;
    this.#source = source;
    this.#concurrency = Math.max(1, options.concurrency ?? 16);
    this.#batchSize = Math.max(1, options.batchSize ?? 10);
    const wanted = Math.min(4, Math.ceil(this.#concurrency / this.#batchSize));
    this.#receivers = Math.max(
      1,
      options.receivers ?? Math.min(wanted, source.maxConcurrentReceives ?? wanted),
    );
    this.#shutdownMs = options.shutdownTimeoutMs ?? 30_000;
    this.#visibilityMs = options.visibilityTimeoutMs ?? source.visibilityTimeoutMs ?? 0;
    this.#backoffMin = options.receiveBackoff?.minMs ?? 100;
    this.#backoffMax = options.receiveBackoff?.maxMs ?? 30_000;
    this.#untilEmpty = options.untilEmpty ?? false;
    this.#handleSignals = options.handleSignals ?? false;
    this.#logOutcomes = options.logOutcomes ?? true;
    this.#logger = options.logger ?? app.logger;
    const publisher = options.publisher;
    this.#runtime = {
      logger: this.#logger,
      signal: this.#handlerAbort.signal,
      publisher() {
        if (!publisher)
          throw new Error("this worker has no publisher: pass `publisher` in the Worker options");
        return publisher;
      },
    };
  }

  /** Messages received and not yet settled (queued, batching or running). */
  get held(): number {
    return this.#queue.length + this.#running.size + this.#batchHeld;
  }

  /** True while the worker runs and its receive loop answered recently (see `stats.lastReceiveAt`). */
  get state(): "idle" | "running" | "stopping" | "stopped" {
    return this.#state;
  }

  /** Start receiving. Returns a promise that resolves when the worker has stopped. */
  start(): Promise<void> {
    if (this.#state !== "idle") return this.#done ?? Promise.resolve();
    this.#state = "running";
    this.#done = new Promise((resolve) => {
      this.#resolveDone = resolve;
    });
    if (this.#handleSignals) {
      process.once("SIGTERM", this.#onSignal);
      process.once("SIGINT", this.#onSignal);
    }
    if (this.#visibilityMs > 0) {
      const every = Math.max(50, Math.floor(this.#visibilityMs / 4));
      this.#heartbeat = setInterval(() => this.#beat(), every);
      this.#heartbeat.unref();
    }
    this.stats.lastReceiveAt = Date.now();
    this.emit("started");
    this.#subscribed = this.#subscribe();
    const loops = Array.from({ length: this.#receivers }, () => this.#receiveLoop());
    void Promise.all(loops).then(() => this.#finish());
    return this.#done;
  }

  /**
   * Stop: no receive after this call (a pending long poll is aborted), queued messages are
   * released, running handlers finish up to `shutdownTimeoutMs`, then their signal aborts and
   * the worker stops waiting (unsettled messages are redelivered by the transport).
   */
  async stop(): Promise<void> {
    if (this.#state === "idle") this.#state = "stopped";
    if (this.#state === "stopped") return;
    if (this.#state === "running") {
      this.#state = "stopping";
      this.emit("stopping");
      this.#receiveAbort.abort();
      for (const w of this.#capacityWaiters.splice(0)) w();
    }
    return this.#done;
  }

  async #finish(): Promise<void> {
    const queued = this.#queue.splice(0);
    await Promise.allSettled(queued.map((d) => d.release()));
    for (const [, batch] of this.#batches) this.#flushBatch(batch);
    const drained = await this.#waitIdle(this.#shutdownMs);
    const abandoned = drained ? 0 : this.#running.size;
    if (!drained) {
      this.#handlerAbort.abort(new Error("worker stopped"));
      this.#logger.warn({ abandoned }, "shutdown deadline passed; unsettled messages will be redelivered");
    }
    if (this.#heartbeat) clearInterval(this.#heartbeat);
    if (this.#handleSignals) {
      process.off("SIGTERM", this.#onSignal);
      process.off("SIGINT", this.#onSignal);
    }
    this.#state = "stopped";
    this.emit("stopped", { abandoned });
    this.#resolveDone?.();
  }

  /** Tell the source the app's names before the first receive; retried with backoff like a receive. */
  async #subscribe(): Promise<void> {
    if (!this.#source.subscribe) return;
    for (let failures = 1; this.#state === "running"; failures++) {
      try {
        await this.#source.subscribe(this.#app.names());
        return;
      } catch (error) {
        this.stats.receiveErrors++;
        this.emit("receiveError", error, failures);
        this.#logger.warn(
          { error: describeError(error), consecutive: failures },
          "subscribe failed; backing off",
        );
        await this.#sleep(this.#backoff(failures));
      }
    }
  }

  async #receiveLoop(): Promise<void> {
    await this.#subscribed;
    let failures = 0;
    while (this.#state === "running") {
      // Only whole batches are asked for, and only while what is held and reserved leaves room
      // for one (so at most concurrency + one batch is held): a receive of the few slots left
      // would cost a request for a handful of messages (SQS and MNS bill and throttle per request).
      if (this.held >= this.#concurrency || this.held + this.#reserved > this.#concurrency) {
        await new Promise<void>((r) => this.#capacityWaiters.push(r));
        continue;
      }
      const want = this.#batchSize;
      this.#reserved += want;
      let deliveries: Delivery[];
      try {
        deliveries = await this.#source.receive(want, this.#receiveAbort.signal);
        failures = 0;
        this.stats.lastReceiveAt = Date.now();
      } catch (error) {
        this.#reserved -= want;
        if (this.#state !== "running") break;
        failures++;
        this.stats.receiveErrors++;
        this.emit("receiveError", error, failures);
        this.#logger.warn(
          { error: describeError(error), consecutive: failures },
          "receive failed; backing off",
        );
        await this.#sleep(this.#backoff(failures));
        continue;
      }
      this.#reserved -= want;
      if (deliveries.length > 0) {
        this.stats.received += deliveries.length;
        this.emit("received", deliveries.length);
        for (const d of deliveries) this.#accept(d);
        this.#pump();
      } else if (this.#untilEmpty && this.held === 0 && (await this.#isEmpty())) {
        void this.stop();
      }
    }
  }

  async #isEmpty(): Promise<boolean> {
    if (!this.#source.depth) return true;
    try {
      const d = await this.#source.depth();
      return d.ready + d.delayed + d.inFlight === 0 && this.held === 0;
    } catch (error) {
      // Not knowing is not empty: keep receiving.
      this.#logger.warn({ error: describeError(error) }, "could not read the queue depth");
      return false;
    }
  }

  #accept(delivery: Delivery): void {
    const envelope = delivery.envelope;
    if (!isDecodeFailure(envelope)) {
      const t = triage(this.#app, envelope);
      if (!("kind" in t) && t.mode === "batch") {
        this.#addToBatch(t, delivery);
        return;
      }
    }
    this.#queue.push(delivery);
  }

  #addToBatch(reg: Registration, delivery: Delivery): void {
    const batch = getOrCreate(this.#batches, reg.name, () => ({ reg, items: [] as Delivery[] }) as Batch);
    batch.items.push(delivery);
    this.#batchHeld++;
    if (batch.items.length >= reg.maxSize) this.#flushBatch(batch);
    else if (!batch.timer) {
      const b = batch;
      b.timer = setTimeout(() => this.#flushBatch(b), reg.maxWaitMs);
    }
  }

  #flushBatch(batch: Batch): void {
    if (batch.timer) clearTimeout(batch.timer);
    batch.timer = undefined;
    const items = batch.items.splice(0);
    if (items.length === 0) return;
    const entries = items.map((delivery) => {
      const now = Date.now();
      const r: Running = { delivery, startedAt: now, extendedAt: now };
      this.#running.add(r);
      return r;
    });
    this.#batchHeld -= items.length;
    const started = Date.now();
    void runBatch(
      batch.reg,
      items.map((d) => d.envelope as Envelope),
      this.#runtime,
    ).then(async (outcomes) => {
      await Promise.all(
        entries.map(async (entry, i) => {
          const outcome = outcomes[i]!;
          try {
            await settle(entry.delivery, outcome);
          } catch (error) {
            this.stats.settleErrors++;
            this.emit("settleError", error, entry.delivery.envelope);
          }
          this.#done1(entry, outcome, started);
        }),
      );
    });
  }

  #pump(): void {
    while (this.#running.size < this.#concurrency && this.#queue.length > 0) {
      const delivery = this.#takeNext();
      if (!delivery) return;
      this.#run(delivery);
    }
  }

  /** The next queued delivery whose FIFO group (if any) is not busy. */
  #takeNext(): Delivery | undefined {
    for (let i = 0; i < this.#queue.length; i++) {
      const g = this.#queue[i]!.envelope.transport.groupId;
      if (g === undefined || !this.#busyGroups.has(g)) {
        const [d] = this.#queue.splice(i, 1);
        if (g !== undefined) this.#busyGroups.add(g);
        return d;
      }
      if (i > 1000) return undefined;
    }
    return undefined;
  }

  #run(delivery: Delivery): void {
    const now = Date.now();
    const entry: Running = { delivery, startedAt: now, extendedAt: now };
    this.#running.add(entry);
    void processDelivery(this.#app, delivery, this.#runtime).then(({ outcome, settleError }) => {
      if (settleError !== undefined) {
        this.stats.settleErrors++;
        this.emit("settleError", settleError, delivery.envelope);
      }
      const g = delivery.envelope.transport.groupId;
      if (g !== undefined) {
        if (outcome.kind === "retry" || outcome.kind === "release") this.#releaseGroup(g);
        this.#busyGroups.delete(g);
      }
      this.#done1(entry, outcome, now);
    });
  }

  /** A failed FIFO message blocks its group: give back the group's queued messages so order holds. */
  #releaseGroup(group: string): void {
    for (let i = this.#queue.length - 1; i >= 0; i--) {
      const d = this.#queue[i]!;
      if (d.envelope.transport.groupId === group) {
        this.#queue.splice(i, 1);
        d.release().catch((error) => this.emit("settleError", error, d.envelope));
      }
    }
  }

  #done1(entry: Running, outcome: Outcome, started: number): void {
    this.#running.delete(entry);
    this.stats.count(outcome);
    if (this.#logOutcomes) logOutcome(this.#logger, entry.delivery.envelope, outcome);
    this.emit("settled", { envelope: entry.delivery.envelope, outcome, durationMs: Date.now() - started });
    if (this.#state === "running") this.#pump();
    for (const w of this.#capacityWaiters.splice(0)) w();
    if (this.held === 0) for (const w of this.#idleWaiters.splice(0)) w();
  }

  #beat(): void {
    const now = Date.now();
    const half = this.#visibilityMs / 2;
    for (const r of this.#running) {
      if (now - r.extendedAt >= half) {
        r.extendedAt = now;
        this.stats.extended++;
        r.delivery.extend(this.#visibilityMs).catch((error) => {
          this.emit("extendError", error);
          this.#logger.warn({ error: describeError(error) }, "visibility heartbeat failed");
        });
      }
    }
  }

  #waitIdle(ms: number): Promise<boolean> {
    if (this.held === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), ms);
      this.#idleWaiters.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  #backoff(failures: number): number {
    const ceiling = Math.min(this.#backoffMax, this.#backoffMin * 2 ** (failures - 1));
    return this.#backoffMin / 2 + Math.random() * (ceiling - this.#backoffMin / 2);
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const signal = this.#receiveAbort.signal;
      if (signal.aborted) return resolve();
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        signal.removeEventListener("abort", done);
        resolve();
      }
      signal.addEventListener("abort", done, { once: true });
    });
  }
}
