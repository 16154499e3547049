import { redact } from "@mailroom/core";
import { sampleLine } from "../metrics.ts";

/** The worker counters the dashboard turns into rates, by their names in a worker's `/metrics`. */
const COUNTERS = {
  received: "mailroom_messages_received_total",
  acked: "mailroom_messages_acked_total",
  retried: "mailroom_messages_retried_total",
  deadLettered: "mailroom_messages_dead_lettered_total",
} as const;

/** Messages per second over the last poll; `null` until two polls have been made. */
export interface Rates {
  received: number | null;
  acked: number | null;
  /** Retried and dead-lettered. */
  failed: number | null;
}

/** One worker's rates, or why it could not be read. */
export interface WorkerRates extends Rates {
  /** The metrics URL, credentials masked. */
  readonly url: string;
  readonly error?: string;
}

/** What the dashboard shows under "Workers": each worker, and the sum of those that answered. */
export interface RatesSnapshot {
  readonly total: Rates;
  readonly workers: readonly WorkerRates[];
}

interface Sample {
  readonly at: number;
  readonly counters: Readonly<Record<keyof typeof COUNTERS, number>>;
}

/**
 * Sum each counter over its label sets (a supervisor's `/metrics` has one sample per worker
 * process), from Prometheus text exposition. Counters not in the text are 0.
 */
export function parseCounters(text: string): Record<keyof typeof COUNTERS, number> {
  const sums = { received: 0, acked: 0, retried: 0, deadLettered: 0 };
  const byName = new Map<string, keyof typeof sums>(
    Object.entries(COUNTERS).map(([key, name]) => [name, key as keyof typeof sums]),
  );
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const sample = sampleLine(line);
    const key = sample && byName.get(sample.name);
    if (!key) continue;
    const value = Number(sample.rest.trim().split(/\s+/, 1)[0]);
    if (Number.isFinite(value)) sums[key] += value;
  }
  return sums;
}

/** The metrics URL of a worker given as its health address (`http://host:port`) or the full URL. */
export function metricsUrl(address: string): URL {
  const url = new URL(address);
  if (url.pathname === "/" || url.pathname === "") url.pathname = "/metrics";
  return url;
}

/**
 * Scrapes workers' `/metrics` and turns the counters into per-second rates by the difference
 * between two polls. A counter that went down (the worker restarted) starts again from the new
 * value instead of showing a negative rate.
 */
export class RateMeter {
  readonly #urls: readonly URL[];
  readonly #last = new Map<string, Sample>();
  readonly #timeoutMs: number;

  constructor(urls: readonly URL[], options: { timeoutMs?: number } = {}) {
    this.#urls = urls;
    this.#timeoutMs = options.timeoutMs ?? 1500;
  }

  /** True when there are workers to scrape. */
  get enabled(): boolean {
    return this.#urls.length > 0;
  }

  /** Scrape every worker once, in parallel; a worker that does not answer is reported, not thrown. */
  async poll(): Promise<RatesSnapshot> {
    const workers = await Promise.all(this.#urls.map((url) => this.#pollOne(url)));
    const total: Rates = { received: null, acked: null, failed: null };
    for (const w of workers) {
      for (const key of ["received", "acked", "failed"] as const) {
        const v = w[key];
        if (v !== null) total[key] = (total[key] ?? 0) + v;
      }
    }
    return { total, workers };
  }

  async #pollOne(url: URL): Promise<WorkerRates> {
    const shown = redact(url.href);
    let counters: Sample["counters"];
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(this.#timeoutMs) });
      if (!res.ok) {
        await res.body?.cancel();
        throw new Error(`HTTP ${res.status}`);
      }
      counters = parseCounters(await res.text());
    } catch (error) {
      this.#last.delete(url.href);
      const why = error instanceof Error ? error.message : String(error);
      return { url: shown, received: null, acked: null, failed: null, error: `not reachable: ${why}` };
    }
    const now: Sample = { at: Date.now(), counters };
    const before = this.#last.get(url.href);
    this.#last.set(url.href, now);
    if (!before || now.at <= before.at) return { url: shown, received: null, acked: null, failed: null };
    const seconds = (now.at - before.at) / 1000;
    const rate = (a: number, b: number) => (a < b ? a : a - b) / seconds;
    const c = now.counters;
    const p = before.counters;
    return {
      url: shown,
      received: rate(c.received, p.received),
      acked: rate(c.acked, p.acked),
      failed: rate(c.retried + c.deadLettered, p.retried + p.deadLettered),
    };
  }
}
