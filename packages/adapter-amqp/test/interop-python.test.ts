import { join } from "node:path";
import {
  type App,
  type Codec,
  createApp,
  isDecodeFailure,
  jsonCodec,
  PermanentError,
  RELAXED_MESSAGE_NAME,
  silentLogger,
} from "@mailroom/core";
import { HandlerSpy } from "@mailroom/core/testkit";
import { connect } from "amqplib";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type AmqpTransport, DEFAULT_DELAY_BUCKETS, delayName, listen } from "../src/index.ts";
import { AMQP_URL, sharedBrokerLock, testScope, transport, uniqueName } from "./helpers.ts";
import { PythonProcess, requirePythonModules, runPython } from "./python.ts";

// Real pika 1.x clients (Debian's python3-pika, installed by scripts/services.sh) talking to a
// Mailroom worker, publisher and RPC client on the broker the other tests use.

sharedBrokerLock({ beforeAll, afterAll });
// In beforeEach, so that without pika every test fails with the fix (a failing beforeAll would
// report them as skipped).
beforeEach(() => requirePythonModules(["pika"]));

/** Exchanges that delayed publishes went through: their delay exchanges and queues are removed too. */
const delayed: string[] = [];
const foreignQueues: string[] = [];
const scripts: PythonProcess[] = [];
// vitest runs afterAll hooks in reverse order of registration: the scripts are killed first, then
// the scope stops workers and deletes Mailroom's queues, then this removes the rest.
afterAll(async () => {
  const conn = await connect(AMQP_URL);
  const ch = await conn.createChannel();
  for (const q of foreignQueues) await ch.deleteQueue(q);
  for (const ex of delayed) {
    for (const b of DEFAULT_DELAY_BUCKETS) {
      await ch.deleteQueue(delayName(ex, b));
      await ch.deleteExchange(delayName(ex, b));
    }
  }
  await conn.close();
});
const scope = testScope(afterAll);
const { exchanges, stops } = scope;
afterAll(() => {
  for (const p of scripts) p.kill();
});

/** A script of test/python/. */
const py = (script: string) => join(import.meta.dirname, "python", script);
const TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

function start(script: string, args: string[]): PythonProcess {
  const p = new PythonProcess(py(script), ["--url", AMQP_URL, ...args]);
  scripts.push(p);
  return p;
}

/** Serve `app` from `queue` on `exchange`, bound by its handler names, as a consuming service does. */
async function serve(app: App, queue: string, exchange: string) {
  transport(queue); // registers the queue (and its retry / dead-letter queues) for cleanup
  exchanges.push(exchange);
  const { worker, transport: t } = await listen(app, AMQP_URL, {
    queue,
    exchange,
    logger: silentLogger,
    worker: { concurrency: 4, logger: silentLogger },
  });
  const spy = new HandlerSpy(worker);
  stops.push(async () => {
    await worker.stop();
    await t.close();
  });
  return { worker, spy, transport: t };
}

/** A Worker on `queue` without an exchange (the default exchange routes by queue name). */
async function work(app: App, t: AmqpTransport) {
  await t.connect();
  return scope.run(app, t);
}

function recorder() {
  const seen: Array<{ name: string; data: unknown; attempt: number }> = [];
  const app = createApp({ name: "interop", logger: silentLogger });
  const record = (data: unknown, ctx: { envelope: { name: string }; attempt: number }) => {
    seen.push({ name: ctx.envelope.name, data, attempt: ctx.attempt });
  };
  return { app, seen, record };
}

