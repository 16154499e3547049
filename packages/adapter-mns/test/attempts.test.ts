import { createApp, type Envelope, Headers, isDecodeFailure, silentLogger } from "@mailroom/core";
import { dispatch } from "@mailroom/core/transport";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type MnsDelivery, type MnsTransport, openTransport } from "../src/index.ts";
import type { MnsTestServer } from "../src/testing/index.ts";
import { server, transportUrl, uniqueQueue } from "./helpers.ts";

let s: MnsTestServer;
const opened: MnsTransport[] = [];
beforeAll(async () => {
  s = await server();
});
afterAll(async () => {
  for (const t of opened) await t.close();
  await s.close();
});

async function open(what: string): Promise<MnsTransport> {
  const queue = uniqueQueue(what);
  const t = await openTransport(transportUrl(s, queue, "create=true&visibility=5s&wait=3"), {
    accessKeyId: s.credentials[0]!.accessKeyId,
    accessKeySecret: s.credentials[0]!.accessKeySecret,
  });
  opened.push(t);
  return t;
}

const never = new AbortController().signal;
/** The next delivery of the queue (waits for a delayed one to turn visible). */
async function next(t: MnsTransport): Promise<MnsDelivery> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const [d] = (await t.source().receive(1, never)) as MnsDelivery[];
    if (d) return d;
  }
  throw new Error("no delivery within 10 s");
}
const envelopeOf = (d: MnsDelivery): Envelope => {
  if (isDecodeFailure(d.envelope)) throw new Error(d.envelope.reason);
  return d.envelope;
};

describe("mns attempt counts handler runs (core's attemptOf, counts: runs)", () => {
  it("a message released twice and deferred twice before each run is dead-lettered after exactly maxAttempts runs", async () => {
    const t = await open("uncounted");
    const app = createApp({ name: "a", logger: silentLogger });
    const runs: number[] = [];
    app.handle("order_created", { retry: { maxAttempts: 3, baseDelayMs: 0, maxDelayMs: 0 } }, (_d, ctx) => {
      runs.push(ctx.attempt);
      throw new Error("still failing");
    });
    await t.publisher().publish([{ name: "order_created", data: { id: 1 } }]);
    for (let run = 1; run <= 3; run++) {
      for (let i = 0; i < 2; i++) {
        const released = await next(t);
        expect(envelopeOf(released).attempt).toBe(run);
        await released.release();
        const deferred = await next(t);
        expect(envelopeOf(deferred).attempt).toBe(run);
        await deferred.defer(0);
      }
      await dispatch(app, [await next(t)]);
    }
    expect(runs).toEqual([1, 2, 3]);
    const [dead] = await t.admin().listDeadLetters();
    expect(dead).toMatchObject({
      attempts: 3,
      reason: expect.stringMatching(/^max_attempts_exceeded: failed 3 of 3/),
    });
    const left = await t.client.getQueueAttributes(t.queue);
    expect(left.activeMessages + left.inactiveMessages + left.delayMessages).toBe(0);
  });

  it("release re-sends a copy carrying the runs so far, visible at once, and deletes the original", async () => {
    const t = await open("release");
    await t.publisher().publish([{ name: "order_created", data: { id: 1 } }]);
    const first = await next(t);
    await first.retry(0);
    const second = await next(t);
    expect(envelopeOf(second).attempt).toBe(2);
    await second.release();
    const copy = await next(t);
    expect(copy.message.messageId).not.toBe(second.message.messageId);
    expect(copy.message.dequeueCount).toBe(1);
    expect(envelopeOf(copy).headers[Headers.attempt]).toBe("1");
    expect(envelopeOf(copy)).toMatchObject({ id: envelopeOf(first).id, attempt: 2 });
    await copy.ack();
  });
});
