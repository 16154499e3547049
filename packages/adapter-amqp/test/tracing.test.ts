// Tracing on by default on RabbitMQ: with an SDK registered (in-memory exporter), publish →
// consume → publish → consume is one trace of PRODUCER and CONSUMER spans, the context carried
// in the AMQP headers; a batch handler's span links each message's own context.

import { createApp, silentLogger, Worker } from "@mailroom/core";
import { context, propagation, SpanKind, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { cleanup, sharedBrokerLock, transport, uniqueName } from "./helpers.ts";

sharedBrokerLock({ beforeAll, afterAll });
const exporter = new InMemorySpanExporter();
beforeAll(() => {
  trace.setGlobalTracerProvider(
    new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }),
  );
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
});
afterAll(async () => {
  trace.disable();
  context.disable();
  propagation.disable();
  await cleanup();
});
beforeEach(() => exporter.reset());

function one(spans: ReadableSpan[], name: string): ReadableSpan {
  const found = spans.filter((s) => s.name === name);
  expect(found.map((s) => s.name)).toEqual([name]);
  return found[0]!;
}
const parentOf = (s: ReadableSpan) => s.parentSpanContext?.spanId;
const idOf = (s: ReadableSpan) => s.spanContext().spanId;

describe("tracing on RabbitMQ", () => {
  it("chains publish → consume → publish → consume in one trace", async () => {
    const queue = uniqueName("tracing");
    const t = transport(queue);
    const app = createApp({ name: "traced", logger: silentLogger });
    app.handle("order_created", async (_data, ctx) => {
      await ctx.forward("invoice_requested", {});
    });
    app.handle("invoice_requested", async () => {});
    try {
      await t.publisher().publish([{ name: "order_created", data: {}, id: "m-amqp" }]);
      await new Worker(app, t.source(), {
        untilEmpty: true,
        publisher: t.publisher(),
        logger: silentLogger,
      }).start();
    } finally {
      await t.close();
    }
    const spans = exporter.getFinishedSpans();
    const send1 = one(spans, "order_created send");
    const process1 = one(spans, "order_created process");
    const send2 = one(spans, "invoice_requested send");
    const process2 = one(spans, "invoice_requested process");
    const chain = [send1, process1, send2, process2];
    expect(new Set(chain.map((s) => s.spanContext().traceId)).size).toBe(1);
    expect(parentOf(process1)).toBe(idOf(send1));
    expect(parentOf(send2)).toBe(idOf(process1));
    expect(parentOf(process2)).toBe(idOf(send2));
    expect(chain.map((s) => s.kind)).toEqual([
      SpanKind.PRODUCER,
      SpanKind.CONSUMER,
      SpanKind.PRODUCER,
      SpanKind.CONSUMER,
    ]);
    expect(process1.attributes).toMatchObject({
      "messaging.system": "rabbitmq",
      "messaging.operation.type": "process",
      "messaging.destination.name": queue,
      "messaging.message.id": "m-amqp",
      "mailroom.outcome": "ack",
    });
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
