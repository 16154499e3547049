import { InvocationContext } from "@azure/functions";
import { createApp, silentLogger } from "@mailroom/core";
import { describe, expect, it } from "vitest";
import { azureFunctionSettings, timeSpan } from "./host-json.ts";
import { type FunctionsRegistrar, registerAzureFunctions } from "./register.ts";

/** Records what would be registered with the Functions host. */
function capture() {
  const calls: Array<{ kind: string; name: string; options: Record<string, unknown> }> = [];
  const registrar: FunctionsRegistrar = {
    storageQueue: (name, options) => void calls.push({ kind: "storageQueue", name, options }),
    serviceBusQueue: (name, options) => void calls.push({ kind: "serviceBusQueue", name, options }),
    serviceBusTopic: (name, options) => void calls.push({ kind: "serviceBusTopic", name, options }),
  };
  return { calls, registrar };
}

describe("registerAzureFunctions", () => {
  it("registers one function per queue and subscription, each dispatching every handler; Service Bus functions get the poison output", async () => {
    const app = createApp({ name: "orders", logger: silentLogger });
    const handled: string[] = [];
    app.handle("order_created", (_d, ctx) => void handled.push(ctx.envelope.name));
    app.handle("order_paid", (_d, ctx) => void handled.push(ctx.envelope.name));
    const { calls, registrar } = capture();
    const names = registerAzureFunctions(app, {
      storageQueues: ["orders", { queueName: "refunds", connection: "RefundStorage" }],
      serviceBusQueues: [{ queueName: "payments", connection: "ServiceBus", cardinality: "many" }],
      serviceBusTopics: [{ topicName: "events", subscriptionName: "orders", connection: "ServiceBus" }],
      functions: registrar,
    });
    expect(names).toEqual(["orders-orders", "orders-refunds", "orders-payments", "orders-events-orders"]);
    expect(calls.map(({ kind, name, options: { handler: _h, ...rest } }) => ({ kind, name, rest }))).toEqual([
      {
        kind: "storageQueue",
        name: "orders-orders",
        rest: { queueName: "orders", connection: "AzureWebJobsStorage" },
      },
      {
        kind: "storageQueue",
        name: "orders-refunds",
        rest: { queueName: "refunds", connection: "RefundStorage" },
      },
      {
        kind: "serviceBusQueue",
        name: "orders-payments",
        rest: {
          queueName: "payments",
          connection: "ServiceBus",
          cardinality: "many",
          extraOutputs: [
            {
              type: "serviceBus",
              name: "mailroomPoison",
              queueName: "payments-poison",
              connection: "ServiceBus",
            },
          ],
        },
      },
      {
        kind: "serviceBusTopic",
        name: "orders-events-orders",
        rest: {
          topicName: "events",
          subscriptionName: "orders",
          connection: "ServiceBus",
          cardinality: "one",
          extraOutputs: [
            {
              type: "serviceBus",
              name: "mailroomPoison",
              queueName: "events-poison",
              connection: "ServiceBus",
            },
          ],
        },
      },
    ]);
    // The registered handler routes every name of the app.
    const fn = calls[0]!.options.handler as (entry: unknown, ctx: InvocationContext) => Promise<unknown>;
    for (const name of ["order_created", "order_paid"]) {
      const ctx = new InvocationContext({
        triggerMetadata: { dequeueCount: 1, id: `id-${name}` },
        options: {
          trigger: {
            type: "queueTrigger",
            name: "queueEntry",
            queueName: "orders",
            connection: "AzureWebJobsStorage",
          },
        },
      });
      await expect(fn({ name, data: {} }, ctx)).resolves.toMatchObject({ acked: 1 });
    }
    expect(handled).toEqual(["order_created", "order_paid"]);
  });

  it("refuses a call that names no trigger, and a queue registered twice", () => {
    const app = createApp({ name: "orders", logger: silentLogger });
    expect(() => registerAzureFunctions(app, { functions: capture().registrar })).toThrow(
      /name at least one of/,
    );
    expect(() =>
      registerAzureFunctions(app, { storageQueues: ["a1b", "a1b"], functions: capture().registrar }),
    ).toThrow(/"orders-a1b" is registered twice/);
  });
});

describe("azureFunctionSettings", () => {
  it("derives host.json from the retry policies: maxDequeueCount = the largest maxAttempts, visibilityTimeout = the app's base delay", () => {
    const app = createApp({
      name: "orders",
      logger: silentLogger,
      retry: { maxAttempts: 4, baseDelayMs: 1_500 },
    });
    app.handle("order_created", () => {});
    app.handle("report_built", { retry: { maxAttempts: 8, baseDelayMs: 60_000 } }, () => {});
    const settings = azureFunctionSettings(app, { bodyEncoding: "text" });
    expect(settings.hostJson).toEqual({
      version: "2.0",
      extensions: { queues: { maxDequeueCount: 8, visibilityTimeout: "00:00:02", messageEncoding: "none" } },
    });
    expect(settings.serviceBusMaxDeliveryCount).toBe(8);
    expect(settings.notes).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^storage queue retries wait a fixed 2 s/),
        '"order_created" dead-letters after 4 attempts by itself (the host\'s limit is 8)',
        '"report_built" asks for a first retry after 60000 ms; the host waits 2 s for every handler',
      ]),
    );
    expect(
      azureFunctionSettings(createApp({ name: "x", logger: silentLogger })).hostJson.extensions.queues,
    ).toEqual({
      maxDequeueCount: 5,
      visibilityTimeout: "00:00:01",
      messageEncoding: "base64",
    });
    expect(timeSpan(90_061)).toBe("1.01:01:01");
  });
});
