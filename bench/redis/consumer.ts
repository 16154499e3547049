// One consumer run in its own process, so process.cpuUsage() measures that consumer alone.
// Usage: node --conditions=@mailroom/source consumer.ts <raw|mailroom-defaults|mailroom-tuned> <stream> <count>
import { openTransport } from "@mailroom/adapter-redis";
import { createApp, silentLogger, Worker } from "@mailroom/core";
import { Redis } from "ioredis";
import { type ConsumerResult, GROUP, NAME, REDIS_URL, streamUrl } from "./shared.ts";

const [kind, stream, countText] = process.argv.slice(2) as [string, string, string];
const count = Number(countText);

let seen = 0;
let startedAt = 0;
let cpuAt: NodeJS.CpuUsage = process.cpuUsage();
let finish: () => void = () => {};
const done = new Promise<void>((resolve) => {
  finish = resolve;
});

function begin(): void {
  startedAt = performance.now();
  cpuAt = process.cpuUsage();
}

function one(): void {
  if (++seen === count) finish();
}

/**
 * The loop a service writes with ioredis: XREADGROUP 10 at a time (blocking), JSON.parse of
 * each body, then XACK and XDEL of the batch in one pipeline.
 */
async function raw(): Promise<() => Promise<void>> {
  const redis = new Redis(REDIS_URL);
  await redis.xgroup("CREATE", stream, GROUP, "0", "MKSTREAM").catch(() => {});
  let stopped = false;
  begin();
  const loop = (async () => {
    while (!stopped && seen < count) {
      const answer = (await redis.xreadgroup(
        "GROUP",
        GROUP,
        "raw-1",
        "COUNT",
        10,
        "BLOCK",
        1000,
        "STREAMS",
        stream,
        ">",
      )) as Array<[string, Array<[string, string[]]>]> | null;
      if (!answer) continue;
      const ids: string[] = [];
      for (const [id, fields] of answer[0]![1]) {
        JSON.parse(fields[fields.indexOf("body") + 1]!);
        ids.push(id);
      }
      await redis
        .pipeline()
        .xack(stream, GROUP, ...ids)
        .xdel(stream, ...ids)
        .exec();
      for (const _ of ids) one();
    }
  })();
  return async () => {
    stopped = true;
    await loop;
    redis.disconnect();
  };
}

/** What a user gets first: the URL with only the stream, and a Worker with no options. */
async function mailroom(options: { concurrency?: number; batchSize?: number }): Promise<() => Promise<void>> {
  const transport = await openTransport(streamUrl(stream));
  const app = createApp({ name: "bench", logger: silentLogger });
  app.handle(NAME, () => {
    one();
  });
  const worker = new Worker(app, transport.source(), {
    publisher: transport.publisher(),
    logger: silentLogger,
    ...options,
  });
  begin();
  void worker.start();
  return async () => {
    await worker.stop();
    await transport.close();
  };
}

const stop =
  kind === "raw"
    ? await raw()
    : kind === "mailroom-defaults"
      ? await mailroom({})
      : await mailroom({ concurrency: 64, batchSize: 32 });
await done;
const ms = performance.now() - startedAt;
const cpu = process.cpuUsage(cpuAt);
await stop();
const result: ConsumerResult = { kind, count, ms, cpuUs: cpu.user + cpu.system };
console.log(JSON.stringify(result));
