import { EventEmitter } from "node:events";
import type { App, Registration } from "../app.ts";
import { type DecodeFailure, type Envelope, isDecodeFailure } from "../envelope.ts";
import { ConfigError, describeError, TransportError } from "../errors.ts";
import type { Logger } from "../logger.ts";
import { getOrCreate } from "../map.ts";
import type { Delivery, Publisher, Source } from "../transport.ts";
import { runBatch } from "./batch.ts";
import type { Runtime } from "./context.ts";
import { HeldDeliveries } from "./held.ts";
import { isDone, type Outcome } from "./outcome.ts";
import { logOutcome } from "./outcome-log.ts";
import { decideNow, logSettleFailure, settle, triage } from "./process.ts";
import { observesSettled, tellSettled } from "./settled.ts";
import { WorkerStats } from "./stats.ts";
import { type SummaryFields, summaryLine, summaryPoint } from "./summary.ts";

/**
 * The text of the Worker's log lines about events it also emits (`waiting`, background
 * `settleError`), so a caller that prints those events itself can drop the duplicate lines.
 */
export const WorkerLogMessages = {
  waiting: "the transport is not reachable yet; waiting",
  backgroundSettleError:
    "a settle failed after it was accepted; the transport will deliver the message again",
} as const;

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
  /**
   * At start-up, how long to wait for a transport that is not reachable yet (each wait is logged),
   * ms. Default 60,000; 0 fails at once. A configuration error (credentials, missing queue, no
   * dead-letter destination) never waits: `start()` rejects with it at once.
   */
  connectTimeoutMs?: number;
  /** Stop when the queue is empty (no ready, delayed or in-flight messages) — for batch jobs and tests. */
  untilEmpty?: boolean;
  /** Stop on SIGTERM / SIGINT. Default false (the CLI turns it on). */
  handleSignals?: boolean;
  /** Where handlers publish. Default: none (ctx.publish throws a clear error). */
  publisher?: Publisher;
  logger?: Logger;
  /** Log every outcome (ack at debug, retry at warn, dead-letter at error). Default true; off when the caller prints its own. */
  logOutcomes?: boolean;
  /**
   * Every this many ms, one info line in the log with what happened since the last one (received,
   * acked, failed — retried and dead-lettered —, dead-lettered, CPU %, RSS MB, host). Default
   * 60,000; 0 turns it off.
   */
  summaryIntervalMs?: number;
}

/** Events a Worker emits, for logging and metrics. */
export interface WorkerEvents {
  /** The source is connected and the first receive is about to start. */
  started: [];
  /** Start-up: the transport is not reachable yet; the worker waits and tries again. */
  waiting: [info: { error: unknown; waitedMs: number; limitMs: number }];
  /** A receive returned messages (the deliveries are read-only to listeners: never settle them). */
  received: [count: number, deliveries: readonly Delivery[]];
  /** The source lost its connection and has it back (reported by sources with `onReconnect`). */
  reconnected: [];
  settled: [info: { envelope: Envelope | DecodeFailure; outcome: Outcome; durationMs: number }];
  receiveError: [error: unknown, consecutive: number];
  /** A settle failed (now, or in the background after it had resolved); the broker will redeliver. */
  settleError: [error: unknown, envelope: Envelope | DecodeFailure | undefined];
  extendError: [error: unknown];
  stopping: [];
  stopped: [info: { abandoned: number }];
  /**
   * The per-interval summary (`summaryIntervalMs`). The Worker logs it at info unless something
   * listens here; a listener prints it its own way (the CLI: one line, whatever the log level).
   */
  summary: [summary: SummaryFields & { msg: string }];
}

/** What `Worker.readiness()` reports: ready means connected and receiving. */
export interface WorkerReadiness {
  ok: boolean;
  state: Worker["state"];
  /** Why it is not ready. */
  reason?: string;
}

/** What `Worker.health()` reports: liveness means progress. */
export interface WorkerHealth {
  ok: boolean;
  state: Worker["state"];
  /** Why it is not ok. */
  reason?: string;
  /** Since the last completed receive or settled message, ms; null before the first. */
  lastProgressMsAgo: number | null;
  /** True while every slot is busy: the receive loop waits for capacity, which is progress too. */
  busy: boolean;
  held: number;
}

