import {
  CreateQueueCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  type SQSClient,
  type SQSClientConfig,
} from "@aws-sdk/client-sqs";
import {
  type Codec,
  ConfigError,
  describeError,
  jsonCodec,
  type Logger,
  type ReplyQueue,
  type Requester,
  type Transport,
  TransportError,
  uuidv7,
} from "@mailroom/core";
import { QueueRequester } from "@mailroom/core/transport";
import { SqsAdmin, type SqsAdminOptions } from "./admin.ts";
import { countRequests, createSqsClient } from "./client.ts";
import { RequestCounter } from "./counter.ts";
import { SqsPublisher } from "./publisher.ts";
import { SqsQueue } from "./queue.ts";
import { SqsSource } from "./source.ts";
import { parseSqsUrl, queueNameOf, type SqsUrl } from "./url.ts";

/** Options of `openTransport`; they win over the URL's query options. */
export interface SqsTransportOptions extends Partial<SqsUrl> {
  /** Use this client (its region, endpoint and credentials) instead of building one. Requests are still counted. */
  client?: SQSClient;
  /** Extra `new SQSClient(…)` configuration (retry strategy, request handler, credentials provider…). */
  clientConfig?: SQSClientConfig;
  /** Body codec. Default core's `jsonCodec({ maxBytes: 1 MiB })`. */
  codec?: Codec;
  /** Most bytes in one SendMessageBatch. Default 262,144. */
  maxBatchBytes?: number;
  /** Retries of publish entries SQS failed on its side. Default 3. */
  entryRetries?: number;
  /**
   * Also told about deletes that failed after a queued `ack()` resolved. The Worker already logs
   * them with the app's logger (through `SqsSource.onBackgroundError`); this is for use without one.
   * Default: none; they are counted in `sqsQueue.backgroundErrors` either way.
   */
  logger?: Logger;
  /** Admin tool options (listing visibility, move-task polling). */
  admin?: SqsAdminOptions;
}

/** Queue facts read once at open. */
interface QueueFacts {
  visibilityTimeoutMs: number | undefined;
}

/**
 * One SQS queue as a Mailroom transport. Every source and publisher shares one client, one
 * request counter (`requests`) and one coalescer of deletes and visibility changes.
 */
export class SqsTransport implements Transport {
  readonly kind = "sqs";
  readonly queue: string;
  readonly client: SQSClient;
  /** Every SQS request this transport made, by operation. */
  readonly requests: RequestCounter;
  readonly sqsQueue: SqsQueue;
  readonly #options: SqsTransportOptions & { codec: Codec };
  readonly #facts: QueueFacts;
  readonly #sources = new Set<SqsSource>();
  #publisher: SqsPublisher | undefined;
  readonly #ownClient: boolean;

  constructor(
    client: SQSClient,
    requests: RequestCounter,
    queueUrl: string,
    options: SqsTransportOptions & { codec: Codec },
    facts: QueueFacts,
    ownClient: boolean,
  ) {
    this.client = client;
    this.requests = requests;
    this.#options = options;
    this.#facts = facts;
    this.#ownClient = ownClient;
    this.sqsQueue = new SqsQueue(client, queueUrl, {
      flushMs: options.ackFlushMs,
      deadLetterQueue: options.deadLetterQueue,
      ack: options.ack,
      onBackgroundError: (error) =>
        options.logger?.warn(
          { queue: this.queue, error: describeError(error) },
          "a message was handled but its delete failed; SQS will deliver it again after its visibility timeout",
        ),
    });
    this.queue = this.sqsQueue.name;
  }

  /** The queue URL. */
  get url(): string {
    return this.sqsQueue.url;
  }

  /** A long-poll source. Any number may share the transport; the Worker runs several receive loops on one. */
  source(): SqsSource {
    const source = new SqsSource(this.sqsQueue, {
      codec: this.#options.codec,
      waitTimeSeconds: this.#options.waitTimeSeconds,
      visibilityTimeoutMs: this.#options.visibilityTimeoutMs,
      queueVisibilityTimeoutMs: this.#facts.visibilityTimeoutMs,
    });
    this.#sources.add(source);
    return source;
  }

