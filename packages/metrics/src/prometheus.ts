import type { MetricsExposition, Middleware, Transport, Worker } from "@mailroom/core";
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import {
  attachWorker,
  type CountedOutcome,
  type DepthReader,
  depthReader,
  type MessageLabels,
  pushMiddleware,
  type Recorder,
} from "./recorder.ts";

/** Options of `prometheusMetrics`. */
export interface PrometheusOptions {
  /** Register on this registry (e.g. prom-client's global `register`). Default: a new one. */
  registry?: Registry;
  /** Labels on every figure (e.g. `{ app: "orders" }`). */
  labels?: Record<string, string>;
  /** Handler duration buckets, seconds. Default 1 ms … 60 s. */
  durationBuckets?: number[];
  /** Message age (queue lag) buckets, seconds. Default 10 ms … 1 h. */
  ageBuckets?: number[];
  /** Also collect Node's process figures (CPU, memory, event loop lag) into the registry. Default false. */
  processMetrics?: boolean;
}

/** A prom-client registry holding Mailroom's figures, and the ways to feed and serve it. */
export interface PrometheusMetrics {
  readonly registry: Registry;
  /** Count a Worker's messages from its events. Returns a function that detaches. */
  attach(worker: Worker): () => void;
  /** Report `transport`'s queue depths (ready, delayed, in flight, dead-lettered) on each scrape, where its admin can count them. */
  trackDepth(transport: Transport): void;
  /** For push runtimes (`toLambda`, `toAliyunFC`, `toAzureFunction`): `app.use(metrics.middleware)`. */
  readonly middleware: Middleware;
  /** What `serveHealth({ metrics })` serves at `/metrics`. */
  readonly exposition: MetricsExposition;
}

const DURATION = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
const AGE = [0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600];
const MESSAGE = ["name", "transport", "queue"] as const;

/**
 * Mailroom's figures in a prom-client registry: messages received, acked, retried,
 * dead-lettered, deferred and released by name, transport and queue; a handler duration
 * histogram; messages in flight; message age at receive (queue lag); queue depth where the
 * transport can count it; receive errors, settle errors and reconnects.
 *
 * @example
 * const metrics = prometheusMetrics({ labels: { app: "orders" } });
 * metrics.attach(worker);
 * metrics.trackDepth(transport);
 * await serveHealth(worker, { port: 9464, metrics: metrics.exposition });
 */
export function prometheusMetrics(options: PrometheusOptions = {}): PrometheusMetrics {
  const registry = options.registry ?? new Registry();
  if (options.labels) registry.setDefaultLabels(options.labels);
  const registers = [registry];
  const counter = (name: string, help: string) => new Counter({ name, help, labelNames: MESSAGE, registers });
  const outcomes: Record<CountedOutcome, Counter<(typeof MESSAGE)[number]>> = {
    acked: counter("mailroom_messages_acked_total", "Messages handled and acknowledged."),
    retried: counter("mailroom_messages_retried_total", "Handler failures scheduled for retry."),
    dead_lettered: counter(
      "mailroom_messages_dead_lettered_total",
      "Messages sent to the dead-letter destination.",
    ),
    deferred: counter(
      "mailroom_messages_deferred_total",
      "Messages re-delayed before their not-before time.",
    ),
    released: counter(
      "mailroom_messages_released_total",
      "Messages handed back unhandled (shutdown, FIFO group held), to be delivered again.",
    ),
  };
  const received = counter("mailroom_messages_received_total", "Messages received.");
  const duration = new Histogram({
    name: "mailroom_handler_duration_seconds",
    help: "Time from a message's triage to its settle: validation, middleware and handler.",
    labelNames: [...MESSAGE, "outcome"],
    buckets: options.durationBuckets ?? DURATION,
    registers,
  });
  const age = new Histogram({
    name: "mailroom_message_age_seconds",
    help: "Time from publish to receive (queue lag), for messages that say when they were published.",
    labelNames: MESSAGE,
    buckets: options.ageBuckets ?? AGE,
    registers,
  });
  const inFlight = new Gauge({
    name: "mailroom_messages_in_flight",
    help: "Messages received and not yet settled.",
    labelNames: ["transport", "queue"],
    registers,
  });
  const plain = (name: string, help: string) => new Counter({ name, help, registers });
  const receiveErrors = plain("mailroom_receive_errors_total", "Receive calls that failed.");
  const settleErrors = plain("mailroom_settle_errors_total", "Ack / retry / dead-letter calls that failed.");
  const reconnects = plain(
    "mailroom_reconnects_total",
    "Times the transport connection was lost and regained.",
  );
  const workers = new Set<Worker>();
  const sumOf = (read: (w: Worker) => number) => [...workers].reduce((n, w) => n + read(w), 0);
  new Counter({
    name: "mailroom_visibility_extensions_total",
    help: "Visibility heartbeats sent for long handlers.",
    registers,
    collect() {
      this.reset();
      this.inc(sumOf((w) => w.stats.extended));
    },
  });
  new Gauge({
    name: "mailroom_last_receive_timestamp_seconds",
    help: "When a receive last completed.",
    registers,
    collect() {
      this.set(Math.max(0, ...[...workers].map((w) => w.stats.lastReceiveAt)) / 1000);
    },
  });
  const readers: Array<{ kind: string; read: DepthReader }> = [];
  new Gauge({
    name: "mailroom_queue_depth",
    help: "Messages in a queue by state (ready, delayed, in_flight, dead_lettered), where the transport can count them.",
    labelNames: ["transport", "queue", "state"],
    registers,
    async collect() {
      this.reset();
      const all = await Promise.allSettled(
        readers.map(async (r) => ({ kind: r.kind, rows: await r.read() })),
      );
      for (const one of all) {
        // A queue that cannot be counted this time is left out of this scrape, not an error for it all.
        if (one.status !== "fulfilled") continue;
        for (const row of one.value.rows) {
          this.set({ transport: one.value.kind, queue: row.queue, state: row.state }, row.count);
        }
      }
    },
  });
  if (options.processMetrics) collectDefaultMetrics({ register: registry });

  const recorder: Recorder = {
    received(labels: MessageLabels, ageSeconds) {
      received.inc(labels);
      if (ageSeconds !== undefined) age.observe(labels, ageSeconds);
    },
    settled(labels, outcome, seconds) {
      outcomes[outcome].inc(labels);
      duration.observe({ ...labels, outcome }, seconds);
    },
    inFlight(labels, delta) {
      inFlight.inc({ transport: labels.transport, queue: labels.queue }, delta);
    },
    receiveError: () => receiveErrors.inc(),
    settleError: () => settleErrors.inc(),
    reconnect: () => reconnects.inc(),
  };

  return {
    registry,
    attach(worker) {
      workers.add(worker);
      const detach = attachWorker(worker, recorder);
      return () => {
        workers.delete(worker);
        detach();
      };
    },
    trackDepth(transport) {
      const read = depthReader(transport);
      if (read) readers.push({ kind: transport.kind, read });
    },
    middleware: pushMiddleware(recorder, "prometheus-metrics"),
    exposition: {
      get contentType() {
        return registry.contentType;
      },
      collect: () => registry.metrics(),
    },
  };
}
