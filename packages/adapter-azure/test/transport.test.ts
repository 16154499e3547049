import { ConfigError, createApp, RefusedError, silentLogger, TransportError, Worker } from "@mailroom/core";
import { HandlerSpy } from "@mailroom/core/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AzureMessageTooLargeError, type AzureQueueTransport, openTransport } from "../src/index.ts";
import { type Azurite, startAzurite, uniqueQueue } from "./azurite.ts";

let azurite: Azurite;
const opened: AzureQueueTransport[] = [];
beforeAll(async () => {
  azurite = await startAzurite();
});
afterAll(async () => {
  for (const t of opened) await t.close();
  await azurite.stop();
});

async function open(query = "", queue = uniqueQueue("t")) {
  const t = await openTransport(
    azurite.url(queue, `create=true&maxPoll=200ms&wait=3s${query ? `&${query}` : ""}`),
  );
  opened.push(t);
  return t;
}

/** Record the options of every call of `method` on the transport's queue client. */
function recordCalls(t: AzureQueueTransport, method: "sendMessage" | "updateMessage") {
  const client = t.queues.queue(t.queue) as unknown as Record<
    string,
    (...args: unknown[]) => Promise<unknown>
  >;
  const original = client[method]!.bind(client);
  const calls: unknown[][] = [];
  client[method] = (...args: unknown[]) => {
    calls.push(args);
    return original(...args);
  };
  return calls;
}

const peekText = async (t: AzureQueueTransport) =>
  (await azurite.service().getQueueClient(t.queue).peekMessages()).peekedMessageItems[0]!;

describe("the Storage Queue transport on Azurite", () => {
  it("writes base64 by default (what the Functions host reads) and plain text with ?encoding=text; a worker reads both", async () => {
    const b64 = await open();
    await b64.publisher().publish([{ name: "order_created", data: { id: 1 } }]);
    const stored = (await peekText(b64)).messageText;
    expect(JSON.parse(Buffer.from(stored, "base64").toString("utf8"))).toMatchObject({
      name: "order_created",
      data: { id: 1 },
    });
    const text = await open("encoding=text", b64.queue);
    await text.publisher().publish([{ name: "order_created", data: { id: 2 } }]);
    const received = await b64.source().receive(10, AbortSignal.timeout(5_000));
    expect(received.map((d) => (d.envelope as { data: { id: number } }).data.id).sort()).toEqual([1, 2]);
    const raw = received.map((d) => (d.envelope.transport.raw as { messageText: string }).messageText);
    expect(raw.filter((m) => m.startsWith("{"))).toHaveLength(1);
    for (const d of received) await d.ack();
  });

  it("a body over 64 KiB as stored is refused before anything of the publish is sent, with what to do", async () => {
    const t = await open();
    const small = { name: "order_created", data: { n: 1 } };
    const big = { name: "order_created", data: { pad: "x".repeat(49 * 1024) } };
    const error = await t
      .publisher()
      .publish([small, big])
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AzureMessageTooLargeError);
    expect((error as Error).message).toMatch(
      /over the Storage Queue limit of 65536 \(base64 grows a body by a third.*Blob Storage.*encoding=text/,
    );
    expect((await t.queues.queue(t.queue).getProperties()).approximateMessagesCount).toBe(0);
    // As text the same data fits.
    const asText = await open("encoding=text", t.queue);
    await asText.publisher().publish([big]);
    expect((await peekText(t)).messageText.length).toBeGreaterThan(49 * 1024);
  });

  it("messages never expire by default; ?ttl= and Outgoing.expiresInMs set the time-to-live", async () => {
    const t = await open();
    await t.publisher().publish([{ name: "a_b", data: 1 }]);
    expect((await peekText(t)).expiresOn.getUTCFullYear()).toBe(9999);
    const hour = await open("ttl=1h");
    await hour.publisher().publish([{ name: "a_b", data: 2 }]);
    await hour.publisher().publish([{ name: "a_b", data: 3, expiresInMs: 60_000 }]);
    const items = (await azurite.service().getQueueClient(hour.queue).peekMessages({ numberOfMessages: 5 }))
      .peekedMessageItems;
    const lives = items.map((m) => Math.round((m.expiresOn.getTime() - m.insertedOn.getTime()) / 1000));
    expect(lives.sort((a, b) => a - b)).toEqual([60, 3_600]);
  });

  it("delays up to 7 days are the send's visibility timeout; later times ride the not-before chain", async () => {
    const t = await open();
    const sends = recordCalls(t, "sendMessage");
    const at = new Date(Date.now() + 10 * 86_400_000);
    await t.publisher().publish([{ name: "a_b", data: 1 }], { at });
    await t.publisher().publish([{ name: "a_b", data: 2 }], { delayMs: 2 * 86_400_000 });
    expect(sends.map((c) => (c[1] as { visibilityTimeout: number }).visibilityTimeout)).toEqual([
      604_800, 172_800,
    ]);
    const first = JSON.parse(Buffer.from(sends[0]![0] as string, "base64").toString("utf8"));
    expect(first.meta.headers["not-before"]).toBe(at.toISOString());
  });

  it("a delay past the time-to-live hops: received early, re-sent uncounted with the rest, run once when due at attempt 1", async () => {
    // With a 3 s time-to-live a send may wait at most 2 s, so a 4 s delay takes two hops.
    const t = await open("ttl=3s");
    const app = createApp({ name: "hops", logger: silentLogger });
    const runs: Array<{ attempt: number; at: number }> = [];
    app.handle("a_b", (_d, ctx) => void runs.push({ attempt: ctx.attempt, at: Date.now() }));
    const sent = Date.now();
    await t.publisher().publish([{ name: "a_b", data: {} }], { delayMs: 4_000 });
    const worker = new Worker(app, t.source(), { publisher: t.publisher(), logger: silentLogger });
    const spy = new HandlerSpy(worker);
    void worker.start();
    await spy.waitFor({ name: "a_b", outcome: "ack" }, 15_000);
    await worker.stop();
    expect(spy.records.some((r) => r.outcome.kind === "defer")).toBe(true);
    expect(runs).toHaveLength(1);
    expect(runs[0]!.attempt).toBe(1);
    expect(runs[0]!.at - sent).toBeGreaterThanOrEqual(3_900);
  });

  it("every Update Message gives a new pop receipt: the delivery keeps it, and the old one is refused from then on", async () => {
    const t = await open();
    await t.publisher().publish([{ name: "a_b", data: 1 }]);
    const [d] = (await t.source().receive(1, AbortSignal.timeout(5_000))) as [
      import("../src/index.ts").AzureQueueDelivery,
    ];
    const first = d.popReceipt;
    await d.extend(5_000);
    const second = d.popReceipt;
    expect(second).not.toBe(first);
    const stale = await azurite
      .service()
      .getQueueClient(t.queue)
      .deleteMessage(d.message.messageId, first)
      .catch((e: unknown) => e);
    expect((stale as { statusCode?: number }).statusCode).toBe(400);
    await d.extend(5_000);
    expect(d.popReceipt).not.toBe(second);
    await d.ack();
    expect((await t.queues.queue(t.queue).getProperties()).approximateMessagesCount).toBe(0);
  });

  it("visibility is whole seconds: retry and extend round up, a retry of 0 is visible at once", async () => {
    const t = await open();
    const updates = recordCalls(t, "updateMessage");
    await t.publisher().publish([
      { name: "a_b", data: 1 },
      { name: "a_b", data: 2 },
    ]);
    const got = await t.source().receive(2, AbortSignal.timeout(5_000));
    expect(got).toHaveLength(2);
    await got[0]!.extend(1_500);
    await got[0]!.retry(1_200);
    await got[1]!.retry(0);
    expect(updates.map((c) => c[3])).toEqual([2, 2, 0]);
  });
});

