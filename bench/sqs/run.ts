// SQS benchmark: Mailroom's worker vs sqs-consumer v15 on the same fauxqs, same run, directly and
// through a proxy adding 10 ms per request; then Lambda push cost and cold import of the Lambda entry.
//   node --conditions=@mailroom/source bench/sqs/run.ts        (or: npm run bench:sqs -w bench)
// BENCH_SQS_COUNT (default 20,000), BENCH_SQS_TIME_CAP_MS (default 30,000), BENCH_SQS_LATENCY_MS (10),
// BENCH_SQS_ROUNDS (3), BENCH_SQS_ONLY=consumers|lambda|cold.
import { coldImport } from "./cold.ts";
import { mailroom, sqsConsumer } from "./consumers.ts";
import { lambdaPush } from "./lambda.ts";
import { COUNT, credentials, type Emulator, filledQueue, type RunResult, startEmulator } from "./shared.ts";

credentials();
const only = process.env.BENCH_SQS_ONLY;

type Scenario = { label: string; run: (endpoint: string, queue: string) => Promise<RunResult> };
const scenarios: Scenario[] = [
  { label: "mailroom defaults (concurrency 16)", run: (e, q) => mailroom("mailroom defaults", e, q) },
  {
    label: "mailroom best (concurrency 64, 8 receivers)",
    run: (e, q) => mailroom("mailroom best", e, q, { concurrency: 64, receivers: 8 }),
  },
  {
    label: "sqs-consumer handleMessageBatch, batchSize 10",
    run: (e, q) => sqsConsumer("sqs-consumer batch", e, q, { mode: "batch", batchSize: 10 }),
  },
  {
    label: "sqs-consumer handleMessageBatch, batchSize 10, 8 consumers",
    run: (e, q) => sqsConsumer("sqs-consumer batch x8", e, q, { mode: "batch", batchSize: 10, instances: 8 }),
  },
  {
    label: "sqs-consumer handleMessage, defaults (batchSize 1)",
    run: (e, q) => sqsConsumer("sqs-consumer single", e, q, { mode: "single" }),
  },
  {
    label: "sqs-consumer handleMessage, batchSize 10, 8 consumers",
    run: (e, q) =>
      sqsConsumer("sqs-consumer single x8", e, q, { mode: "single", batchSize: 10, instances: 8 }),
  },
];

function table(title: string, results: Array<{ label: string; r: RunResult }>): void {
  console.log(`\n${title}`);
  console.log("| consumer | handled | msg/s | requests/msg | CPU µs/msg | requests |");
  console.log("|---|---:|---:|---:|---:|---|");
  for (const { label, r } of results) {
    const ops = Object.entries(r.requests)
      .map(([k, v]) => `${k} ${v}`)
      .join(", ");
    console.log(
      `| ${label} | ${r.handled} | ${r.perSecond.toFixed(0)} | ${r.requestsPerMessage.toFixed(3)} | ${r.cpuMicrosPerMessage.toFixed(0)} | ${ops} |`,
    );
  }
}

function ratios(results: Array<{ label: string; r: RunResult }>): void {
  const get = (prefix: string) => results.find((x) => x.label.startsWith(prefix))?.r;
  const md = get("mailroom defaults");
  const mb = get("mailroom best");
  const cb = get("sqs-consumer handleMessageBatch, batchSize 10");
  const cbBest = get("sqs-consumer handleMessageBatch, batchSize 10, 8");
  if (md && cb) {
    console.log(
      `throughput at defaults: mailroom / sqs-consumer batch = ${(md.perSecond / cb.perSecond).toFixed(2)}×; CPU µs/msg ${md.cpuMicrosPerMessage.toFixed(0)} vs ${cb.cpuMicrosPerMessage.toFixed(0)}`,
    );
  }
  if (mb && cbBest) {
    console.log(
      `throughput at best settings: mailroom / sqs-consumer batch x8 = ${(mb.perSecond / cbBest.perSecond).toFixed(2)}×`,
    );
  }
}

const ROUNDS = Number(process.env.BENCH_SQS_ROUNDS ?? 3);

/** The run with the median throughput of a scenario's rounds. */
function median(runs: RunResult[]): RunResult {
  return [...runs].sort((a, b) => a.perSecond - b.perSecond)[Math.floor(runs.length / 2)]!;
}

async function consumerRuns(emu: Emulator): Promise<void> {
  // Warm the JIT and the SDK for both libraries on a small queue first.
  const warm = await filledQueue(emu.direct, "warm", 12_000);
  await mailroom("warm", emu.direct, warm, {}, 6_000);
  await sqsConsumer("warm", emu.direct, warm, { mode: "batch", batchSize: 10 }, 6_000);
  const latency = process.env.BENCH_SQS_LATENCY_MS ?? 10;
  const cap = Number(process.env.BENCH_SQS_TIME_CAP_MS ?? 30_000) / 1000;
  for (const [title, endpoint] of [
    [`Direct to fauxqs, ${COUNT} messages, median of ${ROUNDS} rounds`, emu.direct],
    [
      `Through the +${latency} ms proxy, ${COUNT} messages (runs capped at ${cap} s), median of ${ROUNDS} rounds`,
      emu.proxy,
    ],
  ] as const) {
    const runs = new Map<string, RunResult[]>(scenarios.map((s) => [s.label, []]));
    // Rounds interleave the scenarios so a busy moment on the machine hits all of them alike.
    for (let round = 0; round < ROUNDS; round++) {
      for (const s of scenarios) {
        const queue = await filledQueue(emu.direct, "run");
        const r = await s.run(endpoint, queue);
        runs.get(s.label)!.push(r);
        console.error(
          `  round ${round + 1} ${title.slice(0, 24)}… ${s.label}: ${r.perSecond.toFixed(0)} msg/s`,
        );
      }
    }
    const results = scenarios.map((s) => ({ label: s.label, r: median(runs.get(s.label)!) }));
    table(title, results);
    ratios(results);
  }
}

const emu = await startEmulator();
try {
  if (!only || only === "consumers") await consumerRuns(emu);
  if (!only || only === "lambda") await lambdaPush();
  if (!only || only === "cold") await coldImport();
} finally {
  emu.child.kill("SIGTERM");
}
