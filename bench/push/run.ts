// Push cost per record: Lambda (floor, Mailroom, middy, Powertools) and Function Compute (floor,
// Mailroom), each contender in its own process, the order rotated every round.
//   node --conditions=@mailroom/source bench/push/run.ts        (BENCH_QUICK=1: fewer rounds)
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { median, QUICK, report } from "../lib/result.ts";
import { BATCH, type ContenderName } from "./contenders.ts";

const run = promisify(execFile);
const ROUNDS = QUICK ? 3 : 5;
const ITERATIONS = QUICK ? 3_000 : 8_000;
const SAMPLES = 5;

/** One process: its best sample (CPU µs per record): on a shared machine noise only adds time. */
async function one(name: ContenderName): Promise<number> {
  const { stdout } = await run(
    process.execPath,
    [
      "--conditions=@mailroom/source",
      join(import.meta.dirname, "child.ts"),
      name,
      String(ITERATIONS),
      String(SAMPLES),
    ],
    { maxBuffer: 1 << 20 },
  );
  const out = JSON.parse(stdout.trim().split("\n").pop()!) as { samples: number[] };
  return Math.min(...out.samples);
}

/** CPU µs per record of every contender: the median over rounds (one process per contender per round). */
export async function pushCosts(names: readonly ContenderName[]): Promise<Record<string, number[]>> {
  const samples: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (let k = 0; k < names.length; k++) {
      const name = names[(k + round) % names.length]!;
      samples[name]!.push(await one(name));
    }
    process.stderr.write(`  push round ${round + 1}/${ROUNDS}\n`);
  }
  return samples;
}

const lambdaNames = ["lambda-floor", "lambda-mailroom", "lambda-middy", "lambda-powertools"] as const;
const fcNames = ["fc-floor", "fc-mailroom"] as const;
const perRound = await pushCosts([...lambdaNames, ...fcNames]);
const us = (n: string) => median(perRound[n]!);
const floor = us("lambda-floor");
const fcFloor = us("fc-floor");
report({
  section: "push",
  setup: `${BATCH}-record events, no-op async handler, each contender in its own process; CPU µs per record, best of ${SAMPLES} samples of ${ITERATIONS.toLocaleString("en")} events per process, median of ${ROUNDS} processes`,
  figures: [
    {
      key: "lambda.floor",
      label: "Lambda floor (bare loop, JSON.parse, batchItemFailures)",
      value: floor,
      unit: "µs/record",
    },
    {
      key: "lambda.mailroom",
      label: "Lambda Mailroom toLambda",
      value: us("lambda-mailroom"),
      unit: "µs/record",
    },
    {
      key: "lambda.middy",
      label: "Lambda middy + sqs-partial-batch-failure",
      value: us("lambda-middy"),
      unit: "µs/record",
    },
    {
      key: "lambda.powertools",
      label: "Lambda Powertools BatchProcessor",
      value: us("lambda-powertools"),
      unit: "µs/record",
    },
    {
      key: "lambda.mailroomToFloor",
      label: "Lambda Mailroom / floor",
      value: us("lambda-mailroom") / floor,
      unit: "×",
      goal: { op: "<=", target: 1.5 },
    },
    {
      key: "lambda.mailroomToMiddy",
      label: "Lambda Mailroom / middy",
      value: us("lambda-mailroom") / us("lambda-middy"),
      unit: "×",
      goal: { op: "<=", target: 1 },
    },
    {
      key: "lambda.mailroomToPowertools",
      label: "Lambda Mailroom / Powertools",
      value: us("lambda-mailroom") / us("lambda-powertools"),
      unit: "×",
    },
    {
      key: "fc.floor",
      label: "FC floor (parse the event, bare loop, JSON.parse)",
      value: fcFloor,
      unit: "µs/record",
    },
    { key: "fc.mailroom", label: "FC Mailroom toAliyunFC", value: us("fc-mailroom"), unit: "µs/record" },
    {
      key: "fc.mailroomToFloor",
      label: "FC Mailroom / floor",
      value: us("fc-mailroom") / fcFloor,
      unit: "×",
      goal: { op: "<=", target: 1.5 },
    },
  ],
  details: { perRound },
});
