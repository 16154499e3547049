import type { ChaosResult } from "./scenario.ts";

const COLUMNS = [
  "transport",
  "sent",
  "processed",
  "dead-lettered",
  "lost",
  "dup (idem off)",
  "dup (idem on)",
  "wrongly DLQ'd",
  "time",
] as const;

/** The per-transport table, as Markdown (it reads the same in a terminal and in a README). */
export function formatTable(results: readonly ChaosResult[]): string {
  const rows = results.map((r) => [
    r.target,
    String(r.sent),
    String(r.processed),
    String(r.deadLettered),
    r.finished ? String(r.lost) : `${r.lost} (timed out)`,
    String(r.duplicatesPlain),
    String(r.duplicatesIdempotent),
    String(r.wronglyDeadLettered),
    `${r.seconds.toFixed(1)} s`,
  ]);
  const widths = COLUMNS.map((c, i) => Math.max(c.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: readonly string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(" | ")} |`;
  return [line(COLUMNS), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

/** What happened during each run and anything that needs a look. */
export function formatNotes(results: readonly ChaosResult[]): string {
  const out: string[] = [];
  for (const r of results) {
    out.push(`${r.target}: ${r.events.join("; ")}`);
    if (r.publish.retries > 0) {
      out.push(
        `  publish retried ${r.publish.retries}× (each may have doubled a batch); last error: ${r.publish.lastError}`,
      );
    }
    if (r.duplicatesIdempotentAfterKill > 0) {
      out.push(
        `  idempotent items repeated after kill -9 of the worker that did their effect, before it marked them completed (its claim expired): ${r.repeatedAfterKill.join("; ")}`,
      );
    }
    for (const reason of r.wrongReasons) out.push(`  wrongly dead-lettered: ${reason}`);
    if (r.lost > 0) out.push(`  lost items (first 10): ${r.lostSample.join(", ")}`);
    if (r.unexpectedExits.length > 0)
      out.push(`  workers that ended on their own: ${r.unexpectedExits.join("; ")}`);
    if (r.left && r.left.ready + r.left.delayed + r.left.inFlight > 0) {
      out.push(
        `  left on the queue: ${r.left.ready} ready, ${r.left.delayed} delayed, ${r.left.inFlight} in flight`,
      );
    }
  }
  return out.join("\n");
}

/** True when the goals hold: nothing lost, no duplicate with idempotency on, nothing good dead-lettered. */
export function goalsHold(r: ChaosResult): boolean {
  return r.finished && r.lost === 0 && r.duplicatesIdempotent === 0 && r.wronglyDeadLettered === 0;
}
