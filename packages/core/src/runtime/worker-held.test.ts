import { describe, expect, it } from "vitest";
import { recordingDelivery } from "../../test/deliveries.ts";
import { createApp } from "../app.ts";
import { ConfigError, TransportError } from "../errors.ts";
import { silentLogger } from "../logger.ts";
import { HandlerSpy } from "../testkit/spy.ts";
import type { BackgroundErrorListener, Delivery, Source } from "../transport.ts";
import { Worker } from "./worker.ts";

const quiet = { logger: silentLogger };

/** A constructed delivery of a FIFO group that records what was done to it. */
function groupDelivery(i: number, group: string, log: string[]): Delivery {
  return recordingDelivery("step", { i }, { groupId: group, id: `${group}${i}`, log, label: `${group}${i}` });
}

/** A source that hands out the given batches once, then long-polls empty until aborted. */
function scripted(batches: Delivery[][], extra: Partial<Source> = {}): Source {
  return {
    async receive(_max, signal) {
      const next = batches.shift();
      if (next) return next;
      await new Promise<void>((r) => {
        const t = setTimeout(r, 50);
        signal.addEventListener("abort", () => {
          clearTimeout(t);
          r();
        });
      });
      return [];
    },
    async close() {},
    ...extra,
  };
}

describe("Worker: several messages of one FIFO group in one receive", () => {
  it("runs them one at a time in order; once one is not done, the later ones are given back without running", async () => {
    const log: string[] = [];
    const app = createApp({ name: "t", ...quiet });
    app.handle("step", (data, ctx) => {
      const { i } = data as { i: number };
      log.push(`${ctx.envelope.transport.groupId}${i}:run`);
      if (ctx.envelope.transport.groupId === "a" && i === 1) ctx.retry({ delayMs: 1_000 });
    });
    const a = [0, 1, 2, 3].map((i) => groupDelivery(i, "a", log));
    const b = [0, 1].map((i) => groupDelivery(i, "b", log));
    const worker = new Worker(app, scripted([[...a, ...b]]), { concurrency: 4, ...quiet });
    const spy = new HandlerSpy(worker);
    void worker.start();
    await spy.waitFor({ count: 6 });
    await worker.stop();
    const ofA = log.filter((l) => l.startsWith("a"));
    expect(ofA).toEqual(["a0:run", "a0:ack", "a1:run", "a1:retry", "a2:release", "a3:release"]);
    expect(log.filter((l) => l.startsWith("b"))).toEqual(["b0:run", "b0:ack", "b1:run", "b1:ack"]);
  });

  it("a message not yet due (defer) holds back its group the same way", async () => {
    const log: string[] = [];
    const app = createApp({ name: "t", ...quiet });
    app.handle("step", (data) => void log.push(`run ${(data as { i: number }).i}`));
    const first = groupDelivery(0, "g", log);
    const notDue = {
      ...first,
      envelope: { ...first.envelope, headers: { "not-before": new Date(Date.now() + 60_000).toISOString() } },
    } as Delivery;
    const second = groupDelivery(1, "g", log);
    const worker = new Worker(app, scripted([[notDue, second]]), quiet);
    const spy = new HandlerSpy(worker);
    void worker.start();
    await spy.waitFor({ count: 2 });
    await worker.stop();
    expect(log).toEqual(["g0:defer", "g1:release"]);
  });
});

describe("Worker start-up", () => {
  it("a ConfigError from the source's connect rejects start at once; nothing is received", async () => {
    let receives = 0;
    const source = scripted([], {
      connect: async () => {
        throw new ConfigError("queue orders has no dead-letter queue");
      },
      receive: async () => {
        receives++;
        return [];
      },
    });
    const worker = new Worker(createApp({ name: "t", ...quiet }), source, quiet);
    await expect(worker.start()).rejects.toThrow("queue orders has no dead-letter queue");
    expect(worker.state).toBe("stopped");
    expect(receives).toBe(0);
  });

  it("an unreachable transport is waited for (a waiting event each time), then the worker runs", async () => {
    let attempts = 0;
    const source = scripted([], {
      connect: async () => {
        if (++attempts < 3) throw new TransportError("connection refused");
      },
    });
    const worker = new Worker(createApp({ name: "t", ...quiet }), source, {
      ...quiet,
      receiveBackoff: { minMs: 10, maxMs: 20 },
    });
    const waits: number[] = [];
    worker.on("waiting", ({ waitedMs }) => waits.push(waitedMs));
    const started = new Promise<void>((r) => worker.once("started", r));
    const done = worker.start();
    await started;
    expect(worker.state).toBe("running");
    expect(waits).toHaveLength(2);
    await worker.stop();
    await done;
  });

  it("gives up after connectTimeoutMs with one TransportError", async () => {
    const source = scripted([], {
      connect: async () => {
        throw new TransportError("connect ECONNREFUSED 127.0.0.1:1");
      },
    });
    const worker = new Worker(createApp({ name: "t", ...quiet }), source, {
      ...quiet,
      connectTimeoutMs: 150,
      receiveBackoff: { minMs: 20, maxMs: 40 },
    });
    await expect(worker.start()).rejects.toThrow(/not reachable within .*ECONNREFUSED/);
    expect(worker.state).toBe("stopped");
  });

  it("registers for background settle errors: they are counted and emitted", async () => {
    let report: BackgroundErrorListener | undefined;
    const source = scripted([], {
      onBackgroundError(listener) {
        report = listener;
      },
    });
    const worker = new Worker(createApp({ name: "t", ...quiet }), source, quiet);
    const errors: unknown[] = [];
    worker.on("settleError", (e) => errors.push(e));
    const started = new Promise<void>((r) => worker.once("started", r));
    void worker.start();
    await started;
    report!(new Error("DeleteMessageBatch failed"), undefined);
    await worker.stop();
    expect(worker.stats.settleErrors).toBe(1);
    expect(errors).toHaveLength(1);
  });
});

describe("Worker health", () => {
  it("is ok while every slot is busy with a handler longer than the stale limit (waiting for capacity is not a stall)", async () => {
    const app = createApp({ name: "t", ...quiet });
    let release: () => void = () => {};
    app.handle("step", () => new Promise<void>((r) => (release = r)));
    const log: string[] = [];
    const worker = new Worker(app, scripted([[groupDelivery(0, "x", log)]]), { concurrency: 1, ...quiet });
    const running = new Promise<void>((r) => worker.once("received", () => setTimeout(r, 20)));
    void worker.start();
    await running;
    await new Promise((r) => setTimeout(r, 120));
    const busy = worker.health(100);
    expect(busy).toMatchObject({ ok: true, busy: true });
    release();
    await worker.stop();
    expect(worker.health(100).ok).toBe(false);
  });
});
