import { createApp, silentLogger, Worker } from "@mailroom/core";
import { HandlerSpy } from "@mailroom/core/testkit";
import { afterAll, describe, expect, it } from "vitest";
import type { RedisTransport } from "../src/index.ts";
import { deleteKeys, openStream, plainClient, streamPrefix } from "./helpers.ts";

const prefix = streamPrefix("fifo");
const client = plainClient();
const opened: Array<{ transport: RedisTransport; worker?: Worker }> = [];

afterAll(async () => {
  for (const o of opened.reverse()) {
    await o.worker?.stop();
    await o.transport.close();
  }
  await deleteKeys(client, prefix);
  client.disconnect();
});

async function open(stream: string): Promise<RedisTransport> {
  const transport = await openStream(stream, { visibilityTimeoutMs: 5_000 });
  opened.push({ transport });
  return transport;
}

/** Start a worker; its outcomes go to every spy given (one spy may watch several workers). */
function start(
  app: ReturnType<typeof createApp>,
  transport: RedisTransport,
  concurrency: number,
  ...spies: HandlerSpy[]
) {
  const worker = new Worker(app, transport.source(), { concurrency, logger: silentLogger });
  opened.push({ transport, worker });
  for (const spy of spies) worker.on("settled", ({ envelope, outcome }) => spy.record(envelope, outcome));
  void worker.start();
}

describe("FIFO groups on a stream", () => {
  it("two workers share a stream: each group's messages run one at a time, in publish order, whichever worker takes them", async () => {
    const stream = `${prefix}two-workers`;
    const [a, b] = [await open(stream), await open(stream)];
    const app = createApp({ name: "fifo", logger: silentLogger });
    const seen = new Map<string, number[]>();
    const running = new Set<string>();
    let overlaps = 0;
    app.handle("conf_fifo", async (data) => {
      const { g, i } = data as { g: string; i: number };
      if (running.has(g)) overlaps++;
      running.add(g);
      await new Promise((r) => setTimeout(r, Math.random() * 4));
      seen.set(g, [...(seen.get(g) ?? []), i]);
      running.delete(g);
    });
    const groups = ["g1", "g2", "g3", "g4"];
    const messages = Array.from({ length: 25 }, (_, i) =>
      groups.map((g) => ({ name: "conf_fifo", data: { g, i }, groupId: g })),
    ).flat();
    await a.publisher().publish(messages);
    const [one, two, both] = [new HandlerSpy(), new HandlerSpy(), new HandlerSpy()];
    start(app, a, 8, one, both);
    start(app, b, 8, two, both);
    await both.waitFor({ name: "conf_fifo", outcome: "ack", count: 100 }, 30_000);
    for (const g of groups) expect(seen.get(g)).toEqual(Array.from({ length: 25 }, (_, i) => i));
    expect(overlaps).toBe(0);
    // Both workers took part: the order held across them, not within one.
    expect(one.records.length).toBeGreaterThan(0);
    expect(two.records.length).toBeGreaterThan(0);
    expect(await client.get(`${stream}:parked`)).toBe("0");
  });

  it("a group whose head was deleted by hand is not stuck: the next reclaim round hands the group on", async () => {
    const stream = `${prefix}lost-head`;
    const t = await open(stream);
    await t.publisher().publish([
      { id: "first", name: "conf_lost", data: 1, groupId: "g" },
      { id: "second", name: "conf_lost", data: 2, groupId: "g" },
    ]);
    const source = t.source();
    const got = await source.receive(10, new AbortController().signal);
    expect(got.map((d) => ("failed" in d.envelope ? undefined : d.envelope.id))).toEqual(["first"]);
    // Someone trims the head away while it is held: its ack never comes.
    await client.xack(stream, "mailroom", got[0]!.entry.id);
    await client.xdel(stream, got[0]!.entry.id);
    const app = createApp({ name: "fifo", logger: silentLogger });
    const handled: string[] = [];
    app.handle("conf_lost", (_d, ctx) => {
      handled.push(ctx.envelope.id);
    });
    const spy = new HandlerSpy();
    start(app, t, 2, spy);
    await spy.waitFor({ id: "second", outcome: "ack" }, 15_000);
    expect(handled).toEqual(["second"]);
  });

  it("many receivers moving due delayed entries at once move each exactly once", async () => {
    const stream = `${prefix}movers`;
    const t = await open(stream);
    const total = 300;
    await t.publisher().publish(
      Array.from({ length: total }, (_, i) => ({ id: `m-${i}`, name: "conf_move", data: i })),
      { delayMs: 300 },
    );
    const runs = new Map<string, number>();
    const app = createApp({ name: "movers", logger: silentLogger });
    app.handle("conf_move", (_d, ctx) => {
      runs.set(ctx.envelope.id, (runs.get(ctx.envelope.id) ?? 0) + 1);
    });
    const spy = new HandlerSpy();
    for (const x of [t, await open(stream), await open(stream)]) start(app, x, 16, spy);
    await spy.waitFor({ name: "conf_move", outcome: "ack", count: total }, 20_000);
    // Anything moved twice would be a second entry: give it the time to be read.
    await new Promise((r) => setTimeout(r, 500));
    expect([...runs.values()].every((n) => n === 1)).toBe(true);
    expect(await client.xlen(stream)).toBe(0);
    expect(await client.zcard(`${stream}:delayed`)).toBe(0);
  });
});
