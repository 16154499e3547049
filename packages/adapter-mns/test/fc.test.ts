import { createApp, PermanentError, silentLogger } from "@mailroom/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FcRetryError, toAliyunFC } from "../src/index.ts";
import type { MnsTestServer } from "../src/testing/index.ts";
import {
  b64,
  deadLettersOf,
  fcKeys,
  mailroomBody,
  queueEvent as makeQueueEvent,
  topicNotification,
} from "./fc-events.ts";
import { client, server, uniqueQueue } from "./helpers.ts";

let s: MnsTestServer;
beforeAll(async () => {
  s = await server();
});
afterAll(() => s.close());

const queueEvent = (queue: string, body: string, n = 0) => makeQueueEvent(s, queue, body, n);
const keys = () => fcKeys(s);
const deadLetters = (queue: string) => deadLettersOf(s, queue);

function newApp() {
  const app = createApp({ name: "fc", logger: silentLogger });
  const seen: Array<{ name: string; data: unknown; attempt: number }> = [];
  app.handle("order_created", (data, ctx) => {
    seen.push({ name: ctx.envelope.name, data, attempt: ctx.attempt });
  });
  app.handle("demo_data_created", (data, ctx) => {
    seen.push({ name: ctx.envelope.name, data, attempt: ctx.attempt });
  });
  return { app, seen };
}

