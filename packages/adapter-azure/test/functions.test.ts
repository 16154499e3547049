import { InvocationContext } from "@azure/functions";
import { createApp, PermanentError, silentLogger } from "@mailroom/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AzureFunctionRetryError, openTransport, POISON_OUTPUT, toAzureFunction } from "../src/index.ts";
import { type Azurite, startAzurite, uniqueQueue } from "./azurite.ts";

let azurite: Azurite;
const savedConnection = process.env.AzureWebJobsStorage;
beforeAll(async () => {
  azurite = await startAzurite();
  // The host hands functions their connection as an app setting; dead letters and copies read it.
  process.env.AzureWebJobsStorage = azurite.connectionString;
});
afterAll(async () => {
  if (savedConnection === undefined) delete process.env.AzureWebJobsStorage;
  else process.env.AzureWebJobsStorage = savedConnection;
  await azurite.stop();
});

/** The context the host builds for a storage queue trigger, with the metadata it passes. */
function storageContext(queue: string, meta: { dequeueCount: number; id?: string }) {
  return new InvocationContext({
    invocationId: "inv-1",
    functionName: `orders-${queue}`,
    triggerMetadata: {
      dequeueCount: meta.dequeueCount,
      id: meta.id ?? "6d3f0a52-5f3b-4a7e-9a43-0c4b1f6a2b11",
      popReceipt: "AgAAAAMAAAAAAAAA",
      insertionTime: "2026-01-02T03:04:05.000Z",
      queueTrigger: "…",
    },
    options: {
      trigger: {
        type: "queueTrigger",
        name: "queueEntry",
        queueName: queue,
        connection: "AzureWebJobsStorage",
      },
    },
  });
}

const poisonOutput = {
  type: "serviceBus",
  name: POISON_OUTPUT,
  queueName: "orders-poison",
  connection: "ServiceBus",
};

/** The context the host builds for a Service Bus queue trigger (`many`: the `…Array` metadata). */
function serviceBusContext(meta: Record<string, unknown>, cardinality: "one" | "many" = "one") {
  return new InvocationContext({
    invocationId: "inv-2",
    functionName: "orders-sb",
    triggerMetadata: meta,
    options: {
      trigger: {
        type: "serviceBusTrigger",
        name: "message",
        queueName: "orders",
        connection: "ServiceBus",
        cardinality,
      },
      extraOutputs: [poisonOutput],
    },
  });
}

async function storageQueue() {
  const queue = uniqueQueue("fn");
  const transport = await openTransport(azurite.url(queue, "create=true&maxPoll=200ms&wait=3s"));
  return { queue, transport };
}

describe("toAzureFunction on a storage queue trigger", () => {
  it("runs the handler with attempt from dequeueCount and the id the publisher embedded; returning acks", async () => {
    const app = createApp({ name: "orders", logger: silentLogger });
    const seen: Array<{ id: string; attempt: number; data: unknown }> = [];
    app.handle("order_created", (data, ctx) => {
      seen.push({ id: ctx.envelope.id, attempt: ctx.attempt, data });
    });
    const handler = toAzureFunction(app);
    // The host parses a JSON body before the function sees it.
    const entry = {
      name: "order_created",
      data: { id: "o-1" },
      meta: { id: "01-embedded", publishedAt: "2026-01-01T00:00:00Z" },
    };
    await expect(handler(entry, storageContext("orders", { dequeueCount: 2 }))).resolves.toEqual({
      acked: 1,
      deadLettered: 0,
      deferred: 0,
    });
    await expect(
      handler(
        Buffer.from('{"name":"order_created","data":7}'),
        storageContext("orders", { dequeueCount: 1 }),
      ),
    ).resolves.toMatchObject({
      acked: 1,
    });
    expect(seen).toEqual([
      { id: "01-embedded", attempt: 2, data: { id: "o-1" } },
      { id: "6d3f0a52-5f3b-4a7e-9a43-0c4b1f6a2b11", attempt: 1, data: 7 },
    ]);
  });

  it("a failure before the last attempt throws so the host retries; at maxAttempts the dead letter goes to <queue>-poison with its reason", async () => {
    const { queue, transport } = await storageQueue();
    const app = createApp({ name: "orders", logger: silentLogger, retry: { maxAttempts: 3 } });
    app.handle("order_created", () => {
      throw new Error("payment gateway timed out");
    });
    const handler = toAzureFunction(app);
    const entry = { name: "order_created", data: { id: "o-2" } };
    const early = await handler(entry, storageContext(queue, { dequeueCount: 2 })).catch((e: unknown) => e);
    expect(early).toBeInstanceOf(AzureFunctionRetryError);
    expect((early as Error).message).toMatch(
      /1 of 1 messages are left to the host's retry; first: Error: payment gateway timed out/,
    );
    await expect(handler(entry, storageContext(queue, { dequeueCount: 3 }))).resolves.toEqual({
      acked: 0,
      deadLettered: 1,
      deferred: 0,
    });
    const dead = await transport.admin().listDeadLetters();
    expect(dead).toHaveLength(1);
    expect(dead[0]).toMatchObject({ name: "order_created", attempts: 3, queue });
    expect(dead[0]!.reason).toMatch(
      /^max_attempts_exceeded: failed 3 of 3 attempts; last error: Error: payment gateway timed out/,
    );
    await transport.close();
  });

  it("a message not due yet is re-sent to the trigger's queue with its delay, uncounted, and the invocation returns", async () => {
    const { queue, transport } = await storageQueue();
    const app = createApp({ name: "orders", logger: silentLogger });
    let runs = 0;
    app.handle("order_created", () => {
      runs++;
    });
    const due = new Date(Date.now() + 1_500).toISOString();
    const entry = {
      name: "order_created",
      data: {},
      meta: { id: "later-1", headers: { "not-before": due } },
    };
    await expect(handler(app)(entry, storageContext(queue, { dequeueCount: 1 }))).resolves.toEqual({
      acked: 0,
      deadLettered: 0,
      deferred: 1,
    });
    expect(runs).toBe(0);
    const source = transport.source();
    const got = await source.receive(1, AbortSignal.timeout(5_000));
    expect(got).toHaveLength(1);
    expect(Date.now()).toBeGreaterThanOrEqual(Date.parse(due) - 1_000);
    expect(got[0]!.envelope).toMatchObject({
      id: "later-1",
      attempt: 1,
      headers: { "not-before": due, "mailroom-attempt": "0" },
    });
    await got[0]!.ack();
    await transport.close();
  });
});

