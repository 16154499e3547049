import { ReceiveMessageCommand, SendMessageCommand } from "@aws-sdk/client-sqs";
import { createApp, PermanentError, silentLogger, Worker } from "@mailroom/core";
import { HandlerSpy } from "@mailroom/core/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Emulator, startEmulator } from "./helpers.ts";

let emu: Emulator;
let n = 0;
const name = (what: string) => `admin-${what}-${process.pid}-${n++}`;

beforeAll(async () => {
  emu = await startEmulator();
});
afterAll(async () => {
  await emu.stop();
});

async function deadLetterSome(q: string, count: number) {
  // Short polls: a stopped worker's aborted long poll would stay parked in the server and could be
  // handed a message that the next phase of the test expects to see.
  const t = await emu.open(q, { visibilitySeconds: 2, waitTimeSeconds: 0 });
  await t.publisher().publish(Array.from({ length: count }, (_, i) => ({ name: "bad", data: { i } })));
  const app = createApp({ name: "t", logger: silentLogger });
  let fail = true;
  const handled: number[] = [];
  app.handle("bad", (data: unknown, ctx) => {
    if (fail) throw new PermanentError("no such order");
    handled.push(ctx.attempt);
    return data;
  });
  const worker = new Worker(app, t.source(), { logger: silentLogger });
  const spy = new HandlerSpy(worker);
  void worker.start();
  await spy.waitFor({ outcome: "deadLetter", count });
  await worker.stop();
  fail = false;
  return { t, app, handled };
}

describe("SqsAdmin", () => {
  it("stats counts ready, delayed, in-flight and dead-lettered messages", async () => {
    const q = name("stats");
    const { t } = await deadLetterSome(q, 2);
    await t.publisher().publish([{ name: "a", data: 1 }]);
    await t.publisher().publish([{ name: "b", data: 1 }], { delayMs: 60_000 });
    expect(await t.admin().stats()).toEqual([
      { queue: q, ready: 1, delayed: 1, inFlight: 0, deadLettered: 2 },
    ]);
    await t.close();
  });

  it("lists dead letters with reason, attempts and body, without removing them", async () => {
    const q = name("list");
    const { t } = await deadLetterSome(q, 12);
    const first = await t.admin().listDeadLetters();
    expect(first).toHaveLength(12);
    expect(first[0]).toMatchObject({
      name: "bad",
      reason: "permanent_error: no such order",
      attempts: 1,
      queue: q,
    });
    expect(first[0]!.deadLetteredAt).toBeInstanceOf(Date);
    expect(JSON.parse(first[0]!.body)).toMatchObject({ name: "bad", data: {} });
    expect(await t.admin().listDeadLetters({ limit: 5 })).toHaveLength(5);
    expect(await t.admin().listDeadLetters()).toHaveLength(12);
    await t.close();
  });

  it("lists a message SQS moved itself through the RedrivePolicy", async () => {
    const q = name("policy");
    emu.createQueue(q, { maxReceiveCount: 1, visibilitySeconds: 1 });
    const t = await emu.open(q);
    await emu.client.send(new SendMessageCommand({ QueueUrl: t.url, MessageBody: '{"name":"x","data":1}' }));
    await emu.client.send(new ReceiveMessageCommand({ QueueUrl: t.url, VisibilityTimeout: 0 }));
    // The second receive finds it over maxReceiveCount and moves it to the DLQ.
    await emu.client.send(new ReceiveMessageCommand({ QueueUrl: t.url, WaitTimeSeconds: 1 }));
    const dead = await t.admin().listDeadLetters();
    expect(dead).toHaveLength(1);
    expect(dead[0]).toMatchObject({ name: "x", reason: expect.stringMatching(/^redrive_policy:/) });
    await t.close();
  });

  it("redrives (receive → send → delete where StartMessageMoveTask is missing) with progress and a fresh attempt", async () => {
    const q = name("redrive");
    const { t, app, handled } = await deadLetterSome(q, 15);
    const progress: Array<[number, number]> = [];
    const moved = await t.admin().redrive({ onProgress: (done, total) => progress.push([done, total]) });
    expect(moved).toBe(15);
    expect(progress.at(-1)).toEqual([15, 15]);
    expect(await t.admin().listDeadLetters()).toEqual([]);
    const worker = new Worker(app, t.source(), { logger: silentLogger });
    const spy = new HandlerSpy(worker);
    void worker.start();
    await spy.waitFor({ outcome: "ack", count: 15 });
    await worker.stop();
    expect(handled).toEqual(Array(15).fill(1));
    await t.close();
  });

  it("redrive with a limit moves only that many", async () => {
    const q = name("limit");
    const { t } = await deadLetterSome(q, 4);
    expect(await t.admin().redrive({ limit: 3 })).toBe(3);
    expect(await t.admin().listDeadLetters()).toHaveLength(1);
    await t.close();
  });
});
