// The one result format every benchmark section writes, and the goals it is judged against.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** A goal a figure is held to: `value op target` (e.g. `<= 1.5` for a ratio to the floor). */
export interface Goal {
  op: "<=" | ">=";
  target: number;
}

/** One measured figure of a section. */
export interface Figure {
  /** Stable id, e.g. `lambda.ratioToFloor`. */
  key: string;
  /** What was measured, in words, for the table. */
  label: string;
  value: number;
  unit: string;
  /** Decimals to print. */
  digits?: number;
  goal?: Goal;
}

/** What a section reports: its figures and, for the README, how it was run. */
export interface SectionResult {
  section: string;
  /** One line: sizes, rounds, versions. */
  setup: string;
  figures: Figure[];
  /** Anything else worth keeping (per-round figures, the esbuild metafile summary, …). */
  details?: Record<string, unknown>;
}

/** True when the figure meets its goal (or has none). */
export function meets(figure: Figure): boolean {
  if (!figure.goal) return true;
  return figure.goal.op === "<=" ? figure.value <= figure.goal.target : figure.value >= figure.goal.target;
}

/**
 * Hand a section's result to the orchestrator (`bench/run.ts` sets BENCH_OUT to a file) or, run
 * alone, print it.
 */
export function report(result: SectionResult): void {
  const out = process.env.BENCH_OUT;
  // A copy per section survives a run stopped before its end (bench/.sections/, not committed).
  const keep = join(import.meta.dirname, "..", ".sections");
  mkdirSync(keep, { recursive: true });
  writeFileSync(join(keep, `${result.section}.json`), `${JSON.stringify(result, null, 2)}\n`);
  if (out) writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
  else {
    console.log(`\n${result.section}: ${result.setup}`);
    for (const f of result.figures) console.log(`  ${formatFigure(f)}`);
  }
}

/** `label: value unit (goal …) ✓/✗`. */
export function formatFigure(f: Figure): string {
  const goal = f.goal ? ` (goal ${f.goal.op} ${f.goal.target}) ${meets(f) ? "ok" : "MISSED"}` : "";
  return `${f.label}: ${formatNumber(f.value, f.digits)} ${f.unit}${goal}`;
}

export function formatNumber(value: number, digits = 2): string {
  return value.toLocaleString("en", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** True for `npm run bench:quick` (or BENCH_QUICK=1): smaller runs, same figures. */
export const QUICK = process.env.BENCH_QUICK === "1";

/** The median of numbers. */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}
