import { expect, it } from "vitest";
import { ConfigError, PermanentError } from "../errors.ts";
import type { SpyRecord } from "../testkit/spy.ts";
import { type Harness, sleep, throwingSchema } from "./harness.ts";

/**
 * The suite's second part: one semantics on every transport — every exception is an outcome,
 * batches settle by position, uncounted returns never consume attempts, held messages stay
 * invisible, FIFO mates keep order and attempts, start-up refuses what cannot work, a refused
 * dead letter is neither lost nor spun.
 */
export function semanticsTests(h: Harness): void {
  const { features, vt } = h;
  const reasonOf = (r: SpyRecord) => (r.outcome.kind === "deadLetter" ? r.outcome.reason : r.outcome.kind);

  it("a schema that throws (sync or async) is an outcome: retried by policy, then dead-lettered with the error; the other messages settle", async () => {
    const queue = h.queueName("schema");
    const t = await h.open(queue);
    const app = h.newApp();
    const wait = features.minDelayMs;
    const retry = { maxAttempts: 2, baseDelayMs: wait, maxDelayMs: wait, jitter: "none" as const };
    app.handle("conf_ok", () => {});
    app.handle("conf_schema_sync", { schema: throwingSchema("sync"), retry }, () => {});
    app.handle("conf_schema_async", { schema: throwingSchema("async"), retry }, () => {});
    const ok1 = h.msg("conf_ok", { n: 1 });
    const sync = h.msg("conf_schema_sync", {});
    const async = h.msg("conf_schema_async", {});
    const ok2 = h.msg("conf_ok", { n: 2 });
    await t.publisher().publish([ok1, sync, async, ok2]);
    const { spy } = h.start(app, t);
    await spy.waitFor({ id: ok1.id, outcome: "ack" });
    await spy.waitFor({ id: ok2.id, outcome: "ack" });
    const [s] = await spy.waitFor({ id: sync.id, outcome: "deadLetter" });
    const [a] = await spy.waitFor({ id: async.id, outcome: "deadLetter" });
    expect(reasonOf(s!)).toMatch(
      /^max_attempts_exceeded: failed 2 of 2 attempts; last error: SchemaError: the schema of "conf_schema_sync" threw: Error: transform exploded/,
    );
    expect(reasonOf(a!)).toMatch(/the schema of "conf_schema_async" threw: Error: async refine exploded/);
    const dead = await h.waitForDeadLetters(queue, t, 2);
    expect(dead.map((d) => d.id).sort()).toEqual([sync.id, async.id].sort());
  });

  it("a middleware hook that throws is an outcome: before, after and onError each dead-letter with their error; the worker keeps running", async () => {
    const queue = h.queueName("hooks");
    const t = await h.open(queue);
    const app = h.newApp();
    const which = (r: { envelope: { data: unknown } }) => (r.envelope.data as { k: string }).k;
    const onErrors: string[] = [];
    app.use({
      name: "breaks",
      before(r) {
        if (which(r) === "before") throw new PermanentError("before refused");
      },
      after(r) {
        if (which(r) === "after") throw new PermanentError("after refused");
      },
      onError(r) {
        onErrors.push(which(r));
        if (which(r) === "onError") throw new PermanentError("onError refused too");
      },
    });
    app.handle("conf_hooks", (data) => {
      if ((data as { k: string }).k === "onError") throw new Error("handler failed");
    });
    const ms = ["before", "after", "onError", "none"].map((k) => h.msg("conf_hooks", { k }));
    await t.publisher().publish(ms);
    const { spy } = h.start(app, t);
    const [before, after, onError, none] = await Promise.all(ms.map((m) => spy.waitFor({ id: m.id })));
    expect(reasonOf(before![0]!)).toBe("permanent_error: before refused");
    expect(reasonOf(after![0]!)).toBe("permanent_error: after refused");
    expect(reasonOf(onError![0]!)).toBe("permanent_error: onError refused too");
    expect(none![0]!.outcome.kind).toBe("ack");
    expect(onErrors.sort()).toEqual(["after", "before", "onError"]);
  });

  it("a batch handler runs through the app's middleware, and two deliveries of one id in one batch each settle", async () => {
    const queue = h.queueName("batch");
    const t = await h.open(queue);
    const app = h.newApp();
    const befores: string[] = [];
    const afters: string[] = [];
    app.use({
      before(r) {
        befores.push(r.envelope.id);
      },
      after(r) {
        afters.push(r.envelope.id);
      },
    });
    const batchSizes: number[] = [];
    app.handleBatch("conf_batch", { maxSize: 10, maxWaitMs: 500 }, (items) => {
      batchSizes.push(items.length);
    });
    const twice = h.msg("conf_batch", { copy: 1 });
    const other = h.msg("conf_batch", { copy: 0 });
    await t.publisher().publish([twice, { ...twice, data: { copy: 2 } }, other]);
    const { spy } = h.start(app, t);
    await spy.waitFor({ id: twice.id, outcome: "ack", count: 2 });
    await spy.waitFor({ id: other.id, outcome: "ack" });
    expect(befores.filter((id) => id === twice.id)).toHaveLength(2);
    expect(afters.filter((id) => id === twice.id)).toHaveLength(2);
    expect(batchSizes.reduce((a, b) => a + b, 0)).toBe(3);
  });

  it("release and defer never consume attempts: a message given back three times and re-delayed, then failing, runs exactly maxAttempts times", async () => {
    const queue = h.queueName("uncounted");
    const t = await h.open(queue);
    const due = Date.now() + Math.max(features.minDelayMs, 1_000) + 1_500;
    const m = h.msg("conf_uncounted", {}, { headers: { "not-before": new Date(due).toISOString() } });
    await t.publisher().publish([m]);
    for (let i = 0; i < 3; i++) {
      const got = await h.receiveAll(t, 3_000);
      expect(got.map((g) => g.id)).toEqual([m.id]);
    }
    const app = h.newApp();
    const attempts: number[] = [];
    const wait = features.minDelayMs;
    app.handle(
      "conf_uncounted",
      { retry: { maxAttempts: 2, baseDelayMs: wait, maxDelayMs: wait, jitter: "none" } },
      (_d, ctx) => {
        attempts.push(ctx.attempt);
        throw new Error("always fails");
      },
    );
    const { spy } = h.start(app, t);
    const [dead] = await spy.waitFor({ id: m.id, outcome: "deadLetter" }, 30_000);
    expect(attempts).toEqual([1, 2]);
    expect(reasonOf(dead!)).toMatch(/^max_attempts_exceeded: failed 2 of 2 attempts/);
    expect(spy.records.some((r) => r.outcome.kind === "defer")).toBe(true);
    const letters = await h.waitForDeadLetters(queue, t, 1);
    expect(letters[0]!.attempts).toBe(2);
  });

  it.runIf(features.fifo)(
    "FIFO: group mates given back behind a retried message keep their order and run once, at attempt 1",
    async () => {
      const queue = h.queueName("fifomates");
      const t = await h.open(queue, { fifo: true });
      const app = h.newApp();
      const runs: Array<{ i: number; attempt: number }> = [];
      app.handle("conf_mates", (data: unknown, ctx) => {
        const { i } = data as { i: number };
        runs.push({ i, attempt: ctx.attempt });
        if (i === 0 && ctx.attempt === 1) ctx.retry({ delayMs: features.minDelayMs });
      });
      await t
        .publisher()
        .publish(Array.from({ length: 5 }, (_, i) => h.msg("conf_mates", { i }, { groupId: "g" })));
      const { spy } = h.start(app, t, { concurrency: 4 });
      await spy.waitFor({ name: "conf_mates", outcome: "ack", count: 5 }, 60_000);
      expect(runs).toEqual([
        { i: 0, attempt: 1 },
        { i: 0, attempt: 2 },
        { i: 1, attempt: 1 },
        { i: 2, attempt: 1 },
        { i: 3, attempt: 1 },
        { i: 4, attempt: 1 },
      ]);
    },
  );

  it.runIf(features.visibilityTimeout)(
    "a message the worker holds while waiting for a slot stays invisible: a second worker never runs it too",
    async () => {
      const queue = h.queueName("held");
      const t1 = await h.open(queue);
      const app = h.newApp();
      const runs: string[] = [];
      let first = true;
      app.handle("conf_held", async (_d, ctx) => {
        runs.push(ctx.envelope.id);
        if (first) {
          first = false;
          await sleep(vt * 2.5);
        }
      });
      const ms = [h.msg("conf_held", { n: 1 }), h.msg("conf_held", { n: 2 })];
      await t1.publisher().publish(ms);
      const one = h.start(app, t1, { concurrency: 1, batchSize: 2 });
      await until(() => runs.length === 1, 10_000);
      const t2 = await h.open(queue);
      const two = h.start(app, t2, { concurrency: 1, batchSize: 1 });
      await Promise.all(
        ms.map((m) =>
          Promise.race([
            one.spy.waitFor({ id: m.id, outcome: "ack" }, vt * 8),
            two.spy.waitFor({ id: m.id, outcome: "ack" }, vt * 8),
          ]),
        ),
      );
      await sleep(vt);
      expect(runs.sort()).toEqual(ms.map((m) => m.id).sort());
    },
  );

  it.runIf(features.deadLetterCheck)(
    "a worker on a queue without a dead-letter destination refuses to start with one clear ConfigError, before taking any message",
    async () => {
      const queue = h.queueName("nodlq");
      const t = await h.open(queue, { deadLetter: false });
      const m = h.msg("conf_nodlq", {});
      await t.publisher().publish([m]);
      const app = h.newApp();
      let runs = 0;
      app.handle("conf_nodlq", () => {
        runs++;
      });
      const worker = h.worker(app, t);
      const error = await worker.start().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as Error).message).toMatch(/dead-letter/i);
      expect((error as Error).message).not.toMatch(/\n/);
      expect(runs).toBe(0);
      expect(worker.state).toBe("stopped");
      const left = await h.receiveAll(t, 3_000);
      expect(left.map((d) => d.id)).toEqual([m.id]);
    },
  );

  it.runIf(Boolean(h.target.refuseDeadLetters))(
    "a dead-letter destination that refuses the copy: the message is neither lost nor re-run in a tight loop",
    async () => {
      const queue = h.queueName("refused");
      const t = await h.open(queue);
      await h.target.refuseDeadLetters!(queue);
      const app = h.newApp();
      let runs = 0;
      app.handle("conf_refused", () => {
        runs++;
        throw new PermanentError("cannot be handled");
      });
      const m = h.msg("conf_refused", {});
      await t.publisher().publish([m]);
      const { worker } = h.start(app, t);
      const window = features.visibilityTimeout ? Math.max(3_000, 3 * vt) : 3_000;
      await sleep(window);
      await worker.stop();
      // A fresh transport: the stopped worker's consumer may still be open on the old one.
      await t.close();
      const again = await h.open(queue);
      expect(runs).toBeGreaterThanOrEqual(1);
      // A spin would run it hundreds of times; redelivery after a visibility timeout or a backoff a few.
      expect(runs).toBeLessThanOrEqual(Math.ceil(window / 500));
      expect(worker.stats.settleErrors).toBeGreaterThanOrEqual(1);
      const left = await h.receiveAll(again, vt + 5_000);
      expect(left.map((d) => d.id)).toEqual([m.id]);
    },
  );
}

async function until(predicate: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await sleep(20);
  }
}
