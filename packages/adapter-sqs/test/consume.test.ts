import { GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageCommand } from "@aws-sdk/client-sqs";
import {
  openTransport as coreOpen,
  createApp,
  type Envelope,
  Headers,
  silentLogger,
  uuidv7,
  Worker,
} from "@mailroom/core";
import { HandlerSpy } from "@mailroom/core/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NoDeadLetterQueueError } from "../src/errors.ts";
import type { SqsTransport } from "../src/transport.ts";
import { type Emulator, startEmulator } from "./helpers.ts";

let emu: Emulator;
let n = 0;
const name = (what: string) => `consume-${what}-${process.pid}-${n++}`;

beforeAll(async () => {
  emu = await startEmulator();
});
afterAll(async () => {
  await emu.stop();
});

function run(t: SqsTransport, app = createApp({ name: "t", logger: silentLogger }), concurrency = 16) {
  const worker = new Worker(app, t.source(), { concurrency, logger: silentLogger, publisher: t.publisher() });
  const spy = new HandlerSpy(worker);
  void worker.start();
  return { worker, spy, app };
}

/** Resolves when the transport's next ReceiveMessage request goes on the wire. */
function nextPoll(t: SqsTransport): Promise<void> {
  const name = `nextPoll${n++}`;
  return new Promise((resolve) => {
    t.client.middlewareStack.add(
      (next, context) => (args) => {
        if (context.commandName === "ReceiveMessageCommand") {
          t.client.middlewareStack.remove(name);
          resolve();
        }
        return next(args);
      },
      { step: "deserialize", name, priority: "low" },
    );
  });
}

