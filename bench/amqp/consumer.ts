// One consumer run in its own process, so process.cpuUsage() measures that consumer alone.
// Usage: node --conditions=@mailroom/source consumer.ts <raw|mailroom-defaults|mailroom-tuned|rascal> <queue> <count>

import { createRequire } from "node:module";
import { AmqpTransport, openTransport } from "@mailroom/adapter-amqp";
import { createApp, silentLogger, Worker } from "@mailroom/core";
import { connect } from "amqplib";
import { AMQP_URL, type ConsumerResult, NAME, PREFETCH } from "./shared.ts";

const [kind, queue, countText] = process.argv.slice(2) as [string, string, string];
const count = Number(countText);

let seen = 0;
let startedAt = 0;
let cpuAt: NodeJS.CpuUsage = process.cpuUsage();
let finish: () => void = () => {};
const done = new Promise<void>((resolve) => {
  finish = resolve;
});

function begin(): void {
  startedAt = performance.now();
  cpuAt = process.cpuUsage();
}

function one(): void {
  if (++seen === count) finish();
}

async function raw(): Promise<() => Promise<void>> {
  const conn = await connect(AMQP_URL);
  conn.on("error", (error) => console.error("raw consumer connection:", error.message));
  const ch = await conn.createChannel();
  await ch.prefetch(PREFETCH);
  begin();
  await ch.consume(
    queue,
    (m) => {
      if (!m) return;
      JSON.parse(m.content.toString("utf8"));
      ch.ack(m);
      one();
    },
    { noAck: false },
  );
  return () => conn.close();
}

/** What a user gets first: the URL with only the queue, and a Worker with no options. */
async function mailroomDefaults(): Promise<() => Promise<void>> {
  const transport = await openTransport(`${AMQP_URL}?queue=${encodeURIComponent(queue)}`);
  const app = createApp({ name: "bench", logger: silentLogger });
  app.handle(NAME, () => {
    one();
  });
  const worker = new Worker(app, transport.source(), {
    publisher: transport.publisher(),
    logger: silentLogger,
  });
  begin();
  void worker.start();
  return async () => {
    await worker.stop();
    await transport.close();
  };
}

/** Tuned as bench/amqp always ran it: prefetch 100, concurrency 100, batch 100. */
async function mailroomTuned(): Promise<() => Promise<void>> {
  const transport = new AmqpTransport(AMQP_URL, { queue, prefetch: PREFETCH });
  await transport.connect();
  const app = createApp({ name: "bench", logger: silentLogger });
  app.handle(NAME, () => {
    one();
  });
  const worker = new Worker(app, transport.source(), {
    concurrency: PREFETCH,
    batchSize: PREFETCH,
    publisher: transport.publisher(),
    logger: silentLogger,
  });
  begin();
  void worker.start();
  return async () => {
    await worker.stop();
    await transport.close();
  };
}

async function rascal(): Promise<() => Promise<void>> {
  const require = createRequire(import.meta.url);
  const Rascal = require("rascal") as {
    BrokerAsPromised: { create(config: unknown): Promise<RascalBroker> };
    withDefaultConfig(config: unknown): unknown;
  };
  interface RascalBroker {
    subscribe(name: string): Promise<{
      on(event: "message", fn: (m: unknown, content: unknown, ackOrNack: () => void) => void): unknown;
      on(event: "error", fn: (e: unknown) => void): unknown;
    }>;
    on(event: "error", fn: (e: unknown) => void): void;
    shutdown(): Promise<void>;
  }
  const broker = await Rascal.BrokerAsPromised.create(
    Rascal.withDefaultConfig({
      vhosts: {
        "/": {
          connection: { url: AMQP_URL },
          queues: { [queue]: { assert: false, check: true } },
          subscriptions: { bench: { queue, prefetch: PREFETCH } },
        },
      },
    }),
  );
  broker.on("error", (e) => console.error(e));
  begin();
  const sub = await broker.subscribe("bench");
  sub.on("message", (_m, _content, ackOrNack) => {
    ackOrNack();
    one();
  });
  sub.on("error", (e) => console.error(e));
  return () => broker.shutdown();
}

const consumers: Record<string, () => Promise<() => Promise<void>>> = {
  raw,
  "mailroom-defaults": mailroomDefaults,
  "mailroom-tuned": mailroomTuned,
  rascal,
};
const stop = await consumers[kind]!();
await done;
const ms = performance.now() - startedAt;
const cpu = process.cpuUsage(cpuAt);
const result: ConsumerResult = { kind, count, ms, cpuUs: cpu.user + cpu.system };
process.stdout.write(`${JSON.stringify(result)}\n`);
await stop();
process.exit(0);
