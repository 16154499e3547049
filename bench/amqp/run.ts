// AMQP benchmark: raw amqplib vs Mailroom (at its defaults, and tuned) vs Rascal on the same
// broker, same run, each consumer in its own process.
//   node --conditions=@mailroom/source bench/amqp/run.ts        (or: npm run bench:amqp -w bench)
// BENCH_QUICK=1 (or BENCH_AMQP_COUNT / BENCH_AMQP_ROUNDS) for a smaller run; the default is
// 100,000 messages, 3 rounds.
import { execFile, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { join } from "node:path";
import { promisify } from "node:util";
import { AmqpTransport } from "@mailroom/adapter-amqp";
import { jsonCodec, type Outgoing } from "@mailroom/core";
import { toEncodeInput } from "@mailroom/core/transport";
import { connect } from "amqplib";
import { BROKER_LOCK } from "../../packages/adapter-amqp/test/broker-lock.ts";
import { type Figure, median, QUICK, report } from "../lib/result.ts";
import { AMQP_URL, COUNT, type ConsumerResult, NAME, payload } from "./shared.ts";

const run = promisify(execFile);
const WINDOW = 1_000;
const stamp = `${process.pid}-${Date.now().toString(36)}`;
const KINDS = ["raw", "mailroom-defaults", "mailroom-tuned", "rascal"] as const;
type Kind = (typeof KINDS)[number];
const queues = Object.fromEntries(KINDS.map((k) => [k, `bench-amqp-${k}-${stamp}`])) as Record<Kind, string>;

function messages(): Outgoing[] {
  return Array.from({ length: COUNT }, (_, i) => ({ name: NAME, data: payload(i) }));
}

/**
 * Raw amqplib confirm-channel publisher, written as a user would: JSON.stringify the same
 * `{ name, data }` body, a random messageId, the same properties Mailroom sets, and
 * waitForConfirms per window of WINDOW messages.
 */
async function publishRaw(queue: string): Promise<number> {
  const all = messages();
  const conn = await connect(AMQP_URL);
  conn.on("error", (error) => console.error("raw publisher connection:", error.message));
  const ch = await conn.createConfirmChannel();
  const began = performance.now();
  for (let i = 0; i < all.length; i += WINDOW) {
    for (const m of all.slice(i, i + WINDOW)) {
      const ok = ch.sendToQueue(queue, Buffer.from(JSON.stringify({ name: m.name, data: m.data })), {
        persistent: true,
        contentType: "application/json",
        messageId: randomUUID(),
        type: m.name,
        timestamp: Math.floor(Date.now() / 1000),
        headers: {},
      });
      if (!ok) await new Promise((r) => ch.once("drain", r));
    }
    await ch.waitForConfirms();
  }
  const ms = performance.now() - began;
  await conn.close();
  return (COUNT / ms) * 1000;
}

/** Mailroom's publisher: confirms awaited per publish call of WINDOW messages. */
async function publishMailroom(transport: AmqpTransport): Promise<number> {
  const all = messages();
  const publisher = transport.publisher();
  await publisher.publish([]);
  const began = performance.now();
  for (let i = 0; i < all.length; i += WINDOW) await publisher.publish(all.slice(i, i + WINDOW));
  const ms = performance.now() - began;
  return (COUNT / ms) * 1000;
}

async function consume(kind: Kind): Promise<ConsumerResult> {
  const { stdout } = await run(
    process.execPath,
    [
      "--conditions=@mailroom/source",
      join(import.meta.dirname, "consumer.ts"),
      kind,
      queues[kind],
      String(COUNT),
    ],
    { maxBuffer: 1 << 20 },
  );
  return JSON.parse(stdout.trim().split("\n").pop()!) as ConsumerResult;
}

/**
 * Hold the broker lock shared for the whole run (as the adapter's test files do), so the tests that
 * restart RabbitMQ wait for the benchmark instead of cutting it short.
 */
async function holdBrokerLock(): Promise<() => void> {
  const child = spawn("flock", ["-s", BROKER_LOCK, "sh", "-c", "echo locked; cat >/dev/null"], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout.once("data", () => resolve());
    child.once("error", reject);
  });
  return () => child.stdin.end();
}
const releaseLock = await holdBrokerLock();

const transports = Object.fromEntries(
  KINDS.map((k) => [k, new AmqpTransport(AMQP_URL, { queue: queues[k], prefetch: 100 })]),
) as Record<Kind, AmqpTransport>;
for (const t of Object.values(transports)) await t.connect();

const body = jsonCodec().encode(toEncodeInput({ name: NAME, data: payload(12_345) })).body.byteLength;
const ROUNDS = Number(process.env.BENCH_AMQP_ROUNDS ?? (QUICK ? 1 : 3));
const consumed: Record<Kind, ConsumerResult[]> = {
  raw: [],
  "mailroom-defaults": [],
  "mailroom-tuned": [],
  rascal: [],
};
const published: Record<"raw" | "mailroom", number[]> = { raw: [], mailroom: [] };
try {
  for (let round = 0; round < ROUNDS; round++) {
    // Fill the queues (publishers measured here), alternating who goes first.
    const fill = round % 2 === 0 ? KINDS : [...KINDS].reverse();
    for (const kind of fill) {
      if (kind === "mailroom-defaults") published.mailroom.push(await publishMailroom(transports[kind]));
      else if (kind === "raw") published.raw.push(await publishRaw(queues[kind]));
      else await publishRaw(queues[kind]);
    }
    // Drain them, rotating the order so no consumer always runs first.
    for (let k = 0; k < KINDS.length; k++) {
      const kind = KINDS[(k + round) % KINDS.length]!;
      consumed[kind].push(await consume(kind));
    }
    process.stderr.write(`  amqp round ${round + 1}/${ROUNDS}\n`);
  }
} finally {
  const conn = await connect(AMQP_URL);
  const ch = await conn.createChannel();
  for (const q of Object.values(queues)) {
    for (const name of [q, `${q}.dlq`, ...transports.raw.options.delayBuckets.map((b) => `${q}.retry.${b}`)])
      await ch.deleteQueue(name);
  }
  await conn.close();
  for (const t of Object.values(transports)) await t.close();
  releaseLock();
}

