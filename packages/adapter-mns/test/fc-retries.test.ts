import { createApp, PermanentError, silentLogger } from "@mailroom/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FcRetryError, toAliyunFC } from "../src/index.ts";
import type { MnsTestServer } from "../src/testing/index.ts";
import { b64, deadLettersOf, fcKeys, mailroomBody, queueEvent } from "./fc-events.ts";
import { client, server, uniqueQueue } from "./helpers.ts";

let s: MnsTestServer;
beforeAll(async () => {
  s = await server();
});
afterAll(() => s.close());

async function queues(what: string): Promise<string> {
  const queue = uniqueQueue(what);
  await client(s).createQueue(queue);
  await client(s).createQueue(`${queue}-dlq`);
  return queue;
}

const noBackoff = { baseDelayMs: 0, maxDelayMs: 0 };

describe("toAliyunFC queue trigger, default (resend): the same outcomes as every transport", () => {
  it("a failing message is re-sent with attempt + 1 each push and dead-lettered after exactly maxAttempts runs", async () => {
    const queue = await queues("fcdefault");
    const c = client(s);
    const app = createApp({ name: "fc", logger: silentLogger });
    const attempts: number[] = [];
    app.handle("order_created", { retry: { maxAttempts: 3, ...noBackoff } }, (_d, ctx) => {
      attempts.push(ctx.attempt);
      throw new Error("still failing");
    });
    const handler = toAliyunFC(app, fcKeys(s));
    let body = b64(mailroomBody("order_created", { id: 1 }));
    for (let push = 1; push <= 2; push++) {
      const result = await handler(JSON.stringify(queueEvent(s, queue, body, `${queue}-${push}`)));
      expect(result).toEqual({ acked: 0, deadLettered: 0, deferred: 1, repeated: 0 });
      const [copy] = await c.batchReceiveMessage(queue, 1, 3);
      await c.deleteMessage(queue, copy!.receiptHandle);
      body = copy!.rawBody;
    }
    const last = await handler(JSON.stringify(queueEvent(s, queue, body, `${queue}-3`)));
    expect(last).toEqual({ acked: 0, deadLettered: 1, deferred: 0, repeated: 0 });
    expect(attempts).toEqual([1, 2, 3]);
    const [dead] = await deadLettersOf(s, queue);
    expect(dead).toMatchObject({
      attempts: 3,
      reason: expect.stringMatching(/^max_attempts_exceeded: failed 3 of 3/),
    });
  });

  it("a re-run of the event after a settle failed does not run or copy again the messages the first run finished", async () => {
    const queue = await queues("fcrerun");
    const app = createApp({ name: "fc", logger: silentLogger });
    const runs: Record<string, number[]> = {};
    app.handle("order_created", { retry: { maxAttempts: 5, ...noBackoff } }, (data, ctx) => {
      const { kind } = data as { kind: string };
      runs[kind] = [...(runs[kind] ?? []), ctx.attempt];
      if (kind === "permanent") throw new PermanentError("order does not exist");
      if (kind === "fails" || kind === "too-big") throw new Error("downstream unavailable");
    });
    const later = new Date(Date.now() + 60_000).toISOString();
    const bodies = [
      mailroomBody("order_created", { kind: "due-later" }, { "not-before": later }),
      mailroomBody("order_created", { kind: "permanent" }),
      mailroomBody("order_created", { kind: "fails" }),
      mailroomBody("order_created", { kind: "ok" }),
      // A foreign producer's 49 KB text body: its base64 copy is over MNS's 64 KB, so its retry cannot be sent.
      mailroomBody("order_created", { kind: "too-big", pad: "x".repeat(49_000) }),
    ];
    const event = JSON.stringify(bodies.map((b, i) => queueEvent(s, queue, b, `${queue}-${i}`)));
    const handler = toAliyunFC(app, fcKeys(s));
    for (let run = 1; run <= 2; run++) {
      const error = await handler(event).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(FcRetryError);
      expect((error as Error).message).toMatch(/^1 of 5 messages could not be settled.*MessageTooLarge/);
    }
    expect(runs).toEqual({ permanent: [1], fails: [1], ok: [1], "too-big": [1, 2] });
    const q = await client(s).getQueueAttributes(queue);
    expect({ retryCopies: q.activeMessages, deferCopies: q.delayMessages }).toEqual({
      retryCopies: 1,
      deferCopies: 1,
    });
    expect(await deadLettersOf(s, queue)).toHaveLength(1);
  });

  it("a RawData event (no queue name) without the `queue` option fails a retry with the option to set", async () => {
    const app = createApp({ name: "fc", logger: silentLogger });
    app.handle("order_created", () => {
      throw new Error("downstream unavailable");
    });
    const item = { requestId: "r", messageId: "raw-1", messageBody: mailroomBody("order_created", {}) };
    const error = await toAliyunFC(app, { ...fcKeys(s), accountId: s.accountId })(JSON.stringify(item)).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(FcRetryError);
    expect((error as Error).message).toMatch(/does not name its queue.*set the `queue` option/);
  });
});

describe("toAliyunFC queue trigger, retryMode throw", () => {
  it("FC's re-run of the event runs only the failed message, at attempt + 1 on this instance, so maxAttempts applies", async () => {
    const queue = await queues("fcthrow");
    const app = createApp({ name: "fc", logger: silentLogger });
    const runs: Record<string, number[]> = {};
    app.handle("order_created", { retry: { maxAttempts: 2, ...noBackoff } }, (data, ctx) => {
      const { kind } = data as { kind: string };
      runs[kind] = [...(runs[kind] ?? []), ctx.attempt];
      if (kind === "fails") throw new Error("downstream unavailable");
    });
    const event = JSON.stringify([
      queueEvent(s, queue, mailroomBody("order_created", { kind: "ok" }), `${queue}-1`),
      queueEvent(s, queue, mailroomBody("order_created", { kind: "fails" }), `${queue}-2`),
    ]);
    const handler = toAliyunFC(app, { ...fcKeys(s), retryMode: "throw" });
    await expect(handler(event)).rejects.toThrow(/^1 of 2 messages failed and are left to FC's retry policy/);
    expect(await handler(event)).toEqual({ acked: 0, deadLettered: 1, deferred: 0, repeated: 1 });
    expect(runs).toEqual({ ok: [1], fails: [1, 2] });
    expect((await deadLettersOf(s, queue))[0]).toMatchObject({ attempts: 2 });
  });
});
