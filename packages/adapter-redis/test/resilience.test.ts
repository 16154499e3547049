import { createApp, silentLogger, Worker } from "@mailroom/core";
import { HandlerSpy } from "@mailroom/core/testkit";
import { afterAll, describe, expect, it } from "vitest";
import type { RedisTransport } from "../src/index.ts";
import { deleteKeys, openStream, plainClient, streamPrefix } from "./helpers.ts";

const prefix = streamPrefix("resilience");
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

/** Kill every connection of this test's transport (by its connection name), as a failover or a proxy would. */
async function killConnections(name: string): Promise<number> {
  const list = String(await client.call("CLIENT", "LIST", "TYPE", "normal"));
  const ids = list
    .split("\n")
    .filter((line) => line.includes(` name=${name} `))
    .map((line) => /(?:^| )id=(\d+)/.exec(line)?.[1])
    .filter((id): id is string => id !== undefined);
  for (const id of ids) await client.call("CLIENT", "KILL", "ID", id);
  return ids.length;
}

describe("connections lost under a running worker", () => {
  it("the worker's connections killed mid-run: receives fail and back off, ioredis reconnects, and every message is handled", async () => {
    const stream = `${prefix}killed`;
    const name = `mrt-kill-${process.pid}`;
    const t = await openStream(stream, { visibilityTimeoutMs: 2_000, redis: { connectionName: name } });
    const app = createApp({ name: "resilience", logger: silentLogger });
    const handled = new Set<string>();
    app.handle("conf_resilient", (_d, ctx) => {
      handled.add(ctx.envelope.id);
    });
    const worker = new Worker(app, t.source(), {
      logger: silentLogger,
      receiveBackoff: { minMs: 50, maxMs: 500 },
    });
    opened.push({ transport: t, worker });
    const spy = new HandlerSpy(worker);
    void worker.start();
    const other = await openStream(stream);
    opened.push({ transport: other });
    const publisher = other.publisher();
    await publisher.publish(
      Array.from({ length: 10 }, (_, i) => ({ id: `a-${i}`, name: "conf_resilient", data: i })),
    );
    await spy.waitFor({ name: "conf_resilient", outcome: "ack", count: 10 });
    expect(await killConnections(name)).toBeGreaterThanOrEqual(1);
    await publisher.publish(
      Array.from({ length: 10 }, (_, i) => ({ id: `b-${i}`, name: "conf_resilient", data: i })),
    );
    await spy.waitFor({ name: "conf_resilient", outcome: "ack", count: 20 }, 20_000);
    expect(handled.size).toBe(20);
    expect(worker.stats.receiveErrors).toBeGreaterThanOrEqual(1);
    expect(worker.state).toBe("running");
  });
});