describe("sqs:// long-poll worker", () => {
  it("core's openTransport loads this adapter for sqs:// and reads the queue's visibility timeout", async () => {
    const q = name("open");
    emu.createQueue(q, { visibilitySeconds: 42 });
    const t = await coreOpen(`sqs://us-east-1/${q}?endpoint=${encodeURIComponent(emu.endpoint)}`);
    expect(t.kind).toBe("sqs");
    expect(t.queue).toBe(q);
    expect(t.source().visibilityTimeoutMs).toBe(42_000);
    await t.close();
  });

  it("handles a plain { name, data } body from a producer that sets no attributes", async () => {
    const q = name("plain");
    const t = await emu.open(q);
    const { url } = emu.createQueue(q);
    const sent = await emu.client.send(
      new SendMessageCommand({
        QueueUrl: url,
        MessageBody: JSON.stringify({ name: "order_created", data: { id: 42, total: 9.5 } }),
      }),
    );
    const app = createApp({ name: "t", logger: silentLogger });
    let seen: Envelope | undefined;
    app.handle("order_created", (_data, ctx) => {
      seen = ctx.envelope;
    });
    const { worker, spy } = run(t, app);
    await spy.waitFor({ name: "order_created", outcome: "ack" });
    await worker.stop();
    expect(seen).toMatchObject({
      id: sent.MessageId,
      name: "order_created",
      data: { id: 42, total: 9.5 },
      attempt: 1,
    });
    expect(seen!.publishedAt.getTime()).toBeGreaterThan(Date.now() - 60_000);
    await t.close();
  });

  it("a full queue costs at most 0.2 requests per message (one receive of 10 + one delete batch of 10)", async () => {
    const q = name("count");
    const t = await emu.open(q);
    const total = 200;
    await t.publisher().publish(Array.from({ length: total }, (_, i) => ({ name: "tick", data: { i } })));
    t.requests.reset();
    const app = createApp({ name: "t", logger: silentLogger });
    app.handle("tick", () => {});
    const { worker, spy } = run(t, app, 10);
    await spy.waitFor({ name: "tick", outcome: "ack", count: total });
    await worker.stop();
    await t.close();
    const counts = t.requests.snapshot();
    // Receives still pending when the worker stopped were aborted: they returned nothing.
    const perMessage = ((counts.ReceiveMessage ?? 0) - 2 + (counts.DeleteMessageBatch ?? 0)) / total;
    expect(perMessage).toBeLessThanOrEqual(0.2);
    expect(counts.DeleteMessage).toBeUndefined();
  });

  it("a pending long poll wakes on send, and an aborted one returns at once", async () => {
    const q = name("wake");
    const t = await emu.open(q);
    const source = t.source();
    const controller = new AbortController();
    const began = Date.now();
    let polling = nextPoll(t);
    const pending = source.receive(10, controller.signal);
    await polling;
    await t.publisher().publish([{ name: "wake", data: {} }]);
    const got = await pending;
    expect(got).toHaveLength(1);
    expect(Date.now() - began).toBeLessThan(5_000);
    await got[0]!.ack();
    const aborted = new AbortController();
    polling = nextPoll(t);
    const idle = source.receive(10, aborted.signal);
    await polling;
    aborted.abort();
    const stoppedAt = Date.now();
    expect(await idle).toEqual([]);
    expect(Date.now() - stoppedAt).toBeLessThan(2_000);
    await t.close();
  });

  it("asks only for the attributes Mailroom needs", async () => {
    const q = name("attrs");
    const t = await emu.open(q);
    const seen: unknown[] = [];
    t.client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === "ReceiveMessageCommand") seen.push(args.input);
        return next(args);
      },
      { step: "initialize", name: "spyReceive" },
    );
    await t.source().receive(10, AbortSignal.timeout(200));
    expect(seen[0]).toMatchObject({
      MaxNumberOfMessages: 10,
      WaitTimeSeconds: 20,
      MessageSystemAttributeNames: ["ApproximateReceiveCount", "SentTimestamp", "MessageGroupId"],
      MessageAttributeNames: ["All"],
    });
    await t.close();
  });

  it("carries many headers within SQS's 10 attributes, and foreign attributes reach the handler", async () => {
    const q = name("headers");
    const t = await emu.open(q);
    const headers: Record<string, string> = {};
    for (let i = 0; i < 15; i++) headers[`x-${i}`] = String(i);
    const id = uuidv7();
    await t.publisher().publish([{ id, name: "many", data: 1, headers, parentId: "p1" }]);
    await emu.client.send(
      new SendMessageCommand({
        QueueUrl: emu.createQueue(q).url,
        MessageBody: '{"name":"many","data":2}',
        MessageAttributes: { tenant: { DataType: "String", StringValue: "acme" } },
      }),
    );
    const app = createApp({ name: "t", logger: silentLogger });
    const envelopes: Envelope[] = [];
    app.handle("many", (_d, ctx) => {
      envelopes.push(ctx.envelope);
    });
    const { worker, spy } = run(t, app);
    await spy.waitFor({ name: "many", outcome: "ack", count: 2 });
    await worker.stop();
    const ours = envelopes.find((e) => e.id === id)!;
    expect(ours.headers).toEqual(headers);
    expect(ours.parentId).toBe("p1");
    expect(envelopes.find((e) => e.id !== id)!.headers).toEqual({ tenant: "acme" });
    await t.close();
  });

  it("retry beyond the 12-hour visibility ceiling re-sends with not-before and deletes the original", async () => {
    const q = name("long");
    const t = await emu.open(q);
    await t.publisher().publish([{ name: "later", data: {} }]);
    const [d] = await t.source().receive(1, AbortSignal.timeout(5_000));
    const due = Date.now() + 13 * 3_600_000;
    await d!.retry(13 * 3_600_000);
    const attrs = await emu.client.send(
      new GetQueueAttributesCommand({
        QueueUrl: t.url,
        AttributeNames: ["ApproximateNumberOfMessagesDelayed", "ApproximateNumberOfMessagesNotVisible"],
      }),
    );
    expect(attrs.Attributes).toMatchObject({
      ApproximateNumberOfMessagesDelayed: "1",
      ApproximateNumberOfMessagesNotVisible: "0",
    });
    expect(d!.envelope.attempt).toBe(1);
    // Peek at the re-sent copy: one run so far, due in 13 h, delayed the 15 minutes SQS allows.
    const copy = emu.server.inspectQueue(q)!.messages.delayed[0]!;
    const meta = JSON.parse(copy.messageAttributes["mailroom-meta"]!.StringValue!);
    expect(copy.messageAttributes[Headers.attempt]!.StringValue).toBe("1");
    expect(Math.abs(Date.parse(meta.headers[Headers.notBefore]) - due)).toBeLessThan(5_000);
    expect(copy.delayUntil! - Date.now()).toBeGreaterThan(890_000);
    await t.close();
  });

  it("a queued ack resolves at once and reports a delete that failed; a confirmed ack rejects", async () => {
    const q = name("ackmode");
    const warnings: object[] = [];
    const logger = { ...silentLogger, warn: (o: object) => void warnings.push(o) };
    const queued = await emu.open(q, { logger });
    const confirmed = await emu.open(q, { ack: "confirmed" });
    await queued.publisher().publish([
      { name: "a", data: 1 },
      { name: "a", data: 2 },
    ]);
    const [a] = await queued.source().receive(1, AbortSignal.timeout(5_000));
    const [b] = await confirmed.source().receive(1, AbortSignal.timeout(5_000));
    // With the queue gone every delete fails.
    emu.server.deleteQueue(q);
    await expect(a!.ack()).resolves.toBeUndefined();
    await expect(b!.ack()).rejects.toThrow();
    await queued.sqsQueue.drain();
    expect(queued.sqsQueue.backgroundErrors).toBe(1);
    expect(warnings).toEqual([expect.objectContaining({ queue: q })]);
    await queued.close();
    await confirmed.close();
  });

  it("a queued ack whose DeleteMessageBatch fails reaches the source's background-error listener with its envelope", async () => {
    const q = name("background");
    const t = await emu.open(q);
    await t.publisher().publish([{ id: "bg-1", name: "a", data: 1 }]);
    const source = t.source();
    const reported = new Promise<{ error: unknown; id: string | undefined }>((resolve) => {
      source.onBackgroundError((error, envelope) =>
        resolve({ error, id: envelope && "id" in envelope ? envelope.id : undefined }),
      );
    });
    const [d] = await source.receive(1, AbortSignal.timeout(5_000));
    // With the queue gone before the batch leaves, its delete fails after ack() resolved.
    emu.server.deleteQueue(q);
    await expect(d!.ack()).resolves.toBeUndefined();
    const { error, id } = await reported;
    expect(id).toBe("bg-1");
    expect(String(error)).toMatch(/delete|queue/i);
    await t.close();
  });

  it("dead-letters to ?dlq= when the queue has no RedrivePolicy, and says what to do when there is none", async () => {
    const bare = name("nodlq");
    emu.server.createQueue(bare);
    const url = (q: string) => `sqs://us-east-1/${q}?endpoint=${encodeURIComponent(emu.endpoint)}`;
    const without = (await coreOpen(url(bare))) as SqsTransport;
    await without.publisher().publish([{ name: "x", data: {} }]);
    const [d] = await without.source().receive(1, AbortSignal.timeout(5_000));
    await expect(d!.deadLetter("why")).rejects.toBeInstanceOf(NoDeadLetterQueueError);
    await without.close();

    const q = name("withdlq");
    const dlq = name("explicit-dlq");
    emu.server.createQueue(q);
    emu.server.createQueue(dlq);
    const t = (await coreOpen(`${url(q)}&dlq=${dlq}`)) as SqsTransport;
    await t.publisher().publish([
      { name: "x", data: {} },
      { name: "x", data: {} },
    ]);
    const { worker, spy } = run(t);
    await spy.waitFor({ outcome: "deadLetter", count: 2 });
    await worker.stop();
    const out = await emu.client.send(
      new ReceiveMessageCommand({
        QueueUrl: `${emu.endpoint}/000000000000/${dlq}`,
        MaxNumberOfMessages: 10,
        MessageAttributeNames: ["All"],
      }),
    );
    expect(out.Messages).toHaveLength(2);
    for (const m of out.Messages!) {
      expect(m.MessageAttributes?.[Headers.deadLetterReason]?.StringValue).toBe("unknown_message_name: x");
      expect(m.MessageAttributes?.[Headers.originalQueue]?.StringValue).toBe(q);
      expect(m.MessageAttributes?.[Headers.attempt]?.StringValue).toMatch(/^\d+$/);
    }
    await t.close();
  });
});
