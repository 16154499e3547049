// Property-based tests of the Lambda entry (fast-check, bounded runs) against the SQS emulator:
// whatever bodies and attributes an SQS event carries, `toLambda` answers within its time, and
// every record ends acked, dead-lettered with a reason, or re-delayed — none is left to Lambda's
// redelivery by an app that never asks for a retry. Malformed events are refused with a reason.
import { ConfigError, createApp, PermanentError, silentLogger } from "@mailroom/core";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toLambda } from "../src/lambda-entry.ts";
import type { SqsLambdaEvent, SqsLambdaRecord } from "../src/lambda-event.ts";
import { type Emulator, startEmulator } from "./helpers.ts";

let emu: Emulator;
beforeAll(async () => {
  emu = await startEmulator();
});
afterAll(() => emu.stop());

/**
 * Characters SQS accepts in bodies and attribute values (it refuses the rest on send). SQS also
 * takes U+10000–U+10FFFF; fauxqs 2.4 refuses them, so they are left out here.
 */
const sqsText = (max = 200) =>
  fc
    .string({ unit: "binary", maxLength: max })
    .map((s) => s.replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD]/gu, ""));

const names = fc.constantFrom("fz_ack", "fz_dead", "fz_publish", "fz_nobody", "");
/** SQS refuses an empty body on send, so no event carries one. */
const body = fc.oneof(
  sqsText().filter((text) => text.length > 0),
  fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)),
  fc.record({ name: names, data: fc.jsonValue({ maxDepth: 3 }) }).map((v) => JSON.stringify(v)),
  fc
    .tuple(names, fc.integer({ min: 60, max: 120 }))
    .map(([name, depth]) => `{"name":"${name}","data":${"[".repeat(depth)}${"]".repeat(depth)}}`),
);

const attributeValue = fc.oneof(
  sqsText(40),
  fc.date({ min: new Date(2000, 0, 1), max: new Date(2100, 0, 1) }).map((d) => d.toISOString()),
  fc.integer().map(String),
);
const attributes = fc.dictionary(
  fc.oneof(
    fc.constantFrom(
      "mailroom-name",
      "mailroom-attempt",
      "not-before",
      "mailroom-body-encoding",
      "traceparent",
    ),
    fc.stringMatching(/^[A-Za-z0-9_.-]{1,20}$/),
  ),
  fc.record({ dataType: fc.constantFrom("String", "Number", "String.custom"), stringValue: attributeValue }),
  { maxKeys: 6 },
);

const recordSpec = fc.record({
  body,
  attributes,
  receiveCount: fc.oneof(fc.integer({ min: 1, max: 50 }).map(String), sqsText(5)),
  sentTimestamp: fc.oneof(fc.integer({ min: 0, max: 4_102_444_800_000 }).map(String), sqsText(5)),
});

let queues = 0;
const messageIdOf = (raw: unknown) => (raw as SqsLambdaRecord).messageId;

/** One record of `queue` with `body`, as Lambda hands it over. */
function record(queue: string, body: string, sentTimestamp = "1700000000000"): SqsLambdaRecord {
  return {
    messageId: `m-${queue}`,
    receiptHandle: "fake-receipt",
    body,
    attributes: { ApproximateReceiveCount: "1", SentTimestamp: sentTimestamp },
    messageAttributes: {},
    eventSource: "aws:sqs",
    eventSourceARN: `arn:aws:sqs:us-east-1:000000000000:${queue}`,
    awsRegion: "us-east-1",
  };
}

