// Push cost per record: Lambda (floor, Mailroom, middy, Powertools) and Function Compute (floor,
// Mailroom), each contender in its own process, rounds alternating the order.
//   node --conditions=@mailroom/source bench/push/run.ts      (BENCH_QUICK=1: fewer rounds)
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import type { ContenderName } from "./contenders.ts";

const run = promisify(execFile);
const quick = process.env.BENCH_QUICK === "1";
const ROUNDS = quick ? 3 : 5;
const ITERATIONS = quick ? 4_000 : 10_000;
const SAMPLES = 5;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

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
  return median(out.samples);
}

/** µs per record of every contender: the median over rounds of each process's median sample. */
export async function pushCosts(names: readonly ContenderName[]): Promise<Record<string, number>> {
  const samples = new Map<ContenderName, number[]>(names.map((n) => [n, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (let k = 0; k < names.length; k++) {
      const name = names[(k + round) % names.length]!;
      samples.get(name)!.push(await one(name));
    }
  }
  return Object.fromEntries(names.map((n) => [n, median(samples.get(n)!)]));
}

if (import.meta.main) {
  const lambda = await pushCosts(["lambda-floor", "lambda-mailroom", "lambda-middy", "lambda-powertools"]);
  const fc = await pushCosts(["fc-floor", "fc-mailroom"]);
  for (const [n, us] of Object.entries({ ...lambda, ...fc })) {
    const floor = n.startsWith("fc-") ? fc["fc-floor"]! : lambda["lambda-floor"]!;
    console.log(`${n.padEnd(20)} ${us.toFixed(3)} µs/record  ${(us / floor).toFixed(2)}× floor`);
  }
}
