import { describe, expect, it } from "vitest";
import { inMemoryTracing } from "../../test/tracing-sdk.ts";
import { createApp } from "../app.ts";
import { silentLogger } from "../logger.ts";
import { testApp } from "../testkit/index.ts";
import { tracing } from "./tracing.ts";

const exporter = inMemoryTracing();

describe("tracing middleware", () => {
  it("continues the producer's trace in a consumer span and passes it on to published messages", async () => {
    const app = createApp({ name: "t", logger: silentLogger });
    app.use(tracing());
    app.handle("order_created", async (_d, ctx) => {
      await ctx.publish("invoice_requested", {});
    });
    const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    const r = await testApp(app).send(
      "order_created",
      {},
      { headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` } },
    );
    expect(r.outcome.kind).toBe("ack");
    const [span] = exporter.getFinishedSpans();
    expect(span?.name).toBe("order_created process");
    expect(span?.spanContext().traceId).toBe(traceId);
    expect(span?.parentSpanContext?.spanId).toBe("00f067aa0ba902b7");
    expect(span?.attributes["messaging.message.id"]).toBe("failed" in r.envelope ? undefined : r.envelope.id);
    const published = r.published[0]!.headers!.traceparent!;
    expect(published).toBe(`00-${traceId}-${span!.spanContext().spanId}-01`);
  });

  it("records a handler's error on the span", async () => {
    exporter.reset();
    const app = createApp({ name: "t", logger: silentLogger });
    app.use(tracing());
    app.handle("boom", () => {
      throw new Error("kaput");
    });
    await testApp(app).send("boom", {});
    const [span] = exporter.getFinishedSpans();
    expect(span?.status.code).toBe(2);
    expect(span?.events[0]?.name).toBe("exception");
  });
});
