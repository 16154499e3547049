import { ReceiveMessageCommand } from "@aws-sdk/client-sqs";
import { createApp, Headers, silentLogger, uuidv7, Worker } from "@mailroom/core";
import { HandlerSpy } from "@mailroom/core/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SqsTransport } from "../src/transport.ts";
import { type Emulator, startEmulator } from "./helpers.ts";

let emu: Emulator;
let n = 0;
const name = (what: string) => `count-${what}-${process.pid}-${n++}`;
const cleanup: Array<() => Promise<void>> = [];

beforeAll(async () => {
  emu = await startEmulator();
});
afterAll(async () => {
  for (const stop of cleanup.reverse()) await stop();
  await emu.stop();
});

async function open(queue: string): Promise<SqsTransport> {
  const t = await emu.open(queue, { waitTimeSeconds: 1 });
  cleanup.push(() => t.close());
  return t;
}

function run(t: SqsTransport, app: ReturnType<typeof createApp>) {
  const worker = new Worker(app, t.source(), {
    concurrency: 4,
    logger: silentLogger,
    publisher: t.publisher(),
  });
  const spy = new HandlerSpy(worker);
  cleanup.push(() => worker.stop());
  void worker.start();
  return spy;
}

/** Receive the queue's one message as another consumer would and give it straight back: a receive that ran nothing. */
async function receiveWithoutRunning(url: string, times: number): Promise<void> {
  for (let i = 0; i < times; i++) {
    const out = await emu.client.send(
      new ReceiveMessageCommand({ QueueUrl: url, VisibilityTimeout: 0, WaitTimeSeconds: 5 }),
    );
    expect(out.Messages).toHaveLength(1);
  }
}

describe("attempt counts handler runs on SQS", () => {
  it("standard queue: a message released 3 times and deferred 3 times, then always failing, is dead-lettered after exactly maxAttempts runs", async () => {
    const q = name("uncounted");
    const t = await open(q);
    const id = uuidv7();
    await t.publisher().publish([{ id, name: "flaky", data: {} }]);
    const source = t.source();
    for (let i = 0; i < 3; i++) {
      const [released] = await source.receive(1, AbortSignal.timeout(5_000));
      await released!.release();
      const [deferred] = await source.receive(1, AbortSignal.timeout(5_000));
      await deferred!.defer(0);
    }
    const app = createApp({
      name: "t",
      logger: silentLogger,
      retry: { maxAttempts: 3, baseDelayMs: 0, maxDelayMs: 0 },
    });
    const runs: number[] = [];
    app.handle("flaky", (_d, ctx) => {
      runs.push(ctx.attempt);
      throw new Error("always fails");
    });
    const spy = run(t, app);
    await spy.waitFor({ id, outcome: "deadLetter" });
    expect(runs).toEqual([1, 2, 3]);
    const dead = emu.server.inspectQueue(`${q}-dlq`)!.messages.ready;
    expect(dead).toHaveLength(1);
    expect(dead[0]!.messageAttributes[Headers.deadLetterReason]?.StringValue).toMatch(
      /^max_attempts_exceeded: failed 3 of 3 attempts/,
    );
    expect(dead[0]!.messageAttributes[Headers.attempt]?.StringValue).toBe("3");
  });

  it("FIFO queue: a scheduled message received many times before it was due runs when due at attempt 1", async () => {
    const q = `${name("scheduled")}.fifo`;
    const t = await open(q);
    const id = uuidv7();
    await t.publisher().publish([{ id, name: "later", data: {}, groupId: "g" }], {
      at: new Date(Date.now() + 2_000),
    });
    // Receives that ran nothing (another worker's early hops, turns its group was skipped).
    await receiveWithoutRunning(emu.createQueue(q).url, 6);
    const app = createApp({ name: "t", logger: silentLogger, retry: { maxAttempts: 2 } });
    const runs: Array<{ attempt: number; at: number }> = [];
    app.handle("later", (_d, ctx) => {
      runs.push({ attempt: ctx.attempt, at: Date.now() });
    });
    const started = Date.now();
    const spy = run(t, app);
    const [done] = await spy.waitFor({ id, outcome: "ack" });
    expect(done).toBeDefined();
    expect(runs).toHaveLength(1);
    expect(runs[0]!.attempt).toBe(1);
    expect(runs[0]!.at).toBeGreaterThanOrEqual(started);
    expect(emu.server.inspectQueue(q.replace(/\.fifo$/, "-dlq.fifo"))!.messages.ready).toHaveLength(0);
  });

  it("FIFO queue: a message received more times than maxReceives is dead-lettered with max_receives_exceeded", async () => {
    const q = `${name("receives")}.fifo`;
    const t = await open(q);
    const id = uuidv7();
    await t.publisher().publish([{ id, name: "stuck", data: {}, groupId: "g" }]);
    await receiveWithoutRunning(emu.createQueue(q).url, 5);
    const app = createApp({ name: "t", logger: silentLogger, retry: { maxAttempts: 3, maxReceives: 5 } });
    const runs: number[] = [];
    app.handle("stuck", (_d, ctx) => {
      runs.push(ctx.attempt);
    });
    const spy = run(t, app);
    await spy.waitFor({ id, outcome: "deadLetter" });
    expect(runs).toEqual([]);
    const dead = emu.server.inspectQueue(q.replace(/\.fifo$/, "-dlq.fifo"))!.messages.ready;
    expect(dead.map((m) => m.messageAttributes[Headers.deadLetterReason]?.StringValue)).toEqual([
      expect.stringMatching(/^max_receives_exceeded/),
    ]);
  });
});