describe("the start-up check (Source.connect)", () => {
  it("refuses a missing queue, a missing poison queue and a wrong key with one line each; waits on an unreachable service", async () => {
    const check = async (url: string) => {
      const t = await openTransport(url);
      opened.push(t);
      return t
        .source()
        .connect(AbortSignal.timeout(10_000))
        .then(
          () => undefined,
          (e: unknown) => e,
        );
    };
    const missing = await check(azurite.url(uniqueQueue("none")));
    expect(missing).toBeInstanceOf(RefusedError);
    expect((missing as Error).message).toMatch(/does not exist in account "devstoreaccount1": create it/);
    const queue = uniqueQueue("nopoison");
    await azurite.service().getQueueClient(queue).create();
    const noPoison = await check(azurite.url(queue));
    expect((noPoison as Error).message).toMatch(
      new RegExp(`poison \\(dead-letter\\) queue "${queue}-poison"`),
    );
    const wrongKey = Buffer.from("not the key").toString("base64");
    const refused = await check(
      azurite.url(queue).replace("http://", `http://devstoreaccount1:${encodeURIComponent(wrongKey)}@`),
    );
    expect(refused).toBeInstanceOf(ConfigError);
    expect((refused as Error).message).toMatch(/refused the credentials \(403/);
    expect((refused as Error).message).not.toContain(wrongKey);
    const down = await check(`azure-queue+http://127.0.0.1:9/devstoreaccount1/${queue}`);
    expect(down).toBeInstanceOf(TransportError);
    expect(down).not.toBeInstanceOf(ConfigError);
  });
});
