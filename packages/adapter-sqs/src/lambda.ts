import type { SQSClient, SQSClientConfig } from "@aws-sdk/client-sqs";
import type { App, Outgoing, Publisher, PublishOptions } from "@mailroom/core";
// The narrow door: a cold start loads push dispatch and decoding, not all of core.
import {
  type Codec,
  ConfigError,
  dispatch,
  jsonCodec,
  logsPending,
  logsWritten,
  RunLedger,
  silentLogger,
} from "@mailroom/core/push";
import type { RequestCounter } from "./counter.ts";
import { AttemptCounting } from "./counting.ts";
import { type DeliveryScope, type SqsDelivery, toDelivery } from "./delivery.ts";
import {
  type LambdaContextLike,
  notAnSqsEvent,
  type SqsBatchResponse,
  type SqsLambdaEvent,
  type SqsLambdaRecord,
} from "./lambda-event.ts";
import { received } from "./message.ts";
import type { SqsQueue } from "./queue.ts";

/** Options of `toLambda`. Every one has a default. */
export interface ToLambdaOptions {
  /** Body codec. Default core's `jsonCodec()`. */
  codec?: Codec;
  /** Most handlers running at once within one event. Default: the whole batch. */
  concurrency?: number;
  /** Dead-letter queue name or URL. Default: the source queue's RedrivePolicy target (looked up once). */
  deadLetterQueue?: string;
  /** Where `ctx.publish` sends by default (queue name or URL). Default: the event's own queue. */
  publishTo?: string;
  /** MessageGroupId for FIFO messages published without `groupId`. */
  defaultGroupId?: string;
  /** SQS endpoint override (tests, LocalStack). Default: the region's public endpoint. */
  endpoint?: string;
  /** The SQS client to use, or a function making it. Default: `new SQSClient({ region })`, created on first need. */
  client?: SQSClient | (() => SQSClient);
  /** Extra configuration of the client Mailroom creates. */
  clientConfig?: SQSClientConfig;
  /** Abort `ctx.signal` this long before the function times out, ms. Default 500. */
  timeoutMarginMs?: number;
  /** Counts the SQS requests of the client Mailroom creates (tests, benchmarks). */
  requests?: RequestCounter;
}

/** A Lambda handler for SQS events; usable alone or as middy's base handler. */
export type SqsLambdaHandler = (
  event: SqsLambdaEvent,
  context?: LambdaContextLike,
) => Promise<SqsBatchResponse>;

/**
 * Turn an app into a Lambda handler for SQS events that answers `{ batchItemFailures }` (turn on
 * ReportBatchItemFailures on the event source mapping). ack → success; retry(delay) →
 * ChangeMessageVisibility(delay) + failure (needs sqs:ChangeMessageVisibility); deadLetter → sent
 * to the DLQ (sqs:SendMessage on it) + success. Standard queues: defer re-sends a copy + success.
 * FIFO queues: once a record of a group is not done, it and every later record of that group are
 * reported failed (a deferred or skipped one made visible again at its time, so the group resumes
 * then), and `attempt` counts the runs this warm container saw, not SQS's receives. No SDK client
 * is created (or even loaded) unless a handler publishes or a settle needs one.
 *
 * @example
 * export const handler = toLambda(app);
 * // or: export const handler = middy(toLambda(app)).use(someMiddleware());
 */
