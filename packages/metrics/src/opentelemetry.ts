import type { Middleware, Transport, Worker } from "@mailroom/core";
import { type Attributes, type Meter, metrics } from "@opentelemetry/api";
import {
  attachWorker,
  type CountedOutcome,
  type DepthReader,
  depthReader,
  type MessageLabels,
  pushMiddleware,
  type Recorder,
} from "./recorder.ts";

/** Options of `openTelemetryMetrics`. */
export interface OpenTelemetryMetricsOptions {
  /** Default: `metrics.getMeter("@mailroom/metrics")` from the globally registered MeterProvider. */
  meter?: Meter;
  /** Attributes on every figure (e.g. `{ "service.namespace": "shop" }`). */
  attributes?: Attributes;
}

/** Mailroom's figures as OpenTelemetry instruments, and the ways to feed them. */
export interface OpenTelemetryMetrics {
  /** Count a Worker's messages from its events. Returns a function that detaches. */
  attach(worker: Worker): () => void;
  /** Observe `transport`'s queue depths on each collection, where its admin can count them. */
  trackDepth(transport: Transport): void;
  /** For push runtimes: `app.use(metrics.middleware)`. */
  readonly middleware: Middleware;
}

/**
 * The same figures as `prometheusMetrics`, through `@opentelemetry/api` metrics, for users who
 * export OTLP (or anything else their MeterProvider exports): `messaging.client.consumed.messages`
 * and `messaging.process.duration` as the messaging conventions name them, with
 * `messaging.system`, `messaging.destination.name`, `mailroom.message.name` and `mailroom.outcome`;
 * Mailroom's own `mailroom.messages.settled`, `mailroom.messages.in_flight`, `mailroom.message.age`,
 * `mailroom.queue.depth`, `mailroom.receive.errors`, `mailroom.settle.errors`, `mailroom.reconnects`.
 * Without an SDK registered the API's no-op meter records nothing.
 */
export function openTelemetryMetrics(options: OpenTelemetryMetricsOptions = {}): OpenTelemetryMetrics {
  const meter = options.meter ?? metrics.getMeter("@mailroom/metrics");
  const extra = options.attributes ?? {};
  const consumed = meter.createCounter("messaging.client.consumed.messages", {
    description: "Messages received.",
    unit: "{message}",
  });
  const settled = meter.createCounter("mailroom.messages.settled", {
    description: "Messages settled, by outcome (acked, retried, dead_lettered, deferred, released).",
    unit: "{message}",
  });
  const duration = meter.createHistogram("messaging.process.duration", {
    description: "Time from a message's triage to its settle: validation, middleware and handler.",
    unit: "s",
  });
  const age = meter.createHistogram("mailroom.message.age", {
    description: "Time from publish to receive (queue lag).",
    unit: "s",
  });
  const inFlight = meter.createUpDownCounter("mailroom.messages.in_flight", {
    description: "Messages received and not yet settled.",
    unit: "{message}",
  });
  const receiveErrors = meter.createCounter("mailroom.receive.errors", {
    description: "Receive calls that failed.",
  });
  const settleErrors = meter.createCounter("mailroom.settle.errors", {
    description: "Ack / retry / dead-letter calls that failed.",
  });
  const reconnects = meter.createCounter("mailroom.reconnects", {
    description: "Times the transport connection was lost and regained.",
  });
  const readers: Array<{ kind: string; read: DepthReader }> = [];
  const depth = meter.createObservableGauge("mailroom.queue.depth", {
    description: "Messages in a queue by state (ready, delayed, in_flight, dead_lettered).",
    unit: "{message}",
  });
  depth.addCallback(async (result) => {
    const all = await Promise.allSettled(readers.map(async (r) => ({ kind: r.kind, rows: await r.read() })));
    for (const one of all) {
      if (one.status !== "fulfilled") continue;
      for (const row of one.value.rows) {
        result.observe(row.count, {
          ...extra,
          "messaging.system": one.value.kind,
          "messaging.destination.name": row.queue,
          "mailroom.queue.state": row.state,
        });
      }
    }
  });

  const attrs = (labels: MessageLabels): Attributes => ({
    ...extra,
    "messaging.system": labels.transport,
    "messaging.destination.name": labels.queue,
    "mailroom.message.name": labels.name,
  });
  const recorder: Recorder = {
    received(labels, ageSeconds) {
      const a = attrs(labels);
      consumed.add(1, a);
      if (ageSeconds !== undefined) age.record(ageSeconds, a);
    },
    settled(labels, outcome: CountedOutcome, seconds) {
      const a = { ...attrs(labels), "mailroom.outcome": outcome };
      settled.add(1, a);
      duration.record(seconds, a);
    },
    inFlight(labels, delta) {
      inFlight.add(delta, {
        ...extra,
        "messaging.system": labels.transport,
        "messaging.destination.name": labels.queue,
      });
    },
    receiveError: () => receiveErrors.add(1, extra),
    settleError: () => settleErrors.add(1, extra),
    reconnect: () => reconnects.add(1, extra),
  };
  return {
    attach: (worker) => attachWorker(worker, recorder),
    trackDepth(transport) {
      const read = depthReader(transport);
      if (read) readers.push({ kind: transport.kind, read });
    },
    middleware: pushMiddleware(recorder, "opentelemetry-metrics"),
  };
}
