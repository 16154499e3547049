import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  SendMessageBatchCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";

const QUICK = process.env.BENCH_QUICK === "1";
export const COUNT = Number(process.env.BENCH_SQS_COUNT ?? (QUICK ? 5_000 : 20_000));
/** Under added latency the slow configurations would take many minutes: each run stops at this time. */
export const TIME_CAP_MS = Number(process.env.BENCH_SQS_TIME_CAP_MS ?? (QUICK ? 10_000 : 30_000));
export const NAME = "bench_tick";

export function credentials(): void {
  process.env.AWS_ACCESS_KEY_ID = "bench";
  process.env.AWS_SECRET_ACCESS_KEY = "bench";
  process.env.AWS_REGION = "us-east-1";
}

export interface Emulator {
  direct: string;
  proxy: string;
  child: ChildProcess;
}

/** Start fauxqs and the latency proxy in a child process. */
export async function startEmulator(): Promise<Emulator> {
  const script = fileURLToPath(new URL("./server.ts", import.meta.url));
  const child = spawn(process.execPath, [script], { stdio: ["ignore", "pipe", "inherit"] });
  const lines = createInterface({ input: child.stdout! });
  const [line] = (await once(lines, "line")) as [string];
  const ports = JSON.parse(line) as { direct: number; proxy: number };
  return { direct: `http://127.0.0.1:${ports.direct}`, proxy: `http://127.0.0.1:${ports.proxy}`, child };
}

/**
 * A fresh queue filled with COUNT small `{ name, data }` messages, sent directly (not through the
 * proxy), with a dead-letter queue (Mailroom's Worker refuses to start without one).
 */
export async function filledQueue(direct: string, label: string, count = COUNT): Promise<string> {
  const client = new SQSClient({ region: "us-east-1", endpoint: direct });
  const name = `bench-${label}-${process.pid}-${Date.now().toString(36)}`;
  const dlq = await client.send(new CreateQueueCommand({ QueueName: `${name}-dlq` }));
  const { Attributes } = await client.send(
    new GetQueueAttributesCommand({ QueueUrl: dlq.QueueUrl, AttributeNames: ["QueueArn"] }),
  );
  const redrive = JSON.stringify({ deadLetterTargetArn: Attributes?.QueueArn, maxReceiveCount: 10 });
  const out = await client.send(
    new CreateQueueCommand({
      QueueName: name,
      Attributes: { VisibilityTimeout: "60", RedrivePolicy: redrive },
    }),
  );
  const url = out.QueueUrl!;
  const batches: Array<Promise<unknown>> = [];
  for (let i = 0; i < count; i += 10) {
    const entries = Array.from({ length: Math.min(10, count - i) }, (_, k) => ({
      Id: String(k),
      MessageBody: JSON.stringify({ name: NAME, data: { i: i + k, at: "2026-01-01T00:00:00Z" } }),
    }));
    batches.push(client.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: entries })));
    if (batches.length >= 32) await Promise.all(batches.splice(0));
  }
  await Promise.all(batches);
  client.destroy();
  return name;
}

/** One consumer run's figures. */
export interface RunResult {
  label: string;
  handled: number;
  seconds: number;
  perSecond: number;
  requestsPerMessage: number;
  cpuMicrosPerMessage: number;
  requests: Record<string, number>;
}

/** Measure a consumer: `start` begins consuming and calls `onMessage` per handled message; `stop` ends it. */
export async function measure(
  label: string,
  count: number,
  counter: { total: number; snapshot(): Record<string, number>; reset(): void },
  start: (onMessage: () => void) => Promise<() => Promise<void>>,
): Promise<RunResult> {
  let handled = 0;
  let resolveDone!: () => void;
  const done = new Promise<void>((r) => {
    resolveDone = r;
  });
  const onMessage = () => {
    handled++;
    if (handled === count) resolveDone();
  };
  counter.reset();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const stop = await start(onMessage);
  const timer = setTimeout(resolveDone, TIME_CAP_MS);
  await done;
  clearTimeout(timer);
  const seconds = (performance.now() - t0) / 1000;
  const n = handled;
  const cpu = process.cpuUsage(cpu0);
  const requests = counter.snapshot();
  const total = counter.total;
  await stop();
  return {
    label,
    handled: n,
    seconds,
    perSecond: n / seconds,
    requestsPerMessage: total / n,
    cpuMicrosPerMessage: (cpu.user + cpu.system) / n,
    requests,
  };
}
