// `npm run chaos [-- --count 20000 --targets sqlite,rabbitmq --seed 7]`: the chaos run on every
// transport, one after another, then the table. Exit code 1 when a goal does not hold.
import { parseArgs } from "node:util";
import { parseDuration } from "@mailroom/core";
import { cleanUpOnInterrupt } from "./interrupt.ts";
import { type ChaosResult, runScenario, type ScenarioOptions } from "./scenario.ts";
import { formatNotes, formatTable, goalsHold } from "./table.ts";
import { targets } from "./targets/index.ts";

const { values } = parseArgs({
  options: {
    count: { type: "string", default: "20000" },
    targets: { type: "string", default: targets.map((t) => t.name).join(",") },
    seed: { type: "string" },
    workers: { type: "string", default: "2" },
    kills: { type: "string", default: "3" },
    stall: { type: "string", default: "5s" },
    visibility: { type: "string", default: "5s" },
    "in-progress-ttl": { type: "string", default: "15s" },
    timeout: { type: "string" },
    redis: { type: "string", default: process.env.MAILROOM_REDIS_URL ?? "redis://127.0.0.1:6379" },
    help: { type: "boolean", default: false },
  },
});

if (values.help) {
  process.stdout.write(
    "npm run chaos -- [--count N] [--targets sqlite,memory,rabbitmq,sqs,mns] [--seed S] [--workers 2] [--kills 3]\n" +
      "                 [--stall 5s] [--visibility 5s] [--in-progress-ttl 15s] [--timeout D] [--redis URL]\n",
  );
  process.exit(0);
}

cleanUpOnInterrupt();
const count = Number(values.count);
const chosen = values.targets.split(",").map((name) => {
  const target = targets.find((t) => t.name === name.trim());
  if (!target)
    throw new Error(`unknown chaos target "${name}"; known: ${targets.map((t) => t.name).join(", ")}`);
  return target;
});
const seed = values.seed !== undefined ? Number(values.seed) : Math.floor(Math.random() * 2 ** 31);
const options: ScenarioOptions = {
  count,
  seed,
  workers: Number(values.workers),
  kills: Number(values.kills),
  stallMs: parseDuration(values.stall),
  visibilityMs: parseDuration(values.visibility),
  inProgressTtlMs: parseDuration(values["in-progress-ttl"]),
  // Long enough for a slow transport at this count; a run ends as soon as everything is accounted for.
  timeoutMs: values.timeout ? parseDuration(values.timeout) : 180_000 + count * 20,
  redisUrl: values.redis,
  log: (line) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`),
};

process.stderr.write(
  `chaos: ${count} messages per transport (1% poison, 5% failing once), ${options.workers} workers, ${options.kills} kill -9, seed ${seed}\n`,
);
const results: ChaosResult[] = [];
for (const target of chosen) {
  try {
    results.push(await runScenario(target, options));
  } catch (error) {
    process.stderr.write(
      `${target.name}: the run failed: ${error instanceof Error ? error.stack : String(error)}\n`,
    );
    process.exitCode = 1;
  }
}
process.stdout.write(`\n${formatTable(results)}\n\n${formatNotes(results)}\n`);
process.stdout.write(`seed ${seed}; rerun with --seed ${seed}\n`);
if (!results.every(goalsHold)) process.exitCode = 1;
