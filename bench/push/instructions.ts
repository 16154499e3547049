// Instructions per record of each push contender, counted by valgrind's callgrind: repeatable on
// a shared machine where timings are not. Two runs per contender (N and 3N events, each run
// warms up three times, then times once); the difference divided by the extra records leaves out
// start-up and module loading.
//   node --conditions=@mailroom/source bench/push/instructions.ts [contender ...]
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { BATCH, type ContenderName, contenders } from "./contenders.ts";

const run = promisify(execFile);
const N = Number(process.env.BENCH_CALLGRIND_EVENTS ?? 1_000);
/** child.ts runs its loop 3 times to warm up and once per sample; one sample here. */
const LOOPS = 4;

async function instructions(name: ContenderName, events: number, dir: string): Promise<number> {
  const out = join(dir, `${name}-${events}.out`);
  await run(
    "valgrind",
    [
      "--tool=callgrind",
      `--callgrind-out-file=${out}`,
      process.execPath,
      "--conditions=@mailroom/source",
      join(import.meta.dirname, "child.ts"),
      name,
      String(events),
      "1",
    ],
    { maxBuffer: 1 << 24 },
  );
  const summary = /^summary:\s+(\d+)/m.exec(readFileSync(out, "utf8"));
  if (!summary) throw new Error(`no summary in ${out}`);
  return Number(summary[1]);
}

/** Instructions per record of each contender (extra instructions of 2N more events ÷ their records). */
export async function instructionsPerRecord(
  names: readonly ContenderName[],
): Promise<Record<string, number>> {
  const dir = mkdtempSync(join(tmpdir(), "mailroom-callgrind-"));
  try {
    const out: Record<string, number> = {};
    for (const name of names) {
      const [small, large] = await Promise.all([instructions(name, N, dir), instructions(name, 3 * N, dir)]);
      out[name] = (large - small) / (2 * N * LOOPS * BATCH);
    }
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.main) {
  const names = (
    process.argv.slice(2).length > 0 ? process.argv.slice(2) : Object.keys(contenders)
  ) as ContenderName[];
  const counts = await instructionsPerRecord(names);
  for (const [name, n] of Object.entries(counts))
    console.log(`${name.padEnd(20)} ${Math.round(n).toLocaleString("en")} instructions/record`);
}
