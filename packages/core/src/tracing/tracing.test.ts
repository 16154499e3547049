// Tracing on by default: with an SDK registered (in-memory exporter), every publish is a PRODUCER
// span and every handler run a CONSUMER span, chained across publish → consume → publish →
// consume on the local transports; batches link their messages; `tracing: false` and the
// explicit middleware behave.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { context, SpanKind, trace } from "@opentelemetry/api";
import { suppressTracing } from "@opentelemetry/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectChain, idOf, inMemoryTracing, one, parentOf, runChain } from "../../test/tracing-sdk.ts";
import { type App, createApp } from "../app.ts";
import { PermanentError } from "../errors.ts";
import { silentLogger } from "../logger.ts";
import { tracing } from "../middleware/tracing.ts";
import { Worker } from "../runtime/worker.ts";
import { testApp } from "../testkit/index.ts";
import type { LocalTransport } from "../transports/local.ts";
import { memoryTransport } from "../transports/memory.ts";
import { sqliteTransport } from "../transports/sqlite.ts";

const exporter = inMemoryTracing();
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "mailroom-tracing-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
const transports: Array<[string, () => LocalTransport]> = [
  ["sqlite", () => sqliteTransport(join(dir, `q${n++}.db`), { queue: "orders", waitMs: 20 })],
  [
    "memory",
    () => memoryTransport({ namespace: `tracing-${process.pid}-${n++}`, queue: "orders", waitMs: 20 }),
  ],
];

/** Run `app` on `t` until its queue is empty. */
async function drain(app: App, t: LocalTransport): Promise<void> {
  await new Worker(app, t.source(), {
    untilEmpty: true,
    publisher: t.publisher(),
    logger: silentLogger,
  }).start();
}

describe.each(transports)("tracing on the %s transport", (kind, open) => {
  it("chains publish → consume → publish → consume in one trace: producer, consumer, producer, consumer", async () => {
    const t = open();
    await runChain(t, { name: "order_created", data: {}, id: "m-1", correlationId: "c-1" });
    await t.close();

    const [send1] = expectChain(exporter.getFinishedSpans(), {
      system: kind,
      queue: "orders",
      messageId: "m-1",
    });
    expect(send1!.attributes["messaging.message.conversation_id"]).toBe("c-1");
  });
});

