/** Settings shared by the Redis benchmark's parent and consumer processes. */
export const REDIS_URL = process.env.MAILROOM_REDIS_URL ?? "redis://127.0.0.1:6379";
/** Messages per round; BENCH_REDIS_COUNT (or BENCH_QUICK) scales it down. */
export const COUNT = Number(
  process.env.BENCH_REDIS_COUNT ?? (process.env.BENCH_QUICK === "1" ? 5_000 : 30_000),
);
export const NAME = "order_created";
/** The group every consumer reads with (Mailroom's default). */
export const GROUP = "mailroom";

/** The payload: with the `{ name, data }` wrapper the body is about 130 bytes. */
export function payload(i: number) {
  return {
    id: 1_000_000 + i,
    sku: `SKU-${String(i % 100_000).padStart(6, "0")}`,
    qty: 1 + (i % 7),
    price: 19.99,
    customer: `c-${String(i % 1_000_000).padStart(7, "0")}`,
    at: "2026-11-23T08:00Z",
  };
}

/** The URL of a stream on the benchmark's Redis. */
export function streamUrl(stream: string): string {
  const url = new URL(REDIS_URL);
  url.searchParams.set("stream", stream);
  return url.toString();
}

/** What a consumer process reports. */
export interface ConsumerResult {
  kind: string;
  count: number;
  ms: number;
  cpuUs: number;
}