describe("pika producers → Mailroom worker", () => {
  it("handles what a pika service publishes with the name in content_type and the bare data as body", async () => {
    const { app, seen, record } = recorder();
    app.handle("user_signed_up", record);
    app.handle("score_updated", record);
    app.handle("note_added", record);
    const exchange = uniqueName("py-legacy-ex");
    const { spy } = await serve(app, uniqueName("py-legacy"), exchange);
    const sent = [
      { name: "user_signed_up", data: { id: 7, plan: "pro", tags: ["a", "b"] } },
      { name: "score_updated", data: 42 },
      { name: "score_updated", data: 3.5 },
      { name: "note_added", data: "plain string" },
      { name: "note_added", data: null },
    ];
    const out = await runPython(py("pika_publish.py"), [
      ...["--url", AMQP_URL, "--exchange", exchange, "--mode", "legacy"],
      ...["--messages", JSON.stringify(sent)],
    ]);
    expect(out).toHaveLength(sent.length);
    await spy.waitFor({ outcome: "ack", count: sent.length });
    expect(seen).toEqual(expect.arrayContaining(sent.map((s) => ({ ...s, attempt: 1 }))));
    expect(seen).toHaveLength(sent.length);
  });

  it("handles {name, data} JSON bodies with content_type application/json, via the exchange and straight to the queue", async () => {
    const { app, seen, record } = recorder();
    app.handle("order_created", record);
    app.handle("order_cancelled", record);
    const exchange = uniqueName("py-env-ex");
    const queue = uniqueName("py-env");
    const { spy } = await serve(app, queue, exchange);
    const viaExchange = [
      { name: "order_created", data: { id: "o-1", total: 12.5 } },
      { name: "order_cancelled", data: "o-0" },
    ];
    const toQueue = [{ name: "order_created", data: { id: "o-2", total: 1 } }];
    await runPython(py("pika_publish.py"), [
      ...["--url", AMQP_URL, "--exchange", exchange, "--mode", "envelope"],
      ...["--messages", JSON.stringify(viaExchange)],
    ]);
    await runPython(py("pika_publish.py"), [
      ...["--url", AMQP_URL, "--queue", queue, "--mode", "envelope"],
      ...["--messages", JSON.stringify(toQueue)],
    ]);
    await spy.waitFor({ outcome: "ack", count: 3 });
    expect(seen).toEqual(
      expect.arrayContaining([...viaExchange, ...toQueue].map((s) => ({ ...s, attempt: 1 }))),
    );
    expect(seen).toHaveLength(3);
  });
});

describe("many pika messages", () => {
  it("1,000 messages from a pika producer are each handled exactly once", async () => {
    const queue = uniqueName("py-many");
    const app = createApp({ name: "interop", logger: silentLogger });
    const counts = new Map<number, number>();
    app.handle("tick", (data) => {
      const n = data as number;
      counts.set(n, (counts.get(n) ?? 0) + 1);
    });
    const { spy } = await work(app, transport(queue, { prefetch: 64 }));
    const sent = Array.from({ length: 1_000 }, (_, i) => ({ name: "tick", data: i }));
    await runPython(py("pika_publish.py"), [
      ...["--url", AMQP_URL, "--queue", queue, "--mode", "legacy", "--messages", JSON.stringify(sent)],
    ]);
    await spy.waitFor({ name: "tick", outcome: "ack", count: 1_000 });
    expect(counts.size).toBe(1_000);
    expect([...counts.values()].every((c) => c === 1)).toBe(true);
  });
});

describe("Mailroom publishers → pika consumer", () => {
  it("a pika consumer reads type, message_id, correlation_id, headers (traceparent) and the {name, data} body of publishes and ctx.forward", async () => {
    const exchange = uniqueName("py-out-ex");
    const pyQueue = uniqueName("py-out-consumer");
    foreignQueues.push(pyQueue);
    const consumer = start("pika_consume.py", [
      ...["--queue", pyQueue, "--exchange", exchange, "--count", "2"],
      ...["--bind", "order_shipped", "--bind", "invoice_requested"],
    ]);
    await consumer.waitForLine((l) => l.ready === true);

    const app = createApp({ name: "orders", logger: silentLogger });
    app.handle("order_created", async (data, ctx) => {
      const order = data as { id: string; total: number };
      await ctx.forward("invoice_requested", { orderId: order.id, amount: order.total });
    });
    const { spy, transport: t } = await serve(app, uniqueName("py-out"), exchange);
    await t.publisher().publish([
      {
        id: "mr-shipped-1",
        name: "order_shipped",
        data: { id: "o-9", carrier: "dhl" },
        correlationId: "corr-shipped",
        headers: { traceparent: TRACEPARENT, tenant: "acme" },
      },
      {
        id: "mr-created-1",
        name: "order_created",
        data: { id: "o-10", total: 99 },
        correlationId: "corr-created",
        headers: { traceparent: TRACEPARENT },
      },
    ]);
    await spy.waitFor({ id: "mr-created-1", outcome: "ack" });
    const lines = (await consumer.done()).filter((l) => l.ready === undefined);
    const byType = Object.fromEntries(lines.map((l) => [l.type as string, l]));
    expect(byType.order_shipped).toMatchObject({
      exchange,
      routing_key: "order_shipped",
      message_id: "mr-shipped-1",
      correlation_id: "corr-shipped",
      content_type: "application/json",
      delivery_mode: 2,
      headers: { traceparent: TRACEPARENT, tenant: "acme" },
      body: { name: "order_shipped", data: { id: "o-9", carrier: "dhl" } },
    });
    expect(byType.invoice_requested).toMatchObject({
      exchange,
      routing_key: "invoice_requested",
      correlation_id: "corr-created",
      content_type: "application/json",
      delivery_mode: 2,
      headers: { traceparent: TRACEPARENT, "mailroom-parent-id": "mr-created-1" },
      body: { name: "invoice_requested", data: { orderId: "o-10", amount: 99 } },
    });
    expect(byType.invoice_requested?.message_id).toEqual(expect.any(String));
    expect(byType.invoice_requested?.message_id).not.toBe("mr-created-1");
  });
});

