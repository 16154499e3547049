import { describe, expect, it } from "vitest";
import { createApp } from "../app.ts";
import { silentLogger } from "../logger.ts";
import { HandlerSpy } from "../testkit/spy.ts";
import type { Delivery, Source } from "../transport.ts";
import { memoryTransport } from "../transports/memory.ts";
import { serveHealth } from "./health.ts";
import { Worker } from "./worker.ts";

const quiet = { logger: silentLogger };
let ns = 0;
const fresh = (o: Parameters<typeof memoryTransport>[0] = {}) =>
  memoryTransport({ namespace: `worker-${process.pid}-${ns++}`, waitMs: 200, ...o });

describe("Worker", () => {
  it("never holds more than concurrency + one batch, keeps receiving while handlers run, and asks only for whole batches", async () => {
    const t = fresh();
    const app = createApp({ name: "t", ...quiet });
    let running = 0;
    let peakRunning = 0;
    let peakHeld = 0;
    const source = t.source();
    const asked: number[] = [];
    const receive = source.receive.bind(source);
    source.receive = (max, signal) => {
      asked.push(max);
      return receive(max, signal);
    };
    const worker = new Worker(app, source, { concurrency: 5, batchSize: 4, receivers: 2, ...quiet });
    app.handle("work", async () => {
      running++;
      peakRunning = Math.max(peakRunning, running);
      peakHeld = Math.max(peakHeld, worker.held);
      await new Promise((r) => setTimeout(r, 10));
      running--;
    });
    await t.publisher().publish(Array.from({ length: 60 }, (_, i) => ({ name: "work", data: i })));
    const spy = new HandlerSpy(worker);
    void worker.start();
    await spy.waitFor({ outcome: "ack", count: 60 });
    await worker.stop();
    expect(peakRunning).toBe(5);
    expect(peakHeld).toBeLessThanOrEqual(5 + 4);
    expect(peakHeld).toBeGreaterThan(5);
    // A receive for the one or two slots left would cost a request for a handful of messages.
    expect(asked.length).toBeGreaterThanOrEqual(15);
    expect(new Set(asked)).toEqual(new Set([4]));
  });

  it("backs off after receive errors, emits each, and recovers without crashing", async () => {
    let calls = 0;
    const source: Source = {
      async receive(): Promise<Delivery[]> {
        calls++;
        if (calls <= 3) throw new Error(`network down ${calls}`);
        return new Promise((r) => setTimeout(() => r([]), 20));
      },
      async close() {},
    };
    const worker = new Worker(createApp({ name: "t", ...quiet }), source, {
      receivers: 1,
      receiveBackoff: { minMs: 10, maxMs: 40 },
      ...quiet,
    });
    const errors: number[] = [];
    const recovered = new Promise<void>((resolve) => {
      worker.on("receiveError", (_e, consecutive) => {
        errors.push(consecutive);
      });
      const check = setInterval(() => {
        if (calls > 4) {
          clearInterval(check);
          resolve();
        }
      }, 5);
    });
    void worker.start();
    await recovered;
    await worker.stop();
    expect(errors).toEqual([1, 2, 3]);
    expect(worker.stats.receiveErrors).toBe(3);
  });

  it("on stop, releases received-but-not-started messages at once and waits for running ones", async () => {
    const t = fresh();
    const app = createApp({ name: "t", ...quiet });
    let finished = 0;
    app.handle("slowish", async () => {
      await new Promise((r) => setTimeout(r, 100));
      finished++;
    });
    await t.publisher().publish(Array.from({ length: 10 }, (_, i) => ({ name: "slowish", data: i })));
    const worker = new Worker(app, t.source(), { concurrency: 2, batchSize: 10, ...quiet });
    const started = new Promise<void>((r) => worker.once("received", () => r()));
    void worker.start();
    await started;
    await new Promise((r) => setTimeout(r, 20));
    await worker.stop();
    expect(finished).toBe(2);
    const depth = await t.source().depth!();
    expect(depth).toEqual({ ready: 8, delayed: 0, inFlight: 0 });
  });

  it("after the shutdown deadline aborts the handlers' signal and leaves their messages to redelivery", async () => {
    const t = fresh({ visibilityTimeoutMs: 60_000 });
    const app = createApp({ name: "t", ...quiet });
    let sawAbort = false;
    app.handle(
      "stuck",
      (_d, ctx) =>
        new Promise<void>((resolve) =>
          ctx.signal.addEventListener("abort", () => {
            sawAbort = true;
            resolve();
          }),
        ),
    );
    await t.publisher().publish([{ name: "stuck", data: 1 }]);
    const worker = new Worker(app, t.source(), { shutdownTimeoutMs: 50, ...quiet });
    const started = new Promise<void>((r) => worker.once("received", () => r()));
    void worker.start();
    await started;
    const stopped = new Promise<{ abandoned: number }>((r) => worker.once("stopped", r));
    await worker.stop();
    expect(await stopped).toEqual({ abandoned: 1 });
    expect(sawAbort).toBe(true);
  });

  it("untilEmpty waits for due retries, then stops by itself", async () => {
    const t = fresh();
    const app = createApp({
      name: "t",
      ...quiet,
      retry: { baseDelayMs: 300, maxDelayMs: 300, jitter: "none" },
    });
    const attempts: number[] = [];
    app.handle("flaky", (_d, ctx) => {
      attempts.push(ctx.attempt);
      if (ctx.attempt === 1) throw new Error("try again");
    });
    await t.publisher().publish([{ name: "flaky", data: 1 }]);
    const worker = new Worker(app, t.source(), { untilEmpty: true, ...quiet });
    await worker.start();
    expect(attempts).toEqual([1, 2]);
    expect(worker.stats).toMatchObject({ acked: 1, retried: 1 });
  });

  it("serves /healthz and /metrics, and /healthz fails once the worker stopped", async () => {
    const t = fresh();
    const app = createApp({ name: "t", ...quiet });
    app.handle("x", () => {});
    const worker = new Worker(app, t.source(), quiet);
    void worker.start();
    const health = await serveHealth(worker, { port: 0, labels: { app: "t" } });
    await t.publisher().publish([{ name: "x", data: 1 }]);
    await new HandlerSpy(worker).waitFor({ outcome: "ack" });
    const ok = await fetch(`${health.url}/healthz`);
    expect(ok.status).toBe(200);
    const metrics = await (await fetch(`${health.url}/metrics`)).text();
    expect(metrics).toContain('mailroom_messages_acked_total{app="t"} 1');
    worker.removeAllListeners("stopped");
    await worker.stop();
    expect((await fetch(`${health.url}/healthz`)).status).toBe(503);
    health.close();
  });

  it("tells the source the app's handler names before the first receive, retrying a failed subscribe", async () => {
    const calls: string[] = [];
    let attempts = 0;
    const source: Source = {
      async subscribe(names) {
        attempts++;
        if (attempts === 1) throw new Error("broker not ready");
        calls.push(`subscribe ${names.join(",")}`);
      },
      async receive(): Promise<Delivery[]> {
        calls.push("receive");
        return new Promise((r) => setTimeout(() => r([]), 20));
      },
      async close() {},
    };
    const app = createApp({ name: "t", ...quiet });
    app.handle("a_one", () => {}).handle("b_two", () => {});
    const worker = new Worker(app, source, {
      receivers: 1,
      receiveBackoff: { minMs: 5, maxMs: 10 },
      ...quiet,
    });
    void worker.start();
    while (!calls.includes("receive")) await new Promise((r) => setTimeout(r, 5));
    await worker.stop();
    expect(calls[0]).toBe("subscribe a_one,b_two");
    expect(worker.stats.receiveErrors).toBe(1);
  });
});

describe("health before the first receive", () => {
  it("says no progress yet (null), not the time since 1970", () => {
    const t = memoryTransport({ namespace: `health-${process.pid}`, queue: "q" });
    const worker = new Worker(createApp({ name: "h", logger: silentLogger }), t.source());
    expect(worker.health(90_000)).toMatchObject({ ok: false, state: "idle", lastProgressMsAgo: null });
  });
});
