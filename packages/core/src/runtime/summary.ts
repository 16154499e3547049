import type { WorkerStats } from "./stats.ts";

/** The counters and clocks a summary line compares. */
export interface SummaryPoint {
  at: number;
  cpuMicros: number;
  received: number;
  acked: number;
  retried: number;
  deadLettered: number;
}

/** Read the counters and the process CPU clock now. */
export function summaryPoint(stats: WorkerStats, at = Date.now()): SummaryPoint {
  const cpu = process.cpuUsage();
  return {
    at,
    cpuMicros: cpu.user + cpu.system,
    received: stats.received,
    acked: stats.acked,
    retried: stats.retried,
    deadLettered: stats.deadLettered,
  };
}

/** The fields of the summary log line between two points (failed = retried + dead-lettered). */
export interface SummaryFields {
  intervalS: number;
  consumed: number;
  acked: number;
  failed: number;
  deadLettered: number;
  /** Share of one core used by the process over the interval, %. */
  cpuPercent: number;
  rssMb: number;
  host: string;
}

/** Fields and one-line text (`msg`) of the summary between `from` and `to`. */
export function summaryLine(from: SummaryPoint, to: SummaryPoint): SummaryFields & { msg: string } {
  const ms = Math.max(1, to.at - from.at);
  const fields: SummaryFields = {
    intervalS: Math.round(ms / 1000),
    consumed: to.received - from.received,
    acked: to.acked - from.acked,
    failed: to.retried - from.retried + (to.deadLettered - from.deadLettered),
    deadLettered: to.deadLettered - from.deadLettered,
    cpuPercent: Math.round(((to.cpuMicros - from.cpuMicros) / 1000 / ms) * 1000) / 10,
    rssMb: Math.round(process.memoryUsage.rss() / 1048576),
    host: process.getBuiltinModule("node:os").hostname(),
  };
  const msg =
    `summary ${fields.intervalS} s: consumed ${fields.consumed}, acked ${fields.acked}, failed ${fields.failed}, ` +
    `dead-lettered ${fields.deadLettered}, CPU ${fields.cpuPercent}%, RSS ${fields.rssMb} MB, host ${fields.host}`;
  return { ...fields, msg };
}
