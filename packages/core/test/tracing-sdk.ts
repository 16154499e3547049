// The OpenTelemetry SDK set up as a user would (tracer provider with an in-memory exporter, the
// async-hooks context manager, the W3C propagator), and the checks the tracing tests share.
import { context, propagation, SpanKind, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { afterAll, beforeAll, beforeEach, expect } from "vitest";
import { type App, createApp, type Outgoing, silentLogger, type Transport, Worker } from "../src/index.ts";

/** Register the SDK for this test file (and unregister it after); the exporter is emptied before each test. */
export function inMemoryTracing(): InMemorySpanExporter {
  const exporter = new InMemorySpanExporter();
  beforeAll(() => {
    trace.setGlobalTracerProvider(
      new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }),
    );
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  });
  afterAll(() => {
    trace.disable();
    context.disable();
    propagation.disable();
  });
  beforeEach(() => exporter.reset());
  return exporter;
}

/** The one span named `name`. */
export function one(spans: ReadableSpan[], name: string): ReadableSpan {
  const found = spans.filter((s) => s.name === name);
  expect(found.map((s) => s.name)).toEqual([name]);
  return found[0]!;
}

export const parentOf = (s: ReadableSpan) => s.parentSpanContext?.spanId;
export const idOf = (s: ReadableSpan) => s.spanContext().spanId;

/**
 * The spans of `order_created` published, consumed, its handler forwarding `invoice_requested`,
 * and that consumed: PRODUCER → CONSUMER → PRODUCER → CONSUMER, each the parent of the next, in
 * one trace, named by the messaging conventions. Returns them in that order.
 */
export function expectChain(
  spans: ReadableSpan[],
  expected: { system: string; queue: string; messageId: string },
): ReadableSpan[] {
  const chain = [
    one(spans, "order_created send"),
    one(spans, "order_created process"),
    one(spans, "invoice_requested send"),
    one(spans, "invoice_requested process"),
  ];
  const [send1, process1, send2, process2] = chain as [
    ReadableSpan,
    ReadableSpan,
    ReadableSpan,
    ReadableSpan,
  ];
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
    "messaging.system": expected.system,
    "messaging.operation.type": "send",
    "messaging.destination.name": expected.queue,
    "messaging.message.id": expected.messageId,
  });
  expect(process1.attributes).toMatchObject({
    "messaging.system": expected.system,
    "messaging.operation.type": "process",
    "messaging.destination.name": expected.queue,
    "messaging.message.id": expected.messageId,
    "mailroom.attempt": 1,
    "mailroom.outcome": "ack",
  });
  // The forward's producer span and its consumer span name the same message.
  expect(send2.attributes["messaging.message.id"]).toBe(process2.attributes["messaging.message.id"]);
  return chain;
}

/** The app of the chain: `order_created` forwards `invoice_requested`, which is handled. */
export function forwardingApp(): App {
  const app = createApp({ name: "traced", logger: silentLogger });
  app.handle("order_created", async (_data, ctx) => {
    await ctx.forward("invoice_requested", { n: 1 });
  });
  app.handle("invoice_requested", async () => {});
  return app;
}

/** Publish `message` (an `order_created`) on `transport`, then run `forwardingApp` on it until the queue is empty. */
export async function runChain(transport: Transport, message: Outgoing): Promise<void> {
  await transport.publisher().publish([message]);
  await new Worker(forwardingApp(), transport.source(), {
    untilEmpty: true,
    publisher: transport.publisher(),
    logger: silentLogger,
  }).start();
}
