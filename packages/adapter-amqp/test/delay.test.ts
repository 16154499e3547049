import { type App, createApp, silentLogger } from "@mailroom/core";
import { connect } from "amqplib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AmqpTransport } from "../src/index.ts";
import { AMQP_URL, sharedBrokerLock, testScope, transport, uniqueName } from "./helpers.ts";

sharedBrokerLock({ beforeAll, afterAll });
const scope = testScope(afterAll);
const { exchanges } = scope;

const run = (app: App, t: AmqpTransport) => scope.run(app, t, { concurrency: 8 });

describe("delay buckets", () => {
  it("delayed publishes are handled in order of due time, whatever order they were sent in", async () => {
    const queue = uniqueName("due");
    const t = await transport(queue).connect();
    const app = createApp({ name: "t", logger: silentLogger });
    const order: Array<{ label: string; late: number }> = [];
    const sentAt = Date.now();
    const plan: Array<[string, number]> = [
      ["3.2s", 3_200],
      ["1.5s", 1_500],
      ["0.6s", 600],
      ["0.1s", 100],
      ["now", 0],
    ];
    app.handle("tick", (data) => {
      const { label, delay } = data as { label: string; delay: number };
      order.push({ label, late: Date.now() - sentAt - delay });
    });
    for (const [label, delay] of plan) {
      await t.publisher().publish([{ name: "tick", data: { label, delay } }], { delayMs: delay });
    }
    const { spy } = run(app, t);
    await spy.waitFor({ name: "tick", outcome: "ack", count: plan.length }, 15_000);
    expect(order.map((o) => o.label)).toEqual(["now", "0.1s", "0.6s", "1.5s", "3.2s"]);
    for (const o of order) expect(o.late, o.label).toBeGreaterThanOrEqual(-60);
  });

  it("a long retry delay does not hold up a short one (no head-of-line blocking)", async () => {
    const queue = uniqueName("hol");
    const t = await transport(queue).connect();
    const app = createApp({ name: "t", logger: silentLogger });
    const done: string[] = [];
    app.handle("job", (data, ctx) => {
      const { label, delay } = data as { label: string; delay: number };
      if (ctx.attempt === 1) ctx.retry({ delayMs: delay });
      done.push(label);
    });
    const { spy } = run(app, t);
    await t.publisher().publish([{ name: "job", data: { label: "slow", delay: 5_000 } }]);
    await spy.waitFor({ name: "job", outcome: "retry" });
    await t.publisher().publish([{ name: "job", data: { label: "fast", delay: 500 } }]);
    await spy.waitFor({ name: "job", outcome: "ack", count: 2 }, 15_000);
    expect(done).toEqual(["fast", "slow"]);
    const [slowRetry] = spy.records.filter((r) => r.outcome.kind === "retry");
    const slowAck = spy.records.find(
      (r) => r.outcome.kind === "ack" && (r.envelope as { data: { label: string } }).data.label === "slow",
    )!;
    expect(slowAck.at - slowRetry!.at).toBeGreaterThanOrEqual(4_900);
  });

  it("a delayed publish to an exchange keeps its routing key through the delay exchange", async () => {
    const queue = uniqueName("dex");
    const exchange = uniqueName("dex-ex");
    exchanges.push(
      exchange,
      ...[100, 500, 1000, 5000, 15000, 60000, 300000, 900000, 3600000].map((b) => `${exchange}.delay.${b}`),
    );
    const t = await transport(queue, { exchange, bindings: ["later_a"] }).connect();
    const app = createApp({ name: "t", logger: silentLogger });
    const seen: number[] = [];
    app.handle("later_a", () => {
      seen.push(Date.now());
    });
    const { spy } = run(app, t);
    const sent = Date.now();
    await t.publisher().publish([{ name: "later_a", data: {} }], { at: new Date(sent + 1_200) });
    await spy.waitFor({ name: "later_a", outcome: "ack" });
    expect(seen[0]! - sent).toBeGreaterThanOrEqual(1_150);
    const conn = await connect(AMQP_URL);
    const ch = await conn.createChannel();
    for (const b of [100, 500, 1000, 5000, 15000, 60000, 300000, 900000, 3600000]) {
      await ch.deleteQueue(`${exchange}.delay.${b}`);
    }
    await conn.close();
  });
});
