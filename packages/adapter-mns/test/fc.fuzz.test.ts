// Property-based tests of the Function Compute entry (fast-check, bounded runs) against the MNS
// test server: whatever a trigger hands over — queue CloudEvents (one or a batch, base64 or
// plain bodies), RawData, topic notifications, STREAM text, or something else — `toAliyunFC`
// answers within its time: every message acked, dead-lettered with a reason or re-sent, or the
// event refused with a ConfigError that says what was wrong. Never a TypeError, never a hang.
import { ConfigError, createApp, PermanentError, silentLogger } from "@mailroom/core";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readFcEvent, toAliyunFC } from "../src/index.ts";
import type { MnsTestServer } from "../src/testing/index.ts";
import { deadLettersOf, fcKeys } from "./fc-events.ts";
import { client, server, uniqueQueue } from "./helpers.ts";

let s: MnsTestServer;
beforeAll(async () => {
  s = await server();
});
afterAll(() => s.close());

const names = fc.constantFrom("fz_ack", "fz_dead", "fz_publish", "fz_nobody", "");
const plainBody = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
  fc.record({ name: names, data: fc.jsonValue({ maxDepth: 3 }) }).map((v) => JSON.stringify(v)),
  fc
    .record({
      name: names,
      data: fc.jsonValue({ maxDepth: 2 }),
      meta: fc.record(
        {
          id: fc.string(),
          publishedAt: fc.oneof(fc.string(), fc.date({ noInvalidDate: false }).map(String)),
          headers: fc.dictionary(
            fc.constantFrom("mailroom-attempt", "not-before", "traceparent", "x"),
            fc.oneof(
              fc.string(),
              fc.integer().map(String),
              fc.date().map((d) => d.toISOString()),
            ),
          ),
        },
        { requiredKeys: [] },
      ),
    })
    .map((v) => JSON.stringify(v)),
);
/** A body as the trigger hands it: plain (decoding on) or base64 (off), or bytes that are not UTF-8. */
const body = fc.oneof(
  plainBody,
  plainBody.map((b) => Buffer.from(b).toString("base64")),
  fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b).toString("base64")),
);

function cloudEvent(queue: string) {
  return fc.record({
    id: fc.string(),
    specversion: fc.constant("1.0"),
    type: fc.constantFrom("mns:Queue:SendMessage", "mns:Queue:Other"),
    subject: fc.oneof(fc.constant(`acs:mns:cn-hangzhou:${s.accountId}:queues/${queue}`), fc.string()),
    time: fc.oneof(
      fc.string(),
      fc.date({ noInvalidDate: false }).map((d) => String(d)),
    ),
    source: fc.string(),
    aliyunaccountid: fc.constant(s.accountId),
    aliyunregionid: fc.constantFrom("cn-hangzhou", ""),
    data: fc.record({ requestId: fc.string(), messageId: fc.uuid(), messageBody: body }),
  });
}

function event(queue: string) {
  const rawData = fc.record({ requestId: fc.string(), messageId: fc.uuid(), messageBody: body });
  const topic = fc.record({
    TopicOwner: fc.constant(s.accountId),
    TopicName: fc.constant("events"),
    Subscriber: fc.constant(s.accountId),
    SubscriptionName: fc.string(),
    MessageId: fc.uuid(),
    MessageMD5: fc.string(),
    Message: body,
    PublishTime: fc.oneof(fc.integer(), fc.string()),
  });
  const value = fc.oneof(
    cloudEvent(queue),
    fc.array(cloudEvent(queue), { minLength: 1, maxLength: 8 }),
    rawData,
    fc.array(rawData, { minLength: 1, maxLength: 8 }),
    topic,
    fc.jsonValue({ maxDepth: 3 }),
  );
  return fc.oneof(
    value.map((v) => JSON.stringify(v)),
    value.map((v) => Buffer.from(JSON.stringify(v))),
    fc.string({ maxLength: 100 }),
    fc.uint8Array({ maxLength: 100 }).map((b) => Buffer.from(b)),
  );
}

describe("toAliyunFC under random events", () => {
  it("answers every event: each message acked, dead-lettered with a reason or re-sent, or the event refused with a ConfigError", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constant(null).chain(() => {
          const queue = uniqueQueue("fzfc");
          return event(queue).map((e) => ({ queue, e }));
        }),
        async ({ queue, e }) => {
          await client(s).createQueue(queue, {});
          await client(s).createQueue(`${queue}-dlq`, {});
          const app = createApp({ name: "fz", logger: silentLogger });
          app.handle("fz_ack", () => {});
          app.handle("fz_dead", () => {
            throw new PermanentError("fz_dead always refuses");
          });
          app.handle("fz_publish", (data, ctx) => ctx.publish("fz_ack", data));
          const handler = toAliyunFC(app, {
            ...fcKeys(s),
            accountId: s.accountId,
            queue,
            deadLetterQueue: `${queue}-dlq`,
          });
          let expected: number;
          try {
            expected = readFcEvent(e).length;
          } catch (error) {
            expect(error).toBeInstanceOf(ConfigError);
            await expect(handler(e, {})).rejects.toBeInstanceOf(ConfigError);
            return;
          }
          const result = await handler(e, {});
          expect(result.acked + result.deadLettered + result.deferred + result.repeated).toBe(expected);
          const dead = await deadLettersOf(s, queue, `${queue}-dlq`);
          expect(dead).toHaveLength(result.deadLettered);
          for (const letter of dead) expect(letter.reason).toMatch(/^[a-z_]+: \S/);
        },
      ),
      { numRuns: 60, interruptAfterTimeLimit: 50_000 },
    );
  }, 90_000);
});
