// AMQP benchmark: raw amqplib vs Mailroom vs Rascal on the same broker, same run.
//   node --conditions=@mailroom/source bench/amqp/run.ts        (or: npm run bench:amqp -w bench)
// BENCH_AMQP_COUNT=10000 for a quick run; the default is the 100,000 messages.
import { execFile, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { join } from "node:path";
import { promisify } from "node:util";
import { AmqpTransport } from "@mailroom/adapter-amqp";
import { jsonCodec, type Outgoing } from "@mailroom/core";
import { toEncodeInput } from "@mailroom/core/transport";
import { connect } from "amqplib";
import { AMQP_URL, COUNT, type ConsumerResult, NAME, payload } from "./shared.ts";

const run = promisify(execFile);
const WINDOW = 1_000;
const stamp = `${process.pid}-${Date.now().toString(36)}`;
const queues = {
  raw: `bench-amqp-raw-${stamp}`,
  mailroom: `bench-amqp-mailroom-${stamp}`,
  rascal: `bench-amqp-rascal-${stamp}`,
};

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

async function consume(kind: keyof typeof queues): Promise<ConsumerResult> {
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
  const child = spawn(
    "flock",
    ["-s", "/tmp/mailroom-amqp-broker.lock", "sh", "-c", "echo locked; cat >/dev/null"],
    {
      stdio: ["pipe", "pipe", "inherit"],
    },
  );
  await new Promise<void>((resolve, reject) => {
    child.stdout.once("data", () => resolve());
    child.once("error", reject);
  });
  return () => child.stdin.end();
}
const releaseLock = await holdBrokerLock();

const transports = Object.fromEntries(
  Object.entries(queues).map(([k, q]) => [k, new AmqpTransport(AMQP_URL, { queue: q, prefetch: 100 })]),
) as Record<keyof typeof queues, AmqpTransport>;
for (const t of Object.values(transports)) await t.connect();

console.log(
  `AMQP benchmark: ${COUNT.toLocaleString("en")} persistent messages, per-message ack, prefetch 100`,
);
const body = jsonCodec().encode(toEncodeInput({ name: NAME, data: payload(12_345) })).body.byteLength;
console.log(`body ${body} bytes; broker ${AMQP_URL.replace(/:[^:@/]*@/, ":***@")}\n`);

const ROUNDS = Number(process.env.BENCH_AMQP_ROUNDS ?? 3);
const kinds = ["raw", "mailroom", "rascal"] as const;
const consumed: Record<(typeof kinds)[number], ConsumerResult[]> = { raw: [], mailroom: [], rascal: [] };
const published: Record<"raw" | "mailroom", number[]> = { raw: [], mailroom: [] };
for (let round = 0; round < ROUNDS; round++) {
  // Fill the three queues (publishers measured here), alternating who goes first.
  const fill =
    round % 2 === 0 ? (["raw", "mailroom", "rascal"] as const) : (["rascal", "mailroom", "raw"] as const);
  for (const kind of fill) {
    if (kind === "mailroom") published.mailroom.push(await publishMailroom(transports.mailroom));
    else published.raw.push(await publishRaw(queues[kind]));
  }
  // Drain them, rotating the order so no consumer always runs first.
  for (let k = 0; k < kinds.length; k++) {
    const kind = kinds[(k + round) % kinds.length]!;
    consumed[kind].push(await consume(kind));
  }
  process.stderr.write(`round ${round + 1}/${ROUNDS} done\n`);
}
const median = <T>(xs: T[], key: (x: T) => number): T =>
  [...xs].sort((a, b) => key(a) - key(b))[Math.floor(xs.length / 2)]!;
const medianOf = (xs: number[]) => median(xs, (x) => x);
const pubRaw = medianOf(published.raw);
const pubMailroom = medianOf(published.mailroom);

const rate = (r: ConsumerResult) => (r.count / r.ms) * 1000;
const cpu = (r: ConsumerResult) => r.cpuUs / r.count;
const cpuMedian = (kind: (typeof kinds)[number]) => medianOf(consumed[kind].map(cpu));
const rateMedian = (kind: (typeof kinds)[number]) => medianOf(consumed[kind].map(rate));
const fmt = (n: number, d = 0) =>
  n.toLocaleString("en", { maximumFractionDigits: d, minimumFractionDigits: d });

console.log(
  `medians of ${ROUNDS} rounds (each round: every consumer drains its own queue of ${fmt(COUNT)})\n`,
);
console.log("consumer                 msgs/s    CPU µs/msg   (per round msgs/s)");
for (const kind of kinds) {
  const each = consumed[kind].map((r) => fmt(rate(r))).join(", ");
  console.log(
    `${kind.padEnd(18)} ${fmt(rateMedian(kind)).padStart(12)} ${fmt(cpuMedian(kind), 1).padStart(13)}   (${each})`,
  );
}
console.log("\npublisher (confirms)     msgs/s   (per run)");
console.log(
  `raw amqplib        ${fmt(pubRaw).padStart(12)}   (${published.raw.map((x) => fmt(x)).join(", ")})`,
);
console.log(
  `mailroom           ${fmt(pubMailroom).padStart(12)}   (${published.mailroom.map((x) => fmt(x)).join(", ")})`,
);
const ratios = {
  throughput: rateMedian("mailroom") / rateMedian("raw"),
  cpu: cpuMedian("mailroom") / cpuMedian("raw"),
  cpuVsRascal: cpuMedian("mailroom") / cpuMedian("rascal"),
  publisher: pubMailroom / pubRaw,
};
console.log("\nratios (goal)");
console.log(
  `mailroom / raw throughput   ${fmt(ratios.throughput, 2)}  (>= 0.95) ${ratios.throughput >= 0.95 ? "ok" : "MISSED"}`,
);
console.log(
  `mailroom / raw CPU per msg  ${fmt(ratios.cpu, 2)}  (<= 1.25) ${ratios.cpu <= 1.25 ? "ok" : "MISSED"}`,
);
console.log(
  `mailroom / rascal CPU       ${fmt(ratios.cpuVsRascal, 2)}  (< 1)     ${ratios.cpuVsRascal < 1 ? "ok" : "MISSED"}`,
);
console.log(
  `mailroom / raw publisher    ${fmt(ratios.publisher, 2)}  (>= 0.9)  ${ratios.publisher >= 0.9 ? "ok" : "MISSED"}`,
);

const conn = await connect(AMQP_URL);
const ch = await conn.createChannel();
for (const q of Object.values(queues)) {
  for (const name of [q, `${q}.dlq`, ...transports.raw.options.delayBuckets.map((b) => `${q}.retry.${b}`)])
    await ch.deleteQueue(name);
}
await conn.close();
for (const t of Object.values(transports)) await t.close();
releaseLock();
