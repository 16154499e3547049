// Tracing on by default across Amazon SQS and Lambda: with an SDK registered (in-memory
// exporter), a publish through the SQS publisher is a PRODUCER span whose context travels in the
// message attributes; toLambda continues it in a CONSUMER span; the handler's forward is a
// PRODUCER span under it, and the next invocation continues that one: one trace across two
// invocations, as the messaging conventions name it.

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
import { toLambda } from "../src/lambda-entry.ts";
import { type Emulator, startEmulator } from "./helpers.ts";
import { eventFrom } from "./lambda-events.ts";

const exporter = new InMemorySpanExporter();
let emu: Emulator;
beforeAll(async () => {
  trace.setGlobalTracerProvider(
    new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }),
  );
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  emu = await startEmulator();
});
afterAll(async () => {
  trace.disable();
  context.disable();
  propagation.disable();
  await emu.stop();
});
beforeEach(() => exporter.reset());

function one(spans: ReadableSpan[], name: string): ReadableSpan {
  const found = spans.filter((s) => s.name === name);
  expect(found.map((s) => s.name)).toEqual([name]);
  return found[0]!;
}
const parentOf = (s: ReadableSpan) => s.parentSpanContext?.spanId;
const idOf = (s: ReadableSpan) => s.spanContext().spanId;

/** The four spans of publish → consume → forward → consume, chained parent to child in one trace. */
function expectChain(spans: ReadableSpan[], queue: string, messageId: string) {
  const send1 = one(spans, "order_created send");
  const process1 = one(spans, "order_created process");
  const send2 = one(spans, "invoice_requested send");
  const process2 = one(spans, "invoice_requested process");
  const chain = [send1, process1, send2, process2];
  expect(new Set(chain.map((s) => s.spanContext().traceId)).size).toBe(1);
  expect(parentOf(send1)).toBeUndefined();
  expect(parentOf(process1)).toBe(idOf(send1));
  expect(parentOf(send2)).toBe(idOf(process1));
  expect(parentOf(process2)).toBe(idOf(send2));
  expect(chain.map((s) => s.kind)).toEqual([
    SpanKind.PRODUCER,
    SpanKind.CONSUMER,
    SpanKind.PRODUCER,
    SpanKind.CONSUMER,
  ]);
  expect(send1.attributes).toMatchObject({
    "messaging.system": "aws_sqs",
    "messaging.operation.type": "send",
    "messaging.destination.name": queue,
  });
  expect(process1.attributes).toMatchObject({
    "messaging.system": "aws_sqs",
    "messaging.operation.type": "process",
    "messaging.destination.name": queue,
    "messaging.message.id": messageId,
    "mailroom.attempt": 1,
    "mailroom.outcome": "ack",
  });
  expect(send2.attributes["messaging.message.id"]).toBe(process2.attributes["messaging.message.id"]);
}

function forwardingApp() {
  const app = createApp({ name: "traced", logger: silentLogger });
  app.handle("order_created", async (_data, ctx) => {
    await ctx.forward("invoice_requested", { n: 1 });
  });
  app.handle("invoice_requested", async () => {});
  return app;
}

describe("tracing on Amazon SQS", () => {
  it("a Worker chains publish → consume → publish → consume in one trace", async () => {
    const queue = `tracing-worker-${process.pid}`;
    const t = await emu.open(queue, { waitTimeSeconds: 1 });
    try {
      await t.publisher().publish([{ name: "order_created", data: {}, id: "m-worker" }]);
      await new Worker(forwardingApp(), t.source(), {
        untilEmpty: true,
        publisher: t.publisher(),
        logger: silentLogger,
      }).start();
    } finally {
      await t.close();
    }
    expectChain(exporter.getFinishedSpans(), queue, "m-worker");
  }, 30_000);

  it("toLambda continues the trace from the record's attributes, and the next invocation from the forward's", async () => {
    const queue = `tracing-lambda-${process.pid}`;
    const t = await emu.open(queue);
    try {
      await t.publisher().publish([{ name: "order_created", data: {}, id: "m-lambda" }]);
    } finally {
      await t.close();
    }
    const handler = toLambda(forwardingApp(), { endpoint: emu.endpoint });
    const first = await eventFrom(emu, queue, 1);
    expect(first.Records[0]!.messageAttributes.traceparent?.stringValue).toMatch(/^00-[0-9a-f]{32}-/);
    expect(await handler(first)).toEqual({ batchItemFailures: [] });
    const second = await eventFrom(emu, queue, 1);
    expect(await handler(second)).toEqual({ batchItemFailures: [] });
    expectChain(exporter.getFinishedSpans(), queue, "m-lambda");
  }, 30_000);
});
