// A chaos worker process: `node --conditions=@mailroom/source chaos/worker.ts '<WorkerSpec JSON>'`.
// Opens the transport by URL as any Mailroom service does, runs the chaos app at the Worker's
// defaults, stops on SIGTERM (drain) and dies on SIGKILL, which is the point.
import { openTransport, RedisIdempotencyStore, Worker } from "@mailroom/core";
import { Redis } from "ioredis";
import { chaosApp } from "./app.ts";
import { EffectsTable } from "./effects.ts";

/** What the runner tells a worker process. */
export interface WorkerSpec {
  id: string;
  url: string;
  effectsPath: string;
  redisUrl: string;
  keyPrefix: string;
  inProgressTtlMs: number;
}

const spec = JSON.parse(process.argv[2] ?? "{}") as WorkerSpec;
const effects = new EffectsTable(spec.effectsPath);
const redis = new Redis(spec.redisUrl, { maxRetriesPerRequest: null });
const app = chaosApp({
  effects,
  store: new RedisIdempotencyStore(redis),
  worker: spec.id,
  keyPrefix: spec.keyPrefix,
  inProgressTtlMs: spec.inProgressTtlMs,
});
const transport = await openTransport(spec.url);
const worker = new Worker(app, transport.source(), {
  publisher: transport.publisher(),
  handleSignals: true,
});
worker.on("started", () => process.stdout.write("started\n"));
try {
  await worker.start();
} finally {
  await transport.close();
  redis.disconnect();
  effects.close();
}