function handler(app: ReturnType<typeof createApp>) {
  return toAzureFunction(app);
}

describe("toAzureFunction on a Service Bus trigger (invocation path only: no Service Bus emulator without Docker)", () => {
  it("one message: attempt from deliveryCount, name from application properties; a PermanentError writes the dead letter with its reason to the poison output and returns", async () => {
    const app = createApp({ name: "orders", logger: silentLogger });
    const attempts: number[] = [];
    app.handle("order_created", (data, ctx) => {
      attempts.push(ctx.attempt);
      if ((data as { id: string }).id === "bad") throw new PermanentError("customer is blocked");
    });
    const fn = toAzureFunction(app);
    const ok = serviceBusContext({
      deliveryCount: 2,
      messageId: "sb-1",
      applicationProperties: { "mailroom-name": "order_created" },
    });
    await expect(fn({ id: "good" }, ok)).resolves.toEqual({ acked: 1, deadLettered: 0, deferred: 0 });
    const bad = serviceBusContext({
      deliveryCount: 1,
      messageId: "sb-2",
      applicationProperties: { "mailroom-name": "order_created" },
    });
    await expect(fn({ id: "bad" }, bad)).resolves.toEqual({ acked: 0, deadLettered: 1, deferred: 0 });
    expect(attempts).toEqual([2, 1]);
    const written = bad.extraOutputs.get(poisonOutput) as string[];
    expect(written).toHaveLength(1);
    expect(JSON.parse(written[0]!)).toMatchObject({
      name: "order_created",
      data: { id: "bad" },
      meta: {
        id: "sb-2",
        headers: {
          "mailroom-dead-letter-reason": "permanent_error: customer is blocked",
          "mailroom-original-queue": "orders",
        },
      },
    });
  });

  it("many: each message gets its own deliveryCount and id from the …Array metadata; one retry fails the whole invocation", async () => {
    const app = createApp({ name: "orders", logger: silentLogger });
    const runs: Array<{ id: string; attempt: number }> = [];
    app.handle("order_created", (data, ctx) => {
      runs.push({ id: ctx.envelope.id, attempt: ctx.attempt });
      if ((data as { n: number }).n === 2) ctx.retry({ delayMs: 1_000 });
    });
    const entries = [1, 2, 3].map((n) => ({ name: "order_created", data: { n } }));
    const ctx = serviceBusContext(
      {
        deliveryCountArray: [1, 4, 2],
        messageIdArray: ["m-1", "m-2", "m-3"],
        enqueuedTimeUtcArray: ["2026-01-01T00:00:00Z", "x", "y"],
      },
      "many",
    );
    const error = await toAzureFunction(app)(entries, ctx).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AzureFunctionRetryError);
    expect((error as AzureFunctionRetryError).failed).toBe(1);
    expect(runs.sort((a, b) => a.id.localeCompare(b.id))).toEqual([
      { id: "m-1", attempt: 1 },
      { id: "m-2", attempt: 4 },
      { id: "m-3", attempt: 2 },
    ]);
  });

  it("a message not due yet cannot be re-delayed there: the invocation fails, saying to send scheduled messages", async () => {
    const app = createApp({ name: "orders", logger: silentLogger });
    app.handle("order_created", () => {});
    const later = {
      name: "order_created",
      data: {},
      meta: { headers: { "not-before": new Date(Date.now() + 60_000).toISOString() } },
    };
    const error = await toAzureFunction(app)(
      later,
      serviceBusContext({ deliveryCount: 1, messageId: "sb-3" }),
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AzureFunctionRetryError);
    expect((error as Error).message).toMatch(/scheduled message/);
  });
});
