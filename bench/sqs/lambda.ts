import { BatchProcessor, EventType, processPartialResponse } from "@aws-lambda-powertools/batch";
import { toLambda } from "@mailroom/adapter-sqs/lambda";
import { createApp, silentLogger } from "@mailroom/core";
import middy from "@middy/core";
import sqsPartialBatchFailure from "@middy/sqs-partial-batch-failure";
import type { SQSEvent, SQSRecord } from "aws-lambda";
import { NAME } from "./shared.ts";

const BATCH = Number(process.env.BENCH_SQS_LAMBDA_BATCH ?? 10);
const ROUNDS = 7;
const TARGET_MS = 400;

function event(): SQSEvent {
  const records: SQSRecord[] = Array.from({ length: BATCH }, (_, i) => ({
    messageId: `059f36b4-87a3-44ab-83d2-${String(i).padStart(12, "0")}`,
    receiptHandle: `AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a-${i}`,
    body: JSON.stringify({ name: NAME, data: { i, at: "2026-01-01T00:00:00Z" } }),
    attributes: {
      ApproximateReceiveCount: "1",
      SentTimestamp: "1545082649183",
      SenderId: "AIDAIENQZJOLO23YVJ4VO",
      ApproximateFirstReceiveTimestamp: "1545082649185",
    },
    messageAttributes: {},
    md5OfBody: "e4e68fb7bd0e697a0ae8f1bb342846b3",
    eventSource: "aws:sqs",
    eventSourceARN: "arn:aws:sqs:us-east-2:123456789012:my-queue",
    awsRegion: "us-east-2",
  }));
  return { Records: records };
}

type Handler = (e: SQSEvent) => Promise<{ batchItemFailures: Array<{ itemIdentifier: string }> }>;

const noop = async (_data: unknown) => {};

/** The floor: what a hand-written handler must do at least. */
const floor: Handler = async (e) => {
  const batchItemFailures: Array<{ itemIdentifier: string }> = [];
  for (const r of e.Records) {
    try {
      const m = JSON.parse(r.body) as { name: string; data: unknown };
      await noop(m.data);
    } catch {
      batchItemFailures.push({ itemIdentifier: r.messageId });
    }
  }
  return { batchItemFailures };
};

function powertools(): Handler {
  const processor = new BatchProcessor(EventType.SQS);
  const recordHandler = async (record: SQSRecord) => {
    const m = JSON.parse(record.body) as { data: unknown };
    await noop(m.data);
  };
  return (e) => processPartialResponse(e, recordHandler, processor) as ReturnType<Handler>;
}

function middyHandler(): Handler {
  const h = middy(async (e: SQSEvent) =>
    Promise.allSettled(
      e.Records.map(async (r) => {
        const m = JSON.parse(r.body) as { data: unknown };
        await noop(m.data);
      }),
    ),
  ).use(sqsPartialBatchFailure({ logger: () => {} }));
  return (e) => h(e, {} as never) as unknown as ReturnType<Handler>;
}

function mailroom(): Handler {
  const app = createApp({ name: "bench", logger: silentLogger });
  app.handle(NAME, async (data) => {
    await noop(data);
  });
  return toLambda(app) as unknown as Handler;
}

async function timeOne(h: Handler, e: SQSEvent, iterations: number): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < iterations; i++) {
    const out = await h(e);
    if (out.batchItemFailures.length !== 0) throw new Error("unexpected failures");
  }
  return ((performance.now() - t0) * 1000) / (iterations * BATCH);
}

/** µs per record for a no-op handler, in-process (median of rounds, the four interleaved). */
export async function lambdaPush(): Promise<void> {
  const e = event();
  const handlers: Array<[string, Handler]> = [
    ["floor (bare loop + batchItemFailures)", floor],
    ["Mailroom toLambda", mailroom()],
    ["middy + @middy/sqs-partial-batch-failure", middyHandler()],
    ["Powertools BatchProcessor + processPartialResponse", powertools()],
  ];
  // Calibrate iterations to ~TARGET_MS per round on the floor, warm every handler.
  let iterations = 1_000;
  for (const [, h] of handlers) await timeOne(h, e, 20_000);
  const t = await timeOne(floor, e, iterations);
  iterations = Math.max(1_000, Math.round((TARGET_MS * 1000) / (t * BATCH)));
  const samples = new Map<string, number[]>(handlers.map(([n]) => [n, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, h] of handlers) samples.get(name)!.push(await timeOne(h, e, iterations));
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const floorUs = median(samples.get(handlers[0]![0])!);
  console.log(
    `\nLambda push, in-process, no-op handler, ${BATCH} records per event (median of ${ROUNDS} rounds)`,
  );
  console.log("| handler | µs/record | × floor |");
  console.log("|---|---:|---:|");
  for (const [name] of handlers) {
    const us = median(samples.get(name)!);
    console.log(`| ${name} | ${us.toFixed(2)} | ${(us / floorUs).toFixed(2)} |`);
  }
}