describe("consumer spans", () => {
  it("continue a producer's traceparent from outside, and a span started in the handler parents its publishes", async () => {
    const app = createApp({ name: "t", logger: silentLogger });
    app.handle("order_created", async (_d, ctx) => {
      await trace.getTracer("user").startActiveSpan("charge card", async (span) => {
        await ctx.publish("card_charged", {});
        span.end();
      });
    });
    const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    const r = await testApp(app).send(
      "order_created",
      {},
      { headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01`, tracestate: "vendor=abc" } },
    );
    expect(r.outcome.kind).toBe("ack");
    const spans = exporter.getFinishedSpans();
    const consumer = one(spans, "order_created process");
    const own = one(spans, "charge card");
    expect(consumer.spanContext().traceId).toBe(traceId);
    expect(parentOf(consumer)).toBe("00f067aa0ba902b7");
    expect(consumer.spanContext().traceState?.get("vendor")).toBe("abc");
    expect(parentOf(own)).toBe(idOf(consumer));
    // The test kit's publisher is no transport: the message carries the active span's context.
    expect(r.published[0]!.headers!.traceparent).toBe(`00-${traceId}-${idOf(own)}-01`);
    expect(r.published[0]!.headers!.tracestate).toBe("vendor=abc");
  });

  it("record a retry and a dead-letter as errors with an exception event and the reason", async () => {
    const app = createApp({ name: "t", logger: silentLogger });
    app.handle("flaky", () => {
      throw new Error("kaput");
    });
    app.handle("doomed", () => {
      throw new PermanentError("no such customer");
    });
    await testApp(app).send("flaky", {});
    await testApp(app).send("doomed", {});
    const spans = exporter.getFinishedSpans();
    const flaky = one(spans, "flaky process");
    expect(flaky.status).toMatchObject({ code: 2, message: "retry: Error: kaput" });
    expect(flaky.attributes).toMatchObject({ "mailroom.outcome": "retry", "error.type": "Error" });
    expect(flaky.events[0]).toMatchObject({ name: "exception" });
    expect(flaky.events[0]!.attributes?.["exception.message"]).toBe("kaput");
    const doomed = one(spans, "doomed process");
    expect(doomed.status.code).toBe(2);
    expect(doomed.status.message).toBe("dead-letter: permanent_error: no such customer");
    expect(doomed.attributes).toMatchObject({
      "mailroom.outcome": "deadLetter",
      "error.type": "permanent_error",
    });
    expect(doomed.events[0]!.attributes?.["exception.message"]).toBe("permanent_error: no such customer");
  });

  it("a schema failure is a dead-letter on the message's span", async () => {
    const app = createApp({ name: "t", logger: silentLogger });
    app.handle(
      "typed",
      {
        schema: {
          "~standard": {
            version: 1,
            vendor: "test",
            validate: () => ({ issues: [{ message: "id is missing" }] }),
          },
        },
      },
      () => {},
    );
    const r = await testApp(app).send("typed", {});
    expect(r.outcome.kind).toBe("deadLetter");
    expect(one(exporter.getFinishedSpans(), "typed process").attributes["mailroom.outcome"]).toBe(
      "deadLetter",
    );
  });

  it("with the tracing middleware as well, there is still one span per message", async () => {
    const app = createApp({ name: "t", logger: silentLogger });
    app.use(tracing());
    app.handle("order_created", async (_d, ctx) => {
      await ctx.publish("invoice_requested", {});
    });
    const r = await testApp(app).send("order_created", {});
    const consumer = one(exporter.getFinishedSpans(), "order_created process");
    expect(r.published[0]!.headers!.traceparent).toContain(idOf(consumer));
  });

  it("tracing: false makes no spans; publishes carry the incoming trace context on", async () => {
    const t = memoryTransport({ namespace: `tracing-off-${process.pid}`, queue: "orders", waitMs: 20 });
    const app = createApp({ name: "t", logger: silentLogger, tracing: false });
    const seen: Record<string, string>[] = [];
    app.handle("order_created", async (_d, ctx) => {
      await ctx.forward("invoice_requested", {});
    });
    app.handle("invoice_requested", (_d, ctx) => {
      seen.push({ ...ctx.envelope.headers });
    });
    const incoming = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    // Published under the SDK's own suppression: no producer span for it either.
    await context.with(suppressTracing(context.active()), () =>
      t.publisher().publish([{ name: "order_created", data: {}, headers: { traceparent: incoming } }]),
    );
    await drain(app, t);
    await t.close();
    expect(exporter.getFinishedSpans()).toEqual([]);
    expect(seen[0]?.traceparent).toBe(incoming);
  });

  it("a tracing middleware on an app with tracing off makes the spans itself", async () => {
    const app = createApp({ name: "t", logger: silentLogger, tracing: false });
    app.handle("order_created", { middleware: [tracing()] }, async (_d, ctx) => {
      await ctx.publish("invoice_requested", {});
    });
    const r = await testApp(app).send("order_created", {});
    const consumer = one(exporter.getFinishedSpans(), "order_created process");
    expect(r.published[0]!.headers!.traceparent).toContain(idOf(consumer));
  });
});

describe("batch handlers", () => {
  it("run in one consumer span linked to each message's own trace context, with the batch size", async () => {
    const t = sqliteTransport(join(dir, "batch.db"), { queue: "orders", waitMs: 20 });
    const app = createApp({ name: "t", logger: silentLogger });
    app.handleBatch("line_added", { maxSize: 10, maxWaitMs: 50 }, async (items) => [
      { item: items[2]!, error: new PermanentError("bad line") },
    ]);
    const tracer = trace.getTracer("producer");
    const roots = ["a", "b", "c"].map((name) => tracer.startSpan(name));
    for (const root of roots) {
      await context.with(trace.setSpan(context.active(), root), () =>
        t.publisher().publish([{ name: "line_added", data: {} }]),
      );
      root.end();
    }
    await drain(app, t);
    await t.close();
    const spans = exporter.getFinishedSpans();
    const batch = one(spans, "line_added process");
    const sends = spans.filter((s) => s.name === "line_added send");
    expect(batch.kind).toBe(SpanKind.CONSUMER);
    expect(batch.attributes).toMatchObject({
      "messaging.batch.message_count": 3,
      "mailroom.failed_count": 1,
    });
    expect(batch.links.map((l) => l.context.spanId).sort()).toEqual(sends.map(idOf).sort());
    expect(new Set(batch.links.map((l) => l.context.traceId))).toEqual(
      new Set(roots.map((r) => r.spanContext().traceId)),
    );
    expect(batch.status.code).toBe(2);
    expect(batch.events.filter((e) => e.name === "mailroom.item_failed")).toHaveLength(1);
  });
});
