// SQS: Mailroom's Worker vs sqs-consumer v15, each run in its own process, against the same
// fauxqs (in a process of its own), directly and through a proxy adding 10 ms per request.
//   node --conditions=@mailroom/source bench/sqs/run.ts        (BENCH_QUICK=1: smaller, fewer rounds)
// BENCH_SQS_COUNT (default 20,000), BENCH_SQS_TIME_CAP_MS (30,000), BENCH_SQS_LATENCY_MS (10), BENCH_SQS_ROUNDS (3).
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { type Figure, QUICK, report } from "../lib/result.ts";
import type { Scenario } from "./consumer.ts";
import { COUNT, credentials, filledQueue, type RunResult, startEmulator, TIME_CAP_MS } from "./shared.ts";

const exec = promisify(execFile);
credentials();
const ROUNDS = Number(process.env.BENCH_SQS_ROUNDS ?? (QUICK ? 1 : 3));
const LATENCY = Number(process.env.BENCH_SQS_LATENCY_MS ?? 10);

const scenarios: Scenario[] = [
  { kind: "mailroom", label: "Mailroom Worker, defaults (concurrency 16, batch 10)" },
  {
    kind: "mailroom",
    label: "Mailroom Worker, concurrency 64, 8 receive loops",
    options: { concurrency: 64, receivers: 8 },
  },
  {
    kind: "sqs-consumer",
    label: "sqs-consumer handleMessageBatch, batchSize 10",
    mode: "batch",
    batchSize: 10,
  },
  {
    kind: "sqs-consumer",
    label: "sqs-consumer handleMessageBatch, batchSize 10, 8 consumers",
    mode: "batch",
    batchSize: 10,
    instances: 8,
  },
  { kind: "sqs-consumer", label: "sqs-consumer handleMessage, defaults (batchSize 1)", mode: "single" },
];

async function runOne(s: Scenario, endpoint: string, queue: string): Promise<RunResult> {
  const { stdout } = await exec(
    process.execPath,
    [
      "--conditions=@mailroom/source",
      join(import.meta.dirname, "consumer.ts"),
      JSON.stringify(s),
      endpoint,
      queue,
      String(COUNT),
    ],
    { maxBuffer: 1 << 22, env: process.env },
  );
  return JSON.parse(stdout.trim().split("\n").pop()!) as RunResult;
}

/** The run with the median throughput of a scenario's rounds. */
function medianRun(runs: RunResult[]): RunResult {
  return [...runs].sort((a, b) => a.perSecond - b.perSecond)[Math.floor(runs.length / 2)]!;
}

const emu = await startEmulator();
const tables: Record<string, Record<string, RunResult>> = {};
try {
  // Warm the emulator (its JIT and its first queues) so the first measured scenario is not penalised.
  await runOne(scenarios[0]!, emu.direct, await filledQueue(emu.direct, "warm", 4_000)).catch(
    () => undefined,
  );
  for (const [where, endpoint] of [
    ["direct", emu.direct],
    ["latency", emu.proxy],
  ] as const) {
    // Through the proxy only the two defaults are compared (the goal's figures); the slow
    // per-message mode would spend its whole time cap there.
    const here = where === "direct" ? scenarios : [scenarios[0]!, scenarios[2]!];
    const runs = new Map<string, RunResult[]>(here.map((s) => [s.label, []]));
    for (let round = 0; round < ROUNDS; round++) {
      // Rounds rotate the order so a busy moment on the machine does not always hit the same one.
      for (let k = 0; k < here.length; k++) {
        const s = here[(k + round) % here.length]!;
        const queue = await filledQueue(emu.direct, "run");
        const r = await runOne(s, endpoint, queue);
        runs.get(s.label)!.push(r);
        process.stderr.write(
          `  sqs ${where} round ${round + 1}: ${s.label}: ${r.perSecond.toFixed(0)} msg/s\n`,
        );
      }
    }
    tables[where] = Object.fromEntries(here.map((s) => [s.label, medianRun(runs.get(s.label)!)]));
  }
} finally {
  emu.child.kill("SIGTERM");
}

const get = (where: string, i: number) => tables[where]![scenarios[i]!.label]!;
const figures: Figure[] = [];
for (const where of ["direct", "latency"] as const) {
  const tag = where === "direct" ? "direct to fauxqs" : `+${LATENCY} ms per request`;
  const md = get(where, 0);
  const cb = get(where, 2);
  figures.push(
    {
      key: `sqs.${where}.mailroom.rate`,
      label: `SQS ${tag}: Mailroom defaults`,
      value: md.perSecond,
      unit: "msg/s",
      digits: 0,
    },
    {
      key: `sqs.${where}.sqsConsumer.rate`,
      label: `SQS ${tag}: sqs-consumer batch, defaults`,
      value: cb.perSecond,
      unit: "msg/s",
      digits: 0,
    },
    {
      key: `sqs.${where}.mailroomToSqsConsumer`,
      label: `SQS ${tag}: Mailroom / sqs-consumer throughput at defaults`,
      value: md.perSecond / cb.perSecond,
      unit: "×",
      goal: { op: ">=", target: 2 },
    },
    {
      key: `sqs.${where}.mailroom.requestsPerMessage`,
      label: `SQS ${tag}: Mailroom requests per message (3 decimals: the long poll open at stop adds 1/${COUNT})`,
      value: Math.round(md.requestsPerMessage * 1000) / 1000,
      unit: "req/msg",
      digits: 3,
      goal: { op: "<=", target: 0.2 },
    },
    {
      key: `sqs.${where}.cpuToSqsConsumer`,
      label: `SQS ${tag}: Mailroom / sqs-consumer CPU per message`,
      value: md.cpuMicrosPerMessage / cb.cpuMicrosPerMessage,
      unit: "×",
      goal: { op: "<=", target: 1 },
    },
  );
}
report({
  section: "sqs",
  setup: `fauxqs 2 in its own process, ${COUNT.toLocaleString("en")} messages per run, every consumer in its own process, median of ${ROUNDS} round(s), runs capped at ${(TIME_CAP_MS / 1000).toFixed(0)} s`,
  figures,
  details: tables,
});
