import { createApp, Headers, isDecodeFailure, type Outgoing, silentLogger, uuidv7 } from "@mailroom/core";
import { dispatch } from "@mailroom/core/transport";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type MnsDelivery,
  MnsMessageTooLargeError,
  MnsReceiptHandleError,
  type MnsTransport,
  openTransport,
} from "../src/index.ts";
import type { MnsTestServer } from "../src/testing/index.ts";
import { client, rawSdk, server, transportUrl, uniqueQueue, until } from "./helpers.ts";

let s: MnsTestServer;
const opened: MnsTransport[] = [];
beforeAll(async () => {
  s = await server();
});
afterAll(async () => {
  for (const t of opened) await t.close();
  await s.close();
});

async function open(what: string, query = "visibility=5s&wait=3") {
  const queue = uniqueQueue(what);
  const t = await openTransport(transportUrl(s, queue, `create=true&${query}`), {
    accessKeyId: s.credentials[0]!.accessKeyId,
    accessKeySecret: s.credentials[0]!.accessKeySecret,
  });
  opened.push(t);
  return t;
}
const msg = (i: number, extra: Partial<Outgoing> = {}): Outgoing => ({
  id: uuidv7(),
  name: "item_added",
  data: { i },
  ...extra,
});
const never = new AbortController().signal;
const receive = (t: MnsTransport, max = 16) => t.source().receive(max, never) as Promise<MnsDelivery[]>;
/** Receive until `n` deliveries came (messages turn visible one by one). */
async function receiveN(t: MnsTransport, n: number): Promise<MnsDelivery[]> {
  const out: MnsDelivery[] = [];
  const deadline = Date.now() + 10_000;
  while (out.length < n && Date.now() < deadline) out.push(...(await receive(t, n - out.length)));
  return out;
}
const envelopeOf = (d: MnsDelivery) => {
  if (isDecodeFailure(d.envelope)) throw new Error(d.envelope.reason);
  return d.envelope;
};

describe("mns transport: source", () => {
  it("receives up to 16 per BatchReceiveMessage, with attempt = DequeueCount", async () => {
    const t = await open("recv");
    await t.publisher().publish(Array.from({ length: 20 }, (_, i) => msg(i)));
    const first = await receive(t, 100);
    expect(first).toHaveLength(16);
    expect(first.every((d) => envelopeOf(d).attempt === 1)).toBe(true);
    expect(first[0]!.envelope.transport).toMatchObject({ kind: "mns", queue: t.queue });
    await Promise.all(first.map((d) => d.ack()));
  });

  it("several receive calls at once each get their own messages", async () => {
    const t = await open("parallel");
    await t.publisher().publish(Array.from({ length: 30 }, (_, i) => msg(i)));
    const source = t.source();
    const batches = await Promise.all([1, 2, 3].map(() => source.receive(10, never)));
    const ids = batches.flat().map((d) => envelopeOf(d as MnsDelivery).id);
    expect(ids).toHaveLength(30);
    expect(new Set(ids).size).toBe(30);
  });

  it("abort resolves [] promptly while the long poll is open", async () => {
    const t = await open("abort", "visibility=5s&wait=20");
    const ac = new AbortController();
    const began = Date.now();
    const pending = t.source().receive(16, ac.signal);
    setTimeout(() => ac.abort(), 100);
    expect(await pending).toEqual([]);
    expect(Date.now() - began).toBeLessThan(1_000);
  });

  it("close aborts pending receives", async () => {
    const t = await open("close", "visibility=5s&wait=20");
    const source = t.source();
    const pending = source.receive(16, never);
    setTimeout(() => void source.close(), 100);
    expect(await pending).toEqual([]);
  });

  it("depth reports ready, delayed and in flight", async () => {
    const t = await open("depth");
    await t.publisher().publish([msg(1), msg(2)]);
    await t.publisher().publish([msg(3)], { delayMs: 30_000 });
    const [d] = await receive(t, 1);
    expect(await t.source().depth()).toEqual({ ready: 1, delayed: 1, inFlight: 1 });
    await d!.ack();
  });
});

