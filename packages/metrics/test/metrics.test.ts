// The figures of a real Worker on the local SQLite queue — acks, a retry, a dead letter, an
// undecodable body — through prom-client (served at /metrics next to /healthz and /readyz) and
// through OpenTelemetry metrics read by the SDK.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createApp, PermanentError, serveHealth, silentLogger, Worker } from "@mailroom/core";
import { SqliteStore, sqliteTransport } from "@mailroom/core/transport";
import {
  AggregationTemporality,
  type DataPoint,
  type Histogram,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from "@opentelemetry/sdk-metrics";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openTelemetryMetrics, prometheusMetrics } from "../src/index.ts";

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "mailroom-metrics-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Two acks, one message that fails once then acks, one dead letter, one body that is not JSON. */
function scenario(file: string) {
  const path = join(dir, file);
  const transport = sqliteTransport(path, { queue: "orders", waitMs: 20 });
  const app = createApp({ name: "shop", logger: silentLogger, retry: { baseDelayMs: 10, maxDelayMs: 20 } });
  let failed = false;
  app.handle("order_created", async () => {});
  app.handle("payment_taken", async () => {
    if (!failed) {
      failed = true;
      throw new Error("card service down");
    }
  });
  app.handle("refund_issued", async () => {
    throw new PermanentError("refunds are closed");
  });
  const worker = new Worker(app, transport.source(), {
    untilEmpty: true,
    logger: silentLogger,
    publisher: transport.publisher(),
    summaryIntervalMs: 0,
  });
  const publish = async () => {
    await transport.publisher().publish([
      { name: "order_created", data: { id: 1 } },
      { name: "order_created", data: { id: 2 } },
      { name: "payment_taken", data: { id: 1 } },
      { name: "refund_issued", data: { id: 1 } },
    ]);
    // A foreign producer's body that is not JSON.
    const store = new SqliteStore(path);
    store.enqueue("orders", [
      { body: new TextEncoder().encode("not json"), meta: { headers: {} }, visibleAt: Date.now() },
    ]);
    store.close();
  };
  return { transport, worker, publish };
}

