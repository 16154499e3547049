/**
 * Local queues: Worker throughput over the memory and SQLite queues (plain and FIFO), against a
 * bare SQLite receive-then-delete loop in the same run; push dispatch overhead per message.
 *
 *   node --conditions=@mailroom/source bench/core/run.ts     (BENCH_QUICK=1: 20,000 messages)
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
  type Outgoing,
  silentLogger,
  sqliteTransport,
  Worker,
} from "@mailroom/core";
import { decodeEnvelope, dispatch, SqliteStore } from "@mailroom/core/transport";
import { median, QUICK, report } from "../lib/result.ts";

const N = Number(process.env.MESSAGES ?? (QUICK ? 20_000 : 50_000));
const ROUNDS = Number(process.env.ROUNDS ?? (QUICK ? 1 : 3));
/** FIFO runs spread the messages over this many groups (orders of many customers). */
const GROUPS = 64;
const body = {
  id: "order-000123",
  customer: "c-42",
  total: 99.5,
  currency: "EUR",
  lines: [{ sku: "A1", qty: 2 }],
};

async function pushOverhead(): Promise<{ dispatchOnly: number; withDecode: number }> {
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
  for (let i = 0; i < 2000; i++) await dispatch(app, makeDeliveries(batch));
  const prepared = Array.from({ length: rounds }, () => makeDeliveries(batch));
  let cpu = process.cpuUsage();
  for (const ds of prepared) await dispatch(app, ds);
  let used = process.cpuUsage(cpu);
  const dispatchOnly = (used.user + used.system) / N;
  cpu = process.cpuUsage();
  for (let i = 0; i < rounds; i++) await dispatch(app, makeDeliveries(batch));
  used = process.cpuUsage(cpu);
  return { dispatchOnly, withDecode: (used.user + used.system) / N };
}

interface Throughput {
  publishRate: number;
  rate: number;
  cpuPerMsg: number;
}

async function workerThroughput(kind: "memory" | "sqlite", fifo: boolean, dir: string): Promise<Throughput> {
  const transport =
    kind === "memory"
      ? memoryTransport({ namespace: `bench-${Date.now()}`, queue: "bench", waitMs: 50 })
      : sqliteTransport(join(dir, "worker.db"), { queue: "bench", waitMs: 50 });
  const publisher = transport.publisher();
  const chunk = 500;
  let t = process.hrtime.bigint();
  for (let i = 0; i < N; i += chunk) {
    const messages: Outgoing[] = Array.from({ length: Math.min(chunk, N - i) }, (_, k) => ({
      name: "order_created",
      data: body,
      ...(fifo ? { groupId: `customer-${(i + k) % GROUPS}` } : {}),
    }));
    await publisher.publish(messages);
  }
  const publishRate = N / (Number(process.hrtime.bigint() - t) / 1e9);
  const app = createApp({ name: "bench", logger: silentLogger });
  let handled = 0;
  app.handle("order_created", () => {
    handled++;
  });
  // The Worker at its defaults (concurrency 16, batch 10).
  const worker = new Worker(app, transport.source(), { untilEmpty: true, logger: silentLogger });
  const cpu0 = process.cpuUsage();
  t = process.hrtime.bigint();
  await worker.start();
  const secs = Number(process.hrtime.bigint() - t) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  await transport.close();
  if (handled !== N) throw new Error(`${kind}: handled ${handled} of ${N}`);
  return { publishRate, rate: N / secs, cpuPerMsg: (cpu.user + cpu.system) / N };
}

function bareSqlite(dir: string): number {
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
try {
  const push: Array<{ dispatchOnly: number; withDecode: number }> = [];
  const runs: Record<string, Throughput[]> = { memory: [], memoryFifo: [], sqlite: [], sqliteFifo: [] };
  const bare: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    push.push(await pushOverhead());
    runs.memory!.push(await workerThroughput("memory", false, dir));
    runs.memoryFifo!.push(await workerThroughput("memory", true, dir));
    runs.sqlite!.push(await workerThroughput("sqlite", false, dir));
    rmSync(join(dir, "worker.db"), { force: true });
    runs.sqliteFifo!.push(await workerThroughput("sqlite", true, dir));
    rmSync(join(dir, "worker.db"), { force: true });
    bare.push(bareSqlite(dir));
    rmSync(join(dir, "bare.db"), { force: true });
    process.stderr.write(`  local round ${r + 1}/${ROUNDS}\n`);
  }
  const m = (xs: Throughput[], f: (x: Throughput) => number) => median(xs.map(f));
  const rate = (key: string) => m(runs[key]!, (x) => x.rate);
  const cpu = (key: string) => m(runs[key]!, (x) => x.cpuPerMsg);
  report({
    section: "local",
    setup: `${N.toLocaleString("en")} JSON messages of ~110 bytes per run, Worker at its defaults (concurrency 16, batch 10), no-op handler; FIFO runs over ${GROUPS} groups; medians of ${ROUNDS} rounds`,
    figures: [
      {
        key: "local.sqlite.rate",
        label: "SQLite: Worker",
        value: rate("sqlite"),
        unit: "msg/s",
        digits: 0,
        goal: { op: ">=", target: 20_000 },
      },
      {
        key: "local.sqliteFifo.rate",
        label: "SQLite FIFO: Worker",
        value: rate("sqliteFifo"),
        unit: "msg/s",
        digits: 0,
        goal: { op: ">=", target: 20_000 },
      },
      {
        key: "local.sqlite.cpu",
        label: "SQLite: Worker CPU",
        value: cpu("sqlite"),
        unit: "µs/msg",
        digits: 1,
      },
      {
        key: "local.sqlite.toBare",
        label: "SQLite: Worker / bare loop (the disk's share cancels out)",
        value: rate("sqlite") / median(bare),
        unit: "×",
      },
      {
        key: "local.bareSqlite.rate",
        label: "bare SQLite loop (select 10, delete in one transaction)",
        value: median(bare),
        unit: "msg/s",
        digits: 0,
      },
      {
        key: "local.sqlite.publish",
        label: "SQLite: publish, batches of 500",
        value: m(runs.sqlite!, (x) => x.publishRate),
        unit: "msg/s",
        digits: 0,
      },
      { key: "local.memory.rate", label: "memory: Worker", value: rate("memory"), unit: "msg/s", digits: 0 },
      {
        key: "local.memoryFifo.rate",
        label: "memory FIFO: Worker",
        value: rate("memoryFifo"),
        unit: "msg/s",
        digits: 0,
      },
      {
        key: "local.memory.cpu",
        label: "memory: Worker CPU",
        value: cpu("memory"),
        unit: "µs/msg",
        digits: 1,
      },
      {
        key: "push.dispatch",
        label: "push dispatch over decoded deliveries, batches of 10",
        value: median(push.map((p) => p.dispatchOnly)),
        unit: "CPU µs/msg",
      },
      {
        key: "push.decodeDispatch",
        label: "push decode + dispatch",
        value: median(push.map((p) => p.withDecode)),
        unit: "CPU µs/msg",
      },
    ],
    details: { runs, bare },
  });
} finally {
  rmSync(dir, { recursive: true, force: true });
}