describe("mns transport: deliveries", () => {
  it("acks are coalesced: 16 acks in one BatchDeleteMessage", async () => {
    const t = await open("coalesce");
    await t.publisher().publish(Array.from({ length: 16 }, (_, i) => msg(i)));
    const got = await receive(t);
    const before = t.client.requests.byOperation.BatchDeleteMessage ?? 0;
    await Promise.all(got.map((d) => d.ack()));
    expect((t.client.requests.byOperation.BatchDeleteMessage ?? 0) - before).toBe(1);
    expect((await t.client.getQueueAttributes(t.queue)).inactiveMessages).toBe(0);
  });

  it("a stale handle fails only its own ack (per-handle partial error)", async () => {
    const t = await open("partial", "visibility=1s&wait=1");
    await t.publisher().publish([msg(1), msg(2)]);
    const [a, b] = await receive(t);
    await a!.extend(5_000);
    // b's visibility (1 s) passes: its handle is dead, a's was renewed.
    await until(async () => (await t.client.getQueueAttributes(t.queue)).activeMessages === 1, 5_000);
    const results = await Promise.allSettled([a!.ack(), b!.ack()]);
    expect(results[0]!.status).toBe("fulfilled");
    expect(results[1]!.status).toBe("rejected");
    expect((results[1] as PromiseRejectedResult).reason).toBeInstanceOf(MnsReceiptHandleError);
  });

  it("extend swaps in the NEW receipt handle for every later call", async () => {
    const t = await open("extend");
    await t.publisher().publish([msg(1)]);
    const [d] = await receive(t);
    const original = d!.receiptHandle;
    await d!.extend(10_000);
    const second = d!.receiptHandle;
    await d!.extend(10_000);
    expect(new Set([original, second, d!.receiptHandle]).size).toBe(3);
    await d!.ack();
    expect((await t.client.getQueueAttributes(t.queue)).inactiveMessages).toBe(0);
  });

  it("retry makes it visible after the delay, with attempt + 1", async () => {
    const t = await open("retry", "visibility=5s&wait=5");
    await t.publisher().publish([msg(1)]);
    const [d] = await receive(t);
    const began = Date.now();
    await d!.retry(1_000);
    const [again] = await receive(t);
    expect(Date.now() - began).toBeGreaterThanOrEqual(900);
    expect(envelopeOf(again!).attempt).toBe(2);
    await again!.ack();
  });

  it("a second settle is refused", async () => {
    const t = await open("twice");
    await t.publisher().publish([msg(1)]);
    const [d] = await receive(t);
    await d!.ack();
    await expect(d!.retry(1000)).rejects.toThrow(/already settled/);
  });

  it("defer re-sends with the runs so far in the body, so attempt does not count the re-delay", async () => {
    const t = await open("defer");
    await t.publisher().publish([msg(1)]);
    const [d] = await receive(t);
    await d!.retry(1_000);
    const [second] = await receive(t);
    expect(envelopeOf(second!).attempt).toBe(2);
    await second!.defer(1_000);
    const [third] = await receive(t);
    const env = envelopeOf(third!);
    expect(third!.message.dequeueCount).toBe(1);
    expect(env.headers[Headers.attempt]).toBe("1");
    expect(env.attempt).toBe(2);
    expect(env.id).toBe(envelopeOf(d!).id);
    await third!.ack();
  });

  it("deadLetter sends to the dead-letter queue with reason and attempts, then deletes", async () => {
    const t = await open("dl");
    await t.publisher().publish([msg(1)]);
    const [d] = await receive(t);
    await d!.deadLetter("permanent_error: nope");
    const dead = await t.admin().listDeadLetters();
    expect(dead).toHaveLength(1);
    expect(dead[0]).toMatchObject({
      name: "item_added",
      reason: "permanent_error: nope",
      attempts: 1,
      queue: t.queue,
    });
    const left = await t.client.getQueueAttributes(t.queue);
    expect(left.activeMessages + left.inactiveMessages).toBe(0);
  });

  it("deadLetter keeps the original when the dead-letter queue is missing", async () => {
    const t = await open("dlmissing");
    await t.client.deleteQueue(t.deadLetterQueue);
    await t.publisher().publish([msg(1)]);
    const [d] = await receive(t);
    await expect(d!.deadLetter("x")).rejects.toThrow(/QueueNotExist/);
    expect((await t.client.getQueueAttributes(t.queue)).inactiveMessages).toBe(1);
  });
});

