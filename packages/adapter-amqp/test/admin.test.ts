import { createApp, openTransport, PermanentError, RefusedError, silentLogger } from "@mailroom/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AmqpSource, AmqpTransport, TopologyError } from "../src/index.ts";
import { AMQP_URL, sharedBrokerLock, testScope, transport, uniqueName, until } from "./helpers.ts";

sharedBrokerLock({ beforeAll, afterAll });

const scope = testScope(afterAll);
const { exchanges, stops } = scope;

describe("queue admin and URL opening", () => {
  it("lists dead letters with reason, attempts and origin, without removing them, and redrives them", async () => {
    const queue = uniqueName("admin");
    const t = await transport(queue).connect();
    const app = createApp({ name: "t", logger: silentLogger });
    let healthy = false;
    app.handle("fragile", (data) => {
      if (!healthy) throw new PermanentError(`cannot handle ${(data as { n: number }).n} yet`);
    });
    const { spy } = scope.run(app, t, { concurrency: 4 });
    await t.publisher().publish([1, 2, 3].map((n) => ({ id: `dl-${n}`, name: "fragile", data: { n } })));
    await spy.waitFor({ name: "fragile", outcome: "deadLetter", count: 3 });
    const admin = t.admin();
    await until(async () => (await admin.stats())[0]!.deadLettered === 3, 10_000, "3 dead letters");
    const first = await admin.listDeadLetters();
    const again = await admin.listDeadLetters({ limit: 2 });
    expect(first.map((d) => d.id).sort()).toEqual(["dl-1", "dl-2", "dl-3"]);
    expect(again).toHaveLength(2);
    expect(first.find((d) => d.id === "dl-2")).toMatchObject({
      name: "fragile",
      reason: "permanent_error: cannot handle 2 yet",
      attempts: 1,
      queue,
    });
    expect(first[0]!.deadLetteredAt).toBeInstanceOf(Date);
    expect(first[0]!.headers).toMatchObject({
      "mailroom-original-exchange": "",
      "mailroom-original-routing-key": queue,
    });

    healthy = true;
    const progress: number[] = [];
    const moved = await admin.redrive({ onProgress: (done) => progress.push(done) });
    expect(moved).toBe(3);
    expect(progress).toEqual([1, 2, 3]);
    const acked = await spy.waitFor({ name: "fragile", outcome: "ack", count: 3 });
    expect(acked.map((r) => r.envelope.attempt)).toEqual([1, 1, 1]);
    expect((await admin.stats())[0]).toMatchObject({ queue, deadLettered: 0 });
  });

  it("stats, dlq list, redrive and purge on a queue that does not exist fail with a TopologyError naming it", async () => {
    const queue = uniqueName("missing");
    const t = await openTransport(`${AMQP_URL}?queue=${queue}`);
    stops.push(() => t.close());
    const admin = t.admin!();
    const missing = async (operation: Promise<unknown>, name: string) => {
      const error = await operation.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(TopologyError);
      expect(error).toBeInstanceOf(RefusedError);
      const message = (error as Error).message;
      expect(message).toContain(`"${name}" does not exist on RabbitMQ at amqp://`);
      expect(message).not.toContain("guest:guest");
      expect(message).not.toContain("\n");
    };
    await missing(admin.stats(), queue);
    await missing(admin.listDeadLetters(), `${queue}.dlq`);
    await missing(admin.redrive(), `${queue}.dlq`);
    await missing(admin.purge(), `${queue}.dlq`);
    await missing(admin.purge({ limit: 1 }), `${queue}.dlq`);
    // The broker closed only the channels: once the queues exist, the same admin reads them.
    const declared = await transport(queue).connect();
    stops.push(() => declared.close());
    expect((await admin.stats())[0]).toMatchObject({ queue, ready: 0, deadLettered: 0 });
  });

  it("core's openTransport(url) loads this adapter for amqp:// URLs", async () => {
    const queue = uniqueName("registry");
    transport(queue);
    const t = await openTransport(`${AMQP_URL}?queue=${queue}`);
    stops.push(() => t.close());
    expect(t).toBeInstanceOf(AmqpTransport);
    expect(t.kind).toBe("amqp");
    expect(t.queue).toBe(queue);
    await t.publisher().publish([{ name: "via_registry", data: 1 }]);
    expect((await t.admin!().stats())[0]!.ready).toBe(1);
  });

  it("a source bound by handler names (subscribe) receives what is published to the exchange by name", async () => {
    const queue = uniqueName("subscribe");
    const exchange = uniqueName("sub-ex");
    exchanges.push(exchange);
    const t = transport(queue, { exchange });
    const app = createApp({ name: "t", logger: silentLogger });
    app.handle("thing_done", () => {});
    const source = t.source() as AmqpSource;
    await source.subscribe(app.names());
    const { spy } = scope.run(app, t, { concurrency: 16 }, source);
    await until(
      async () => {
        try {
          await t.publisher().publish([{ name: "thing_done", data: {} }]);
          return true;
        } catch {
          return false;
        }
      },
      10_000,
      "the binding to exist",
    );
    await spy.waitFor({ name: "thing_done", outcome: "ack" });
  });
});
