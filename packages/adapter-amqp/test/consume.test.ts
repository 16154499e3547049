import { createApp, silentLogger } from "@mailroom/core";
import { HandlerSpy } from "@mailroom/core/testkit";
import { connect } from "amqplib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AmqpTransport, listen, TopologyError } from "../src/index.ts";
import {
  AMQP_URL,
  recordingLogger,
  sendRaw,
  sharedBrokerLock,
  testScope,
  transport,
  uniqueName,
  until,
} from "./helpers.ts";

sharedBrokerLock({ beforeAll, afterAll });
const scope = testScope(afterAll);
const { exchanges, stops, run } = scope;

describe("consuming from RabbitMQ", () => {
  it("handles a message published as pika services do: body = JSON of data, content_type = the name", async () => {
    const queue = uniqueName("pika");
    const t = await transport(queue).connect();
    const app = createApp({ name: "t", logger: silentLogger });
    const seen: unknown[] = [];
    app.handle("user_signed_up", (data, ctx) => {
      seen.push({ data, name: ctx.envelope.name, attempt: ctx.attempt });
    });
    // Exactly what `channel.basic_publish(exchange="", routing_key=queue, body=json.dumps(data),
    // properties=pika.BasicProperties(content_type=method))` puts on the wire.
    await sendRaw(queue, JSON.stringify({ name: "Ada", plan: "pro" }), { contentType: "user_signed_up" });
    await sendRaw(queue, JSON.stringify(42), { contentType: "user_signed_up" });
    await sendRaw(queue, JSON.stringify("plain string"), { contentType: "user_signed_up", deliveryMode: 2 });
    const { spy } = run(app, t);
    await spy.waitFor({ name: "user_signed_up", outcome: "ack", count: 3 });
    expect(seen).toEqual(
      expect.arrayContaining([
        { data: { name: "Ada", plan: "pro" }, name: "user_signed_up", attempt: 1 },
        { data: 42, name: "user_signed_up", attempt: 1 },
        { data: "plain string", name: "user_signed_up", attempt: 1 },
      ]),
    );
  });

  it("a source started lazily by its first receive opens exactly one consumer", async () => {
    const queue = uniqueName("lazy");
    const t = transport(queue);
    const app = createApp({ name: "t", logger: silentLogger });
    app.handle("lazy_one", () => {});
    const source = t.source();
    const open = source.connected.bind(source);
    let opens = 0;
    source.connected = (model) => {
      opens++;
      return open(model);
    };
    // Two receive loops race the first connection, as the Worker's do.
    const { spy } = run(app, t, { concurrency: 16, batchSize: 4 }, source);
    await t.publisher().publish([{ id: "lazy-1", name: "lazy_one", data: 1 }]);
    await spy.waitFor({ id: "lazy-1", outcome: "ack" });
    const conn = await connect(AMQP_URL);
    const ch = await conn.createChannel();
    expect((await ch.checkQueue(queue)).consumerCount).toBe(1);
    await conn.close();
    expect(opens).toBe(1);
    await t.publisher().publish([{ id: "lazy-2", name: "lazy_one", data: 2 }]);
    await spy.waitFor({ id: "lazy-2", outcome: "ack" });
  });

  it("a handler running past half of consumerTimeoutMs is logged as at risk, naming the message and how long it ran", async () => {
    const queue = uniqueName("long");
    const logger = recordingLogger();
    const t = await transport(queue, { consumerTimeoutMs: 600, logger }).connect();
    const app = createApp({ name: "t", logger: silentLogger });
    const atRisk = logger.next((l) => l.level === "warn" && /consumer_timeout/.test(l.msg ?? ""));
    app.handle("slow_job", async () => {
      // The handler ends only once the warning is out: the Worker's heartbeat (extend, at half of
      // the source's visibilityTimeoutMs) is what must produce it.
      await atRisk;
    });
    const { spy } = run(app, t);
    await t.publisher().publish([{ id: "long-1", name: "slow_job", data: {} }]);
    await spy.waitFor({ id: "long-1", outcome: "ack" }, 10_000);
    const warning = await atRisk;
    expect(warning.obj).toMatchObject({ queue, messageId: "long-1", consumerTimeoutMs: 600 });
    expect((warning.obj as { runningMs: number }).runningMs).toBeGreaterThan(300);
  });

  it("reads the name from the type property, and a configured order can rank a property above the body", async () => {
    const queue = uniqueName("order");
    const t = await transport(queue, { nameFrom: ["type", "body"] }).connect();
    const app = createApp({ name: "t", logger: silentLogger });
    const seen: unknown[] = [];
    app.handle("wrapped", (data) => {
      seen.push(data);
    });
    await sendRaw(queue, JSON.stringify({ name: "inner", data: 1 }), { type: "wrapped" });
    const { spy } = run(app, t);
    await spy.waitFor({ name: "wrapped", outcome: "ack" });
    expect(seen).toEqual([{ name: "inner", data: 1 }]);
  });

  it("listen() declares exchange, bindings by handler name, retry and dead-letter queues in one call", async () => {
    const queue = uniqueName("listen");
    const exchange = uniqueName("events");
    exchanges.push(exchange, `${exchange}.dead`);
    const app = createApp({ name: "t", logger: silentLogger });
    const seen: string[] = [];
    app.handle("order_created", (_d, ctx) => {
      seen.push(ctx.envelope.name);
    });
    transport(queue); // registers the queue for cleanup
    const { worker, transport: t } = await listen(app, `${AMQP_URL}?queue=${queue}&exchange=${exchange}`, {
      deadLetterExchange: `${exchange}.dead`,
      logger: silentLogger,
      worker: { logger: silentLogger },
    });
    const spy = new HandlerSpy(worker);
    stops.push(async () => {
      await worker.stop();
      await t.close();
    });
    const conn = await connect(AMQP_URL);
    const ch = await conn.createChannel();
    expect((await ch.checkQueue(`${queue}.retry.5000`)).messageCount).toBe(0);
    expect((await ch.checkQueue(`${queue}.dlq`)).messageCount).toBe(0);
    await conn.close();
    await t.publisher().publish([{ name: "order_created", data: { id: 1 } }]);
    await spy.waitFor({ name: "order_created", outcome: "ack" });
    // An unbound name is unroutable: with `mandatory` the publish fails instead of vanishing.
    await expect(t.publisher().publish([{ name: "nobody_listens", data: {} }])).rejects.toThrow(
      /could not route/,
    );
    expect(seen).toEqual(["order_created"]);
  });

  it("ctx.forward sends to another exchange:routingKey keeping lineage (parentId, correlationId)", async () => {
    const queue = uniqueName("fwd-src");
    const target = uniqueName("fwd-dst");
    const exchange = uniqueName("fwd-ex");
    exchanges.push(exchange);
    const t = await transport(queue).connect();
    const dst = await transport(target, { exchange, bindings: ["audited"] }).connect();
    const app = createApp({ name: "t", logger: silentLogger });
    app.handle("incoming", async (data, ctx) => {
      await ctx.forward("audited", data, { to: `${exchange}:audited` });
    });
    const audit = createApp({ name: "audit", logger: silentLogger });
    const got: unknown[] = [];
    audit.handle("audited", (data, ctx) => {
      got.push({ data, parentId: ctx.envelope.parentId, correlationId: ctx.envelope.correlationId });
    });
    run(app, t);
    const b = run(audit, dst);
    await t.publisher().publish([{ id: "m-1", name: "incoming", data: { x: 1 }, correlationId: "conv-9" }]);
    await b.spy.waitFor({ name: "audited", outcome: "ack" });
    expect(got).toEqual([{ data: { x: 1 }, parentId: "m-1", correlationId: "conv-9" }]);
  });

  it("on a quorum queue a release (nack-requeue) consumes no attempt; the broker's delivery count becomes receiveCount", async () => {
    const queue = uniqueName("quorum");
    const t = await transport(queue, { queueType: "quorum" }).connect();
    stops.push(() => t.close());
    await t.publisher().publish([{ id: "q-1", name: "q_job", data: {} }]);
    const source = t.source();
    const signal = new AbortController().signal;
    const [first] = await source.receive(1, signal);
    expect(first!.envelope).toMatchObject({ attempt: 1, transport: { receiveCount: 1 } });
    await first!.release();
    const [second] = await source.receive(1, signal);
    expect(second!.envelope).toMatchObject({ id: "q-1", attempt: 1, transport: { receiveCount: 2 } });
    await second!.ack();
    await source.close();
  });

  it("on a quorum queue a message received past retry.maxReceives is dead-lettered as max_receives_exceeded without running", async () => {
    const queue = uniqueName("quorum-limit");
    const t = await transport(queue, { queueType: "quorum" }).connect();
    await t.publisher().publish([{ id: "crashy-1", name: "crashy", data: {} }]);
    // Deliveries that never ran to an end, as a worker crashing mid-handler would leave them (the
    // closing source gives back one more: the broker had pushed the message to it again).
    const source = t.source();
    const signal = new AbortController().signal;
    for (let i = 0; i < 3; i++) {
      const [delivery] = await source.receive(1, signal);
      await delivery!.release();
    }
    await source.close();
    const app = createApp({ name: "t", logger: silentLogger });
    let runs = 0;
    app.handle("crashy", { retry: { maxAttempts: 2, maxReceives: 3 } }, () => {
      runs++;
    });
    const { spy } = run(app, t);
    const [dead] = await spy.waitFor({ id: "crashy-1", outcome: "deadLetter" });
    expect(dead!.outcome).toMatchObject({
      reason: expect.stringMatching(/^max_receives_exceeded: received [4-9] times/),
    });
    expect(runs).toBe(0);
  });

  it("on a quorum queue a retry counts one run and the copy starts a fresh delivery count", async () => {
    const queue = uniqueName("quorum-retry");
    const t = await transport(queue, { queueType: "quorum" }).connect();
    const app = createApp({ name: "t", logger: silentLogger, retry: { baseDelayMs: 0, maxDelayMs: 0 } });
    const seen: Array<{ attempt: number; receiveCount: number | undefined }> = [];
    app.handle("q_job", (_d, ctx) => {
      seen.push({ attempt: ctx.attempt, receiveCount: ctx.envelope.transport.receiveCount });
      if (ctx.attempt < 2) throw new Error("once");
    });
    await t.publisher().publish([{ name: "q_job", data: {} }]);
    const { spy } = run(app, t);
    await spy.waitFor({ name: "q_job", outcome: "ack" });
    expect(seen).toEqual([
      { attempt: 1, receiveCount: 1 },
      { attempt: 2, receiveCount: 1 },
    ]);
    const conn = await connect(AMQP_URL);
    const ch = await conn.createChannel();
    ch.on("error", () => {});
    await expect(
      ch.assertQueue(queue, { durable: true, arguments: { "x-queue-type": "classic" } }),
    ).rejects.toThrow(/PRECONDITION_FAILED/);
    await conn.close().catch(() => {});
  });

  it("resumes on a new channel when the broker cancels the consumer (queue deleted under it)", async () => {
    const queue = uniqueName("cancel");
    const t = await transport(queue).connect();
    const app = createApp({ name: "t", logger: silentLogger });
    app.handle("after_cancel", () => {});
    const { spy } = run(app, t);
    await t.publisher().publish([{ id: "before", name: "after_cancel", data: 1 }]);
    await spy.waitFor({ id: "before", outcome: "ack" });
    const conn = await connect(AMQP_URL);
    const ch = await conn.createChannel();
    await ch.deleteQueue(queue);
    await conn.close();
    // The source re-declares the queue and consumes again: the publish is unroutable until then.
    let id = "";
    await until(
      async () => {
        id = `after-${Date.now()}`;
        return t
          .publisher()
          .publish([{ id, name: "after_cancel", data: 2 }])
          .then(
            () => true,
            () => false,
          );
      },
      20_000,
      "the queue to be declared again",
    );
    await spy.waitFor({ id, outcome: "ack" });
  });

  it("passive mode consumes and retries on topology declared by someone else", async () => {
    const queue = uniqueName("passive-ok");
    await (await transport(queue).connect()).close(); // "operations" declare it
    const t = await transport(queue, { passive: true }).connect();
    const app = createApp({ name: "t", logger: silentLogger, retry: { baseDelayMs: 100, maxDelayMs: 100 } });
    const attempts: number[] = [];
    app.handle("ops_job", (_d, ctx) => {
      attempts.push(ctx.attempt);
      if (ctx.attempt === 1) throw new Error("first try fails");
    });
    const { spy } = run(app, t);
    await t.publisher().publish([{ id: "ops-1", name: "ops_job", data: {} }]);
    await spy.waitFor({ id: "ops-1", outcome: "ack" });
    expect(attempts).toEqual([1, 2]);
  });

  it("passive mode checks topology instead of declaring it, with an actionable error", async () => {
    const t = new AmqpTransport(`${AMQP_URL}?queue=${uniqueName("nope")}&passive=true`, {
      logger: silentLogger,
    });
    await expect(t.connect()).rejects.toThrow(TopologyError);
    await expect(t.connect()).rejects.toThrow(/does not exist \(passive mode/);
    await t.close();
  });

  it("never puts the password in connection errors", async () => {
    const t = new AmqpTransport("amqp://guest:Sup3rSecretPw@127.0.0.1:5672?queue=x", {
      reconnect: { initialAttempts: 1 },
    });
    const error = await t.connect().then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error).toBeInstanceOf(Error);
    expect(String(error?.message)).toMatch(
      /could not connect to RabbitMQ at amqp:\/\/guest:\*\*\*@127\.0\.0\.1/,
    );
    expect(String(error?.message) + String(error?.stack)).not.toContain("Sup3rSecretPw");
    await t.close();
  });
});