/**
 * Publishes as the pika services do — body = JSON of the data, the name in content_type — so
 * their consumers (dispatch on `properties.content_type`, `json.loads(body)`) read Mailroom's
 * messages unchanged. Decoding: the property names the message and the whole body is the data.
 */
function pikaStyleCodec(): Codec {
  const json = jsonCodec();
  return {
    name: "pika-style",
    encode(input) {
      const wire = json.encode(input);
      return { ...wire, body: Buffer.from(JSON.stringify(input.data)), contentType: input.name };
    },
    decode(body, meta) {
      const out = json.decode(body, meta);
      if ("failed" in out || !meta.name || out.name === meta.name) return out;
      // The body looked like { name, data } by chance: in this format it is the data.
      return { ...out, name: meta.name, data: JSON.parse(Buffer.from(body).toString("utf8")) };
    },
  };
}

describe("Mailroom publishing in the pika services' own format", () => {
  it("with a codec, a pika consumer dispatching on content_type reads json.loads(body) as the data; Mailroom handlers still read it", async () => {
    const exchange = uniqueName("py-style-ex");
    const pyQueue = uniqueName("py-style-consumer");
    foreignQueues.push(pyQueue);
    const consumer = start("pika_consume.py", [
      ...["--queue", pyQueue, "--exchange", exchange, "--bind", "invoice_requested", "--count", "2"],
    ]);
    await consumer.waitForLine((l) => l.ready === true);
    const app = createApp({ name: "orders", logger: silentLogger });
    const seen: Array<{ name: string; data: unknown }> = [];
    app.handle("order_created", async (data, ctx) => {
      seen.push({ name: ctx.envelope.name, data });
      const order = data as { id: string; total: number };
      await ctx.forward("invoice_requested", { orderId: order.id, amount: order.total });
    });
    const queue = uniqueName("py-style");
    transport(queue); // registers the queue (and its retry / dead-letter queues) for cleanup
    exchanges.push(exchange);
    const { worker, transport: t } = await listen(app, AMQP_URL, {
      queue,
      exchange,
      codec: pikaStyleCodec(),
      logger: silentLogger,
      worker: { logger: silentLogger },
    });
    const spy = new HandlerSpy(worker);
    stops.push(async () => {
      await worker.stop();
      await t.close();
    });
    // Looks like { name, data } by chance; in this format it is the data all the same.
    const lookalike = { name: "n", data: "d" };
    await t.publisher().publish([
      { id: "style-1", name: "order_created", data: { id: "o-3", total: 30 } },
      { name: "invoice_requested", data: lookalike },
    ]);
    await spy.waitFor({ id: "style-1", outcome: "ack" });
    expect(seen).toEqual([{ name: "order_created", data: { id: "o-3", total: 30 } }]);
    const lines = (await consumer.done()).filter((l) => l.ready === undefined);
    for (const l of lines) expect(l).toMatchObject({ content_type: "invoice_requested", delivery_mode: 2 });
    expect(lines.map((l) => l.body)).toEqual(
      expect.arrayContaining([{ orderId: "o-3", amount: 30 }, lookalike]),
    );
  });
});

