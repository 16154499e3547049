import { createApp, Headers, silentLogger } from "@mailroom/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toLambda } from "../src/lambda-entry.ts";
import { type Emulator, startEmulator } from "./helpers.ts";
import { fifoEvent, idOf } from "./lambda-events.ts";

let emu: Emulator;
let n = 0;
const queueName = (what: string) => `lambda-fifo-${what}-${process.pid}-${n++}.fifo`;

beforeAll(async () => {
  emu = await startEmulator();
});
afterAll(async () => {
  await emu.stop();
});

/** Where fauxqs holds a message now: visible (`ready`), or in flight until about `in` ms from now. */
function whereIs(queue: string, messageId: string): { ready: true } | { ready: false; in: number } {
  const q = emu.server.inspectQueue(queue)!;
  if (q.messages.ready.some((m) => m.messageId === messageId)) return { ready: true };
  const held = q.messages.inflight.find((f) => f.message.messageId === messageId);
  if (!held) throw new Error(`${messageId} is neither ready nor in flight in ${queue}`);
  return { ready: false, in: held.visibilityDeadline - Date.now() };
}

function stepApp(options: { maxAttempts?: number; maxReceives?: number } = {}) {
  const app = createApp({ name: "fn", logger: silentLogger, retry: options });
  const ran: Array<{ key: string; attempt: number }> = [];
  return { app, ran };
}

describe("toLambda on a FIFO queue (constructed events, real SQS requests to fauxqs)", () => {
  it("[a1 not due, a2]: both are reported failed and neither runs; a1 waits for its time, a2 is visible again at once", async () => {
    const q = queueName("due");
    const { app, ran } = stepApp();
    app.handle("step", (key: unknown, ctx) => {
      ran.push({ key: key as string, attempt: ctx.attempt });
    });
    const due = new Date(Date.now() + 60_000).toISOString();
    const event = await fifoEvent(emu, q, [
      { key: "a1", group: "a", attributes: { [Headers.notBefore]: due } },
      { key: "a2", group: "a" },
    ]);
    const result = await toLambda(app, { endpoint: emu.endpoint })(event);
    expect(result.batchItemFailures).toEqual([
      { itemIdentifier: idOf(event, "a1") },
      { itemIdentifier: idOf(event, "a2") },
    ]);
    expect(ran).toEqual([]);
    const a1 = whereIs(q, idOf(event, "a1"));
    expect(a1.ready).toBe(false);
    expect(a1.ready === false && a1.in).toBeGreaterThan(55_000);
    expect(whereIs(q, idOf(event, "a2"))).toEqual({ ready: true });
  });

  it("[a1 fails, a2, b1]: a1 and a2 are reported failed and b1 succeeds; a1 waits its retry delay, a2 is visible again at once", async () => {
    const q = queueName("fails");
    const { app, ran } = stepApp();
    app.handle("step", (key: unknown, ctx) => {
      ran.push({ key: key as string, attempt: ctx.attempt });
      if (key === "a1") ctx.retry({ delayMs: 30_000 });
    });
    const event = await fifoEvent(emu, q, [
      { key: "a1", group: "a" },
      { key: "a2", group: "a" },
      { key: "b1", group: "b" },
    ]);
    const result = await toLambda(app, { endpoint: emu.endpoint })(event);
    expect(result.batchItemFailures).toEqual([
      { itemIdentifier: idOf(event, "a1") },
      { itemIdentifier: idOf(event, "a2") },
    ]);
    expect(ran.map((r) => r.key).sort()).toEqual(["a1", "b1"]);
    const a1 = whereIs(q, idOf(event, "a1"));
    expect(a1.ready === false && a1.in).toBeGreaterThan(25_000);
    expect(whereIs(q, idOf(event, "a2"))).toEqual({ ready: true });
  });

  it("a record skipped behind a failing head keeps attempt 1 on its next delivery; the head that ran is at attempt 2", async () => {
    const q = queueName("skipped");
    const { app, ran } = stepApp({ maxAttempts: 2 });
    app.handle("step", (key: unknown, ctx) => {
      ran.push({ key: key as string, attempt: ctx.attempt });
      if (ctx.attempt === 1 && key === "a1") throw new Error("a1 fails once");
    });
    const handler = toLambda(app, { endpoint: emu.endpoint });
    const first = await fifoEvent(emu, q, [
      { key: "a1", group: "a" },
      { key: "a2", group: "a" },
    ]);
    expect((await handler(first)).batchItemFailures).toHaveLength(2);
    // Lambda delivers both again: SQS has counted a second receive of each.
    const again = {
      Records: first.Records.map((r) => ({
        ...r,
        attributes: { ...r.attributes, ApproximateReceiveCount: "2" },
      })),
    };
    expect(await handler(again)).toEqual({ batchItemFailures: [] });
    expect(ran).toEqual([
      { key: "a1", attempt: 1 },
      { key: "a1", attempt: 2 },
      { key: "a2", attempt: 1 },
    ]);
  });

  it("a record received many times while its schedule came due runs at attempt 1, not dead-lettered for runs it never had", async () => {
    const q = queueName("scheduled");
    const { app, ran } = stepApp({ maxAttempts: 3 });
    app.handle("step", (key: unknown, ctx) => {
      ran.push({ key: key as string, attempt: ctx.attempt });
    });
    const sentAt = Date.now() - 60 * 86_400_000;
    // 60 days of 12-hour hops: 120 receives held in place, plus a few skipped turns.
    const event = await fifoEvent(emu, q, [
      {
        key: "later",
        group: "s",
        receiveCount: 125,
        sentAt,
        attributes: { [Headers.notBefore]: new Date(Date.now() - 1_000).toISOString() },
      },
    ]);
    expect(await toLambda(app, { endpoint: emu.endpoint })(event)).toEqual({ batchItemFailures: [] });
    expect(ran).toEqual([{ key: "later", attempt: 1 }]);
  });

  it("a record received more times than maxReceives is dead-lettered with max_receives_exceeded", async () => {
    const q = queueName("receives");
    const { app, ran } = stepApp({ maxAttempts: 3, maxReceives: 5 });
    app.handle("step", (key: unknown, ctx) => {
      ran.push({ key: key as string, attempt: ctx.attempt });
    });
    const event = await fifoEvent(emu, q, [{ key: "stuck", group: "s", receiveCount: 6 }]);
    expect(await toLambda(app, { endpoint: emu.endpoint })(event)).toEqual({ batchItemFailures: [] });
    expect(ran).toEqual([]);
    const dlq = q.replace(/\.fifo$/, "-dlq.fifo");
    const dead = emu.server.inspectQueue(dlq)!.messages.ready;
    expect(dead.map((m) => m.messageAttributes[Headers.deadLetterReason]?.StringValue)).toEqual([
      expect.stringMatching(/^max_receives_exceeded/),
    ]);
  });
});
