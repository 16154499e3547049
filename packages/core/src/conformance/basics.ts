import { expect, it } from "vitest";
import { jsonCodec } from "../codec/json.ts";
import { PermanentError } from "../errors.ts";
import { type Harness, hasNumberN, sleep } from "./harness.ts";

/** The suite's first part: ack, envelope, retry, dead letters, visibility, poison, delays, restarts, FIFO order. */
export function deliveryTests(h: Harness): void {
  const { features, vt } = h;

  it("ack removes the message: it is handled once and never redelivered", async () => {
    const queue = h.queueName("ack");
    const t = await h.open(queue);
    const app = h.newApp();
    let runs = 0;
    app.handle("conf_ack", () => {
      runs++;
    });
    const m = h.msg("conf_ack", { n: 1 });
    await t.publisher().publish([m]);
    const { worker, spy } = h.start(app, t);
    await spy.waitFor({ id: m.id, outcome: "ack" });
    if (features.visibilityTimeout) await sleep(vt + 500);
    await worker.stop();
    expect(runs).toBe(1);
    const left = await h.receiveAll(t, 1_000);
    expect(left.map((d) => d.id)).toEqual([]);
  });

  it("the envelope carries id, name, data, lineage and headers as published", async () => {
    const queue = h.queueName("env");
    const t = await h.open(queue);
    const app = h.newApp();
    let seen: unknown;
    app.handle("conf_env", (_data, ctx) => {
      seen = ctx.envelope;
    });
    const m = h.msg(
      "conf_env",
      { id: 7, tags: ["a"], nested: { ok: true } },
      {
        parentId: "parent-1",
        correlationId: "corr-1",
        headers: {
          traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
          "x-custom": "yes",
        },
      },
    );
    await t.publisher().publish([m]);
    const { spy } = h.start(app, t);
    await spy.waitFor({ id: m.id, outcome: "ack" });
    expect(seen).toMatchObject({
      id: m.id,
      name: "conf_env",
      data: m.data,
      attempt: 1,
      parentId: "parent-1",
      correlationId: "corr-1",
      headers: { traceparent: m.headers!.traceparent, "x-custom": "yes" },
    });
    expect((seen as { publishedAt: Date }).publishedAt).toBeInstanceOf(Date);
  });

  it("retry redelivers after its delay with attempt + 1", async () => {
    const queue = h.queueName("retry");
    const t = await h.open(queue);
    const app = h.newApp();
    const delay = Math.max(features.minDelayMs, 500);
    const runs: Array<{ attempt: number; at: number }> = [];
    app.handle("conf_retry", (_d, ctx) => {
      runs.push({ attempt: ctx.attempt, at: Date.now() });
      if (ctx.attempt === 1) ctx.retry({ delayMs: delay });
    });
    const m = h.msg("conf_retry", {});
    await t.publisher().publish([m]);
    const { spy } = h.start(app, t);
    await spy.waitFor({ id: m.id, outcome: "ack" });
    expect(runs.map((r) => r.attempt)).toEqual([1, 2]);
    expect(runs[1]!.at - runs[0]!.at).toBeGreaterThanOrEqual(delay - 50);
  });

  it("a thrown error retries by policy and dead-letters after maxAttempts with the last error", async () => {
    const queue = h.queueName("max");
    const t = await h.open(queue);
    const app = h.newApp();
    const attempts: number[] = [];
    app.handle(
      "conf_max",
      {
        retry: {
          maxAttempts: 3,
          baseDelayMs: features.minDelayMs,
          maxDelayMs: features.minDelayMs,
          jitter: "none",
        },
      },
      (_d, ctx) => {
        attempts.push(ctx.attempt);
        throw new Error("database unavailable");
      },
    );
    const m = h.msg("conf_max", {});
    await t.publisher().publish([m]);
    const { spy } = h.start(app, t);
    await spy.waitFor({ id: m.id, outcome: "deadLetter" });
    expect(attempts).toEqual([1, 2, 3]);
    const dead = await h.waitForDeadLetters(queue, t, 1);
    expect(dead).toHaveLength(1);
    expect(dead[0]!.id).toBe(m.id);
    expect(dead[0]!.reason).toMatch(
      /^max_attempts_exceeded: failed 3 of 3 attempts; last error: Error: database unavailable/,
    );
    expect(dead[0]!.attempts).toBe(3);
  });

  it("deadLetter lands in the dead-letter destination with its reason, at once", async () => {
    const queue = h.queueName("dlq");
    const t = await h.open(queue);
    const app = h.newApp();
    let runs = 0;
    app.handle("conf_dlq", () => {
      runs++;
      throw new PermanentError("order 42 does not exist");
    });
    const m = h.msg("conf_dlq", { order: 42 });
    await t.publisher().publish([m]);
    const { spy } = h.start(app, t);
    await spy.waitFor({ id: m.id, outcome: "deadLetter" });
    const dead = await h.waitForDeadLetters(queue, t, 1);
    expect(runs).toBe(1);
    expect(dead[0]).toMatchObject({
      id: m.id,
      name: "conf_dlq",
      reason: "permanent_error: order 42 does not exist",
      attempts: 1,
    });
    expect(JSON.parse(dead[0]!.body)).toMatchObject({ name: "conf_dlq", data: { order: 42 } });
    const left = await h.receiveAll(t, 500);
    expect(left).toEqual([]);
  });

  it.runIf(features.visibilityTimeout)(
    "extend keeps a long-running message invisible (heartbeat)",
    async () => {
      const queue = h.queueName("extend");
      const t = await h.open(queue);
      const app = h.newApp();
      let runs = 0;
      app.handle("conf_long", async () => {
        runs++;
        await sleep(vt * 2.5);
      });
      const m = h.msg("conf_long", {});
      await t.publisher().publish([m]);
      const { spy, worker } = h.start(app, t, { concurrency: 4 });
      await spy.waitFor({ id: m.id, outcome: "ack" }, vt * 6);
      expect(runs).toBe(1);
      expect(worker.stats.extended).toBeGreaterThanOrEqual(2);
    },
  );

  it("poison bodies are dead-lettered on first delivery with a reason; the worker keeps running", async () => {
    const queue = h.queueName("poison");
    const t = await h.open(queue, { codec: jsonCodec({ maxBytes: 32 * 1024 }) });
    const app = h.newApp();
    app.handle("conf_ok", { schema: hasNumberN }, () => {});
    const enc = (s: string) => new TextEncoder().encode(s);
    const corpus: Array<[string, Uint8Array, RegExp]> = [
      ["bad JSON", enc('{"name": "conf_ok", "data": {'), /^decode_failed: body is not JSON/],
      [
        "non-UTF-8",
        new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]),
        /^decode_failed: body is not valid UTF-8/,
      ],
      ["missing name", enc('{"data": {"n": 1}}'), /^decode_failed: missing message name/],
      ["unknown name", enc('{"name": "conf_nobody", "data": {}}'), /^unknown_message_name: conf_nobody/],
      ["schema failure", enc('{"name": "conf_ok", "data": {"n": "one"}}'), /^schema_validation_failed: n: /],
      [
        "oversized",
        enc(`{"name":"conf_ok","data":{"n":1,"pad":"${"x".repeat(40 * 1024)}"}}`),
        /^decode_failed: body is \d+ bytes, over the limit of 32768/,
      ],
      [
        "__proto__",
        enc('{"name":"conf_ok","data":{"n":1,"__proto__":{"polluted":true}}}'),
        /^decode_failed: body has a forbidden key "__proto__"/,
      ],
      [
        "10,000-deep nesting",
        enc(`{"name":"conf_ok","data":${"[".repeat(10_000)}${"]".repeat(10_000)}}`),
        /^decode_failed: JSON nesting is deeper than 64/,
      ],
    ];
    for (const [, body] of corpus) {
      if (body.byteLength <= features.maxBodyBytes) await h.target.sendRaw(queue, body);
    }
    const expected = corpus.filter(([, body]) => body.byteLength <= features.maxBodyBytes);
    const { spy } = h.start(app, t);
    await spy.waitFor({ outcome: "deadLetter", count: expected.length });
    const good = h.msg("conf_ok", { n: 1 });
    await t.publisher().publish([good]);
    await spy.waitFor({ id: good.id, outcome: "ack" });
    const dead = await h.waitForDeadLetters(queue, t, expected.length);
    expect({} as Record<string, unknown>).not.toHaveProperty("polluted");
    for (const [label, , reason] of expected) {
      const hit = dead.find((d) => reason.test(d.reason));
      expect(hit, `${label} should be dead-lettered with a reason matching ${reason}`).toBeDefined();
      expect(hit!.attempts, `${label} on first delivery`).toBe(1);
    }
    expect(dead).toHaveLength(expected.length);
  });

  it("a plain { name, data } body from a foreign producer is handled, data may be a bare value", async () => {
    const queue = h.queueName("foreign");
    const t = await h.open(queue);
    const app = h.newApp();
    const seen: unknown[] = [];
    app.handle("demo_data_created", (data) => {
      seen.push(data);
    });
    await h.target.sendRaw(
      queue,
      new TextEncoder().encode('{"name":"demo_data_created","data":{"id":1,"text":"<a&b>"}}'),
    );
    await h.target.sendRaw(queue, new TextEncoder().encode('{"name":"demo_data_created","data":12345}'));
    const { spy } = h.start(app, t);
    await spy.waitFor({ name: "demo_data_created", outcome: "ack", count: 2 });
    expect(seen).toEqual(expect.arrayContaining([{ id: 1, text: "<a&b>" }, 12345]));
  });

  it("publish with delayMs and at: not handled before it is due", async () => {
    const queue = h.queueName("delay");
    const t = await h.open(queue);
    const app = h.newApp();
    const handled = new Map<string, number>();
    app.handle("conf_later", (_d, ctx) => {
      handled.set(ctx.envelope.id, Date.now());
    });
    const delay = Math.max(features.minDelayMs, 1_000);
    const a = h.msg("conf_later", { by: "delay" });
    const b = h.msg("conf_later", { by: "at" });
    const sent = Date.now();
    await t.publisher().publish([a], { delayMs: delay });
    await t.publisher().publish([b], { at: new Date(sent + delay) });
    const { spy } = h.start(app, t);
    await spy.waitFor({ name: "conf_later", outcome: "ack", count: 2 });
    expect(handled.get(a.id)! - sent).toBeGreaterThanOrEqual(delay - 100);
    expect(handled.get(b.id)! - sent).toBeGreaterThanOrEqual(delay - 100);
  });

  it("a not-before header re-delays without running the handler or counting an attempt", async () => {
    const queue = h.queueName("notbefore");
    const t = await h.open(queue);
    const app = h.newApp();
    const attempts: number[] = [];
    app.handle("conf_nb", (_d, ctx) => {
      attempts.push(ctx.attempt);
    });
    const due = Date.now() + Math.max(features.minDelayMs, 1_000) + 500;
    const m = h.msg("conf_nb", {}, { headers: { "not-before": new Date(due).toISOString() } });
    await t.publisher().publish([m]);
    const { spy } = h.start(app, t);
    await spy.waitFor({ id: m.id, outcome: "ack" });
    expect(Date.now()).toBeGreaterThanOrEqual(due - 60);
    expect(attempts).toEqual([1]);
    expect(spy.records.some((r) => r.outcome.kind === "defer")).toBe(true);
  });

  it("nothing is lost across a worker restart", async () => {
    const queue = h.queueName("restart");
    const t1 = await h.open(queue);
    const total = 30;
    const sent = Array.from({ length: total }, (_, i) => h.msg("conf_restart", { i }));
    await t1.publisher().publish(sent);
    const handled = new Set<string>();
    const app = h.newApp();
    app.handle("conf_restart", async (_d, ctx) => {
      await sleep(20);
      handled.add(ctx.envelope.id);
    });
    const first = h.start(app, t1, { concurrency: 4, batchSize: 4, shutdownTimeoutMs: 1 });
    await first.spy.waitFor({ outcome: "ack", count: 5 });
    await first.worker.stop();
    await t1.close();
    const t2 = await h.open(queue);
    const second = h.start(app, t2, { concurrency: 8 });
    await second.spy.waitFor(() => handled.size === total, vt * 4 + 20_000);
    expect([...handled].sort()).toEqual(sent.map((m) => m.id).sort());
  });

  it("stop aborts a pending long poll at once and receives nothing afterwards", async () => {
    const queue = h.queueName("stop");
    const t = await h.open(queue);
    const app = h.newApp();
    let runs = 0;
    app.handle("conf_stop", () => {
      runs++;
    });
    const { worker } = h.start(app, t);
    await sleep(200);
    const began = Date.now();
    await worker.stop();
    expect(Date.now() - began).toBeLessThan(2_000);
    await t.publisher().publish([h.msg("conf_stop", {})]);
    await sleep(300);
    expect(runs).toBe(0);
    expect(worker.state).toBe("stopped");
  });

  it.runIf(features.fifo)(
    "FIFO: order holds within a group, groups run in parallel, a failure blocks only its group",
    async () => {
      const queue = h.queueName("fifo");
      const t = await h.open(queue, { fifo: true });
      const app = h.newApp();
      const seen = new Map<string, number[]>();
      let failedOnce = false;
      app.handle("conf_fifo", async (data: unknown, ctx) => {
        const { g, i } = data as { g: string; i: number };
        if (g === "a" && i === 2 && !failedOnce) {
          failedOnce = true;
          ctx.retry({ delayMs: features.minDelayMs });
        }
        await sleep(5);
        seen.set(g, [...(seen.get(g) ?? []), i]);
      });
      const groups = ["a", "b", "c"];
      for (const g of groups) {
        await t
          .publisher()
          .publish(Array.from({ length: 5 }, (_, i) => h.msg("conf_fifo", { g, i }, { groupId: g })));
      }
      const { spy } = h.start(app, t, { concurrency: 6 });
      await spy.waitFor({ name: "conf_fifo", outcome: "ack", count: 15 }, 60_000);
      for (const g of groups) expect(seen.get(g)).toEqual([0, 1, 2, 3, 4]);
    },
  );
}