describe("a conversation pika → Mailroom → pika", () => {
  it("keeps the producer's message_id as the id, and its correlation_id and traceparent on the follow-up", async () => {
    const exchange = uniqueName("py-conv-ex");
    const pyQueue = uniqueName("py-conv-consumer");
    foreignQueues.push(pyQueue);
    const consumer = start("pika_consume.py", [
      ...["--queue", pyQueue, "--exchange", exchange, "--bind", "invoice_requested", "--count", "1"],
    ]);
    await consumer.waitForLine((l) => l.ready === true);
    const app = createApp({ name: "orders", logger: silentLogger });
    const seen: Array<{ id: string; correlationId: string | undefined; traceparent: string | undefined }> =
      [];
    app.handle("order_created", async (data, ctx) => {
      const e = ctx.envelope;
      seen.push({ id: e.id, correlationId: e.correlationId, traceparent: e.headers.traceparent });
      await ctx.forward("invoice_requested", { orderId: (data as { id: string }).id });
    });
    const { spy } = await serve(app, uniqueName("py-conv"), exchange);
    await runPython(py("pika_publish.py"), [
      ...["--url", AMQP_URL, "--exchange", exchange, "--mode", "legacy"],
      ...[
        "--messages",
        JSON.stringify([
          {
            name: "order_created",
            data: { id: "o-77" },
            message_id: "py-msg-1",
            correlation_id: "py-conv-1",
            headers: { traceparent: TRACEPARENT },
          },
        ]),
      ],
    ]);
    await spy.waitFor({ id: "py-msg-1", outcome: "ack" });
    expect(seen).toEqual([{ id: "py-msg-1", correlationId: "py-conv-1", traceparent: TRACEPARENT }]);
    const [followUp] = (await consumer.done()).filter((l) => l.ready === undefined);
    expect(followUp).toMatchObject({
      type: "invoice_requested",
      correlation_id: "py-conv-1",
      headers: { traceparent: TRACEPARENT, "mailroom-parent-id": "py-msg-1" },
      body: { name: "invoice_requested", data: { orderId: "o-77" } },
    });
    // AMQP timestamps are seconds.
    expect(Math.abs(Number(followUp?.timestamp) - Date.now() / 1000)).toBeLessThan(60);
  });
});

describe("delayed publishes read by pika", () => {
  it("a pika consumer gets a delayed publish after its delay; between buckets, early with a not-before header", async () => {
    const exchange = uniqueName("py-delay-ex");
    const pyQueue = uniqueName("py-delay-consumer");
    foreignQueues.push(pyQueue);
    const consumer = start("pika_consume.py", [
      ...["--queue", pyQueue, "--exchange", exchange, "--bind", "reminder_due", "--count", "3"],
    ]);
    await consumer.waitForLine((l) => l.ready === true);
    exchanges.push(exchange);
    delayed.push(exchange);
    const t = transport(uniqueName("py-delay"), { exchange, bindings: ["unused_here"] });
    stops.push(() => t.close());
    const sentAt = Date.now();
    await t.publisher().publish([{ id: "now", name: "reminder_due", data: 0 }]);
    await t.publisher().publish([{ id: "in-1000", name: "reminder_due", data: 1 }], { delayMs: 1_000 });
    await t.publisher().publish([{ id: "in-1200", name: "reminder_due", data: 2 }], { delayMs: 1_200 });
    const lines = (await consumer.done()).filter((l) => l.ready === undefined);
    const byId = Object.fromEntries(lines.map((l) => [l.message_id as string, l]));
    expect(lines.map((l) => l.message_id)).toEqual(["now", "in-1000", "in-1200"]);
    for (const l of lines) expect(l).toMatchObject({ routing_key: "reminder_due", type: "reminder_due" });
    expect(Number(byId["in-1000"]?.received_at)).toBeGreaterThanOrEqual(sentAt + 1_000);
    // 1,200 ms is no bucket: the message leaves the 1,000 ms bucket carrying `not-before`, which a
    // Mailroom worker honours by re-delaying; a foreign consumer gets it then and must read the header.
    expect(Number(byId["in-1200"]?.received_at)).toBeGreaterThanOrEqual(sentAt + 1_000);
    const notBefore = ((byId["in-1200"]?.headers ?? {}) as Record<string, string>)["not-before"];
    expect(Date.parse(String(notBefore))).toBeGreaterThanOrEqual(sentAt + 1_200);
  });
});

