import { createApp, silentLogger } from "@mailroom/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FcRetryError, toAliyunFC } from "../src/index.ts";
import type { MnsTestServer } from "../src/testing/index.ts";
import { deadLettersOf, fcKeys, mailroomBody, topicNotification } from "./fc-events.ts";
import { client, server, uniqueQueue } from "./helpers.ts";

let s: MnsTestServer;
beforeAll(async () => {
  s = await server();
});
afterAll(() => s.close());

describe("toAliyunFC topic trigger: what it can and cannot honour", () => {
  it("a retry fails the event for FC's notify strategy; this instance counts the pushes it ran, so maxAttempts dead-letters to deadLetterQueue", async () => {
    const dlq = uniqueQueue("topicdlq");
    await client(s).createQueue(dlq);
    const app = createApp({ name: "fc", logger: silentLogger });
    const attempts: number[] = [];
    app.handle("order_created", { retry: { maxAttempts: 2, baseDelayMs: 0, maxDelayMs: 0 } }, (_d, ctx) => {
      attempts.push(ctx.attempt);
      throw new Error("downstream unavailable");
    });
    const handler = toAliyunFC(app, { ...fcKeys(s), accountId: s.accountId, deadLetterQueue: dlq });
    const pushed = JSON.stringify(topicNotification(s, mailroomBody("order_created", {})));
    const error = await handler(pushed).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FcRetryError);
    expect((error as Error).message).toMatch(/left to FC's retry policy.*downstream unavailable/);
    expect(await handler(pushed)).toMatchObject({ deadLettered: 1 });
    expect(attempts).toEqual([1, 2]);
    expect((await deadLettersOf(s, "events", dlq))[0]).toMatchObject({ attempts: 2, queue: "events" });
  });

  it("a message not due yet fails the event naming the `queue` option; with it, the message is re-sent there with its delay", async () => {
    const app = createApp({ name: "fc", logger: silentLogger });
    let runs = 0;
    app.handle("order_created", () => {
      runs++;
    });
    const later = new Date(Date.now() + 60_000).toISOString();
    const body = mailroomBody("order_created", {}, { "not-before": later });
    const keys = { ...fcKeys(s), accountId: s.accountId };
    await expect(toAliyunFC(app, keys)(JSON.stringify(topicNotification(s, body)))).rejects.toThrow(
      /cannot wait on a topic: set the `queue` option/,
    );
    const queue = uniqueQueue("topicdefer");
    await client(s).createQueue(queue);
    const result = await toAliyunFC(app, { ...keys, queue })(JSON.stringify(topicNotification(s, body)));
    expect(result).toMatchObject({ deferred: 1 });
    expect(runs).toBe(0);
    expect((await client(s).getQueueAttributes(queue)).delayMessages).toBe(1);
  });
});