describe("toAliyunFC: MNS queue trigger (EventBridge CloudEvents)", () => {
  it("one CloudEvent with a base64 body (trigger decoding off), as a Buffer", async () => {
    const { app, seen } = newApp();
    const handler = toAliyunFC(app);
    const event = queueEvent("orders", b64(mailroomBody("order_created", { id: 1 })));
    const result = await handler(Buffer.from(JSON.stringify(event)), {});
    expect(result).toEqual({ acked: 1, deadLettered: 0, deferred: 0, repeated: 0 });
    expect(seen).toEqual([{ name: "order_created", data: { id: 1 }, attempt: 1 }]);
  });

  it("a batch array with plain bodies (trigger decoding on), as a string", async () => {
    const { app, seen } = newApp();
    const handler = toAliyunFC(app);
    const events = [1, 2, 3].map((i) => queueEvent("orders", mailroomBody("order_created", { id: i }), i));
    const result = await handler(JSON.stringify(events), {});
    expect(result.acked).toBe(3);
    expect(seen.map((x) => x.data)).toEqual([{ id: 1 }, { id: 2 }, { id: 3 }]);
  });

  it("a batch mixing base64 and plain bodies", async () => {
    const { app, seen } = newApp();
    const events = [
      queueEvent("orders", b64(mailroomBody("order_created", { id: "b64" })), 1),
      queueEvent("orders", mailroomBody("order_created", { id: "plain" }), 2),
    ];
    await toAliyunFC(app)(JSON.stringify(events));
    expect(seen.map((x) => x.data)).toEqual([{ id: "b64" }, { id: "plain" }]);
  });

  it('handles { "name": "demo_data_created", "data": … } from another producer unchanged', async () => {
    const { app, seen } = newApp();
    const data = { id: 42, text: "<a & b>", nested: { list: [1, "two", null] } };
    const body = JSON.stringify({ name: "demo_data_created", data });
    await toAliyunFC(app)(JSON.stringify(queueEvent("orders", body)));
    await toAliyunFC(app)(JSON.stringify(queueEvent("orders", b64(body))));
    expect(seen).toEqual([
      { name: "demo_data_created", data, attempt: 1 },
      { name: "demo_data_created", data, attempt: 1 },
    ]);
  });

  it("creates no MNS client when every message is acked (no endpoint or credentials needed)", async () => {
    const { app } = newApp();
    const handler = toAliyunFC(app, {
      endpoint: "http://127.0.0.1:9",
      accessKeyId: "x",
      accessKeySecret: "y",
    });
    const before = s.requestCount();
    await handler(JSON.stringify(queueEvent("orders", mailroomBody("order_created", {}))));
    expect(s.requestCount()).toBe(before);
  });

  it("retryMode throw: a thrown error fails the event so FC's retry policy applies; the error names the failure", async () => {
    const app = createApp({ name: "fc", logger: silentLogger });
    app.handle("order_created", () => {
      throw new Error("database unavailable");
    });
    const handler = toAliyunFC(app, { retryMode: "throw" });
    const event = JSON.stringify([
      queueEvent("orders", mailroomBody("order_created", {}), 1),
      queueEvent("orders", mailroomBody("order_created", {}), 2),
    ]);
    const error = await handler(event).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FcRetryError);
    expect((error as Error).message).toMatch(/^2 of 2 messages failed.*database unavailable/);
  });

  it("retryMode throw: ctx.retry fails the event too; FC 2.0 callbacks get the error", async () => {
    const app = createApp({ name: "fc", logger: silentLogger });
    app.handle("order_created", (_d, ctx) => ctx.retry({ delayMs: 5_000 }));
    const got = await new Promise<Error | null>((resolve) => {
      void toAliyunFC(app, { retryMode: "throw" })(
        JSON.stringify(queueEvent("orders", mailroomBody("order_created", {}))),
        {},
        (e) => resolve(e),
      );
    });
    expect(got).toBeInstanceOf(FcRetryError);
  });

  it("PermanentError dead-letters to <queue>-dlq with reason and attempts, and returns", async () => {
    const queue = uniqueQueue("fcdlq");
    await client(s).createQueue(`${queue}-dlq`);
    const app = createApp({ name: "fc", logger: silentLogger });
    app.handle("order_created", () => {
      throw new PermanentError("order 7 does not exist");
    });
    const handler = toAliyunFC(app, keys());
    const result = await handler(
      JSON.stringify(queueEvent(queue, b64(mailroomBody("order_created", { id: 7 })))),
      {
        accountId: s.accountId,
      },
    );
    expect(result).toEqual({ acked: 0, deadLettered: 1, deferred: 0, repeated: 0 });
    const dead = await deadLetters(queue);
    expect(dead).toHaveLength(1);
    expect(dead[0]).toMatchObject({
      id: "id-order_created",
      name: "order_created",
      reason: "permanent_error: order 7 does not exist",
      attempts: 1,
      queue,
    });
  });

  it("a poison body is dead-lettered with its original bytes; credentials come from FC's context", async () => {
    const queue = uniqueQueue("fcpoison");
    await client(s).createQueue(`${queue}-dlq`);
    const { app } = newApp();
    const handler = toAliyunFC(app, { endpoint: s.endpoint });
    await handler(JSON.stringify(queueEvent(queue, "{not json")), {
      credentials: {
        accessKeyId: s.credentials[0]!.accessKeyId,
        accessKeySecret: s.credentials[0]!.accessKeySecret,
      },
    });
    const dead = await deadLetters(queue);
    expect(dead[0]!.reason).toMatch(/^decode_failed: body is not JSON/);
    expect(dead[0]!.body).toBe("{not json");
  });

  it("a dead-letter send that fails throws, so nothing is lost", async () => {
    const { app } = newApp();
    const handler = toAliyunFC(app, keys());
    const event = JSON.stringify(queueEvent(uniqueQueue("nodlq"), mailroomBody("nobody_handles_this", {})));
    await expect(handler(event)).rejects.toThrow(/QueueNotExist/);
  });

  it("a message not due yet (not-before) is re-sent to the queue with a delay, not run", async () => {
    const queue = uniqueQueue("fcdefer");
    const c = client(s);
    await c.createQueue(queue);
    const { app, seen } = newApp();
    const due = new Date(Date.now() + 60_000).toISOString();
    const body = mailroomBody("order_created", { id: 9 }, { "not-before": due });
    const result = await toAliyunFC(app, keys())(JSON.stringify(queueEvent(queue, body)));
    expect(result).toEqual({ acked: 0, deadLettered: 0, deferred: 1, repeated: 0 });
    expect(seen).toEqual([]);
    const info = await c.getQueueAttributes(queue);
    expect(info.delayMessages).toBe(1);
  });

  it("ctx.publish sends to the trigger's queue through a lazily created client", async () => {
    const queue = uniqueQueue("fcpub");
    const c = client(s);
    await c.createQueue(queue);
    const app = createApp({ name: "fc", logger: silentLogger });
    app.handle("order_created", async (_d, ctx) => {
      await ctx.publish("invoice_requested", { order: 1 });
    });
    await toAliyunFC(app, keys())(JSON.stringify(queueEvent(queue, mailroomBody("order_created", {}))));
    const [m] = await c.batchReceiveMessage(queue, 1, 0);
    expect(JSON.parse(new TextDecoder().decode(m!.body))).toMatchObject({
      name: "invoice_requested",
      data: { order: 1 },
    });
  });
});

