import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { createApp } from "../app.ts";
import { silentLogger } from "../logger.ts";
import { testApp } from "../testkit/index.ts";
import {
  type IdempotencyStore,
  idempotency,
  MemoryIdempotencyStore,
  RedisIdempotencyStore,
} from "./idempotency.ts";
import type { Middleware } from "./middleware.ts";

describe("middleware onion", () => {
  it("runs before in order, the handler, then after in reverse", async () => {
    const log: string[] = [];
    const layer = (n: string): Middleware => ({
      before: () => void log.push(`before ${n}`),
      after: () => void log.push(`after ${n}`),
    });
    const app = createApp({ name: "t", logger: silentLogger, middleware: [layer("app")] });
    app.handle("x", { middleware: [layer("handler")] }, () => void log.push("handler"));
    await testApp(app).send("x", {});
    expect(log).toEqual(["before app", "before handler", "handler", "after handler", "after app"]);
  });

  it("onError runs in reverse and may recover, turning the failure into an ack", async () => {
    const log: string[] = [];
    const app = createApp({ name: "t", logger: silentLogger });
    app.use(
      { onError: () => void log.push("outer onError") },
      {
        onError: (req) => {
          log.push(`inner saw ${(req.error as Error).message}`);
          req.error = undefined;
        },
      },
    );
    app.handle("x", () => {
      throw new Error("boom");
    });
    const r = await testApp(app).send("x", {});
    expect(r.outcome).toEqual({ kind: "ack" });
    expect(log).toEqual(["inner saw boom"]);
  });

  it("a before hook that returns { result } skips the handler", async () => {
    let ran = false;
    const app = createApp({
      name: "t",
      logger: silentLogger,
      middleware: [{ before: () => ({ result: "cached" }) }],
    });
    app.handle("x", () => {
      ran = true;
    });
    expect((await testApp(app).send("x", {})).outcome).toEqual({ kind: "ack" });
    expect(ran).toBe(false);
  });
});

const redisUrl = process.env.MAILROOM_REDIS_URL ?? "redis://127.0.0.1:6379";
const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
afterAll(() => redis.quit().catch(() => {}));

describe.each([
  ["memory", () => new MemoryIdempotencyStore() as IdempotencyStore],
  ["redis (real server)", () => new RedisIdempotencyStore(redis)],
])("idempotency with the %s store", (_label, makeStore) => {
  const prefix = `test:${process.pid}:${Date.now()}:${Math.random()}:`;

  it("runs a message once: a redelivery of a completed key acks without running", async () => {
    const store = makeStore();
    let runs = 0;
    const app = createApp({ name: "t", logger: silentLogger });
    app.use(idempotency({ store, prefix }));
    app.handle("charge", () => {
      runs++;
    });
    const t = testApp(app);
    expect((await t.send("charge", { amount: 5 }, { id: "m-1" })).outcome).toEqual({ kind: "ack" });
    expect((await t.send("charge", { amount: 5 }, { id: "m-1", attempt: 2 })).outcome).toEqual({
      kind: "ack",
    });
    expect((await t.send("charge", { amount: 5 }, { id: "m-2" })).outcome).toEqual({ kind: "ack" });
    expect(runs).toBe(2);
  });

  it("a failure releases the claim so the retry runs; a business key dedups across ids", async () => {
    const store = makeStore();
    let runs = 0;
    const app = createApp({ name: "t", logger: silentLogger });
    app.use(idempotency({ store, prefix, key: (e) => String((e.data as { orderId: string }).orderId) }));
    app.handle("ship", () => {
      runs++;
      if (runs === 1) throw new Error("carrier down");
    });
    const t = testApp(app);
    expect((await t.send("ship", { orderId: "o-7" }, { id: "a" })).outcome.kind).toBe("retry");
    expect((await t.send("ship", { orderId: "o-7" }, { id: "a", attempt: 2 })).outcome.kind).toBe("ack");
    expect((await t.send("ship", { orderId: "o-7" }, { id: "b" })).outcome.kind).toBe("ack");
    expect(runs).toBe(2);
  });

  it("a key in progress elsewhere is deferred (no attempt spent), not run twice at once", async () => {
    const store = makeStore();
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const app = createApp({ name: "t", logger: silentLogger });
    app.use(idempotency({ store, prefix, retryDelayMs: 1234 }));
    app.handle("slow", () => gate);
    const t = testApp(app);
    const first = t.send("slow", {}, { id: "same" });
    await new Promise((r) => setTimeout(r, 50));
    const second = await t.send("slow", {}, { id: "same" });
    expect(second.outcome).toEqual({ kind: "defer", delayMs: 1234 });
    release();
    expect((await first).outcome.kind).toBe("ack");
  });
});
