// Without an OpenTelemetry SDK: nothing is loaded or made, and the trace context a message came
// with still goes on with what its handler publishes.
import { describe, expect, it } from "vitest";
import { createApp } from "../app.ts";
import { silentLogger } from "../logger.ts";
import { Worker } from "../runtime/worker.ts";
import { memoryTransport } from "../transports/memory.ts";
import { traceApi, tracerRegistered } from "./api.ts";

describe("tracing without an SDK", () => {
  it("passes the incoming traceparent and tracestate on through forward and publish, and never loads the OpenTelemetry API", async () => {
    const t = memoryTransport({ namespace: `no-sdk-${process.pid}`, queue: "orders", waitMs: 20 });
    const app = createApp({ name: "t", logger: silentLogger });
    const seen = new Map<string, Record<string, string>>();
    app.handle("order_created", async (_d, ctx) => {
      await ctx.forward("invoice_requested", {});
      await ctx.publish("order_logged", {});
      // A header the caller sets is its own.
      await ctx.publish(
        "audit",
        {},
        { headers: { traceparent: "00-11111111111111111111111111111111-2222222222222222-00" } },
      );
    });
    for (const name of ["invoice_requested", "order_logged", "audit"]) {
      app.handle(name, (_d, ctx) => {
        seen.set(name, { ...ctx.envelope.headers });
      });
    }
    const traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    await t
      .publisher()
      .publish([{ name: "order_created", data: {}, headers: { traceparent, tracestate: "vendor=abc" } }]);
    await new Worker(app, t.source(), {
      untilEmpty: true,
      publisher: t.publisher(),
      logger: silentLogger,
    }).start();
    await t.close();
    expect(seen.get("invoice_requested")).toMatchObject({ traceparent, tracestate: "vendor=abc" });
    expect(seen.get("order_logged")).toMatchObject({ traceparent, tracestate: "vendor=abc" });
    expect(seen.get("audit")?.traceparent).toBe("00-11111111111111111111111111111111-2222222222222222-00");
    expect(seen.get("audit")?.tracestate).toBeUndefined();
    expect(tracerRegistered()).toBe(false);
    expect(traceApi()).toBeUndefined();
  });
});