describe("mns transport: attempts from DequeueCount", () => {
  it("a message whose DequeueCount passed maxAttempts (handlers that crashed) is dead-lettered without running", async () => {
    const t = await open("crashed", "visibility=1s&wait=3");
    await t.publisher().publish([msg(1)]);
    // Two receives that never settle, as if the worker died: visibility runs out each time.
    expect(envelopeOf((await receive(t))[0]!).attempt).toBe(1);
    expect(envelopeOf((await receive(t))[0]!).attempt).toBe(2);
    const third = await receive(t);
    expect(envelopeOf(third[0]!).attempt).toBe(3);
    const app = createApp({ name: "t", logger: silentLogger });
    let runs = 0;
    app.handle("item_added", { retry: { maxAttempts: 2 } }, () => {
      runs++;
    });
    const [result] = await dispatch(app, third);
    expect(result!.outcome).toMatchObject({
      kind: "deadLetter",
      reason: expect.stringMatching(/^max_attempts_exceeded/),
    });
    expect(runs).toBe(0);
    const [dead] = await t.admin().listDeadLetters();
    expect(dead).toMatchObject({ attempts: 3, reason: expect.stringMatching(/^max_attempts_exceeded/) });
  });
});

describe("mns transport: publisher", () => {
  it("sends 16 per BatchSendMessage", async () => {
    const t = await open("batch16");
    const before = t.client.requests.byOperation.BatchSendMessage ?? 0;
    await t.publisher().publish(Array.from({ length: 40 }, (_, i) => msg(i)));
    expect((t.client.requests.byOperation.BatchSendMessage ?? 0) - before).toBe(3);
    expect((await t.client.getQueueAttributes(t.queue)).activeMessages).toBe(40);
  });

  it("refuses a message over 64 KB (after base64) with a clear error, sending none", async () => {
    const t = await open("big");
    const big = msg(1, { data: "x".repeat(50_000) });
    const error = await t
      .publisher()
      .publish([msg(0), big])
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MnsMessageTooLargeError);
    expect((error as Error).message).toMatch(/over the MNS limit of 65536 bytes/);
    expect((await t.client.getQueueAttributes(t.queue)).activeMessages).toBe(0);
  });

  it("delays up to 7 days with DelaySeconds; later times carry not-before", async () => {
    const t = await open("later");
    await t.publisher().publish([msg(1)], { delayMs: 3_000 });
    const at = new Date(Date.now() + 10 * 86_400_000);
    await t.publisher().publish([msg(2)], { at });
    expect((await t.client.getQueueAttributes(t.queue)).delayMessages).toBe(2);
    const [soon, far] = s.queues.get(t.queue)!.messages();
    const now = Date.now();
    expect(soon!.visibleAt - now).toBeGreaterThan(1_000);
    expect(soon!.visibleAt - now).toBeLessThanOrEqual(3_000);
    expect(far!.visibleAt - now).toBeGreaterThan(604_790_000);
    const body = JSON.parse(Buffer.from(far!.body, "base64").toString("utf8"));
    expect(body.meta.headers["not-before"]).toBe(at.toISOString());
  });

  it("priority goes to MNS: 1 is received first", async () => {
    const t = await open("prio");
    await t.publisher().publish([msg(1, { priority: 16 }), msg(2, { priority: 1 }), msg(3)]);
    const got = await receive(t);
    expect(got.map((d) => (envelopeOf(d).data as { i: number }).i)).toEqual([2, 3, 1]);
    await expect(t.publisher().publish([msg(4, { priority: 0 })])).rejects.toThrow(/1 \(first\) to 16/);
  });

  it("publishes to another queue with `to`", async () => {
    const t = await open("to");
    const other = uniqueQueue("other");
    await t.client.createQueue(other);
    await t.publisher().publish([msg(1, { to: other })]);
    expect((await t.client.getQueueAttributes(other)).activeMessages).toBe(1);
  });

  it("bodies are base64 on the wire; a raw SDK producer's plain text is read too", async () => {
    const t = await open("wire");
    await t.publisher().publish([msg(1)]);
    const [peeked] = await t.client.batchPeekMessage(t.queue, 1);
    expect(peeked!.rawBody).toMatch(/^[A-Za-z0-9+/]+=*$/);
    await (rawSdk(s).sendMessage as (q: string, p: object) => Promise<unknown>)(t.queue, {
      MessageBody: '{"name":"demo_data_created","data":{"id":5}}',
    });
    const got = await receive(t);
    expect(got.map((d) => envelopeOf(d).name).sort()).toEqual(["demo_data_created", "item_added"]);
    expect(got.map((d) => d.message.bodyEncoding).sort()).toEqual(["base64", "text"]);
  });
});

