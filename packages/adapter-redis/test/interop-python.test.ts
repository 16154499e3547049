import { join } from "node:path";
import { createApp, type Envelope, silentLogger, Worker } from "@mailroom/core";
import { HandlerSpy } from "@mailroom/core/testkit";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
// The Python runner is shared with the AMQP and SQS interop tests.
import { requirePythonModules, runPython } from "../../adapter-amqp/test/python.ts";
import type { RedisTransport } from "../src/index.ts";
import { deleteKeys, openStream, plainClient, REDIS_URL, streamPrefix } from "./helpers.ts";

// Real redis-py (Debian's python3-redis, installed by scripts/services.sh) against the same Redis.

const prefix = streamPrefix("py");
const client = plainClient();
const py = (script: string) => join(import.meta.dirname, "python", script);
const opened: Array<{ transport: RedisTransport; worker?: Worker }> = [];

// In beforeEach, so that without redis-py every test fails with the fix instead of being skipped.
beforeEach(() => requirePythonModules(["redis"]));
afterAll(async () => {
  for (const o of opened.reverse()) {
    await o.worker?.stop();
    await o.transport.close();
  }
  await deleteKeys(client, prefix);
  client.disconnect();
});

function start(app: ReturnType<typeof createApp>, transport: RedisTransport): HandlerSpy {
  const worker = new Worker(app, transport.source(), {
    publisher: transport.publisher(),
    logger: silentLogger,
  });
  opened.push({ transport, worker });
  const spy = new HandlerSpy(worker);
  void worker.start();
  return spy;
}

describe("interop with redis-py", () => {
  it("redis-py's XADD entries — name + data fields, and a JSON body — run the handler with their data, the entry's id and time, and the other fields as headers", async () => {
    const stream = `${prefix}in`;
    const lines = await runPython(py("redis_publish.py"), [REDIS_URL, stream]);
    const entries = new Map(lines.map((l) => [String(l.form), String(l.entry)]));
    const transport = await openStream(stream);
    opened.push({ transport });
    const app = createApp({ name: "py-in", logger: silentLogger });
    const seen = new Map<string, Envelope>();
    app.handle("order_created", (_data, ctx) => {
      seen.set(ctx.envelope.id, ctx.envelope);
    });
    const spy = start(app, transport);
    await spy.waitFor({ name: "order_created", outcome: "ack", count: 2 });
    const fields = seen.get(entries.get("name+data")!)!;
    expect(fields.data).toEqual({ id: "o-1", total: 12.5 });
    expect(fields.publishedAt.getTime()).toBe(Number(entries.get("name+data")!.split("-")[0]));
    expect(fields.attempt).toBe(1);
    const body = seen.get(entries.get("body")!)!;
    expect(body.data).toEqual({ id: "o-2", total: 3 });
    expect(body.headers).toMatchObject({
      traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
      source: "billing",
    });
  });

  it("what Mailroom publishes reads in redis-py: the name and data in the JSON body, the id, lineage, headers and FIFO group as fields", async () => {
    const stream = `${prefix}out`;
    const transport = await openStream(stream);
    opened.push({ transport });
    await transport.publisher().publish([
      { id: "mr-1", name: "invoice_requested", data: { orderId: "o-1", amount: 10 }, correlationId: "c-1" },
      { id: "mr-2", name: "invoice_requested", data: 42, headers: { "x-tenant": "t-9" }, groupId: "o-1" },
    ]);
    const lines = await runPython(py("redis_consume.py"), [REDIS_URL, stream, "2"]);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({
      name: "invoice_requested",
      data: { orderId: "o-1", amount: 10 },
      fields: {
        "mailroom-id": "mr-1",
        "mailroom-name": "invoice_requested",
        "mailroom-correlation-id": "c-1",
      },
    });
    expect(
      new Date(String((lines[0]!.fields as Record<string, string>)["mailroom-published-at"])).getTime(),
    ).not.toBeNaN();
    expect(lines[1]).toMatchObject({
      data: 42,
      fields: { "mailroom-id": "mr-2", "x-tenant": "t-9", "mailroom-group-id": "o-1" },
    });
  });

  it("a redis-py client's request is answered with the Mailroom handler's return value, on its own reply stream, by correlation id", async () => {
    const stream = `${prefix}rpc`;
    const transport = await openStream(stream);
    opened.push({ transport });
    const app = createApp({ name: "py-rpc", logger: silentLogger });
    app.handle("quote_price", (data) => ({ sku: (data as { sku: string }).sku, price: 9.5 }));
    start(app, transport);
    const [reply] = await runPython(py("redis_request.py"), [
      REDIS_URL,
      stream,
      "quote_price",
      '{"sku":"A1"}',
    ]);
    expect(reply).toMatchObject({ name: "quote_price_reply", data: { sku: "A1", price: 9.5 } });
    expect(reply!.correlationId).toMatch(/^[0-9a-f]{32}$/);
  });
});
