// Tracing on by default on RabbitMQ: with an SDK registered (in-memory exporter), publish →
// consume → publish → consume is one trace of PRODUCER and CONSUMER spans, the context carried
// in the AMQP headers; a batch handler's span links each message's own context.
import { createApp, silentLogger, Worker } from "@mailroom/core";
import { SpanKind } from "@opentelemetry/api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectChain, idOf, inMemoryTracing, runChain } from "../../core/test/tracing-sdk.ts";
import { cleanup, sharedBrokerLock, transport, uniqueName } from "./helpers.ts";

sharedBrokerLock({ beforeAll, afterAll });
const exporter = inMemoryTracing();
afterAll(() => cleanup());

describe("tracing on RabbitMQ", () => {
  it("chains publish → consume → publish → consume in one trace", async () => {
    const queue = uniqueName("tracing");
    const t = transport(queue);
    try {
      await runChain(t, { name: "order_created", data: {}, id: "m-amqp" });
    } finally {
      await t.close();
    }
    expectChain(exporter.getFinishedSpans(), { system: "rabbitmq", queue, messageId: "m-amqp" });
  }, 30_000);

  it("a batch handler runs in one span linked to each message's producer span", async () => {
    const queue = uniqueName("tracing-batch");
    const t = transport(queue);
    const app = createApp({ name: "traced", logger: silentLogger });
    const seen: number[] = [];
    app.handleBatch("reading_taken", { maxSize: 10 }, async (items) => {
      seen.push(items.length);
    });
    try {
      await t.publisher().publish([
        { name: "reading_taken", data: { v: 1 }, id: "r-1" },
        { name: "reading_taken", data: { v: 2 }, id: "r-2" },
        { name: "reading_taken", data: { v: 3 }, id: "r-3" },
      ]);
      await new Worker(app, t.source(), { untilEmpty: true, batchSize: 10, logger: silentLogger }).start();
    } finally {
      await t.close();
    }
    const spans = exporter.getFinishedSpans();
    const sends = spans.filter((s) => s.name === "reading_taken send");
    const batches = spans.filter((s) => s.name === "reading_taken process");
    expect(sends).toHaveLength(3);
    const linked = batches.flatMap((b) => b.links.map((l) => l.context.spanId));
    expect(linked.sort()).toEqual(sends.map(idOf).sort());
    for (const b of batches) {
      expect(b.kind).toBe(SpanKind.CONSUMER);
      expect(b.attributes["messaging.batch.message_count"]).toBe(b.links.length);
    }
    expect(seen.reduce((a, n) => a + n, 0)).toBe(3);
  }, 30_000);
});
