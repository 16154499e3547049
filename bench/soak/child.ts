// One soak: the Worker at its defaults consumes COUNT messages from one local queue while a
// producer keeps a backlog of a few thousand; the heap is measured after a full GC every tenth of
// the run. Needs --expose-gc. Prints one JSON line: { heapMB: [...], rate, handled }. The SQLite
// file is on /dev/shm where there is one: the soak is about the heap, and a disk shared with other
// jobs would only make it slower.
//   node --expose-gc --conditions=@mailroom/source bench/soak/child.ts <memory|sqlite> <fifo|plain> <count>
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  createApp,
  memoryTransport,
  type Outgoing,
  silentLogger,
  sqliteTransport,
  Worker,
} from "@mailroom/core";

const [kind, order, countText] = process.argv.slice(2) as ["memory" | "sqlite", "fifo" | "plain", string];
const COUNT = Number(countText);
const BACKLOG = 5_000;
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error("run with --expose-gc");

const dir = mkdtempSync(join(existsSync("/dev/shm") ? "/dev/shm" : tmpdir(), "mailroom-soak-"));
const transport =
  kind === "memory"
    ? memoryTransport({ namespace: `soak-${process.pid}`, queue: "soak", waitMs: 50 })
    : sqliteTransport(join(dir, "soak.db"), { queue: "soak", waitMs: 50 });
const publisher = transport.publisher();
let published = 0;
let handled = 0;
const heapMB: number[] = [];
const app = createApp({ name: "soak", logger: silentLogger });
app.handle("order_created", () => {
  handled++;
});
const worker = new Worker(app, transport.source(), { logger: silentLogger });

function batch(n: number): Outgoing[] {
  return Array.from({ length: n }, () => {
    const i = published++;
    return {
      name: "order_created",
      data: { id: `order-${i}`, customer: `c-${i % 1000}`, total: 99.5, lines: [{ sku: "A1", qty: 2 }] },
      ...(order === "fifo" ? { groupId: `customer-${i % 64}` } : {}),
    };
  });
}

function sampleHeap(): void {
  gc!();
  heapMB.push(process.memoryUsage().heapUsed / 1024 / 1024);
}

const running = worker.start();
const began = performance.now();
let nextSample = 0;
while (handled < COUNT) {
  if (handled >= nextSample) {
    sampleHeap();
    nextSample += COUNT / 10;
  }
  const room = Math.min(BACKLOG - (published - handled), COUNT - published);
  if (room >= 500) await publisher.publish(batch(500));
  else await new Promise((resolve) => setTimeout(resolve, 5));
}
const seconds = (performance.now() - began) / 1000;
await worker.stop();
await running;
sampleHeap();
await transport.close();
rmSync(dir, { recursive: true, force: true });
process.stdout.write(`${JSON.stringify({ heapMB, rate: handled / seconds, handled })}\n`);