describe("retries and dead letters of pika messages", () => {
  it("a retried pika message keeps its content_type name and bare body; one dead-lettered reaches pika as it was sent", async () => {
    const queue = uniqueName("py-retry");
    const app = createApp({ name: "payments", logger: silentLogger });
    const runs: Array<{ data: unknown; attempt: number; name: string }> = [];
    app.handle("charge_card", (data, ctx) => {
      runs.push({ data, attempt: ctx.attempt, name: ctx.envelope.name });
      const { card } = data as { card: string };
      if (card === "blocked") throw new PermanentError(`card ${card} is blocked`);
      if (ctx.attempt === 1) ctx.retry({ delayMs: 100 });
    });
    const { spy } = await work(app, transport(queue));
    await runPython(py("pika_publish.py"), [
      ...["--url", AMQP_URL, "--queue", queue, "--mode", "legacy"],
      ...[
        "--messages",
        JSON.stringify([
          { name: "charge_card", data: { card: "flaky" } },
          { name: "charge_card", data: { card: "blocked" } },
        ]),
      ],
    ]);
    await spy.waitFor({ name: "charge_card", outcome: "ack" });
    await spy.waitFor({ name: "charge_card", outcome: "deadLetter" });
    expect(runs.filter((r) => (r.data as { card: string }).card === "flaky")).toEqual([
      { data: { card: "flaky" }, attempt: 1, name: "charge_card" },
      { data: { card: "flaky" }, attempt: 2, name: "charge_card" },
    ]);

    const [dead] = (
      await runPython(py("pika_consume.py"), [
        ...["--url", AMQP_URL, "--queue", `${queue}.dlq`, "--passive", "--count", "1"],
      ])
    ).filter((l) => l.ready === undefined);
    expect(dead).toMatchObject({
      content_type: "charge_card",
      delivery_mode: 2,
      body: { card: "blocked" },
      headers: {
        "mailroom-dead-letter-reason": "permanent_error: card blocked is blocked",
        "mailroom-original-queue": queue,
      },
    });
  });
});

describe("redriving pika messages", () => {
  it("a dead-lettered pika message, redriven, is handled again from its content_type name at attempt 1", async () => {
    const queue = uniqueName("py-redrive");
    const app = createApp({ name: "payments", logger: silentLogger });
    let fixed = false;
    const runs: Array<{ data: unknown; attempt: number }> = [];
    app.handle("charge_card", (data, ctx) => {
      runs.push({ data, attempt: ctx.attempt });
      if (!fixed) throw new PermanentError("gateway misconfigured");
    });
    const t = transport(queue);
    const { spy } = await work(app, t);
    await runPython(py("pika_publish.py"), [
      ...["--url", AMQP_URL, "--queue", queue, "--mode", "legacy"],
      ...["--messages", JSON.stringify([{ name: "charge_card", data: -7, typed_headers: true }])],
    ]);
    await spy.waitFor({ name: "charge_card", outcome: "deadLetter" });
    fixed = true;
    expect(await t.admin().redrive()).toBe(1);
    await spy.waitFor({ name: "charge_card", outcome: "ack" });
    expect(runs).toEqual([
      { data: -7, attempt: 1 },
      { data: -7, attempt: 1 },
    ]);
  });
});