interface Batch {
  reg: Registration;
  items: Delivery[];
  timer?: NodeJS.Timeout | undefined;
}

/**
 * The long-poll runtime: checks the source at start-up, receives with back-pressure, runs
 * handlers with a concurrency limit (FIFO groups one at a time, in order), settles every
 * delivery, keeps every message it holds invisible with a heartbeat, backs off on receive
 * errors, and drains on stop. Generic over every transport.
 *
 * @example
 * const worker = new Worker(app, transport.source(), { concurrency: 32, publisher: transport.publisher() });
 * await worker.start(); // resolves once stopped; rejects if the transport cannot work
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
  readonly #connectMs: number;
  readonly #backoffMin: number;
  readonly #connectBackoffMin: number;
  readonly #backoffMax: number;
  readonly #untilEmpty: boolean;
  readonly #handleSignals: boolean;
  readonly #logOutcomes: boolean;
  readonly #runtime: Runtime;
  readonly #logger: Logger;
  readonly #receiveAbort = new AbortController();
  readonly #handlerAbort = new AbortController();
  readonly #held: HeldDeliveries;
  /** Received and waiting for a free slot (or for their FIFO group), in receive order. */
  readonly #queue: Delivery[] = [];
  readonly #busyGroups = new Set<string>();
  readonly #batches = new Map<string, Batch>();
  /** When each held delivery was received; kept only while app middleware observes `settled`. */
  readonly #receivedAt = new WeakMap<Delivery, number>();
  #running = 0;
  #reserved = 0;
  #loopsWaitingForCapacity = 0;
  #state: "idle" | "starting" | "running" | "stopping" | "stopped" = "idle";
  #capacityWaiters: Array<() => void> = [];
  #idleWaiters: Array<() => void> = [];
  #done: Promise<void> | undefined;
  #onSignal = () => void this.stop();
  /** The error of the last receive while it has not succeeded since (readiness). */
  #failingReceive: unknown;
  #waitingFor: unknown;
  readonly #summaryMs: number;
  #summaryTimer: NodeJS.Timeout | undefined;

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
    this.#connectMs = options.connectTimeoutMs ?? 60_000;
    this.#backoffMin = options.receiveBackoff?.minMs ?? 100;
    this.#connectBackoffMin = options.receiveBackoff?.minMs ?? 500;
    this.#backoffMax = options.receiveBackoff?.maxMs ?? 30_000;
    this.#untilEmpty = options.untilEmpty ?? false;
    this.#handleSignals = options.handleSignals ?? false;
    this.#logOutcomes = options.logOutcomes ?? true;
    this.#summaryMs = options.summaryIntervalMs ?? 60_000;
    this.#logger = options.logger ?? app.logger;
    this.#held = new HeldDeliveries(
      options.visibilityTimeoutMs ?? source.visibilityTimeoutMs ?? 0,
      this.#logger,
      this.stats,
      (error) => this.#emitSafely("extendError", error),
    );
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
    return this.#held.size;
  }

  /** `starting` while the source is checked; `running` once receiving. */
  get state(): "idle" | "starting" | "running" | "stopping" | "stopped" {
    return this.#state;
  }

  /**
   * Start: check the source (`Source.connect`: a configuration error rejects at once, an
   * unreachable transport is waited for up to `connectTimeoutMs`), then receive. Resolves when
   * the worker has stopped.
   */
  start(): Promise<void> {
    if (this.#state !== "idle") return this.#done ?? Promise.resolve();
    this.#state = "starting";
    if (this.#handleSignals) {
      process.once("SIGTERM", this.#onSignal);
      process.once("SIGINT", this.#onSignal);
    }
    this.#done = this.#lifecycle();
    return this.#done;
  }

  /**
   * Stop: no receive after this call (a pending long poll is aborted), queued messages are
   * released, running handlers finish up to `shutdownTimeoutMs`, then their signal aborts and
   * the worker stops waiting (unsettled messages are redelivered by the transport).
   */
  async stop(): Promise<void> {
    if (this.#state === "idle") {
      this.#state = "stopped";
      return;
    }
    if (this.#state === "stopped") return;
    if (this.#state === "running" || this.#state === "starting") {
      this.#state = "stopping";
      this.#emitSafely("stopping");
      this.#receiveAbort.abort();
      for (const w of this.#capacityWaiters.splice(0)) w();
    }
    await this.#done?.catch(() => {});
  }

  /**
   * Liveness: ok while running and making progress — a receive completed or a message settled
   * within `staleAfterMs`, or every slot busy with handlers (the receive loop is waiting for
   * capacity, not stalled; a hung handler is bounded by its `timeoutMs`).
   */
  health(staleAfterMs: number, now = Date.now()): WorkerHealth {
    const last = Math.max(this.stats.lastReceiveAt, this.stats.lastSettledAt);
    const lastProgressMsAgo = last === 0 ? null : now - last;
    const busy = this.#loopsWaitingForCapacity > 0;
    const base = { state: this.#state, lastProgressMsAgo, busy, held: this.held };
    if (this.#state !== "running") return { ok: false, reason: `worker is ${this.#state}`, ...base };
    if (!busy && lastProgressMsAgo !== null && lastProgressMsAgo > staleAfterMs) {
      return {
        ok: false,
        reason: `no receive completed and no message settled for ${lastProgressMsAgo} ms (limit ${staleAfterMs} ms)`,
        ...base,
      };
    }
    return { ok: true, ...base };
  }

  /**
   * Readiness: ok once the source is connected and the worker receives (`running`), and while
   * the last receive did not fail; not ok while it waits for the transport at start-up, after a
   * failed receive until one succeeds, while the source reports its connection lost
   * (`Source.isConnected`), and once stopping.
   */
  readiness(): WorkerReadiness {
    const state = this.#state;
    if (state === "starting" && this.#waitingFor !== undefined) {
      return { ok: false, state, reason: `waiting for the transport: ${describeError(this.#waitingFor)}` };
    }
    if (state !== "running") return { ok: false, state, reason: `worker is ${state}` };
    if (this.#failingReceive !== undefined) {
      return { ok: false, state, reason: `receive failing: ${describeError(this.#failingReceive)}` };
    }
    if (this.#source.isConnected?.() === false) {
      return { ok: false, state, reason: "connection to the transport lost; reconnecting" };
    }
    return { ok: true, state };
  }

  async #lifecycle(): Promise<void> {
    try {
      await this.#connect();
    } catch (error) {
      this.#state = "stopped";
      this.#unhookSignals();
      this.#emitSafely("stopped", { abandoned: 0 });
      throw error;
    }
    if (this.#state === "starting") {
      this.#state = "running";
      this.stats.lastReceiveAt = Date.now();
      this.#source.onBackgroundError?.((error, envelope) => this.#settleFailed(error, envelope, true));
      this.#source.onReconnect?.(() => {
        this.stats.reconnects++;
        this.#emitSafely("reconnected");
      });
      this.#held.start();
      this.#startSummary();
      this.#emitSafely("started");
      // At most concurrency + one batch is held: a broker that pushes sizes its prefetch from it.
      this.#source.expectHeld?.(this.#concurrency + this.#batchSize);
      const subscribed = await this.#subscribe();
      if (subscribed) await Promise.all(Array.from({ length: this.#receivers }, () => this.#receiveLoop()));
    }
    await this.#finish();
  }

  /** Wait for the source to work; a `ConfigError` (or a wait past the limit) ends the start. */
  async #connect(): Promise<void> {
    if (!this.#source.connect) return;
    const began = Date.now();
    for (let failures = 1; this.#state === "starting"; failures++) {
      try {
        await this.#source.connect(this.#receiveAbort.signal);
        this.#waitingFor = undefined;
        return;
      } catch (error) {
        if (this.#state !== "starting") return;
        if (error instanceof ConfigError) throw error;
        this.#waitingFor = error;
        const waitedMs = Date.now() - began;
        if (waitedMs >= this.#connectMs) {
          throw new TransportError(
            `the transport was not reachable within ${Math.round(this.#connectMs / 1000)} s (connectTimeoutMs): ${describeError(error)}`,
            { cause: error },
          );
        }
        this.#emitSafely("waiting", { error, waitedMs, limitMs: this.#connectMs });
        this.#logger.warn(
          { error: describeError(error), waitedMs, limitMs: this.#connectMs },
          WorkerLogMessages.waiting,
        );
        await this.#sleep(Math.min(this.#connectBackoff(failures), this.#connectMs - waitedMs));
      }
    }
  }

  /** Tell the source the app's names before the first receive; retried with backoff like a receive. */
  async #subscribe(): Promise<boolean> {
    if (!this.#source.subscribe) return true;
    for (let failures = 1; this.#state === "running"; failures++) {
      try {
        await this.#source.subscribe(this.#app.names());
        return true;
      } catch (error) {
        this.#receiveFailed(error, failures, "subscribe failed; backing off");
        await this.#sleep(this.#backoff(failures));
      }
    }
    return false;
  }

  async #receiveLoop(): Promise<void> {
    let failures = 0;
    while (this.#state === "running") {
      // Only whole batches are asked for, and only while what is held and reserved leaves room
      // for one (so at most concurrency + one batch is held): a receive of the few slots left
      // would cost a request for a handful of messages (SQS and MNS bill and throttle per request).
      if (!this.#roomForBatch()) {
        this.#loopsWaitingForCapacity++;
        await new Promise<void>((r) => this.#capacityWaiters.push(r));
        this.#loopsWaitingForCapacity--;
        continue;
      }
      const want = this.#batchSize;
      this.#reserved += want;
      let deliveries: Delivery[];
      try {
        deliveries = await this.#source.receive(want, this.#receiveAbort.signal);
        failures = 0;
        this.#failingReceive = undefined;
        this.stats.lastReceiveAt = Date.now();
      } catch (error) {
        this.#reserved -= want;
        if (this.#state !== "running") break;
        failures++;
        this.#receiveFailed(error, failures, "receive failed; backing off");
        await this.#sleep(this.#backoff(failures));
        continue;
      }
      this.#reserved -= want;
      if (deliveries.length > 0) {
        this.stats.received += deliveries.length;
        if (this.listenerCount("received") > 0) this.#emitSafely("received", deliveries.length, deliveries);
        if (observesSettled(this.#app)) {
          for (const d of deliveries) this.#receivedAt.set(d, this.stats.lastReceiveAt);
        }
        for (const d of deliveries) this.#accept(d);
        this.#pump();
      } else if (this.#untilEmpty && this.held === 0 && (await this.#isEmpty())) {
        void this.stop();
      }
    }
  }

  /** Room to receive a whole batch: what is held and reserved leaves room for one within `concurrency`. */
  #roomForBatch(): boolean {
    return this.held < this.#concurrency && this.held + this.#reserved <= this.#concurrency;
  }

  #receiveFailed(error: unknown, consecutive: number, message: string): void {
    this.stats.receiveErrors++;
    this.#failingReceive = error;
    this.#emitSafely("receiveError", error, consecutive);
    this.#logger.warn({ error: describeError(error), consecutive }, message);
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
    this.#held.add(delivery);
    const envelope = delivery.envelope;
    // Only an app with batch handlers needs the registration before the run (which triages again).
    if (this.#app.hasBatchHandlers && !isDecodeFailure(envelope)) {
      const t = triage(this.#app, envelope);
      if (!("kind" in t) && t.mode === "batch") {
        this.#addToBatch(t, delivery);
        return;
      }
    }
    this.#queue.push(delivery);
  }

  #addToBatch(reg: Registration, delivery: Delivery): void {
    const batch = getOrCreate(this.#batches, reg.name, () => ({ reg, items: [] }) as Batch);
    batch.items.push(delivery);
    if (batch.items.length >= reg.maxSize) this.#flushBatch(batch);
    else if (!batch.timer) batch.timer = setTimeout(() => this.#flushBatch(batch), reg.maxWaitMs);
  }

  #flushBatch(batch: Batch): void {
    if (batch.timer) clearTimeout(batch.timer);
    batch.timer = undefined;
    const items = batch.items.splice(0);
    if (items.length === 0) return;
    this.#running += items.length;
    const started = Date.now();
    const envelopes = items.map((d) => d.envelope as Envelope);
    void runBatch(this.#app, batch.reg, envelopes, this.#runtime)
      .then((outcomes) =>
        Promise.all(
          items.map(async (delivery, i) => {
            const outcome = outcomes[i]!;
            let settleError: unknown;
            let failed = false;
            try {
              await settle(delivery, outcome);
            } catch (error) {
              failed = true;
              settleError = error;
            }
            if (failed) this.#settleFailed(settleError, delivery.envelope, false);
            this.#runFinished(delivery, outcome, started);
          }),
        ),
      )
      .catch((error: unknown) => this.#bug(error));
  }

  #pump(): void {
    while (this.#running < this.#concurrency && this.#queue.length > 0) {
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
    }
    return undefined;
  }

  #run(delivery: Delivery): void {
    const started = Date.now();
    this.#running++;
    // `processDelivery` inlined: no promise of its own where the outcome is known at once.
    const outcome = decideNow(this.#app, delivery, this.#runtime);
    if (outcome instanceof Promise) outcome.then((o) => this.#settleRun(delivery, o, started));
    else this.#settleRun(delivery, outcome, started);
  }

  #settleRun(delivery: Delivery, outcome: Outcome, started: number): void {
    // One reaction per message; the callbacks catch for themselves (no `.catch` promise on top).
    void settle(delivery, outcome).then(
      () => this.#ranSafely(delivery, outcome, started, false),
      (settleError: unknown) => {
        try {
          logSettleFailure(this.#runtime.logger, delivery, outcome, settleError);
          this.#settleFailed(settleError, delivery.envelope, false);
        } catch (error) {
          this.#bug(error);
        }
        this.#ranSafely(delivery, outcome, started, true);
      },
    );
  }

  #ranSafely(delivery: Delivery, outcome: Outcome, started: number, failed: boolean): void {
    try {
      this.#ran(delivery, outcome, started, failed);
    } catch (error) {
      this.#bug(error);
    }
  }

  #ran(delivery: Delivery, outcome: Outcome, started: number, failed: boolean): void {
    const group = delivery.envelope.transport.groupId;
    if (group !== undefined) {
      // Order within a group: a message that is not done holds back every later one.
      if (failed || !isDone(outcome)) this.#releaseGroup(group);
      this.#busyGroups.delete(group);
    }
    this.#runFinished(delivery, outcome, started);
  }

  /** Only a bug in Mailroom gets here; it is logged rather than left as an unhandled rejection. */
  #bug(error: unknown): void {
    this.#logger.error({ error: describeError(error) }, "internal error in the Worker");
  }

  /** Give back, uncounted, every queued message of `group`: an earlier one of the group is not done. */
  #releaseGroup(group: string): void {
    for (let i = 0; i < this.#queue.length; ) {
      const d = this.#queue[i]!;
      if (d.envelope.transport.groupId !== group) {
        i++;
        continue;
      }
      this.#queue.splice(i, 1);
      this.#giveBack(d, "skipped");
    }
  }

  /** Release a held delivery that will not run here (stop, or its FIFO group is blocked). */
  #giveBack(delivery: Delivery, kind: "release" | "skipped"): Promise<void> {
    const outcome: Outcome = { kind } as Outcome;
    return settle(delivery, outcome).then(
      () => this.#released(delivery, outcome),
      (error: unknown) => {
        this.#settleFailed(error, delivery.envelope, false);
        this.#released(delivery, outcome);
      },
    );
  }

  #released(delivery: Delivery, outcome: Outcome): void {
    this.#held.delete(delivery);
    this.stats.count(outcome);
    const now = Date.now();
    tellSettled(this.#app, delivery.envelope, outcome, this.#receivedAt.get(delivery) ?? now, now);
    this.#emitSafely("settled", { envelope: delivery.envelope, outcome, durationMs: 0 });
    this.#wakeWaiters();
  }

  #settleFailed(error: unknown, envelope: Envelope | DecodeFailure | undefined, background: boolean): void {
    this.stats.settleErrors++;
    this.#emitSafely("settleError", error, envelope);
    if (background) {
      const id = envelope ? (isDecodeFailure(envelope) ? envelope.meta.id : envelope.id) : undefined;
      this.#logger.warn(
        { messageId: id, error: describeError(error) },
        WorkerLogMessages.backgroundSettleError,
      );
    }
  }

  #runFinished(delivery: Delivery, outcome: Outcome, started: number): void {
    this.#running--;
    this.#held.delete(delivery);
    this.stats.count(outcome);
    this.stats.lastSettledAt = Date.now();
    tellSettled(this.#app, delivery.envelope, outcome, this.#receivedAt.get(delivery) ?? started, started);
    if (this.#logOutcomes) {
      try {
        logOutcome(this.#logger, delivery.envelope, outcome);
      } catch {
        // A logger that throws must not stop the worker.
      }
    }
    if (this.listenerCount("settled") > 0) {
      this.#emitSafely("settled", { envelope: delivery.envelope, outcome, durationMs: Date.now() - started });
    }
    if (this.#state === "running") this.#pump();
    this.#wakeWaiters();
  }

  #wakeWaiters(): void {
    // A receive loop woken without room for a batch would only wait again: wake it when there is.
    if (this.#capacityWaiters.length > 0 && (this.#roomForBatch() || this.#state !== "running")) {
      for (const w of this.#capacityWaiters.splice(0)) w();
    }
    if (this.held === 0) for (const w of this.#idleWaiters.splice(0)) w();
  }

  async #finish(): Promise<void> {
    await Promise.all(this.#queue.splice(0).map((d) => this.#giveBack(d, "release")));
    for (const [, batch] of this.#batches) this.#flushBatch(batch);
    const drained = await this.#waitIdle(this.#shutdownMs);
    const abandoned = drained ? 0 : this.held;
    if (!drained) {
      this.#handlerAbort.abort(new Error("worker stopped"));
      this.#logger.warn({ abandoned }, "shutdown deadline passed; unsettled messages will be redelivered");
    }
    this.#held.stop();
    if (this.#summaryTimer) clearInterval(this.#summaryTimer);
    this.#unhookSignals();
    this.#state = "stopped";
    this.#emitSafely("stopped", { abandoned });
  }

  /** The per-interval summary line: deltas of the counters, CPU share of one core, RSS. */
  #startSummary(): void {
    if (this.#summaryMs <= 0) return;
    let last = summaryPoint(this.stats);
    this.#summaryTimer = setInterval(() => {
      const now = summaryPoint(this.stats);
      try {
        const line = summaryLine(last, now);
        if (this.listenerCount("summary") > 0) this.#emitSafely("summary", line);
        else {
          const { msg, ...fields } = line;
          this.#logger.info(fields, msg);
        }
      } catch {
        // A logger that throws must not stop the worker.
      }
      last = now;
    }, this.#summaryMs);
    this.#summaryTimer.unref();
  }

  #unhookSignals(): void {
    if (!this.#handleSignals) return;
    process.off("SIGTERM", this.#onSignal);
    process.off("SIGINT", this.#onSignal);
  }

  /** Call every listener; one that throws is logged and never stops the others or the worker. */
  #emitSafely<K extends keyof WorkerEvents>(event: K, ...args: WorkerEvents[K]): void {
    for (const listener of this.rawListeners(event) as Array<(...a: WorkerEvents[K]) => void>) {
      try {
        listener.apply(this, args);
      } catch (error) {
        this.#logger.error({ event, error: describeError(error) }, "a Worker event listener threw");
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

  /** Start-up waits: 0.5 s doubling to 5 s (scaled by `receiveBackoff` when set), one line each. */
  #connectBackoff(failures: number): number {
    const min = this.#connectBackoffMin;
    const ceiling = Math.min(Math.max(this.#backoffMax / 6, min), min * 2 ** (failures - 1));
    return ceiling / 2 + (Math.random() * ceiling) / 2;
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