export function toLambda(app: App, options: ToLambdaOptions = {}): SqsLambdaHandler {
  const codec = options.codec ?? jsonCodec();
  const margin = options.timeoutMarginMs ?? 500;
  const queues = new Map<string, Promise<SqsQueue>>();
  // Runs of FIFO messages retried in place, for as long as this container is warm.
  const ledger = new RunLedger();
  let client: Promise<SQSClient> | undefined;

  const getClient = (region: string): Promise<SQSClient> => {
    client ??= (async () => {
      const given = options.client;
      if (given) return typeof given === "function" ? given() : given;
      const { createSqsClient } = await import("./client.ts");
      return createSqsClient(
        { region, endpoint: options.endpoint, clientConfig: options.clientConfig },
        options.requests,
      );
    })();
    return client;
  };

  const queueFor = (arn: string, region: string): Promise<SqsQueue> => {
    let q = queues.get(arn);
    if (!q) {
      q = (async () => {
        const [{ SqsQueue }, c] = await Promise.all([import("./queue.ts"), getClient(region)]);
        return new SqsQueue(c, queueUrlOf(arn, options.endpoint), {
          deadLetterQueue: options.deadLetterQueue,
        });
      })();
      queues.set(arn, q);
      q.catch(() => queues.delete(arn));
    }
    return q;
  };

  return async function sqsHandler(event, context) {
    const wrong = notAnSqsEvent(event);
    if (wrong) {
      throw new ConfigError(
        `toLambda got an event that is not an SQS event (${wrong}); check that the function's trigger is an SQS event source mapping`,
      );
    }
    const records = event.Records;
    if (records.length === 0) return { batchItemFailures: [] };
    const first = records[0]!;
    const fifo = first.eventSourceARN.endsWith(".fifo");
    // An event source mapping reads one queue: every record shares its queue handle.
    const queue = () => queueFor(first.eventSourceARN, first.awsRegion);
    const queueName = first.eventSourceARN.slice(first.eventSourceARN.lastIndexOf(":") + 1);
    const scope: DeliveryScope = {
      queueName,
      codec,
      counting: new AttemptCounting(fifo, ledger),
      mode: "push",
      queue,
    };
    const deliveries = new Array<SqsDelivery>(records.length);
    const receivedAt = Date.now();
    for (let i = 0; i < records.length; i++) deliveries[i] = recordDelivery(scope, records[i]!, receivedAt);
    const remaining = context?.getRemainingTimeInMillis?.();
    const results = await dispatch(app, deliveries, {
      fifo,
      concurrency: options.concurrency,
      publisher: () => lazyPublisher(queue, options),
      signal: remaining !== undefined ? AbortSignal.timeout(Math.max(0, remaining - margin)) : undefined,
    });
    const failures: Array<{ itemIdentifier: string }> = [];
    for (const r of results) {
      const d = r.delivery as SqsDelivery;
      if (d.failed || r.settleError !== undefined || r.outcome.kind === "skipped") {
        failures.push({ itemIdentifier: d.received.messageId });
      }
    }
    if (failures.length > 0) {
      (app.logger ?? silentLogger).warn(
        { queue: queueName, records: records.length, failed: failures.length },
        "reporting failed records in batchItemFailures; Lambda will deliver them again",
      );
    }
    // Coalesced visibility changes must reach SQS before Lambda freezes the process.
    if (queues.size > 0) {
      await Promise.all([...queues.values()].map((q) => q.then((queue) => queue.drain()).catch(() => {})));
    }
    // The default logger loads pino on its first line: lines must be out before Lambda freezes us.
    if (logsPending()) await logsWritten();
    return { batchItemFailures: failures };
  };
}

function recordDelivery(scope: DeliveryScope, record: SqsLambdaRecord, receivedAt: number): SqsDelivery {
  const a = record.attributes;
  const r = received(
    record.messageId,
    record.receiptHandle,
    record.body,
    record.messageAttributes,
    a.ApproximateReceiveCount,
    a.SentTimestamp,
    a.MessageGroupId,
    receivedAt,
    false,
  );
  return toDelivery(scope, r, record);
}

/** `https://sqs.<region>.amazonaws.com/<account>/<name>` (or under `endpoint`) from a queue ARN. */
export function queueUrlOf(arn: string, endpoint?: string): string {
  const [, , , region, account, name] = arn.split(":");
  if (!region || !account || !name) throw new Error(`"${arn}" is not an SQS queue ARN`);
  const base = endpoint ? endpoint.replace(/\/+$/, "") : `https://sqs.${region}.amazonaws.com`;
  return `${base}/${account}/${name}`;
}

/** A publisher whose SQS client and module load on the first publish. */
function lazyPublisher(queue: () => Promise<SqsQueue>, options: ToLambdaOptions): Publisher {
  let inner: Promise<Publisher> | undefined;
  const get = () => {
    inner ??= (async () => {
      const [{ SqsPublisher }, q] = await Promise.all([import("./publisher.ts"), queue()]);
      let target = q;
      if (options.publishTo) {
        const { SqsQueue } = await import("./queue.ts");
        const ref = await q.lookup(options.publishTo);
        target = new SqsQueue(q.client, ref.url);
      }
      return new SqsPublisher(target, {
        codec: options.codec ?? jsonCodec(),
        defaultGroupId: options.defaultGroupId,
      });
    })();
    return inner;
  };
  return {
    async publish(messages: Outgoing[], opts?: PublishOptions) {
      await (await get()).publish(messages, opts);
    },
    async close() {},
  };
}
