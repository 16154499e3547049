// Azure Storage Queues on Azurite: what an idle worker costs in requests per minute (Storage
// Queues have no long poll), and messages per second draining a full queue, Mailroom's Worker at
// its defaults vs a hand-written @azure/storage-queue loop. Each contender runs in its own
// process; Azurite runs in its own; every request goes through a counting proxy in this one.
//
//   node --conditions=@mailroom/source bench/azure/run.ts
//   BENCH_AZURE_IDLE_S=60 BENCH_AZURE_COUNT=3000 (defaults)
import { spawn } from "node:child_process";
import { createServer, request } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { startAzurite } from "../../packages/adapter-azure/test/azurite.ts";

const IDLE_S = Number(process.env.BENCH_AZURE_IDLE_S ?? 60);
const COUNT = Number(process.env.BENCH_AZURE_COUNT ?? 3000);
/** `idle` or `throughput` to run one part only. */
const ONLY = process.env.BENCH_AZURE_ONLY;
const child = fileURLToPath(new URL("./contender.ts", import.meta.url));

/** Where the proxy forwards: each throughput contender gets a fresh Azurite (its in-memory queues slow down as they fill). */
let azurite = await startAzurite();
let requests = 0;
// Counts every request a contender makes, then forwards it to Azurite untouched.
const proxy = createServer((req, res) => {
  requests++;
  const upstream = request(
    { host: "127.0.0.1", port: azurite.port, path: req.url, method: req.method, headers: req.headers },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    },
  );
  upstream.on("error", () => res.destroy());
  req.pipe(upstream);
});
await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
const port = (proxy.address() as AddressInfo).port;
const url = (queue: string, query = "") =>
  `azure-queue+http://127.0.0.1:${port}/devstoreaccount1/${queue}?create=true${query}`;

/** Run a contender; `marks` gets the request count at each `{"mark": …}` line it prints. */
function contender(args: string[], marks: Record<string, number> = {}): Promise<Record<string, number>> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ["--conditions=@mailroom/source", child, ...args], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    p.stdout.on("data", (c: Buffer) => {
      out += c.toString();
      for (const m of c.toString().matchAll(/"mark":"(\w+)"/g)) marks[m[1]!] = requests;
    });
    p.on("exit", (code) =>
      code === 0
        ? resolve(JSON.parse(out.trim().split("\n").at(-1)!))
        : reject(new Error(`contender ${args[0]} exited ${code}`)),
    );
  });
}

try {
  if (ONLY !== "throughput")
    console.log(
      `idle: an empty queue for ${IDLE_S} s after the back-off settled (requests per minute, all requests counted)`,
    );
  for (const [label, query] of (ONLY === "throughput"
    ? []
    : [
        ["Mailroom Worker, defaults (maxPoll 5 s)", ""],
        ["Mailroom Worker, ?maxPoll=1s", "&maxPoll=1s"],
        ["Mailroom Worker, ?maxPoll=30s", "&maxPoll=30s"],
      ]) as Array<readonly [string, string]>) {
    const queue = `idle-${Date.now().toString(36)}`;
    await contender(["prepare", url(queue)]);
    const marks: Record<string, number> = {};
    const r = await contender(["idle", url(queue, query), String(IDLE_S)], marks);
    const perMinute = ((marks.end! - marks.begin!) / r.measuredMs!) * 60_000;
    console.log(`  ${label}: ${perMinute.toFixed(1)} requests/min`);
  }
  if (ONLY !== "idle")
    console.log(`throughput: draining ${COUNT} messages, no-op handler (each in its own process)`);
  const labels = {
    worker: "Mailroom Worker, defaults (concurrency 16, batchSize 10)",
    tuned: "Mailroom Worker, tuned (concurrency 64, batchSize 32)",
    raw: "raw @azure/storage-queue loop (32 per receive, deletes in parallel)",
  };
  for (const kind of ONLY === "idle" ? [] : (["worker", "tuned", "raw"] as const)) {
    await azurite.stop();
    azurite = await startAzurite();
    const queue = `drain-${kind}-${Date.now().toString(36)}`;
    await contender(["fill", url(queue), String(COUNT)]);
    const before = requests;
    const r = await contender([
      kind,
      url(queue),
      String(COUNT),
      azurite.connectionString.replace(String(azurite.port), String(port)),
    ]);
    console.log(
      `  ${labels[kind]}: ${Math.round((COUNT / r.ms!) * 1000)} msgs/s, ${((requests - before) / COUNT).toFixed(2)} requests/msg`,
    );
  }
} finally {
  proxy.close();
  await azurite.stop();
}
