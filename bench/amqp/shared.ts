/** Settings shared by the AMQP benchmark's parent and consumer processes. */
export const AMQP_URL = process.env.MAILROOM_AMQP_URL ?? "amqp://guest:guest@127.0.0.1:5672";
/** Messages per run. The figure is 100,000; BENCH_AMQP_COUNT scales it down for quick runs. */
export const COUNT = Number(
  process.env.BENCH_AMQP_COUNT ?? (process.env.BENCH_QUICK === "1" ? 20_000 : 100_000),
);
export const PREFETCH = 100;
export const NAME = "order_created";

/** The payload: with the `{ name, data }` wrapper the body is about 130 bytes. */
export function payload(i: number): {
  id: number;
  sku: string;
  qty: number;
  price: number;
  customer: string;
  at: string;
} {
  return {
    id: 1_000_000 + i,
    sku: `SKU-${String(i % 100_000).padStart(6, "0")}`,
    qty: 1 + (i % 7),
    price: 19.99,
    customer: `c-${String(i % 1_000_000).padStart(7, "0")}`,
    at: "2026-11-23T08:00Z",
  };
}

/** What a consumer process reports. */
export interface ConsumerResult {
  kind: string;
  count: number;
  ms: number;
  cpuUs: number;
}
