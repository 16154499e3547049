// Redis benchmark: a hand-written ioredis consumer-group loop vs Mailroom's Worker (at its
// defaults, and tuned) on the same Redis, same run, each consumer in its own process; and
// Mailroom's publisher vs a pipelined raw XADD.
//   node --conditions=@mailroom/source bench/redis/run.ts
// BENCH_QUICK=1 (or BENCH_REDIS_COUNT / BENCH_REDIS_ROUNDS) for a smaller run; the default is
// 30,000 messages, 3 rounds.
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { openTransport } from "@mailroom/adapter-redis";
import { jsonCodec, type Outgoing } from "@mailroom/core";
import { toEncodeInput } from "@mailroom/core/transport";
import { Redis } from "ioredis";
import { type Figure, median, QUICK, report } from "../lib/result.ts";
import { COUNT, type ConsumerResult, NAME, payload, REDIS_URL, streamUrl } from "./shared.ts";

const run = promisify(execFile);
const WINDOW = 1_000;
const stamp = `${process.pid}-${Date.now().toString(36)}`;
const KINDS = ["raw", "mailroom-defaults", "mailroom-tuned"] as const;
type Kind = (typeof KINDS)[number];
const streams = Object.fromEntries(KINDS.map((k) => [k, `bench-redis-${k}-${stamp}`])) as Record<
  Kind,
  string
>;
const ROUNDS = Number(process.env.BENCH_REDIS_ROUNDS ?? (QUICK ? 1 : 3));

function messages(): Outgoing[] {
  return Array.from({ length: COUNT }, (_, i) => ({ name: NAME, data: payload(i) }));
}

/** Raw ioredis: the same fields Mailroom writes, XADD pipelined per window of WINDOW messages. */
async function publishRaw(redis: Redis, stream: string): Promise<number> {
  const codec = jsonCodec();
  const all = messages();
  const began = performance.now();
  for (let i = 0; i < all.length; i += WINDOW) {
    const pipeline = redis.pipeline();
    for (const m of all.slice(i, i + WINDOW)) {
      const wire = codec.encode(toEncodeInput(m));
      pipeline.xadd(
        stream,
        "*",
        "mailroom-id",
        wire.meta.id!,
        "mailroom-name",
        m.name,
        "mailroom-published-at",
        wire.meta.publishedAt!.toISOString(),
        "body",
        Buffer.from(wire.body),
      );
    }
    await pipeline.exec();
  }
  return (COUNT / (performance.now() - began)) * 1000;
}

/** Mailroom's publisher: one publish call per window of WINDOW messages. */
async function publishMailroom(stream: string): Promise<number> {
  const transport = await openTransport(streamUrl(stream));
  const publisher = transport.publisher();
  await publisher.publish([]);
  const all = messages();
  const began = performance.now();
  for (let i = 0; i < all.length; i += WINDOW) await publisher.publish(all.slice(i, i + WINDOW));
  const rate = (COUNT / (performance.now() - began)) * 1000;
  await transport.close();
  return rate;
}

async function consume(kind: Kind): Promise<ConsumerResult> {
  const { stdout } = await run(
    process.execPath,
    [
      "--conditions=@mailroom/source",
      join(import.meta.dirname, "consumer.ts"),
      kind,
      streams[kind],
      String(COUNT),
    ],
    { maxBuffer: 1 << 20 },
  );
  return JSON.parse(stdout.trim().split("\n").pop()!) as ConsumerResult;
}

const redis = new Redis(REDIS_URL);
const consumed: Record<Kind, ConsumerResult[]> = { raw: [], "mailroom-defaults": [], "mailroom-tuned": [] };
const published: Record<"raw" | "mailroom", number[]> = { raw: [], mailroom: [] };
try {
  for (let round = 0; round < ROUNDS; round++) {
    const fill = round % 2 === 0 ? KINDS : [...KINDS].reverse();
    for (const kind of fill) {
      if (kind === "mailroom-defaults") published.mailroom.push(await publishMailroom(streams[kind]));
      else if (kind === "raw") published.raw.push(await publishRaw(redis, streams[kind]));
      else await publishRaw(redis, streams[kind]);
    }
    for (let k = 0; k < KINDS.length; k++) {
      const kind = KINDS[(k + round) % KINDS.length]!;
      consumed[kind].push(await consume(kind));
    }
    process.stderr.write(`  redis round ${round + 1}/${ROUNDS}\n`);
  }
} finally {
  for (const stream of Object.values(streams)) {
    const keys = await redis.keys(`${stream}*`);
    if (keys.length > 0) await redis.del(...keys);
  }
  redis.disconnect();
}

const rate = (kind: Kind) => median(consumed[kind].map((r) => (r.count / r.ms) * 1000));
const cpu = (kind: Kind) => median(consumed[kind].map((r) => r.cpuUs / r.count));
const figures: Figure[] = [];
for (const kind of KINDS) {
  figures.push(
    {
      key: `redis.${kind}.rate`,
      label: `Redis consumer ${kind}`,
      value: rate(kind),
      unit: "msg/s",
      digits: 0,
    },
    {
      key: `redis.${kind}.cpu`,
      label: `Redis consumer ${kind} CPU`,
      value: cpu(kind),
      unit: "µs/msg",
      digits: 1,
    },
  );
}
figures.push(
  {
    key: "redis.defaults.throughputToRaw",
    label: "Redis Mailroom defaults / raw ioredis loop throughput",
    value: rate("mailroom-defaults") / rate("raw"),
    unit: "×",
  },
  {
    key: "redis.tuned.throughputToRaw",
    label: "Redis Mailroom tuned / raw ioredis loop throughput",
    value: rate("mailroom-tuned") / rate("raw"),
    unit: "×",
  },
  {
    key: "redis.publisher.toRaw",
    label: "Redis publisher: Mailroom / raw pipelined XADD",
    value: median(published.mailroom) / median(published.raw),
    unit: "×",
  },
);
report({
  section: "redis",
  setup: `${COUNT} messages × ${ROUNDS} rounds, each consumer in its own process; Redis at ${new URL(REDIS_URL).host}`,
  figures,
  details: { consumed, published },
});
