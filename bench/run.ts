// Every benchmark in one command: `npm run bench` (`npm run bench:quick` for a smaller run).
// Builds dist (the cold-import figures load it), runs each section in its own process — which
// runs each contender in a process of its own — writes bench/results.json and prints one table
// of figures and ratios against the goals.
//   node --conditions=@mailroom/source bench/run.ts [--quick] [--report-only] [section ...]
import { spawn } from "node:child_process";
import { openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { type Figure, formatNumber, meets, type SectionResult } from "./lib/result.ts";

const BENCH = import.meta.dirname;
const ROOT = join(BENCH, "..");

/** Sections in the order they run: the ones least disturbed by the others first. */
const SECTIONS: Record<string, { script: string; needs?: string }> = {
  size: { script: "size/run.ts" },
  push: { script: "push/run.ts" },
  local: { script: "core/run.ts" },
  amqp: { script: "amqp/run.ts", needs: "RabbitMQ on 127.0.0.1 (bash scripts/services.sh start)" },
  sqs: { script: "sqs/run.ts" },
  mns: { script: "mns/run.ts" },
  redis: { script: "redis/run.ts", needs: "Redis on 127.0.0.1 (bash scripts/services.sh start)" },
  soak: { script: "soak/run.ts" },
};

const args = process.argv.slice(2);
const quick = args.includes("--quick") || process.env.BENCH_QUICK === "1";
/** `--report-only`: no run; the table and results.json from each section's last result (bench/.sections/). */
const reportOnly = args.includes("--report-only");
const chosen = args.filter((a) => !a.startsWith("--"));
for (const name of chosen) {
  if (!SECTIONS[name])
    throw new Error(`unknown section "${name}"; one of ${Object.keys(SECTIONS).join(", ")}`);
}
const names = chosen.length > 0 ? chosen : Object.keys(SECTIONS);

function runNode(argv: string[], env: NodeJS.ProcessEnv, log: string): Promise<number> {
  const out = openSync(log, "a");
  const child = spawn(process.execPath, argv, { cwd: ROOT, env, stdio: ["ignore", out, "inherit"] });
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

async function build(log: string): Promise<void> {
  const tsc = join(ROOT, "node_modules", ".bin", "tsc");
  const child = spawn(tsc, ["-b", "packages/core", "packages/adapter-sqs", "packages/adapter-mns"], {
    cwd: ROOT,
    stdio: ["ignore", openSync(log, "a"), "inherit"],
  });
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  if (code !== 0) throw new Error(`the build failed (see ${log})`);
}

const log = join(BENCH, "results.log");
rmSync(log, { force: true });
const started = new Date();
process.stderr.write(
  `Mailroom benchmarks${quick ? " (quick)" : ""}: ${names.join(", ")}; details in ${log}\n`,
);
if (names.includes("size") && !reportOnly) await build(log);
const results: SectionResult[] = [];
const failed: string[] = [];
for (const name of names) {
  const section = SECTIONS[name]!;
  if (reportOnly) {
    try {
      results.push(
        JSON.parse(readFileSync(join(BENCH, ".sections", `${name}.json`), "utf8")) as SectionResult,
      );
    } catch {
      failed.push(`${name} (no result in bench/.sections/)`);
    }
    continue;
  }
  const out = join(tmpdir(), `mailroom-bench-${process.pid}-${name}.json`);
  rmSync(out, { force: true });
  const began = performance.now();
  process.stderr.write(`\n== ${name}\n`);
  const code = await runNode(
    ["--conditions=@mailroom/source", join(BENCH, section.script)],
    { ...process.env, BENCH_OUT: out, ...(quick ? { BENCH_QUICK: "1" } : {}) },
    log,
  );
  process.stderr.write(`   ${name}: ${((performance.now() - began) / 1000).toFixed(0)} s\n`);
  try {
    if (code !== 0) throw new Error(`exit ${code}`);
    results.push(JSON.parse(readFileSync(out, "utf8")) as SectionResult);
  } catch (error) {
    failed.push(
      `${name} (${error instanceof Error ? error.message : String(error)}${section.needs ? `; needs ${section.needs}` : ""})`,
    );
  } finally {
    rmSync(out, { force: true });
  }
}

const all: Figure[] = results.flatMap((r) => r.figures);
const goals = all.filter((f) => f.goal);
const missed = goals.filter((f) => !meets(f));
writeFileSync(
  join(BENCH, "results.json"),
  `${JSON.stringify(
    {
      started: started.toISOString(),
      finished: new Date().toISOString(),
      quick,
      machine: { node: process.version, cpus: cpus().length, model: cpus()[0]?.model, loadavg: loadavg() },
      goals: { met: goals.length - missed.length, missed: missed.map((f) => f.key) },
      failedSections: failed,
      sections: results,
    },
    null,
    2,
  )}\n`,
);

const rows = results.flatMap((r) =>
  r.figures.map((f) => [
    r.section,
    f.label,
    `${formatNumber(f.value, f.digits)} ${f.unit}`,
    f.goal ? `${f.goal.op} ${f.goal.target}` : "",
    f.goal ? (meets(f) ? "met" : "MISSED") : "",
  ]),
);
const header = ["section", "figure", "value", "goal", ""];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(" | ")} |`;
console.log(
  `\nMailroom benchmarks, ${started.toISOString().slice(0, 16)}Z, Node ${process.version}, ${cpus().length} CPUs, load ${loadavg()
    .map((l) => l.toFixed(1))
    .join(" ")}${quick ? ", quick mode" : ""}\n`,
);
console.log(line(header));
console.log(`|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`);
for (const r of rows) console.log(line(r));
console.log(
  `\ngoals met: ${goals.length - missed.length} of ${goals.length}${missed.length > 0 ? `; missed: ${missed.map((f) => f.key).join(", ")}` : ""}`,
);
if (failed.length > 0) console.log(`sections that failed: ${failed.join("; ")}`);
console.log(
  `written: bench/results.json (every figure, per-round details, the bundle's inputs); logs: bench/results.log`,
);
if (failed.length > 0) process.exitCode = 1;