describe("mns transport: admin", () => {
  it("stats count ready, delayed, in flight and dead-lettered", async () => {
    const t = await open("stats");
    await t.publisher().publish([msg(1), msg(2), msg(3)]);
    await t.publisher().publish([msg(4)], { delayMs: 60_000 });
    const [a, b] = await receive(t, 2);
    await a!.deadLetter("x");
    expect(await t.admin().stats()).toEqual([
      { queue: t.queue, ready: 1, delayed: 1, inFlight: 1, deadLettered: 1 },
    ]);
    await b!.ack();
  });

  it("lists more than 16 dead letters and leaves them all in place", async () => {
    const t = await open("list");
    await t.publisher().publish(Array.from({ length: 20 }, (_, i) => msg(i)));
    const got = await receiveN(t, 20);
    await Promise.all(got.map((d) => d.deadLetter(`reason ${envelopeOf(d).id}`)));
    const dead = await t.admin().listDeadLetters({ limit: 100 });
    expect(dead).toHaveLength(20);
    expect(dead.every((d) => d.reason === `reason ${d.id}`)).toBe(true);
    await until(
      async () => (await t.client.getQueueAttributes(t.deadLetterQueue)).activeMessages === 20,
      5_000,
    );
  });

  it("redrive moves dead letters back with a fresh attempt count and reports progress", async () => {
    const t = await open("redrive");
    await t.publisher().publish(Array.from({ length: 18 }, (_, i) => msg(i)));
    const got = await receiveN(t, 18);
    await Promise.all(got.map((d) => d.retry(1_000)));
    const again = await receiveN(t, 18);
    expect(again.every((d) => envelopeOf(d).attempt === 2)).toBe(true);
    await Promise.all(again.map((d) => d.deadLetter("max_attempts_exceeded: test")));
    const progress: Array<[number, number]> = [];
    const moved = await t.admin().redrive({ onProgress: (done, total) => progress.push([done, total]) });
    expect(moved).toBe(18);
    expect(progress.at(-1)).toEqual([18, 18]);
    const back = await receiveN(t, 18);
    expect(back).toHaveLength(18);
    for (const d of back) {
      const env = envelopeOf(d);
      expect(env.attempt).toBe(1);
      expect(env.headers[Headers.deadLetterReason]).toBeUndefined();
    }
    expect((await t.client.getQueueAttributes(t.deadLetterQueue)).activeMessages).toBe(0);
  });

  it("redrive returns poison bodies as they came", async () => {
    const t = await open("redrivepoison");
    await client(s, { bodyEncoding: "text" }).sendMessage(t.queue, {
      body: new TextEncoder().encode("{oops"),
    });
    const [d] = await receive(t);
    expect(isDecodeFailure(d!.envelope)).toBe(true);
    await d!.deadLetter("decode_failed: body is not JSON");
    expect(await t.admin().redrive()).toBe(1);
    const [back] = await receive(t);
    expect(new TextDecoder().decode(back!.message.body)).toBe("{oops");
    expect(isDecodeFailure(back!.envelope)).toBe(true);
  });
});