describe("RPC between pika and Mailroom", () => {
  it("a pika RPC client with its own callback queue gets each handler's return value with its correlation_id", async () => {
    const queue = uniqueName("py-rpc-server");
    const app = createApp({ name: "pricing", logger: silentLogger });
    app.handle("quote_price", (data) => {
      const { sku, qty } = data as { sku: string; qty: number };
      return { sku, total: qty * 2.5 };
    });
    await work(app, transport(queue));
    const requests = [
      { sku: "A", qty: 2 },
      { sku: "B", qty: 3 },
      { sku: "C", qty: 0 },
    ];
    const replies = await runPython(py("pika_rpc_client.py"), [
      ...["--url", AMQP_URL, "--queue", queue, "--name", "quote_price"],
      ...["--requests", JSON.stringify(requests)],
    ]);
    expect(replies).toHaveLength(3);
    for (const r of replies) {
      expect(r.sent_correlation_id).toBe(r.correlation_id);
      const { sku, qty } = r.data as { sku: string; qty: number };
      expect(r.body).toEqual({ sku, total: qty * 2.5 });
    }
    expect(replies.map((r) => (r.data as { sku: string }).sku).sort()).toEqual(["A", "B", "C"]);
  });

  it("a Mailroom RPC client calls a pika RPC server that replies to reply_to with the correlation_id", async () => {
    const pyQueue = uniqueName("py-rpc-pika");
    foreignQueues.push(pyQueue);
    const server = start("pika_rpc_server.py", ["--queue", pyQueue, "--count", "2"]);
    await server.waitForLine((l) => l.ready === true);
    const client = transport(uniqueName("py-rpc-caller"));
    stops.push(() => client.close());
    const rpc = client.rpcClient();
    const [a, b] = await Promise.all([
      rpc.request("quote_price", { sku: "Z1" }, { to: pyQueue, timeout: 10_000 }),
      rpc.request("quote_price", { sku: "Z2" }, { to: pyQueue, timeout: 10_000 }),
    ]);
    expect(a).toEqual({ echo: { name: "quote_price", data: { sku: "Z1" } }, type: "quote_price" });
    expect(b).toEqual({ echo: { name: "quote_price", data: { sku: "Z2" } }, type: "quote_price" });
    const requests = (await server.done()).filter((l) => l.request).map((l) => l.request);
    expect(requests).toHaveLength(2);
    for (const r of requests as Array<Record<string, unknown>>) {
      expect(r.reply_to).toMatch(/^amq\.rabbitmq\.reply-to/);
      expect(r.correlation_id).toEqual(expect.any(String));
      expect(r.content_type).toBe("application/json");
    }
  });
});

describe("pika headers of every AMQP type", () => {
  it("reach the handler as strings, and survive a retry and the dead-letter queue as pika wrote them", async () => {
    const queue = uniqueName("py-typed");
    const app = createApp({ name: "payments", logger: silentLogger });
    const runs: Array<{ attempt: number; headers: Record<string, string> }> = [];
    app.handle("charge_card", (_data, ctx) => {
      runs.push({ attempt: ctx.attempt, headers: { ...ctx.envelope.headers } });
      if (ctx.attempt === 1) ctx.retry({ delayMs: 100 });
      throw new PermanentError("card declined");
    });
    const { spy } = await work(app, transport(queue));
    await runPython(py("pika_publish.py"), [
      ...["--url", AMQP_URL, "--queue", queue, "--mode", "legacy"],
      ...[
        "--messages",
        JSON.stringify([{ name: "charge_card", data: { card: "c-1" }, typed_headers: true }]),
      ],
    ]);
    await spy.waitFor({ name: "charge_card", outcome: "deadLetter" });
    expect(runs.map((r) => r.attempt)).toEqual([1, 2]);
    for (const r of runs) {
      expect(r.headers).toMatchObject({
        retry_count: "3",
        big: String(2 ** 40),
        negative: "-7",
        flag: "true",
      });
    }
    const [dead] = (
      await runPython(py("pika_consume.py"), [
        ...["--url", AMQP_URL, "--queue", `${queue}.dlq`, "--passive", "--count", "1"],
      ])
    ).filter((l) => l.ready === undefined);
    expect(dead?.headers).toMatchObject({
      retry_count: 3,
      big: 2 ** 40,
      negative: -7,
      flag: true,
      price: "12.34",
      sent_at: "2024-05-01T12:30:00",
      meta: { source: "billing", version: 2, tags: ["a", "b"] },
      hops: ["svc-a", "svc-b"],
      nothing: null,
      raw: { base64: "AP8=" },
      "mailroom-dead-letter-reason": "permanent_error: card declined",
    });
  });
});

