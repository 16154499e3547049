// Property-based tests of the Azure Functions entry (fast-check, bounded runs) against Azurite:
// whatever a storage queue trigger hands over — a string (JSON or not, base64 or not), an object
// the host parsed, bytes — with whatever trigger metadata, `toAzureFunction` answers: the message
// acked, dead-lettered to the poison queue with a reason, or re-sent; or the invocation refused
// with an error that says why. Never a TypeError, never a hang.
import { InvocationContext } from "@azure/functions";
import { ConfigError, createApp, PermanentError, silentLogger } from "@mailroom/core";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openTransport, toAzureFunction } from "../src/index.ts";
import { type Azurite, startAzurite, uniqueQueue } from "./azurite.ts";

let azurite: Azurite;
const savedConnection = process.env.AzureWebJobsStorage;
beforeAll(async () => {
  azurite = await startAzurite();
  process.env.AzureWebJobsStorage = azurite.connectionString;
});
afterAll(async () => {
  if (savedConnection === undefined) delete process.env.AzureWebJobsStorage;
  else process.env.AzureWebJobsStorage = savedConnection;
  await azurite.stop();
});

const names = fc.constantFrom("fz_ack", "fz_dead", "fz_publish", "fz_nobody", "");
const json = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.record({ name: names, data: fc.jsonValue({ maxDepth: 2 }) }),
  fc.record({
    name: names,
    data: fc.jsonValue({ maxDepth: 2 }),
    meta: fc.record(
      {
        id: fc.string(),
        publishedAt: fc.string(),
        headers: fc.dictionary(fc.constantFrom("mailroom-attempt", "not-before", "x"), fc.string()),
      },
      { requiredKeys: [] },
    ),
  }),
);
/** What the host may hand over for one queue message. */
const entry = fc.oneof(
  json,
  json.map((v) => JSON.stringify(v)),
  json.map((v) => Buffer.from(JSON.stringify(v)).toString("base64")),
  fc.string({ maxLength: 200 }),
  fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b)),
);
const metadata = fc.record(
  {
    dequeueCount: fc.oneof(fc.integer({ min: 1, max: 10 }), fc.string(), fc.constant(null)),
    id: fc.oneof(fc.uuid(), fc.string()),
    popReceipt: fc.string(),
    insertionTime: fc.oneof(fc.date({ noInvalidDate: false }).map(String), fc.string()),
  },
  { requiredKeys: [] },
);

function storageContext(queue: string, triggerMetadata: Record<string, unknown>) {
  return new InvocationContext({
    invocationId: "inv-fuzz",
    functionName: `fuzz-${queue}`,
    triggerMetadata,
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

describe("toAzureFunction under random storage queue messages", () => {
  it("acks, dead-letters with a reason or re-sends every message, or refuses it with a ConfigError", async () => {
    await fc.assert(
      fc.asyncProperty(entry, metadata, async (message, meta) => {
        const queue = uniqueQueue("fzfn");
        const transport = await openTransport(azurite.url(queue, "create=true&wait=1s"));
        try {
          await transport.source().connect?.(AbortSignal.timeout(10_000));
          const app = createApp({ name: "fz", logger: silentLogger });
          app.handle("fz_ack", () => {});
          app.handle("fz_dead", () => {
            throw new PermanentError("fz_dead always refuses");
          });
          app.handle("fz_publish", (data, ctx) => ctx.publish("fz_ack", data));
          const outcome = await toAzureFunction(app)(message, storageContext(queue, meta)).then(
            (value) => ({ value }),
            (error: unknown) => ({ error }),
          );
          if ("error" in outcome) {
            expect(outcome.error).toBeInstanceOf(ConfigError);
            return;
          }
          const { acked, deadLettered, deferred } = outcome.value;
          expect(acked + deadLettered + deferred).toBe(1);
          const dead = await transport.admin().listDeadLetters({ limit: 10 });
          expect(dead).toHaveLength(deadLettered);
          for (const letter of dead) expect(letter.reason).toMatch(/^[a-z_]+: \S/);
        } finally {
          await transport.close();
        }
      }),
      { numRuns: 40, interruptAfterTimeLimit: 60_000 },
    );
  }, 120_000);
});
