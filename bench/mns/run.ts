/**
 * MNS benchmark: requests per message and throughput on a full queue, Mailroom's Worker against
 * hand-written @alicloud/mns consumers, all against the MNS-protocol test server in the same run.
 *
 *   node --conditions=@mailroom/source bench/mns/run.ts   (MESSAGES=3200, ROUNDS=3, CONCURRENCY=16,32)
 *
 * Requests are counted by the server (every HTTP request it answered) and by Mailroom's client.
 */
import { createRequire } from "node:module";
import { openTransport } from "@mailroom/adapter-mns";
import { startMnsServer, TEST_CREDENTIAL } from "@mailroom/adapter-mns/testing";
import { createApp, silentLogger, Worker } from "@mailroom/core";
import { type Figure, QUICK, report } from "../lib/result.ts";

const N = Number(process.env.MESSAGES ?? (QUICK ? 800 : 3_200));
const ROUNDS = Number(process.env.ROUNDS ?? (QUICK ? 1 : 3));
const body = {
  id: "order-000123",
  customer: "c-42",
  total: 99.5,
  currency: "EUR",
  lines: [{ sku: "A1", qty: 2 }],
};
const server = await startMnsServer();
const keys = { accessKeyId: TEST_CREDENTIAL.accessKeyId, accessKeySecret: TEST_CREDENTIAL.accessKeySecret };
type Sdk = {
  createQueue(q: string): Promise<unknown>;
  batchSendMessage(q: string, m: Array<{ MessageBody: string }>): Promise<unknown>;
  receiveMessage(q: string, wait?: number): Promise<{ body: { ReceiptHandle: string; MessageBody: string } }>;
  deleteMessage(q: string, h: string): Promise<unknown>;
  batchReceiveMessage(
    q: string,
    n: number,
    wait?: number,
  ): Promise<{ body: Array<{ ReceiptHandle: string; MessageBody: string }> }>;
  batchDeleteMessage(q: string, h: string[]): Promise<unknown>;
};
const Client = createRequire(import.meta.url)("@alicloud/mns") as new (id: string, o: object) => Sdk;
const sdk = new Client(server.accountId, { endpoint: server.endpoint, ...keys });

function row(label: string, value: string) {
  console.log(`${label.padEnd(64)} ${value}`);
}

/** Fill a queue with N `{ name, data }` messages the way the existing producers do (plain text). */
async function fill(queue: string) {
  await sdk.createQueue(queue);
  // Mailroom's Worker checks at start-up that failed messages have somewhere to go.
  await sdk.createQueue(`${queue}-dlq`);
  const text = JSON.stringify({ name: "order_created", data: body });
  for (let i = 0; i < N; i += 16) {
    await sdk.batchSendMessage(
      queue,
      Array.from({ length: Math.min(16, N - i) }, () => ({ MessageBody: text })),
    );
  }
}

type Result = Awaited<ReturnType<typeof measure>>;

/** Run `consume` on a full queue; returns requests per message and messages per second. */
async function measure(label: string, consume: (queue: string) => Promise<void>) {
  const queue = `bench-${label.replace(/\W+/g, "-")}-${Date.now().toString(36)}`;
  await fill(queue);
  server.resetCounts();
  const began = performance.now();
  await consume(queue);
  const ms = performance.now() - began;
  const requests = server.requestCount();
  const byOp = { ...server.requests };
  const left = server.queues.get(queue)!.messages().length;
  if (left !== 0) throw new Error(`${label}: ${left} messages left`);
  return { label, requests, perMessage: requests / N, rate: (N / ms) * 1000, byOp };
}

/** The seed's loop: one ReceiveMessage and one DeleteMessage per message. */
async function rawSingle(queue: string) {
  for (let done = 0; done < N; done++) {
    const m = await sdk.receiveMessage(queue, 1);
    JSON.parse(m.body.MessageBody);
    await sdk.deleteMessage(queue, encodeURIComponent(m.body.ReceiptHandle));
  }
}

/** A careful hand-written batch loop: BatchReceiveMessage of 16, then BatchDeleteMessage of 16. */
async function rawBatch(queue: string) {
  for (let done = 0; done < N; ) {
    const got = (await sdk.batchReceiveMessage(queue, 16, 1)).body;
    for (const m of got) JSON.parse(m.MessageBody);
    await sdk.batchDeleteMessage(
      queue,
      got.map((m) => m.ReceiptHandle),
    );
    done += got.length;
  }
}

/** Mailroom's source and deliveries without the Worker: receive 16, ack each (acks coalesced into one delete). */
async function mailroomSource(queue: string) {
  const transport = await openTransport(
    `mns+http://${server.endpoint.slice(7)}/${queue}?accountId=${server.accountId}&visibility=30s&wait=1`,
    keys,
  );
  const source = transport.source();
  const signal = new AbortController().signal;
  for (let done = 0; done < N; ) {
    const got = await source.receive(16, signal);
    await Promise.all(got.map((d) => d.ack()));
    done += got.length;
  }
  await transport.close();
}

const CONCURRENCIES = (process.env.CONCURRENCY ?? "16,32").split(",").map(Number);
const ACK_FLUSH_MS = Number(process.env.ACK_FLUSH_MS ?? 10);
/** Receive calls that returned messages, and those that returned none (the final polls, aborted at stop). */
let receives = { full: 0, empty: 0 };

