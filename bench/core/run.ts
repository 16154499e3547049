/**
 * Core benchmarks: push-dispatch overhead per message, and Worker throughput over the memory
 * and SQLite queues against a bare SQLite receive-then-delete loop measured in the same run.
 *
 *   node bench/core/run.ts            (MESSAGES=50000 by default)
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import {
  createApp,
  type Delivery,
  jsonCodec,
  memoryTransport,
  silentLogger,
  sqliteTransport,
  Worker,
} from "@mailroom/core";
import { decodeEnvelope, dispatch, SqliteStore } from "@mailroom/core/transport";

const N = Number(process.env.MESSAGES ?? 50_000);
const ROUNDS = Number(process.env.ROUNDS ?? 3);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}
const body = {
  id: "order-000123",
  customer: "c-42",
  total: 99.5,
  currency: "EUR",
  lines: [{ sku: "A1", qty: 2 }],
};

function row(label: string, value: string) {
  console.log(`${label.padEnd(58)} ${value}`);
}

async function pushOverhead() {
  const app = createApp({ name: "bench", logger: silentLogger });
  app.handle("order_created", () => {});
  const codec = jsonCodec();
  const bytes = new TextEncoder().encode(JSON.stringify({ name: "order_created", data: body }));
  const noop = async () => {};
  const makeDeliveries = (n: number): Delivery[] =>
    Array.from({ length: n }, () => ({
      envelope: decodeEnvelope(
        codec,
        bytes,
        { headers: {} },
        { attempt: 1, transport: { kind: "bench", queue: "q", raw: null } },
      ),
      ack: noop,
      retry: noop,
      defer: noop,
      release: noop,
      deadLetter: noop,
      extend: noop,
    }));
  const batch = 10;
  const rounds = N / batch;
  // warm up
  for (let i = 0; i < 2000; i++) await dispatch(app, makeDeliveries(batch));
  const prepared = Array.from({ length: rounds }, () => makeDeliveries(batch));
  let t = process.hrtime.bigint();
  for (const ds of prepared) await dispatch(app, ds);
  const dispatchOnly = Number(process.hrtime.bigint() - t) / 1000 / N;
  t = process.hrtime.bigint();
  for (let i = 0; i < rounds; i++) await dispatch(app, makeDeliveries(batch));
  const withDecode = Number(process.hrtime.bigint() - t) / 1000 / N;
  return { dispatchOnly, withDecode };
}

async function workerThroughput(kind: "memory" | "sqlite", dir: string) {
  const transport =
    kind === "memory"
      ? memoryTransport({ namespace: `bench-${Date.now()}`, queue: "bench", waitMs: 50 })
      : sqliteTransport(join(dir, "worker.db"), { queue: "bench", waitMs: 50 });
  const publisher = transport.publisher();
  const chunk = 500;
  let t = process.hrtime.bigint();
  for (let i = 0; i < N; i += chunk) {
    await publisher.publish(
      Array.from({ length: Math.min(chunk, N - i) }, () => ({ name: "order_created", data: body })),
    );
  }
  const publishRate = N / (Number(process.hrtime.bigint() - t) / 1e9);
  const app = createApp({ name: "bench", logger: silentLogger });
  let handled = 0;
  app.handle("order_created", () => {
    handled++;
  });
  const worker = new Worker(app, transport.source(), {
    concurrency: 16,
    batchSize: 10,
    untilEmpty: true,
    logger: silentLogger,
  });
  const cpu0 = process.cpuUsage();
  t = process.hrtime.bigint();
  await worker.start();
  const secs = Number(process.hrtime.bigint() - t) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  await transport.close();
  if (handled !== N) throw new Error(`${kind}: handled ${handled} of ${N}`);
  return { publishRate, rate: N / secs, cpuPerMsg: (cpu.user + cpu.system) / N };
}

function bareSqlite(dir: string) {
  const path = join(dir, "bare.db");
  const store = new SqliteStore(path);
  const bytes = new TextEncoder().encode(JSON.stringify({ name: "order_created", data: body }));
  for (let i = 0; i < N; i += 500) {
    store.enqueue(
      "bare",
      Array.from({ length: Math.min(500, N - i) }, () => ({
        body: bytes,
        meta: { headers: {} },
        visibleAt: 0,
      })),
    );
  }
  store.close();
  const db = new DatabaseSync(path);
  db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;");
  const take = db.prepare(
    "SELECT seq, body FROM mailroom_messages WHERE queue = 'bare' AND visible_at <= ? ORDER BY visible_at, seq LIMIT 10",
  );
  const del = db.prepare("DELETE FROM mailroom_messages WHERE seq = ?");
  // The fair floor: each received batch of 10 is deleted in one transaction, as Mailroom coalesces acks.
  const t = process.hrtime.bigint();
  let n = 0;
  for (;;) {
    const rows = take.all(Date.now()) as Array<{ seq: number }>;
    if (rows.length === 0) break;
    db.exec("BEGIN");
    for (const r of rows) del.run(r.seq);
    db.exec("COMMIT");
    n += rows.length;
  }
  const secs = Number(process.hrtime.bigint() - t) / 1e9;
  db.close();
  return n / secs;
}

const dir = mkdtempSync(join(tmpdir(), "mailroom-bench-"));
const fmt = (n: number) => Math.round(n).toLocaleString("en");
try {
  console.log(
    `Mailroom core benchmark — ${N.toLocaleString("en")} messages, medians of ${ROUNDS} rounds, Node ${process.version}\n`,
  );
  const push: Array<{ dispatchOnly: number; withDecode: number }> = [];
  const mem: Array<{ publishRate: number; rate: number; cpuPerMsg: number }> = [];
  const sql: Array<{ publishRate: number; rate: number; cpuPerMsg: number }> = [];
  const bare: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    push.push(await pushOverhead());
    mem.push(await workerThroughput("memory", dir));
    sql.push(await workerThroughput("sqlite", dir));
    bare.push(bareSqlite(dir));
    rmSync(join(dir, "worker.db"), { force: true });
    rmSync(join(dir, "bare.db"), { force: true });
  }
  const m = <T>(xs: T[], f: (x: T) => number) => median(xs.map(f));
  row(
    "push dispatch, no-op handler, batches of 10",
    `${m(push, (p) => p.dispatchOnly).toFixed(2)} µs/message (goal <= 2)`,
  );
  row("push decode + dispatch, no-op handler", `${m(push, (p) => p.withDecode).toFixed(2)} µs/message`);
  row("memory: publish (batches of 500)", `${fmt(m(mem, (x) => x.publishRate))} msg/s`);
  row(
    "memory: Worker, concurrency 16, no-op handler",
    `${fmt(m(mem, (x) => x.rate))} msg/s, ${m(mem, (x) => x.cpuPerMsg).toFixed(1)} µs CPU/msg`,
  );
  row("sqlite: publish (batches of 500)", `${fmt(m(sql, (x) => x.publishRate))} msg/s`);
  row(
    "sqlite: Worker, concurrency 16, no-op handler",
    `${fmt(m(sql, (x) => x.rate))} msg/s, ${m(sql, (x) => x.cpuPerMsg).toFixed(1)} µs CPU/msg (goal >= 20,000 msg/s)`,
  );
  row("bare SQLite: select 10, delete them in one transaction", `${fmt(median(bare))} msg/s`);
  row(
    "ratio: Mailroom SQLite Worker / bare SQLite loop",
    `${(m(sql, (x) => x.rate) / median(bare)).toFixed(2)}× (the Worker writes twice per batch: take, then acks)`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
