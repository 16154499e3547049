// Soak: heap after a full GC over 1,000,000 messages through the Worker on every local queue
// (memory and SQLite, plain and FIFO), each in its own fresh process.
//   node --conditions=@mailroom/source bench/soak/run.ts      (BENCH_QUICK=1: 200,000 messages)
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { type Figure, QUICK, report } from "../lib/result.ts";

const run = promisify(execFile);
const COUNT = Number(process.env.BENCH_SOAK_COUNT ?? (QUICK ? 200_000 : 1_000_000));

interface Soak {
  heapMB: number[];
  rate: number;
  handled: number;
}

async function soak(kind: "memory" | "sqlite", order: "plain" | "fifo"): Promise<Soak> {
  const { stdout } = await run(
    process.execPath,
    [
      "--expose-gc",
      "--conditions=@mailroom/source",
      join(import.meta.dirname, "child.ts"),
      kind,
      order,
      String(COUNT),
    ],
    { maxBuffer: 1 << 20 },
  );
  return JSON.parse(stdout.trim().split("\n").pop()!) as Soak;
}

const figures: Figure[] = [];
const details: Record<string, Soak> = {};
for (const [kind, order] of [
  ["memory", "plain"],
  ["memory", "fifo"],
  ["sqlite", "plain"],
  ["sqlite", "fifo"],
] as const) {
  const s = await soak(kind, order);
  details[`${kind}-${order}`] = s;
  // Growth from the first tenth (warm: JIT code, pools and caches in place) to the end.
  const growth = s.heapMB[s.heapMB.length - 1]! - s.heapMB[1]!;
  const name = `${kind}${order === "fifo" ? " FIFO" : ""}`;
  figures.push(
    {
      key: `soak.${kind}.${order}.growth`,
      label: `${name}: heap growth after GC, from ${(COUNT / 10).toLocaleString("en")} to ${COUNT.toLocaleString("en")} messages`,
      value: growth,
      unit: "MB",
      digits: 1,
      goal: { op: "<=", target: 10 },
    },
    {
      key: `soak.${kind}.${order}.rate`,
      label: `${name}: Worker throughput during the soak`,
      value: s.rate,
      unit: "msg/s",
      digits: 0,
    },
  );
  process.stderr.write(`  soak ${name}: heap ${s.heapMB.map((h) => h.toFixed(1)).join(" → ")} MB\n`);
}
report({
  section: "soak",
  setup: `${COUNT.toLocaleString("en")} messages through the Worker at its defaults, a producer keeping a backlog of 5,000, heap after a full GC every tenth; each queue in a fresh process`,
  figures,
  details,
});