describe('toAliyunFC: queue trigger with the "RawData" push format', () => {
  it("handles { requestId, messageId, messageBody } items; `queue` names the queue for dead letters", async () => {
    const queue = uniqueQueue("fcraw");
    await client(s).createQueue(`${queue}-dlq`);
    const { app, seen } = newApp();
    const items = [
      { requestId: "r1", messageId: "m1", messageBody: b64(mailroomBody("order_created", { raw: 1 })) },
      { requestId: "r2", messageId: "m2", messageBody: JSON.stringify({ name: "nobody_handles", data: {} }) },
    ];
    const result = await toAliyunFC(app, { ...keys(), accountId: s.accountId, queue })(JSON.stringify(items));
    expect(result).toEqual({ acked: 1, deadLettered: 1, deferred: 0, repeated: 0 });
    expect(seen.map((x) => x.data)).toEqual([{ raw: 1 }]);
    expect((await deadLetters(queue))[0]).toMatchObject({
      reason: "unknown_message_name: nobody_handles",
      queue,
    });
  });
});

describe("toAliyunFC: queue-trigger retries re-sent (retryMode resend, the default)", () => {
  it("re-sends only the failed message with its delay and attempt; the event succeeds", async () => {
    const queue = uniqueQueue("fcresend");
    const c = client(s);
    await c.createQueue(queue);
    const app = createApp({ name: "fc", logger: silentLogger });
    const attempts: number[] = [];
    app.handle("order_created", (data, ctx) => {
      if ((data as { fail?: boolean }).fail) {
        attempts.push(ctx.attempt);
        ctx.retry({ delayMs: 1_000 });
      }
    });
    const handler = toAliyunFC(app, keys());
    const event = [
      queueEvent(queue, mailroomBody("order_created", { ok: true }), 1),
      queueEvent(queue, mailroomBody("order_created", { fail: true }), 2),
    ];
    expect(await handler(JSON.stringify(event))).toEqual({
      acked: 1,
      deadLettered: 0,
      deferred: 1,
      repeated: 0,
    });
    expect((await c.getQueueAttributes(queue)).delayMessages).toBe(1);
    const [again] = await c.batchReceiveMessage(queue, 1, 3);
    expect(again!.rawBody).toMatch(/^[A-Za-z0-9+/]+=*$/);
    await handler(JSON.stringify([queueEvent(queue, again!.rawBody, 3)]));
    expect(attempts).toEqual([1, 2]);
  });

  it("counts attempts across re-sends: past maxAttempts it dead-letters without running", async () => {
    const queue = uniqueQueue("fcmax");
    await client(s).createQueue(`${queue}-dlq`);
    const app = createApp({ name: "fc", logger: silentLogger });
    let runs = 0;
    app.handle("order_created", { retry: { maxAttempts: 2 } }, () => {
      runs++;
    });
    const body = mailroomBody("order_created", {}, { "mailroom-attempt": "2" });
    const result = await toAliyunFC(app, keys())(JSON.stringify(queueEvent(queue, body)));
    expect(result.deadLettered).toBe(1);
    expect(runs).toBe(0);
    expect((await deadLetters(queue))[0]).toMatchObject({ attempts: 3 });
  });
});

describe("toAliyunFC: MNS topic trigger", () => {
  const notification = (message: string) => topicNotification(s, message);

  it("JSON format: the Message is the body (plain or base64)", async () => {
    const { app, seen } = newApp();
    const handler = toAliyunFC(app);
    await handler(Buffer.from(JSON.stringify(notification(mailroomBody("order_created", { t: 1 })))));
    await handler(JSON.stringify(notification(b64(mailroomBody("order_created", { t: 2 })))));
    expect(seen.map((x) => x.data)).toEqual([{ t: 1 }, { t: 2 }]);
  });

  it("STREAM format: the raw event is the body", async () => {
    const { app, seen } = newApp();
    const handler = toAliyunFC(app);
    await handler(Buffer.from(JSON.stringify({ name: "demo_data_created", data: { s: 1 } })));
    await handler(b64(mailroomBody("order_created", { s: 2 })));
    expect(seen.map((x) => x.data)).toEqual([{ s: 1 }, { s: 2 }]);
  });

  it("a topic message has no queue: dead letters need deadLetterQueue, else the error goes to FC", async () => {
    const { app } = newApp();
    await expect(toAliyunFC(app, keys())(JSON.stringify(notification("{bad")))).rejects.toThrow(
      /no dead-letter queue is known/,
    );
    const dlq = uniqueQueue("topicdlq");
    await client(s).createQueue(dlq);
    const result = await toAliyunFC(app, { ...keys(), deadLetterQueue: dlq, accountId: s.accountId })(
      JSON.stringify(notification("{bad")),
    );
    expect(result.deadLettered).toBe(1);
  });
});