describe("names producers send", () => {
  it("a handler's aliases take pika's order.created and OrderCreated; a relaxed app registers Order.Paid itself", async () => {
    const queue = uniqueName("py-aliases");
    const app = createApp({
      name: "interop",
      logger: silentLogger,
      names: { pattern: RELAXED_MESSAGE_NAME },
    });
    const seen: Array<{ name: string; data: unknown }> = [];
    app.handle("order_created", { aliases: ["order.created", "OrderCreated"] }, (data, ctx) => {
      seen.push({ name: ctx.envelope.name, data });
    });
    app.handle("Order.Paid", (data, ctx) => {
      seen.push({ name: ctx.envelope.name, data });
    });
    const { spy } = await work(app, transport(queue));
    await runPython(py("pika_publish.py"), [
      ...["--url", AMQP_URL, "--queue", queue, "--mode", "legacy"],
      ...[
        "--messages",
        JSON.stringify([
          { name: "order.created", data: { id: 1 } },
          { name: "OrderCreated", data: { id: 2 } },
          { name: "Order.Paid", data: { id: 3 } },
        ]),
      ],
    ]);
    await spy.waitFor({ outcome: "ack", count: 3 });
    expect(seen.sort((a, b) => a.name.localeCompare(b.name))).toEqual(
      [
        { name: "Order.Paid", data: { id: 3 } },
        { name: "order.created", data: { id: 1 } },
        { name: "OrderCreated", data: { id: 2 } },
      ].sort((a, b) => a.name.localeCompare(b.name)),
    );
  });

  it("a pika message named order.created or OrderCreated, with no alias for it, is dead-lettered as unknown, not lost", async () => {
    const queue = uniqueName("py-names");
    const app = createApp({ name: "interop", logger: silentLogger });
    app.handle("order_created", () => {});
    // By default handler names are lowercase, digits and underscores (aliases take the others).
    expect(() => app.handle("order.created", () => {})).toThrow(/invalid message name/);
    const { spy } = await work(app, transport(queue));
    await runPython(py("pika_publish.py"), [
      ...["--url", AMQP_URL, "--queue", queue, "--mode", "legacy"],
      ...[
        "--messages",
        JSON.stringify([
          { name: "order.created", data: { id: 1 } },
          { name: "OrderCreated", data: { id: 2 } },
        ]),
      ],
    ]);
    const dead = await spy.waitFor({ outcome: "deadLetter", count: 2 });
    expect(dead.map((r) => (r.outcome as { reason: string }).reason).sort()).toEqual([
      "unknown_message_name: OrderCreated",
      "unknown_message_name: order.created",
    ]);
    const lines = (
      await runPython(py("pika_consume.py"), [
        ...["--url", AMQP_URL, "--queue", `${queue}.dlq`, "--passive", "--count", "2"],
      ])
    ).filter((l) => l.ready === undefined);
    expect(lines.map((l) => l.content_type).sort()).toEqual(["OrderCreated", "order.created"]);
  });
});

describe("poison messages from pika", () => {
  it("invalid JSON with content_type application/json is dead-lettered with its reason, readable by pika; the worker keeps running", async () => {
    const queue = uniqueName("py-poison");
    const app = createApp({ name: "interop", logger: silentLogger });
    const handled: unknown[] = [];
    app.handle("ping", (data) => {
      handled.push(data);
    });
    const { spy, worker } = await work(app, transport(queue));
    await runPython(py("pika_publish.py"), [
      ...["--url", AMQP_URL, "--queue", queue, "--mode", "raw"],
      ...[
        "--messages",
        JSON.stringify([{ body: '{"name": "ping", "data": ', content_type: "application/json" }]),
      ],
    ]);
    const [poison] = await spy.waitFor({ outcome: "deadLetter" });
    expect(poison && isDecodeFailure(poison.envelope)).toBe(true);
    await runPython(py("pika_publish.py"), [
      ...["--url", AMQP_URL, "--queue", queue, "--mode", "legacy"],
      ...["--messages", JSON.stringify([{ name: "ping", data: { after: "poison" } }])],
    ]);
    await spy.waitFor({ name: "ping", outcome: "ack" });
    expect(handled).toEqual([{ after: "poison" }]);
    expect(worker.state).toBe("running");

    const [dead] = await runPython(py("pika_consume.py"), [
      ...["--url", AMQP_URL, "--queue", `${queue}.dlq`, "--passive", "--count", "1"],
    ]).then((lines) => lines.filter((l) => l.ready === undefined));
    expect(dead).toMatchObject({
      body_text: '{"name": "ping", "data": ',
      content_type: "application/json",
      delivery_mode: 2,
      headers: { "mailroom-original-queue": queue },
    });
    const headers = dead?.headers as Record<string, unknown>;
    expect(headers["mailroom-dead-letter-reason"]).toMatch(/^decode_failed: /);
    expect(String(headers["mailroom-attempt"])).toBe("1");
    expect(Date.parse(String(headers["mailroom-dead-lettered-at"]))).not.toBeNaN();
  });
});
