import { type App, createApp, PermanentError, silentLogger } from "@mailroom/core";
import { connect } from "amqplib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AmqpTransport } from "../src/index.ts";
import {
  AMQP_URL,
  applyQueuePolicy,
  readyCount,
  sendRaw,
  sharedBrokerLock,
  testScope,
  transport,
  uniqueName,
  until,
} from "./helpers.ts";

sharedBrokerLock({ beforeAll, afterAll });
const scope = testScope(afterAll);

async function deleteQueue(name: string): Promise<void> {
  const conn = await connect(AMQP_URL);
  try {
    const ch = await conn.createChannel();
    await ch.deleteQueue(name);
  } finally {
    await conn.close();
  }
}

/**
 * A worker consuming `t`, once its source and publisher have declared their topology (each does
 * on its first use, which would re-create a queue deleted before): a warm-up message went round.
 */
async function consuming(app: App, t: AmqpTransport) {
  const running = scope.run(app, t);
  const name = app.names()[0]!;
  await t.publisher().publish([{ id: "warm-up", name, data: {} }]);
  await running.spy.waitFor({ id: "warm-up", outcome: "ack" });
  return running;
}

/** The first error the worker reports for a settle, once it happens. */
function firstSettleError(worker: { once(event: "settleError", fn: (error: unknown) => void): unknown }) {
  return new Promise<unknown>((resolve) => worker.once("settleError", resolve));
}

describe("copies the broker refuses or cannot route (retry, dead letter)", () => {
  it("a dead letter the DLQ refuses (nack, reject-publish) is held and given back after a backoff, not re-run at once, and lands once the DLQ accepts", async () => {
    const queue = uniqueName("dlq-full");
    const t = await transport(queue).connect();
    const removePolicy = await applyQueuePolicy(`${queue}-full`, `^${queue}\\.dlq$`, {
      "max-length": 0,
      overflow: "reject-publish",
    });
    scope.stops.push(() => removePolicy().catch(() => {}));
    const app = createApp({ name: "t", logger: silentLogger });
    const runsAt: number[] = [];
    app.handle("doomed", () => {
      runsAt.push(Date.now());
      throw new PermanentError("never works");
    });
    const source = t.source();
    const { worker, spy } = scope.run(app, t, {}, source);
    const refused = firstSettleError(worker);
    await t.publisher().publish([{ id: "doomed-1", name: "doomed", data: {} }]);
    expect(String(await refused)).toMatch(/refused the dead-letter copy.*given back in/);
    // Held by this consumer until the backoff ends: counted in flight, not ready on the broker.
    expect((await source.depth()).inFlight).toBe(1);
    await spy.waitFor({ id: "doomed-1", outcome: "deadLetter", count: 2 }, 10_000);
    expect(runsAt[1]! - runsAt[0]!).toBeGreaterThanOrEqual(900);
    await removePolicy();
    await until(async () => (await readyCount(`${queue}.dlq`)) === 1, 20_000, "the dead letter to land");
    expect(await readyCount(queue)).toBe(0);
    expect(runsAt.length).toBeLessThanOrEqual(6);
  }, 40_000);

  it("a retry whose retry queue was deleted is returned unroutable, not dropped: the message is given back and runs again", async () => {
    const queue = uniqueName("no-retry-q");
    const t = await transport(queue).connect();
    const app = createApp({ name: "t", logger: silentLogger });
    const attempts: number[] = [];
    app.handle("flaky", (_d, ctx) => {
      if (ctx.envelope.id === "warm-up") return;
      attempts.push(ctx.attempt);
      if (ctx.attempt === 1) ctx.retry({ delayMs: 100 });
    });
    const { spy } = await consuming(app, t);
    await deleteQueue(`${queue}.retry.100`);
    await t.publisher().publish([{ id: "flaky-1", name: "flaky", data: {} }]);
    await spy.waitFor({ id: "flaky-1", outcome: "ack" }, 15_000);
    expect(attempts).toEqual([1, 2]);
  }, 30_000);

  it("a dead letter whose DLQ was deleted is returned unroutable, not dropped: it reaches the DLQ once it exists again", async () => {
    const queue = uniqueName("no-dlq");
    const t = await transport(queue).connect();
    const app = createApp({ name: "t", logger: silentLogger });
    app.handle("bad_input", (_d, ctx) => {
      if (ctx.envelope.id !== "warm-up") throw new PermanentError("rejected");
    });
    await consuming(app, t);
    await deleteQueue(`${queue}.dlq`);
    await t.publisher().publish([{ id: "bad-1", name: "bad_input", data: {} }]);
    await until(async () => (await readyCount(`${queue}.dlq`)) === 1, 20_000, "the dead letter to land");
    const [dead] = await t.admin().listDeadLetters();
    expect(dead).toMatchObject({ id: "bad-1", reason: "permanent_error: rejected" });
  }, 30_000);

  it("a foreign message without message_id keeps one envelope id across its retries (copies carry it as message_id)", async () => {
    const queue = uniqueName("no-id");
    const t = await transport(queue).connect();
    const app = createApp({ name: "t", logger: silentLogger });
    const seen: Array<{ id: string; attempt: number }> = [];
    app.handle("from_pika", (_d, ctx) => {
      seen.push({ id: ctx.envelope.id, attempt: ctx.attempt });
      if (ctx.attempt < 3) ctx.retry({ delayMs: 100 });
    });
    const { spy } = scope.run(app, t);
    await sendRaw(queue, JSON.stringify({ n: 1 }), { contentType: "from_pika" });
    await spy.waitFor({ name: "from_pika", outcome: "ack" });
    expect(seen.map((s) => s.attempt)).toEqual([1, 2, 3]);
    expect(new Set(seen.map((s) => s.id)).size).toBe(1);
  });
});