/**
 * The JavaScript cost per message without a broker (bench/amqp/overhead.ts: a fake channel, the
 * same messages): where Mailroom's CPU above raw amqplib goes. Each mode in its own process.
 */
async function overhead(mode: "raw" | "source" | "defaults" | "worker"): Promise<number> {
  const { stdout } = await run(
    process.execPath,
    [
      "--conditions=@mailroom/source",
      join(import.meta.dirname, "overhead.ts"),
      QUICK ? "100000" : "300000",
      mode,
    ],
    { maxBuffer: 1 << 20 },
  );
  const match = /([\d.]+) µs CPU per message/.exec(stdout);
  if (!match) throw new Error(`overhead ${mode}: no figure in ${stdout}`);
  return Number(match[1]);
}
const jsCost: Record<string, number[]> = { raw: [], source: [], defaults: [], worker: [] };
for (let round = 0; round < 3; round++) {
  for (const mode of ["raw", "source", "defaults", "worker"] as const)
    jsCost[mode]!.push(await overhead(mode));
}

const rate = (kind: Kind) => median(consumed[kind].map((r) => (r.count / r.ms) * 1000));
const cpu = (kind: Kind) => median(consumed[kind].map((r) => r.cpuUs / r.count));
const figures: Figure[] = [];
for (const kind of KINDS) {
  figures.push(
    { key: `amqp.${kind}.rate`, label: `AMQP consumer ${kind}`, value: rate(kind), unit: "msg/s", digits: 0 },
    {
      key: `amqp.${kind}.cpu`,
      label: `AMQP consumer ${kind} CPU`,
      value: cpu(kind),
      unit: "µs/msg",
      digits: 1,
    },
  );
}
figures.push(
  {
    key: "amqp.defaults.throughputToRaw",
    label: "AMQP Mailroom defaults / raw amqplib throughput",
    value: rate("mailroom-defaults") / rate("raw"),
    unit: "×",
    goal: { op: ">=", target: 1 },
  },
  {
    key: "amqp.defaults.cpuToRaw",
    label: "AMQP Mailroom defaults / raw amqplib CPU per message",
    value: cpu("mailroom-defaults") / cpu("raw"),
    unit: "×",
    goal: { op: "<=", target: 1.15 },
  },
  {
    key: "amqp.tuned.throughputToRaw",
    label: "AMQP Mailroom tuned / raw amqplib throughput",
    value: rate("mailroom-tuned") / rate("raw"),
    unit: "×",
    goal: { op: ">=", target: 1 },
  },
  {
    key: "amqp.tuned.cpuToRaw",
    label: "AMQP Mailroom tuned / raw amqplib CPU per message",
    value: cpu("mailroom-tuned") / cpu("raw"),
    unit: "×",
    goal: { op: "<=", target: 1.05 },
  },
  {
    key: "amqp.defaults.cpuToRascal",
    label: "AMQP Mailroom defaults / Rascal CPU per message",
    value: cpu("mailroom-defaults") / cpu("rascal"),
    unit: "×",
  },
  {
    key: "amqp.js.raw",
    label: "AMQP JS cost without a broker: raw (JSON.parse + ack)",
    value: median(jsCost.raw!),
    unit: "CPU µs/msg",
  },
  {
    key: "amqp.js.source",
    label: "AMQP JS cost without a broker: Mailroom source alone (receive, decode, ack)",
    value: median(jsCost.source!),
    unit: "CPU µs/msg",
  },
  {
    key: "amqp.js.defaults",
    label: "AMQP JS cost without a broker: Mailroom Worker at its defaults",
    value: median(jsCost.defaults!),
    unit: "CPU µs/msg",
  },
  {
    key: "amqp.js.tuned",
    label: "AMQP JS cost without a broker: Mailroom Worker tuned (concurrency 100, batch 100)",
    value: median(jsCost.worker!),
    unit: "CPU µs/msg",
  },
  {
    key: "amqp.publisher.toRaw",
    label: "AMQP publisher with confirms: Mailroom / raw amqplib",
    value: median(published.mailroom) / median(published.raw),
    unit: "×",
  },
);
report({
  section: "amqp",
  setup: `${COUNT.toLocaleString("en")} persistent ${body}-byte JSON messages per consumer per round, per-message ack, each consumer in its own process, medians of ${ROUNDS} round(s); raw amqplib and Rascal with prefetch 100; Mailroom defaults = openTransport("amqp://…?queue=q") + new Worker(app, source); tuned = prefetch 100, concurrency 100, batch 100`,
  figures,
  details: { consumed, published, jsCost },
});
