import { ReceiveMessageCommand, type SendMessageBatchRequest } from "@aws-sdk/client-sqs";
import { ConfigError, createApp, Headers, silentLogger, uuidv7, Worker } from "@mailroom/core";
import { HandlerSpy } from "@mailroom/core/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PublishFailedError } from "../src/errors.ts";
import { type Emulator, startEmulator } from "./helpers.ts";

let emu: Emulator;
let n = 0;
const name = (what: string) => `publish-${what}-${process.pid}-${n++}`;

beforeAll(async () => {
  emu = await startEmulator();
});
afterAll(async () => {
  await emu.stop();
});

describe("SqsPublisher", () => {
  it("chunks by count: 25 messages are 3 SendMessageBatch requests", async () => {
    const t = await emu.open(name("count"));
    t.requests.reset();
    await t.publisher().publish(Array.from({ length: 25 }, (_, i) => ({ name: "m", data: { i } })));
    expect(t.requests.snapshot()).toEqual({ SendMessageBatch: 3 });
    expect(emu.server.inspectQueue(t.queue)!.messages.ready).toHaveLength(25);
    await t.close();
  });

  it("chunks by bytes: 6 messages of 100 KiB never exceed 256 KiB per batch", async () => {
    const t = await emu.open(name("bytes"));
    const sizes: number[] = [];
    t.client.middlewareStack.add(
      (next) => async (args) => {
        const input = args.input as { Entries?: Array<{ MessageBody?: string }> };
        if (input.Entries) sizes.push(input.Entries.reduce((s, e) => s + (e.MessageBody?.length ?? 0), 0));
        return next(args);
      },
      { step: "initialize", name: "sizes" },
    );
    const pad = "x".repeat(100 * 1024);
    await t.publisher().publish(Array.from({ length: 6 }, (_, i) => ({ name: "big", data: { i, pad } })));
    expect(sizes.length).toBe(3);
    for (const s of sizes) expect(s).toBeLessThanOrEqual(256 * 1024);
    expect(emu.server.inspectQueue(t.queue)!.messages.ready).toHaveLength(6);
    await t.close();
  });

  it("surfaces entries SQS refuses and still delivers the rest of the batch", async () => {
    const t = await emu.open(name("refused"));
    const good = uuidv7();
    const bad = uuidv7();
    const error = await t
      .publisher()
      .publish([
        { id: good, name: "ok", data: 1 },
        { id: bad, name: "huge", data: "y".repeat(1024 * 1024 + 10) },
      ])
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PublishFailedError);
    expect((error as PublishFailedError).failed.map((f) => [f.id, f.senderFault])).toEqual([[bad, true]]);
    const ready = emu.server.inspectQueue(t.queue)!.messages.ready;
    expect(ready.map((m) => m.messageAttributes["mailroom-id"]?.StringValue)).toEqual([good]);
    await t.close();
  });

  it("retries entries SQS failed on its side, and only those", async () => {
    const t = await emu.open(name("retry"));
    const attempts: number[] = [];
    let injected = false;
    // SQS answers InternalError for single entries now and then; simulate one on the first batch.
    t.client.middlewareStack.add(
      (next) => async (args) => {
        const input = args.input as SendMessageBatchRequest;
        if (!input.Entries) return next(args);
        attempts.push(input.Entries.length);
        if (injected) return next(args);
        injected = true;
        const [dropped, ...rest] = input.Entries;
        const result = await next({ ...args, input: { ...input, Entries: rest } });
        const output = result.output as { Failed?: unknown[] };
        output.Failed = [
          { Id: dropped!.Id, Code: "InternalError", Message: "try again", SenderFault: false },
        ];
        return result;
      },
      { step: "initialize", name: "injectFailure" },
    );
    await t.publisher().publish(Array.from({ length: 4 }, (_, i) => ({ name: "r", data: i })));
    expect(attempts).toEqual([4, 1]);
    expect(emu.server.inspectQueue(t.queue)!.messages.ready).toHaveLength(4);
    await t.close();
  });

  it("delays up to 15 minutes with DelaySeconds and beyond with not-before", async () => {
    const t = await emu.open(name("delay"));
    await t.publisher().publish([{ name: "soon", data: 1 }], { delayMs: 60_000 });
    const due = new Date(Date.now() + 2 * 3_600_000);
    await t.publisher().publish([{ name: "later", data: 2 }], { at: due });
    const delayed = emu.server.inspectQueue(t.queue)!.messages.delayed;
    expect(delayed).toHaveLength(2);
    const byName = Object.fromEntries(
      delayed.map((m) => [m.messageAttributes["mailroom-name"]!.StringValue, m]),
    );
    expect(byName.soon!.delayUntil! - Date.now()).toBeGreaterThan(55_000);
    expect(byName.soon!.messageAttributes["mailroom-meta"]!.StringValue).not.toContain(Headers.notBefore);
    expect(byName.later!.delayUntil! - Date.now()).toBeGreaterThan(890_000);
    const meta = JSON.parse(byName.later!.messageAttributes["mailroom-meta"]!.StringValue!);
    expect(meta.headers[Headers.notBefore]).toBe(due.toISOString());
    await t.close();
  });

  it("FIFO: sets MessageGroupId and MessageDeduplicationId (the id), so a re-publish is dropped", async () => {
    const q = `${name("fifo")}.fifo`;
    const t = await emu.open(q);
    const id = uuidv7();
    await t.publisher().publish([{ id, name: "f", data: 1, groupId: "g1" }]);
    await t.publisher().publish([{ id, name: "f", data: 1, groupId: "g1" }]);
    await t.publisher().publish([{ name: "f", data: 2, groupId: "g1", dedupId: "d-2" }]);
    const ready = emu.server.inspectQueue(q)!.messages.ready;
    expect(ready.map((m) => [m.messageGroupId, m.messageDeduplicationId])).toEqual([
      ["g1", id],
      ["g1", "d-2"],
    ]);
    await expect(t.publisher().publish([{ name: "f", data: 3 }])).rejects.toBeInstanceOf(ConfigError);
    await t.close();
  });

  it("FIFO: a delayed publish waits through not-before (FIFO has no per-message delay) and keeps group order", async () => {
    const q = `${name("fifodelay")}.fifo`;
    const t = await emu.open(q, { visibilitySeconds: 5 });
    await t.publisher().publish([{ name: "f", data: 1, groupId: "g" }], { delayMs: 1_500 });
    await t.publisher().publish([{ name: "f", data: 2, groupId: "g" }]);
    const app = createApp({ name: "t", logger: silentLogger });
    const order: Array<{ n: unknown; at: number }> = [];
    app.handle("f", (data) => {
      order.push({ n: data, at: Date.now() });
    });
    const started = Date.now();
    const worker = new Worker(app, t.source(), { logger: silentLogger });
    const spy = new HandlerSpy(worker);
    void worker.start();
    await spy.waitFor({ name: "f", outcome: "ack", count: 2 });
    await worker.stop();
    expect(order.map((o) => o.n)).toEqual([1, 2]);
    expect(order[0]!.at - started).toBeGreaterThanOrEqual(1_000);
    await t.close();
  });

  it("binary bodies (a codec that is not UTF-8) travel base64 and arrive as the same bytes", async () => {
    const q = name("binary");
    const bytes = new Uint8Array([0, 1, 2, 0xff, 0xfe]);
    const codec = {
      name: "raw",
      encode: (input: { id: string; name: string; publishedAt: Date; headers: Record<string, string> }) => ({
        body: bytes,
        meta: { id: input.id, name: input.name, publishedAt: input.publishedAt, headers: input.headers },
        contentType: "application/octet-stream",
      }),
      decode: (body: Uint8Array, meta: { id?: string; name?: string }) => ({
        id: meta.id!,
        name: meta.name!,
        data: [...body],
        publishedAt: new Date(),
        headers: {},
      }),
    };
    const t = await emu.open(q, { codec });
    await t.publisher().publish([{ name: "bin", data: null }]);
    const out = await emu.client.send(
      new ReceiveMessageCommand({ QueueUrl: t.url, MessageAttributeNames: ["All"], VisibilityTimeout: 0 }),
    );
    expect(out.Messages![0]!.MessageAttributes!["mailroom-body-encoding"]!.StringValue).toBe("base64");
    const [d] = await t.source().receive(1, AbortSignal.timeout(5_000));
    expect(d!.envelope).toMatchObject({ name: "bin", data: [0, 1, 2, 255, 254] });
    await t.close();
  });
});
