/**
 * FIFO receive cost against the backlog, on the local stores (memory and SQLite).
 *
 *   node bench/core/fifo-scale.ts                 (backlogs 1k, 5k, 20k, 100k)
 *   BACKLOGS=1000,5000 node bench/core/fifo-scale.ts
 *
 * The queue holds BACKLOG waiting messages in GROUPS FIFO groups (published round-robin, as
 * interleaved orders of a few customers arrive). One cycle is a receive of up to 10 messages and
 * the ack of all it returned, the store calls a Worker makes per batch. After each cycle as many
 * messages are published as were acked (not timed), so the backlog stays at its size. A receive
 * that scans the backlog shows as a cost growing with it; an indexed receive stays flat.
 *
 * Imports the stores from source, so it runs with plain `node` on what is checked out.
 *
 * Measured on the shared 2-vCPU machine (Node 24.21), ms per receive + ack; other jobs were
 * running, so single figures vary up to 2×. Before: a receive could take only a group's head
 * (4 messages per receive here), found by scanning the backlog. After: a receive takes a run of
 * one group (10 messages), found through an index.
 *
 *   waiting    memory before  memory after   SQLite before  SQLite after
 *     1,000         0.40          0.04            1.12          1.38
 *     5,000         2.26          0.04            5.96          1.66
 *    20,000        13.78          0.03           24.81          1.57
 *   100,000       125.33          0.03          125.44          1.57
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { LocalStore } from "../../packages/core/src/transports/local-store.ts";
import { MemoryStore } from "../../packages/core/src/transports/memory.ts";
import { SqliteStore } from "../../packages/core/src/transports/sqlite.ts";

const BACKLOGS = (process.env.BACKLOGS ?? "1000,5000,20000,100000").split(",").map(Number);
const GROUPS = Number(process.env.GROUPS ?? 4);
const BATCH = 10;
/** Cycles measured per backlog: stop at this many, or after BUDGET_MS, whichever comes first. */
const CYCLES = Number(process.env.CYCLES ?? 1000);
const BUDGET_MS = Number(process.env.BUDGET_MS ?? 5_000);

const bytes = new TextEncoder().encode(JSON.stringify({ name: "order_created", data: { id: "order-1" } }));
let published = 0;

function publish(store: LocalStore, count: number): void {
  const rows = Array.from({ length: count }, () => ({
    body: bytes,
    meta: { headers: {} },
    visibleAt: 0,
    groupId: `customer-${published++ % GROUPS}`,
  }));
  for (let i = 0; i < rows.length; i += 1000) store.enqueue("fifo", rows.slice(i, i + 1000));
}

function measure(store: LocalStore, backlog: number): { msPerCycle: number; perCycle: number } {
  publish(store, backlog);
  // Warm up the statements and the JIT before timing.
  for (let i = 0; i < 20; i++) {
    const rows = store.receive("fifo", BATCH, 30_000);
    store.ack(rows.map((r) => r.handle));
    publish(store, rows.length);
  }
  let timedNs = 0n;
  let cycles = 0;
  let messages = 0;
  const started = Date.now();
  while (cycles < CYCLES && Date.now() - started < BUDGET_MS) {
    const t = process.hrtime.bigint();
    const rows = store.receive("fifo", BATCH, 30_000);
    store.ack(rows.map((r) => r.handle));
    timedNs += process.hrtime.bigint() - t;
    if (rows.length === 0) throw new Error("the backlog ran dry: nothing received");
    cycles++;
    messages += rows.length;
    publish(store, rows.length);
  }
  return { msPerCycle: Number(timedNs) / 1e6 / cycles, perCycle: messages / cycles };
}

const dir = mkdtempSync(join(tmpdir(), "mailroom-fifo-bench-"));
try {
  console.log(
    `FIFO receive + ack on the local stores: ${GROUPS} groups, receive up to ${BATCH}, Node ${process.version}\n`,
  );
  console.log(
    `${"store".padEnd(8)} ${"waiting".padStart(8)} ${"ms / receive+ack".padStart(17)} ${"msgs / receive".padStart(15)}`,
  );
  for (const kind of ["memory", "sqlite"] as const) {
    for (const backlog of BACKLOGS) {
      const store: LocalStore =
        kind === "memory" ? new MemoryStore() : new SqliteStore(join(dir, `fifo-${backlog}.db`));
      const { msPerCycle, perCycle } = measure(store, backlog);
      store.close();
      console.log(
        `${kind.padEnd(8)} ${backlog.toLocaleString("en").padStart(8)} ${msPerCycle.toFixed(3).padStart(17)} ${perCycle.toFixed(1).padStart(15)}`,
      );
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
