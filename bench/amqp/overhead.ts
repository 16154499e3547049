// The JavaScript cost per message of Mailroom's consume path, without a broker: a fake channel,
// deliveries fed in bursts of 20 within a prefetch window of 100, a handler that does nothing.
//   node --conditions=@mailroom/source bench/amqp/overhead.ts [count] [defaults|worker|source|raw]
// `defaults`: core's Worker at its defaults (concurrency 16, batch 10, prefetch derived: 100);
// `worker`: tuned (concurrency 100, batch 100, prefetch 100); `source`: the adapter alone
// (receive + decode + ack); `raw`: what a bare amqplib consumer does (JSON.parse + ack).
import { createApp, jsonCodec, silentLogger, Worker } from "@mailroom/core";
import { toEncodeInput } from "@mailroom/core/transport";
import type { ChannelModel, ConsumeMessage } from "amqplib";
import type { AmqpConnection } from "../../packages/adapter-amqp/src/connection.ts";
import { resolveOptions } from "../../packages/adapter-amqp/src/options.ts";
import { AmqpSource } from "../../packages/adapter-amqp/src/source.ts";
import { payload } from "./shared.ts";

const N = Number(process.argv[2] ?? 200_000);
const mode = process.argv[3] ?? "worker";
const codec = jsonCodec();
let deliver: (m: ConsumeMessage) => void = () => {};
let acked = 0;
let finish = () => {};
const done = new Promise<void>((resolve) => {
  finish = resolve;
});
const noop = async () => ({});
const channel = {
  on() {},
  prefetch: noop,
  close: noop,
  consume: async (_queue: string, onMessage: (m: ConsumeMessage) => void) => {
    deliver = onMessage;
    return { consumerTag: "bench" };
  },
  ack() {
    if (++acked === N) finish();
  },
};
const setup = {
  on() {},
  close: noop,
  assertQueue: noop,
  assertExchange: noop,
  bindQueue: noop,
  checkQueue: noop,
};
const model = {
  createChannel: async () => setup,
  createConfirmChannel: async () => channel,
} as unknown as ChannelModel;
const conn = {
  model,
  add: async (user: AmqpSource) => user.connected(model),
  remove() {},
  probe: async () => {},
  reopen() {},
} as unknown as AmqpConnection;
const source = new AmqpSource(
  conn,
  resolveOptions(mode === "defaults" ? { queue: "q" } : { queue: "q", prefetch: 100 }),
);
/** The broker's window: the prefetch the consumer asks for. */
let window = 100;
const messages = Array.from({ length: 1000 }, (_, i) => {
  const wire = codec.encode(toEncodeInput({ name: "order_created", data: payload(i) }));
  return {
    content: Buffer.from(wire.body),
    fields: { deliveryTag: i, redelivered: false, exchange: "", routingKey: "q", consumerTag: "bench" },
    properties: {
      contentType: "application/json",
      messageId: wire.meta.id,
      type: "order_created",
      timestamp: 1_700_000_000,
      headers: {},
      deliveryMode: 2,
    },
  } as unknown as ConsumeMessage;
});
let sent = 0;
function pump(): void {
  const n = Math.min(20, window - (sent - acked), N - sent);
  for (let i = 0; i < n; i++) deliver(messages[sent++ % messages.length]!);
  if (acked < N) setImmediate(pump);
}
if (mode === "worker" || mode === "defaults") {
  const app = createApp({ name: "bench", logger: silentLogger });
  app.handle("order_created", () => {});
  const options = mode === "worker" ? { concurrency: 100, batchSize: 100 } : {};
  void new Worker(app, source, { ...options, logger: silentLogger }).start();
} else if (mode === "raw") {
  window = 100;
  deliver = (m) => {
    JSON.parse(m.content.toString("utf8"));
    channel.ack();
  };
} else {
  const stop = new AbortController();
  void (async () => {
    for (;;) for (const d of await source.receive(100, stop.signal)) await d.ack();
  })();
}
await new Promise((resolve) => setTimeout(resolve, 50));
const cpu = process.cpuUsage();
const began = performance.now();
pump();
await done;
const used = process.cpuUsage(cpu);
const rate = Math.round((N / (performance.now() - began)) * 1000);
console.log(`${mode}: ${((used.user + used.system) / N).toFixed(2)} µs CPU per message, ${rate} msgs/s`);
process.exit(0);