  publisher(): SqsPublisher {
    this.#publisher ??= new SqsPublisher(this.sqsQueue, {
      codec: this.#options.codec,
      maxBatchBytes: this.#options.maxBatchBytes,
      entryRetries: this.#options.entryRetries,
      defaultGroupId: this.#options.defaultGroupId,
    });
    return this.#publisher;
  }

  admin(): SqsAdmin {
    return new SqsAdmin(this.sqsQueue, this.#options.admin);
  }

  /**
   * Request / reply through a temporary queue of the requester's own (`mailroom-reply-<uuid>`,
   * created on the first request, deleted on close): replies need no filtering, and a crashed
   * requester's queue expires with its messages (retention 5 minutes).
   */
  requester(): Requester {
    return new QueueRequester(this.publisher(), () => this.openReplyQueue());
  }

  /** Create a reply queue and a long-poll source on it; `close` deletes the queue. */
  async openReplyQueue(): Promise<ReplyQueue> {
    const name = `mailroom-reply-${uuidv7()}`;
    const out = await this.client.send(
      new CreateQueueCommand({
        QueueName: name,
        Attributes: { MessageRetentionPeriod: "300", VisibilityTimeout: "30" },
      }),
    );
    const url = out.QueueUrl;
    if (!url) throw new TransportError(`SQS returned no URL for the reply queue "${name}"`);
    const queue = new SqsQueue(this.client, url);
    const source = new SqsSource(queue, { codec: this.#options.codec, waitTimeSeconds: 20 });
    return {
      address: url,
      source,
      close: async () => {
        await queue.drain().catch(() => {});
        await this.client.send(new DeleteQueueCommand({ QueueUrl: url })).catch(() => {});
      },
    };
  }

  /** Sends pending acks, then releases the client (when this transport built it). */
  async close(): Promise<void> {
    await this.sqsQueue.drain().catch(() => {});
    this.#sources.clear();
    if (this.#ownClient) this.client.destroy();
  }
}

/**
 * Open an SQS queue from a URL: `sqs://us-east-1/orders?endpoint=http://127.0.0.1:4566&dlq=orders-dlq`.
 * Resolves the queue URL (GetQueueUrl, unless the URL names the account) and reads its
 * VisibilityTimeout and RedrivePolicy (GetQueueAttributes): two requests, once. Credentials come
 * from the SDK's default provider chain and never appear in errors.
 *
 * @example
 * const transport = await openTransport("sqs://eu-west-1/orders");
 * const worker = new Worker(app, transport.source(), { publisher: transport.publisher() });
 */
export async function openTransport(
  url: string | URL,
  options: SqsTransportOptions = {},
): Promise<SqsTransport> {
  const parsed = parseSqsUrl(url);
  const o = { ...parsed, ...definedOnly(options) };
  const codec = options.codec ?? jsonCodec({ maxBytes: 1024 * 1024 });
  const requests = new RequestCounter();
  let client = options.client;
  if (client) countRequests(client, requests);
  else
    client = createSqsClient(
      { region: o.region, endpoint: o.endpoint, clientConfig: options.clientConfig },
      requests,
    );
  try {
    let queueUrl = o.queueUrl;
    if (!queueUrl) {
      if (!o.queueName) throw new ConfigError("sqs:// URL names no queue; use sqs://<region>/<queue>");
      const out = await client.send(new GetQueueUrlCommand({ QueueName: o.queueName }));
      queueUrl = out.QueueUrl;
      if (!queueUrl) throw new TransportError(`SQS returned no URL for queue "${o.queueName}"`);
    }
    const attrs = await client.send(
      new GetQueueAttributesCommand({
        QueueUrl: queueUrl,
        AttributeNames: ["VisibilityTimeout", "RedrivePolicy"],
      }),
    );
    const vt = Number(attrs.Attributes?.VisibilityTimeout);
    const transport = new SqsTransport(
      client,
      requests,
      queueUrl,
      { ...o, codec },
      { visibilityTimeoutMs: Number.isFinite(vt) && vt > 0 ? vt * 1000 : undefined },
      !options.client,
    );
    const policy = attrs.Attributes?.RedrivePolicy;
    if (!o.deadLetterQueue && policy) {
      const arn = (JSON.parse(policy) as { deadLetterTargetArn?: string }).deadLetterTargetArn;
      if (arn) {
        const name = queueNameOf(arn);
        const account = arn.split(":")[4];
        const dlqUrl = `${new URL(queueUrl).origin}/${account}/${name}`;
        transport.sqsQueue.knownDeadLetterQueue({ url: dlqUrl, name, fifo: name.endsWith(".fifo") });
      }
    }
    return transport;
  } catch (error) {
    if (!options.client) client.destroy();
    if (error instanceof ConfigError || error instanceof TransportError) throw error;
    const where = `SQS queue "${o.queueName ?? o.queueUrl}" in ${o.region}`;
    if (error instanceof Error && error.name === "CredentialsProviderError") {
      throw new ConfigError(
        `could not open ${where}: no AWS credentials found (set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run where an IAM role is attached)`,
        { cause: error },
      );
    }
    throw new TransportError(`could not open ${where}: ${describeError(error)}`, { cause: error });
  }
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
