// `mailroom bridge` between the local SQLite queue and a real RabbitMQ (scripts/services.sh),
// both ways: ids, lineage, headers and data arrive as sent; what cannot move stays recoverable.
import { createApp, silentLogger, sqliteTransport, uuidv7, Worker } from "@mailroom/core";
import { HandlerSpy } from "@mailroom/core/testkit";
import { SqliteStore } from "@mailroom/core/transport";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  AMQP_URL,
  transport as amqpTransport,
  sharedBrokerLock,
  uniqueName,
} from "../../adapter-amqp/test/helpers.ts";
import { buildCli, cli, workdir } from "./helpers.ts";

beforeAll(buildCli, 120_000);
sharedBrokerLock({ beforeAll, afterAll });

const traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

describe("mailroom bridge", () => {
  it("moves every message from SQLite to RabbitMQ keeping id, name, data, lineage and headers; an undecodable body stays on the source's dead-letter queue", async () => {
    const { dir, db, queue: from } = workdir();
    const sent = Array.from({ length: 12 }, (_, i) => ({
      id: uuidv7(),
      name: i % 2 ? "order.created" : "invoice_requested",
      data: { i, text: "<ü&>" },
      parentId: `parent-${i}`,
      correlationId: "conversation-1",
      headers: { traceparent, "x-tenant": "acme" },
    }));
    const local = sqliteTransport(db);
    await local.publisher().publish(sent);
    await local.close();
    const store = new SqliteStore(db);
    store.enqueue("default", [
      { body: new TextEncoder().encode("{not json"), meta: { headers: {} }, visibleAt: Date.now() },
    ]);
    store.close();
    const amqpQueue = uniqueName("bridge-to");
    const to = `${AMQP_URL}?queue=${amqpQueue}`;
    const r = await cli(["bridge", "--from", from, "--to", to, "--until-empty", "--json"], {
      cwd: dir,
      fromSources: true,
    });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout.trim())).toMatchObject({ type: "summary", moved: 12, deadLettered: 1 });
    expect(r.stderr).not.toContain("guest:guest");

    const target = amqpTransport(amqpQueue);
    const app = createApp({ name: "check", logger: silentLogger });
    const seen = new Map<string, unknown>();
    app.handleUnknown({}, (_d, ctx) => {
      seen.set(ctx.envelope.id, ctx.envelope);
    });
    const worker = new Worker(app, target.source(), { logger: silentLogger });
    const spy = new HandlerSpy(worker);
    void worker.start();
    await spy.waitFor({ outcome: "ack", count: 12 });
    await worker.stop();
    await target.close();
    for (const m of sent) {
      expect(seen.get(m.id)).toMatchObject({
        id: m.id,
        name: m.name,
        data: m.data,
        parentId: m.parentId,
        correlationId: "conversation-1",
        headers: { traceparent, "x-tenant": "acme" },
        attempt: 1,
      });
    }
    const dlq = await cli(["dlq", "list", "--transport", from, "--json"], { cwd: dir });
    expect(dlq.stdout).toMatch(/decode_failed: body is not JSON/);
  }, 60_000);

  it("--names moves only those names; the others wait in the source's dead-letter queue; RabbitMQ → SQLite", async () => {
    const { dir, queue: to, db } = workdir();
    const amqpQueue = uniqueName("bridge-from");
    const source = amqpTransport(amqpQueue);
    await source.publisher().publish([
      { id: uuidv7(), name: "keep_me", data: 1 },
      { id: uuidv7(), name: "not_me", data: 2 },
      { id: uuidv7(), name: "keep_me", data: 3 },
    ]);
    await source.close();
    const from = `${AMQP_URL}?queue=${amqpQueue}`;
    const r = await cli(["bridge", "--from", from, "--to", to, "--names", "keep_me", "--until-empty"], {
      cwd: dir,
      fromSources: true,
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^moved 2 messages in .*; 1 dead-lettered on the source/);
    const local = sqliteTransport(db);
    const depth = await local.source().depth!();
    await local.close();
    expect(depth.ready).toBe(2);
    const dlq = await cli(["dlq", "list", "--transport", from, "--json"], { cwd: dir, fromSources: true });
    expect(dlq.stdout).toMatch(/unknown_message_name: not_me/);
  }, 60_000);
});
