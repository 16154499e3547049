// The push contenders: each builds one handler for one event shape. `child.ts` runs one of them
// alone in its process, so one handler's JIT state never affects another's figure.
import { BatchProcessor, EventType, processPartialResponse } from "@aws-lambda-powertools/batch";
import { toAliyunFC } from "@mailroom/adapter-mns/fc";
import { toLambda } from "@mailroom/adapter-sqs/lambda";
import { createApp, silentLogger } from "@mailroom/core";
import middy from "@middy/core";
import sqsPartialBatchFailure from "@middy/sqs-partial-batch-failure";
import type { SQSEvent, SQSRecord } from "aws-lambda";

export const NAME = "order_created";
/** Records per event: Lambda's default batch size for SQS is 10. */
export const BATCH = Number(process.env.BENCH_PUSH_BATCH ?? 10);

/** A handler under test: takes the event, resolves when every record is handled. */
export type PushHandler = (event: unknown) => Promise<unknown>;

function body(i: number): string {
  return JSON.stringify({
    name: NAME,
    data: { id: 1_000_000 + i, sku: `SKU-${i}`, qty: 2, price: 19.99, customer: "c-0000042" },
  });
}

/** A 10-record SQS event in the documented shape. */
export function sqsEvent(): SQSEvent {
  const records: SQSRecord[] = Array.from({ length: BATCH }, (_, i) => ({
    messageId: `059f36b4-87a3-44ab-83d2-${String(i).padStart(12, "0")}`,
    receiptHandle: `AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a-${i}`,
    body: body(i),
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

/**
 * A batch of MNS queue-trigger CloudEvents as FC 3.0 passes it: a Buffer of the JSON array, the
 * body as the producer wrote it (plain JSON text). Each call is a fresh event with new message
 * ids, as FC sends (the handler remembers finished ids per instance).
 */
let fcSeq = 0;
export function fcEvent(): Buffer {
  const events = Array.from({ length: BATCH }, (_, i) => {
    const n = fcSeq++;
    return {
      id: `a1b2c3d4-${n}`,
      source: "MNS-Function-mns-trigger",
      specversion: "1.0",
      type: "mns:Queue:SendMessage",
      datacontenttype: "application/json; charset=utf-8",
      subject: "acs:mns:cn-hangzhou:123456789098****:queues/orders",
      time: "2026-11-23T08:00:00.000Z",
      aliyunaccountid: "123456789098****",
      aliyunregionid: "cn-hangzhou",
      data: {
        requestId: `606EDC55-${n}`,
        messageId: `C6DB60D1574661357-1-${n.toString(16)}`,
        messageBody: body(i),
      },
    };
  });
  return Buffer.from(JSON.stringify(events));
}

const noop = async (_data: unknown) => {};

/** The Lambda floor: a bare loop, `JSON.parse`, `batchItemFailures`. */
function lambdaFloor(): PushHandler {
  return async (event) => {
    const batchItemFailures: Array<{ itemIdentifier: string }> = [];
    for (const r of (event as SQSEvent).Records) {
      try {
        const m = JSON.parse(r.body) as { name: string; data: unknown };
        await noop(m.data);
      } catch {
        batchItemFailures.push({ itemIdentifier: r.messageId });
      }
    }
    return { batchItemFailures };
  };
}

/** middy + its partial-batch-failure middleware, as its docs show it (records in parallel). */
function lambdaMiddy(): PushHandler {
  const h = middy(async (e: SQSEvent) =>
    Promise.allSettled(
      e.Records.map(async (r) => {
        const m = JSON.parse(r.body) as { data: unknown };
        await noop(m.data);
      }),
    ),
  ).use(sqsPartialBatchFailure({ logger: () => {} }));
  return (e) => h(e as SQSEvent, {} as never);
}

/** Powertools' BatchProcessor + processPartialResponse, as its docs show it. */
function lambdaPowertools(): PushHandler {
  const processor = new BatchProcessor(EventType.SQS);
  const recordHandler = async (record: SQSRecord) => {
    const m = JSON.parse(record.body) as { data: unknown };
    await noop(m.data);
  };
  return (e) => processPartialResponse(e as SQSEvent, recordHandler, processor);
}

function app() {
  const a = createApp({ name: "bench", logger: silentLogger });
  a.handle(NAME, async (data) => {
    await noop(data);
  });
  return a;
}

/** Mailroom's Lambda handler at its defaults. */
function lambdaMailroom(): PushHandler {
  const handler = toLambda(app());
  return (e) => handler(e as SQSEvent);
}

/** The FC floor: parse the event, a bare loop, `JSON.parse` of each body; a failure fails the event. */
function fcFloor(): PushHandler {
  return async (event) => {
    const events = JSON.parse((event as Buffer).toString("utf8")) as Array<{
      data: { messageBody: string };
    }>;
    for (const e of events) {
      const m = JSON.parse(e.data.messageBody) as { name: string; data: unknown };
      await noop(m.data);
    }
    return { handled: events.length };
  };
}

/** Mailroom's FC handler at its defaults. */
function fcMailroom(): PushHandler {
  const handler = toAliyunFC(app());
  return (e) => handler(e as Buffer);
}

/** Every contender, by the name `child.ts` takes. */
export const contenders = {
  "lambda-floor": { make: lambdaFloor, event: sqsEvent },
  "lambda-mailroom": { make: lambdaMailroom, event: sqsEvent },
  "lambda-middy": { make: lambdaMiddy, event: sqsEvent },
  "lambda-powertools": { make: lambdaPowertools, event: sqsEvent },
  "fc-floor": { make: fcFloor, event: fcEvent },
  "fc-mailroom": { make: fcMailroom, event: fcEvent },
} as const;

export type ContenderName = keyof typeof contenders;