/** Mailroom's Worker: batchSize 16, one receive loop per 16 of concurrency, acks coalesced. */
async function mailroom(queue: string, concurrency: number) {
  receives = { full: 0, empty: 0 };
  const transport = await openTransport(
    `mns+http://${server.endpoint.slice(7)}/${queue}?accountId=${server.accountId}&visibility=30s&wait=1`,
    { ...keys, ackFlushMs: ACK_FLUSH_MS },
  );
  const source = transport.source();
  const countedReceive = async (max: number, signal: AbortSignal) => {
    const got = await source.receive(max, signal);
    if (got.length > 0) receives.full++;
    else receives.empty++;
    return got;
  };
  // Every other member reaches the source itself (its private fields need it as `this`).
  const counted = new Proxy(source, {
    get(target, key) {
      if (key === "receive") return countedReceive;
      const value: unknown = Reflect.get(target, key, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  const app = createApp({ name: "bench", logger: silentLogger });
  let handled = 0;
  let resolveAll!: () => void;
  const all = new Promise<void>((r) => {
    resolveAll = r;
  });
  app.handle("order_created", () => {
    if (++handled === N) resolveAll();
  });
  const worker = new Worker(app, counted, {
    concurrency,
    batchSize: 16,
    logger: silentLogger,
    publisher: transport.publisher(),
  });
  void worker.start();
  await all;
  await worker.stop();
  await transport.close();
}

console.log(`MNS test server, ${N} messages per run, full queue at start, medians of ${ROUNDS} rounds\n`);
// One untimed round of every variant first, so no variant pays for JIT warm-up of the SDK,
// httpx, xml2js or the server; then ROUNDS timed rounds, medians reported.
const variants: Array<[string, (queue: string) => Promise<void>]> = [
  ["raw SDK, receive + delete per message", rawSingle],
  ["raw SDK, batch receive 16 + batch delete 16", rawBatch],
  ["Mailroom source + ack, no Worker", mailroomSource],
  ...CONCURRENCIES.map(
    (c) =>
      [`Mailroom Worker (batchSize 16, concurrency ${c})`, (q: string) => mailroom(q, c)] as [
        string,
        (q: string) => Promise<void>,
      ],
  ),
];
const rounds: Result[][] = variants.map(() => []);
const emptyReceives: number[] = variants.map(() => 0);
for (let round = 0; round <= ROUNDS; round++) {
  for (const [i, [label, consume]] of variants.entries()) {
    const r = await measure(label, consume);
    if (round > 0) {
      rounds[i]!.push(r);
      if (label.startsWith("Mailroom Worker")) emptyReceives[i]! += receives.empty;
    }
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const results: Result[] = rounds.map((rs) => ({
  ...rs[0]!,
  requests: median(rs.map((r) => r.requests)),
  perMessage: median(rs.map((r) => r.perMessage)),
  rate: median(rs.map((r) => r.rate)),
}));
for (const r of results) {
  row(`${r.label}: requests per message`, r.perMessage.toFixed(4));
  row(`${r.label}: messages per second`, r.rate.toFixed(0));
  row(`${r.label}: requests by operation`, JSON.stringify(r.byOp));
}
const [single, batch, sourceOnly, ...mailrooms] = results as [Result, Result, Result, ...Result[]];
const workerEmpty = emptyReceives.slice(3);
console.log("");
row(
  "Mailroom source + ack (no Worker) throughput vs the batch loop",
  `${(sourceOnly.rate / batch.rate).toFixed(2)}x`,
);
const figures: Figure[] = [
  {
    key: "mns.rawSingle.requestsPerMessage",
    label: "MNS raw SDK, receive + delete per message",
    value: single.perMessage,
    unit: "req/msg",
    digits: 3,
  },
  {
    key: "mns.rawBatch.requestsPerMessage",
    label: "MNS raw SDK, batch receive 16 + batch delete 16",
    value: batch.perMessage,
    unit: "req/msg",
    digits: 3,
  },
];
mailrooms.forEach((mr, i) => {
  // Not counted: the start-up check (GetQueueAttributes of the queue and its dead-letter queue,
  // once per worker) and the long polls that came back empty at the end.
  const startUp = (mr.byOp as Record<string, number>).GetQueueAttributes ?? 0;
  const whileFull = (mr.requests - startUp - workerEmpty[i]! / ROUNDS) / N;
  const concurrency = CONCURRENCIES[i]!;
  figures.push(
    {
      key: `mns.worker${concurrency}.requestsPerMessage`,
      label: `MNS Mailroom Worker (batch 16, concurrency ${concurrency}): requests per message while messages wait`,
      value: whileFull,
      unit: "req/msg",
      digits: 4,
      goal: { op: "<=", target: 0.125 },
    },
    {
      key: `mns.worker${concurrency}.rateToBatchLoop`,
      label: `MNS Mailroom Worker (concurrency ${concurrency}) / hand-written batch loop throughput`,
      value: mr.rate / batch.rate,
      unit: "×",
    },
  );
  row(`${mr.label}`, "");
  row("  empty receives per run (the last polls, aborted at stop)", (workerEmpty[i]! / ROUNDS).toFixed(1));
  row("  requests per message while messages were waiting", whileFull.toFixed(4));
  row("  requests per message vs the per-message loop", `${(mr.perMessage / single.perMessage).toFixed(3)}x`);
  row(
    "  requests per message vs the hand-written batch loop",
    `${(mr.perMessage / batch.perMessage).toFixed(3)}x`,
  );
  row("  throughput vs the hand-written batch loop", `${(mr.rate / batch.rate).toFixed(2)}x`);
  row(
    "  goal: <= 0.125 requests per message on a full queue",
    whileFull <= 0.125 ? "met" : `NOT met (${whileFull.toFixed(4)})`,
  );
});
await server.close();
report({
  section: "mns",
  setup: `MNS test server in the same process, ${N.toLocaleString("en")} messages per run from a full queue, real @alicloud/mns SDK, one untimed round then medians of ${ROUNDS}`,
  figures,
  details: { results },
});
