import { getEventListeners } from "node:events";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { createApp } from "../app.ts";
import { decodeEnvelope } from "../codec/codec.ts";
import { jsonCodec } from "../codec/json.ts";
import type { Envelope } from "../envelope.ts";
import { PermanentError, TimeoutError } from "../errors.ts";
import { silentLogger } from "../logger.ts";
import { testApp } from "../testkit/index.ts";
import { HandlerSpy } from "../testkit/spy.ts";
import { memoryTransport } from "../transports/memory.ts";
import { runBatch } from "./batch.ts";
import type { Runtime } from "./context.ts";
import { runHandler, triage } from "./process.ts";
import { Worker } from "./worker.ts";

const quiet = { logger: silentLogger };
let ns = 0;
const fresh = () => memoryTransport({ namespace: `semantics-${process.pid}-${ns++}`, waitMs: 100 });

function envelope(name: string, data: unknown, extra: Partial<Envelope> = {}): Envelope {
  const e = decodeEnvelope(
    jsonCodec(),
    new TextEncoder().encode(JSON.stringify({ name, data })),
    { headers: {} },
    { attempt: 1, transport: { kind: "test", queue: "q", raw: null } },
  ) as Envelope;
  return { ...e, ...extra };
}

function runtime(signal = new AbortController().signal): Runtime {
  return {
    logger: silentLogger,
    signal,
    publisher: () => ({ publish: async () => {}, close: async () => {} }),
  };
}

describe("every exception on the handler path is an outcome", () => {
  it("a zod transform that throws does not crash the worker: the other messages are acked and it is retried, then dead-lettered", async () => {
    const t = fresh();
    const app = createApp({ name: "t", ...quiet, retry: { maxAttempts: 2, baseDelayMs: 0, maxDelayMs: 0 } });
    const Order = z.object({ id: z.string() }).transform((o) => {
      if (o.id === "boom") throw new Error("transform exploded");
      return o;
    });
    const handled: string[] = [];
    app.handle("order", { schema: Order }, (order) => {
      handled.push(order.id);
    });
    await t.publisher().publish(["a", "boom", "c"].map((id) => ({ name: "order", data: { id } })));
    const worker = new Worker(app, t.source(), quiet);
    const spy = new HandlerSpy(worker);
    void worker.start();
    await spy.waitFor({ outcome: "ack", count: 2 });
    const [dead] = await spy.waitFor({ outcome: "deadLetter" });
    await worker.stop();
    expect(handled.sort()).toEqual(["a", "c"]);
    expect(dead!.outcome).toMatchObject({
      reason: expect.stringMatching(
        /^max_attempts_exceeded: failed 2 of 2 attempts; last error: SchemaError: the schema of "order" threw: Error: transform exploded/,
      ),
    });
    expect(await t.source().depth!()).toEqual({ ready: 0, delayed: 0, inFlight: 0 });
  });

  it("a PermanentError thrown inside a schema dead-letters at once", async () => {
    const app = createApp({ name: "t", ...quiet });
    const Strict = z.object({ id: z.string() }).transform(() => {
      throw new PermanentError("refused by the schema");
    });
    app.handle("strict", { schema: Strict }, () => {});
    const r = await testApp(app).send("strict", { id: "x" });
    expect(r.outcome).toEqual({ kind: "deadLetter", reason: "permanent_error: refused by the schema" });
  });

  it("a Worker event listener that throws is logged, and the worker goes on", async () => {
    const t = fresh();
    const app = createApp({ name: "t", ...quiet });
    app.handle("job", () => {});
    const worker = new Worker(app, t.source(), quiet);
    worker.on("settled", () => {
      throw new Error("listener bug");
    });
    const spy = new HandlerSpy(worker);
    await t.publisher().publish([
      { name: "job", data: 1 },
      { name: "job", data: 2 },
    ]);
    void worker.start();
    await spy.waitFor({ outcome: "ack", count: 2 });
    await worker.stop();
    expect(worker.stats.acked).toBe(2);
  });
});

describe("timeouts", () => {
  it("leave no listener on the runtime's signal, which lives as long as the worker or the warm function", async () => {
    const app = createApp({ name: "t", ...quiet });
    const reg = app.handle("quick", { timeoutMs: 60_000 }, () => {}).lookup("quick")!;
    const controller = new AbortController();
    const rt = runtime(controller.signal);
    for (let i = 0; i < 200; i++) await runHandler(app, reg, envelope("quick", i), rt);
    expect(getEventListeners(controller.signal, "abort")).toHaveLength(0);
  });

  it("apply to batch handlers: the batch call's signal aborts and every item is retried", async () => {
    const app = createApp({ name: "t", ...quiet });
    let aborted: unknown;
    app.handleBatch("slow", { timeoutMs: 30 }, async (_items, ctx) => {
      await new Promise((r) => setTimeout(r, 200));
      aborted = ctx.signal.reason;
    });
    const controller = new AbortController();
    const outcomes = await runBatch(
      app,
      app.lookup("slow")!,
      [envelope("slow", 1), envelope("slow", 2)],
      runtime(controller.signal),
    );
    expect(outcomes.map((o) => o.kind)).toEqual(["retry", "retry"]);
    expect(outcomes[0]).toMatchObject({ error: expect.any(TimeoutError) });
    await new Promise((r) => setTimeout(r, 250));
    expect(aborted).toBeInstanceOf(TimeoutError);
    expect(getEventListeners(controller.signal, "abort")).toHaveLength(0);
  });
});