describe("toLambda under random events", () => {
  it("dead-letters a poison record whose SentTimestamp is not a number (found by the fuzz run: the copy threw RangeError: Invalid time value, and the record was reported failed for ever)", async () => {
    const queue = `fz-lambda-time-${process.pid}`;
    emu.createQueue(queue);
    const app = createApp({ name: "fz", logger: silentLogger });
    const result = await toLambda(app, { endpoint: emu.endpoint })({ Records: [record(queue, "{", "q")] });
    expect(result.batchItemFailures).toEqual([]);
    const transport = await emu.open(queue);
    try {
      const dead = await transport.admin!().listDeadLetters({ limit: 10 });
      expect(dead.map((d) => d.reason)).toEqual([expect.stringMatching(/^decode_failed: body is not JSON/)]);
    } finally {
      await transport.close();
    }
  });

  it("refuses an event without SQS records with a ConfigError that says so (found by the fuzz run: a TypeError)", async () => {
    const handler = toLambda(createApp({ name: "fz", logger: silentLogger }), { endpoint: emu.endpoint });
    for (const event of [{}, { Records: [false] }, { Records: [{ messageId: "m", body: "{}" }] }]) {
      await expect(handler(event as SqsLambdaEvent)).rejects.toThrow(ConfigError);
    }
    await expect(handler({ Records: [{}] } as SqsLambdaEvent)).rejects.toThrow(/not an SQS event/);
  });

  it("answers every event, and every record ends acked, dead-lettered with a reason or re-delayed", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(recordSpec, { minLength: 1, maxLength: 10 }), async (specs) => {
        const queue = `fz-lambda-${process.pid}-${queues++}`;
        emu.createQueue(queue);
        const ran = new Set<string>();
        let published = 0;
        const app = createApp({ name: "fz", logger: silentLogger });
        app.handle("fz_ack", (_d, ctx) => {
          ran.add(messageIdOf(ctx.envelope.transport.raw));
        });
        app.handle("fz_dead", () => {
          throw new PermanentError("fz_dead always refuses");
        });
        app.handle("fz_publish", async (data, ctx) => {
          await ctx.publish("fz_ack", data);
          published++;
          ran.add(messageIdOf(ctx.envelope.transport.raw));
        });
        const records: SqsLambdaRecord[] = specs.map((spec, i) => ({
          messageId: `m-${queues}-${i}`,
          receiptHandle: `fake-receipt-${i}`,
          body: spec.body,
          attributes: { ApproximateReceiveCount: spec.receiveCount, SentTimestamp: spec.sentTimestamp },
          messageAttributes: spec.attributes,
          eventSource: "aws:sqs",
          eventSourceARN: `arn:aws:sqs:us-east-1:000000000000:${queue}`,
          awsRegion: "us-east-1",
        }));
        const handler = toLambda(app, { endpoint: emu.endpoint });
        const result = await handler({ Records: records }, { getRemainingTimeInMillis: () => 10_000 });
        expect(result.batchItemFailures).toEqual([]);
        const transport = await emu.open(queue);
        try {
          const dead = await transport.admin!().listDeadLetters({ limit: 100 });
          for (const letter of dead) expect(letter.reason).toMatch(/^[a-z_]+: \S/);
          // What waits on the queue: the handlers' publishes, and a copy of each record re-delayed
          // by a future not-before.
          const waiting = await transport.source().depth!();
          const redelayed = waiting.ready + waiting.delayed - published;
          expect(ran.size + dead.length + redelayed).toBe(records.length);
        } finally {
          await transport.close();
        }
      }),
      { numRuns: 40, interruptAfterTimeLimit: 50_000 },
    );
  }, 90_000);

  it("refuses an event that is not an SQS event with a reason instead of a TypeError, and never hangs", async () => {
    const app = createApp({ name: "fz", logger: silentLogger });
    app.handle("fz_ack", () => {});
    const handler = toLambda(app, { endpoint: emu.endpoint });
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.anything(),
          fc.record({ Records: fc.anything() }),
          fc.record({ Records: fc.array(fc.anything(), { maxLength: 3 }) }),
          fc.record({
            Records: fc.array(fc.dictionary(fc.string(), fc.anything()), { minLength: 1, maxLength: 3 }),
          }),
        ),
        async (event) => {
          const outcome = await handler(event as SqsLambdaEvent).then(
            (value) => ({ value }),
            (error: unknown) => ({ error }),
          );
          if ("error" in outcome) expect(outcome.error).toBeInstanceOf(ConfigError);
          else {
            expect(Array.isArray(outcome.value.batchItemFailures)).toBe(true);
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