describe("prometheusMetrics", () => {
  it("counts a Worker's messages by name and outcome, times them, and serves them at /metrics beside /healthz and /readyz", async () => {
    const { transport, worker, publish } = scenario("prom.db");
    const metrics = prometheusMetrics({ labels: { app: "shop" } });
    metrics.attach(worker);
    metrics.trackDepth(transport);
    const health = await serveHealth(worker, { port: 0, metrics: metrics.exposition });
    try {
      expect((await fetch(`${health.url}/readyz`)).status).toBe(503);
      await publish();
      // While it runs: ready, and /metrics is the registry's exposition.
      let live: Promise<[number, string | null]> | undefined;
      worker.once("started", () => {
        live = Promise.all([
          fetch(`${health.url}/readyz`).then((r) => r.status),
          fetch(`${health.url}/metrics`).then((r) => r.headers.get("content-type")),
        ]);
      });
      await worker.start();
      expect(await live).toEqual([200, metrics.registry.contentType]);
      const text = await metrics.exposition.collect();
      /** The value of `metric` whose labels are exactly `labels` (any order) plus app="shop". */
      const sample = (metric: string, labels: Record<string, string> = {}) => {
        const want = { ...labels, app: "shop" };
        const found = text.split("\n").find((line) => {
          const m = /^([a-z_]+)\{([^}]*)\} (\S+)$/.exec(line);
          if (!m || m[1] !== metric) return false;
          const got = Object.fromEntries([...m[2]!.matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
          return JSON.stringify(Object.entries(got).sort()) === JSON.stringify(Object.entries(want).sort());
        });
        expect(found, `${metric} ${JSON.stringify(want)} in\n${text}`).toBeDefined();
        return Number(found!.split(" ").at(-1));
      };
      const of = (name: string) => ({ name, transport: "sqlite", queue: "orders" });
      expect(sample("mailroom_messages_received_total", of("order_created"))).toBe(2);
      expect(sample("mailroom_messages_acked_total", of("order_created"))).toBe(2);
      expect(sample("mailroom_messages_received_total", of("payment_taken"))).toBe(2);
      expect(sample("mailroom_messages_retried_total", of("payment_taken"))).toBe(1);
      expect(sample("mailroom_messages_acked_total", of("payment_taken"))).toBe(1);
      expect(sample("mailroom_messages_dead_lettered_total", of("refund_issued"))).toBe(1);
      expect(sample("mailroom_messages_dead_lettered_total", of("(undecodable)"))).toBe(1);
      expect(
        sample("mailroom_handler_duration_seconds_count", { ...of("order_created"), outcome: "acked" }),
      ).toBe(2);
      expect(sample("mailroom_message_age_seconds_count", of("order_created"))).toBe(2);
      const q = { transport: "sqlite", queue: "orders" };
      expect(sample("mailroom_messages_in_flight", q)).toBe(0);
      expect(sample("mailroom_queue_depth", { ...q, state: "dead_lettered" })).toBe(2);
      expect(sample("mailroom_queue_depth", { ...q, state: "ready" })).toBe(0);
      expect(sample("mailroom_receive_errors_total")).toBe(0);
    } finally {
      health.close();
      await transport.close();
    }
  });
});

describe("openTelemetryMetrics", () => {
  it("records the same figures through the OpenTelemetry metrics API", async () => {
    const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
    const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 60_000 });
    const provider = new MeterProvider({ readers: [reader] });
    const { transport, worker, publish } = scenario("otel.db");
    const metrics = openTelemetryMetrics({
      meter: provider.getMeter("test"),
      attributes: { "service.name": "shop" },
    });
    metrics.attach(worker);
    metrics.trackDepth(transport);
    try {
      await publish();
      await worker.start();
      await reader.forceFlush();
      const all = exporter.getMetrics().flatMap((r) => r.scopeMetrics.flatMap((s) => s.metrics));
      const points = (name: string) => {
        const m = all.filter((x) => x.descriptor.name === name).at(-1);
        expect(m, name).toBeDefined();
        return m!.dataPoints as DataPoint<number | Histogram>[];
      };
      const sum = (name: string, attrs: Record<string, string>) =>
        points(name)
          .filter((p) => Object.entries(attrs).every(([k, v]) => p.attributes[k] === v))
          .reduce((n, p) => n + (typeof p.value === "number" ? p.value : p.value.count), 0);
      expect(sum("messaging.client.consumed.messages", { "mailroom.message.name": "order_created" })).toBe(2);
      expect(sum("messaging.client.consumed.messages", { "mailroom.message.name": "payment_taken" })).toBe(2);
      expect(sum("mailroom.messages.settled", { "mailroom.outcome": "acked" })).toBe(3);
      expect(sum("mailroom.messages.settled", { "mailroom.outcome": "retried" })).toBe(1);
      expect(sum("mailroom.messages.settled", { "mailroom.outcome": "dead_lettered" })).toBe(2);
      expect(sum("messaging.process.duration", { "messaging.system": "sqlite" })).toBe(6);
      expect(sum("mailroom.messages.in_flight", {})).toBe(0);
      expect(sum("mailroom.queue.depth", { "mailroom.queue.state": "dead_lettered" })).toBe(2);
      expect(points("messaging.client.consumed.messages")[0]!.attributes).toMatchObject({
        "service.name": "shop",
        "messaging.destination.name": "orders",
      });
    } finally {
      await provider.shutdown();
      await transport.close();
    }
  });
});

describe("queue depth", () => {
  it("a transport whose admin does not answer (a broker down or stalled) costs a scrape 2 s, not the scrape", async () => {
    const metrics = prometheusMetrics();
    const stalled = {
      kind: "amqp",
      queue: "orders",
      admin: () => ({ stats: () => new Promise<never>(() => {}) }),
    } as unknown as Parameters<typeof metrics.trackDepth>[0];
    metrics.trackDepth(stalled);
    const started = Date.now();
    const text = await metrics.exposition.collect();
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(text).toContain("# TYPE mailroom_queue_depth gauge");
    expect(text).not.toMatch(/^mailroom_queue_depth\{/m);
    expect(text).toMatch(/^mailroom_receive_errors_total 0$/m);
  });
});