describe("batch handlers", () => {
  it("go through the app's and their own middleware, once per item; a before that short-circuits leaves its item out", async () => {
    const app = createApp({ name: "t", ...quiet });
    const log: string[] = [];
    app.use({
      name: "app",
      before(r) {
        log.push(`app.before ${String(r.data)}`);
        if (r.data === 2) return { result: "cached" };
      },
      after(r) {
        log.push(`app.after ${String(r.data)}`);
      },
    });
    let seen: unknown[] = [];
    app.handleBatch(
      "items",
      { middleware: [{ name: "own", before: (r) => void log.push(`own.before ${String(r.data)}`) }] },
      (items) => {
        seen = items.map((i) => i.data);
      },
    );
    const outcomes = await runBatch(
      app,
      app.lookup("items")!,
      [1, 2, 3].map((n) => envelope("items", n)),
      runtime(),
    );
    expect(outcomes.map((o) => o.kind)).toEqual(["ack", "ack", "ack"]);
    expect(seen).toEqual([1, 3]);
    expect(log.filter((l) => l.startsWith("app.before"))).toHaveLength(3);
    expect(log.filter((l) => l.startsWith("own.before"))).toEqual(["own.before 1", "own.before 3"]);
    expect(log.filter((l) => l.startsWith("app.after"))).toHaveLength(3);
  });

  it("settle outcomes by position: two items with one id, failures reported by item or by index", async () => {
    const app = createApp({ name: "t", ...quiet, retry: { baseDelayMs: 0, maxDelayMs: 0 } });
    app.handleBatch("dup", {}, (items) => [
      { item: items[1]!, error: new PermanentError("second copy") },
      { index: 2, error: new Error("third failed") },
    ]);
    const a = envelope("dup", "first");
    const b = { ...a, data: "second" };
    const c = envelope("dup", "third");
    const outcomes = await runBatch(app, app.lookup("dup")!, [a, b, c], runtime());
    expect(outcomes.map((o) => o.kind)).toEqual(["ack", "deadLetter", "retry"]);
  });

  it("a failing item reaches onError of the middleware, which may recover it", async () => {
    const app = createApp({ name: "t", ...quiet });
    const errors: string[] = [];
    app.use({
      onError(r) {
        errors.push(String((r.error as Error).message));
        if (r.data === "recoverable") r.error = undefined;
      },
    });
    app.handleBatch("mixed", {}, (items) =>
      items.map((item) => ({ item, error: new Error(`failed ${String(item.data)}`) })),
    );
    const outcomes = await runBatch(
      app,
      app.lookup("mixed")!,
      [envelope("mixed", "recoverable"), envelope("mixed", "lost")],
      runtime(),
    );
    expect(outcomes.map((o) => o.kind)).toEqual(["ack", "retry"]);
    expect(errors.sort()).toEqual(["failed lost", "failed recoverable"]);
  });
});

describe("the receive limit, where a transport cannot count runs", () => {
  const app = createApp({ name: "t", ...quiet });
  app.handle("fifo_job", { retry: { maxAttempts: 3 } }, () => {});
  const reg = app.lookup("fifo_job")!;
  const hop = 12 * 3_600_000;
  const at = (receiveCount: number, headers: Record<string, string> = {}, publishedAt = new Date()) =>
    envelope(
      "fifo_job",
      {},
      {
        headers,
        publishedAt,
        transport: { kind: "sqs", queue: "q.fifo", raw: null, receiveCount, deferHopMs: hop },
      },
    );

  it("runs a message received many times but with no run seen (defers, releases, skipped mates)", () => {
    expect(triage(app, at(20))).toBe(reg);
  });

  it("dead-letters past maxReceives with its own reason", () => {
    expect(triage(app, at(101))).toMatchObject({
      kind: "deadLetter",
      reason: expect.stringMatching(/^max_receives_exceeded: received 101 times, over the limit of 100/),
    });
  });

  it("does not hold the hops of a far schedule against the limit once it is due", () => {
    const published = new Date(Date.now() - 80 * hop);
    const due = new Date(Date.now() - 1_000).toISOString();
    expect(triage(app, at(83, { "not-before": due }, published))).toBe(reg);
  });
});
