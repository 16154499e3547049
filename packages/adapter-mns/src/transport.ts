import {
  ConfigError,
  jsonCodec,
  type ReplyQueue,
  type Requester,
  type Transport,
  uuidv7,
} from "@mailroom/core";
import { QueueRequester } from "@mailroom/core/transport";
import { Acker } from "./acker.ts";
import { MnsAdmin } from "./admin.ts";
import { MnsClient } from "./client/client.ts";
import { MnsAuthError } from "./client/errors.ts";
import { refusedCredentials } from "./connect.ts";
import { CREDENTIAL_ENV } from "./credentials.ts";
import { MAX_VISIBILITY_S } from "./limits.ts";
import type { MnsTransportOptions } from "./options.ts";
import { MnsPublisher } from "./publisher.ts";
import { MnsSource } from "./source.ts";
import { parseMnsUrl } from "./url.ts";

export { CREDENTIAL_ENV } from "./credentials.ts";

/**
 * An MNS queue as a Mailroom transport: one typed client (and its request counts) shared by the
 * queue's sources, publisher and admin. Build it with `openTransport`.
 */
export class MnsTransport implements Transport {
  readonly kind = "mns";
  readonly queue: string;
  readonly deadLetterQueue: string;
  readonly client: MnsClient;
  readonly options: Readonly<MnsTransportOptions>;
  visibilityTimeoutMs: number;
  readonly #acker: Acker;
  readonly #sources = new Set<MnsSource>();
  #publisher: MnsPublisher | undefined;

  constructor(client: MnsClient, queue: string, options: MnsTransportOptions) {
    this.client = client;
    this.queue = queue;
    this.options = options;
    this.deadLetterQueue = options.deadLetterQueue ?? `${queue}-dlq`;
    this.visibilityTimeoutMs = options.visibilityTimeoutMs ?? 30_000;
    this.#acker = new Acker(client, queue, options.ackFlushMs ?? 10);
  }

  /** A consumer of the queue; several may run at once (they share the ack batcher). */
  source(): MnsSource {
    const source = new MnsSource({
      client: this.client,
      queue: this.queue,
      deadLetterQueue: this.deadLetterQueue,
      acker: this.#acker,
      encodeCodec: this.#encodeCodec,
      codec: this.options.codec ?? jsonCodec({ embedMeta: true }),
      waitSeconds: this.options.waitSeconds ?? 20,
      visibilityTimeoutMs: this.visibilityTimeoutMs,
    });
    this.#sources.add(source);
    return source;
  }

  /** The transport's publisher (BatchSendMessage). */
  publisher(): MnsPublisher {
    this.#publisher ??= new MnsPublisher({
      client: this.client,
      queue: this.queue,
      encodeCodec: this.#encodeCodec,
      defaultPriority: this.options.priority,
    });
    return this.#publisher;
  }

  /** Stats, dead-letter listing and redrive. */
  admin(): MnsAdmin {
    return new MnsAdmin({
      client: this.client,
      queue: this.queue,
      deadLetterQueue: this.deadLetterQueue,
      codec: this.options.codec ?? jsonCodec({ embedMeta: true }),
      encodeCodec: this.#encodeCodec,
    });
  }

  /**
   * Request / reply through a queue of the requester's own (`mailroom-reply-<uuid>`, created on
   * the first request, deleted on close).
   */
  requester(): Requester {
    return new QueueRequester(this.publisher(), () => this.openReplyQueue());
  }

  /** Create a reply queue and a long-poll source on it; `close` deletes the queue. */
  async openReplyQueue(): Promise<ReplyQueue> {
    const name = `mailroom-reply-${uuidv7()}`;
    await this.client.createQueue(name, { visibilityTimeoutSeconds: 30 });
    const acker = new Acker(this.client, name, this.options.ackFlushMs ?? 10);
    const source = new MnsSource({
      client: this.client,
      queue: name,
      deadLetterQueue: this.deadLetterQueue,
      acker,
      encodeCodec: this.#encodeCodec,
      codec: this.options.codec ?? jsonCodec({ embedMeta: true }),
      waitSeconds: this.options.waitSeconds ?? 20,
      visibilityTimeoutMs: 30_000,
    });
    return {
      address: name,
      source,
      close: async () => {
        await acker.drain().catch(() => {});
        await this.client.deleteQueue(name).catch(() => {});
      },
    };
  }

  /** Create the queue (with the visibility timeout and, if asked, MNS's DlqPolicy) and its dead-letter queue, when missing. */
  async createQueues(): Promise<"created" | "exists"> {
    await this.client.createQueue(this.deadLetterQueue);
    const o = this.options;
    return this.client.createQueue(this.queue, {
      visibilityTimeoutSeconds: Math.min(
        MAX_VISIBILITY_S,
        Math.max(1, Math.ceil(this.visibilityTimeoutMs / 1000)),
      ),
      ...(o.maxReceiveCount
        ? { dlqPolicy: { deadLetterTargetQueue: this.deadLetterQueue, maxReceiveCount: o.maxReceiveCount } }
        : {}),
    });
  }

  /** Close every source (aborting long polls, sending waiting acks). */
  async close(): Promise<void> {
    await Promise.all([...this.#sources].map((s) => s.close()));
    this.#sources.clear();
    await this.#acker.drain();
  }

  get #encodeCodec() {
    return this.options.encodeCodec ?? jsonCodec({ embedMeta: true });
  }
}

/**
 * Open an MNS transport from a URL:
 * `mns://<accountId>.mns.cn-hangzhou.aliyuncs.com/orders` (HTTPS), or
 * `mns+http://127.0.0.1:<port>/orders?accountId=<id>` (HTTP, for the test server). Credentials
 * come from `options`, else the URL's `user:password@`, else the environment
 * (`ALIBABA_CLOUD_ACCESS_KEY_ID`, `ALIBABA_CLOUD_ACCESS_KEY_SECRET`, `ALIBABA_CLOUD_SECURITY_TOKEN`);
 * they never appear in errors or logs. Without `visibilityTimeoutMs`, the queue's own is read
 * (one GetQueueAttributes). This is what `openTransport("mns://…")` in core calls.
 *
 * @example
 * const transport = await openTransport("mns://123456.mns.cn-hangzhou.aliyuncs.com/orders");
 * new Worker(app, transport.source(), { publisher: transport.publisher(), concurrency: 32, batchSize: 16 });
 */
export async function openTransport(
  url: string | URL,
  options: MnsTransportOptions = {},
): Promise<MnsTransport> {
  const parsed = parseMnsUrl(url);
  const o: MnsTransportOptions = { ...parsed.options, ...options };
  const env = process.env;
  const accountId = o.accountId ?? parsed.accountId;
  if (!accountId) {
    throw new ConfigError(
      "the MNS account id is missing: use a host like <accountId>.mns.<region>.aliyuncs.com, or add ?accountId=…",
    );
  }
  const accessKeyId = o.accessKeyId ?? env[CREDENTIAL_ENV.accessKeyId];
  const accessKeySecret = o.accessKeySecret ?? env[CREDENTIAL_ENV.accessKeySecret];
  if (!accessKeyId || !accessKeySecret) {
    throw new ConfigError(
      `MNS credentials are missing: set ${CREDENTIAL_ENV.accessKeyId} and ${CREDENTIAL_ENV.accessKeySecret} (and ${CREDENTIAL_ENV.securityToken} for STS), or pass accessKeyId / accessKeySecret`,
    );
  }
  if (o.waitSeconds !== undefined && !(o.waitSeconds >= 0 && o.waitSeconds <= 30)) {
    throw new ConfigError(`MNS long polls wait 0 to 30 seconds, got ${o.waitSeconds}`);
  }
  const client = new MnsClient({
    accountId,
    endpoint: o.endpoint ?? parsed.endpoint,
    accessKeyId,
    accessKeySecret,
    securityToken: o.securityToken ?? env[CREDENTIAL_ENV.securityToken],
    refreshSTSToken: o.refreshSTSToken,
    bodyEncoding: o.bodyEncoding,
    receiveEncoding: o.receiveEncoding,
    maxMessageBytes: o.maxMessageBytes,
  });
  const queue = o.queue ?? parsed.queue;
  const transport = new MnsTransport(client, queue, o);
  const created = o.createQueues
    ? await transport.createQueues().catch((error: unknown) => {
        throw error instanceof MnsAuthError ? refusedCredentials(error, queue) : error;
      })
    : undefined;
  if (created === "exists" && o.visibilityTimeoutMs !== undefined) {
    // An existing queue keeps its own settings: heartbeat by the timeout it really has.
    const actual = (await client.getQueueAttributes(queue)).visibilityTimeoutSeconds * 1000;
    if (actual !== transport.visibilityTimeoutMs) {
      o.logger?.warn(
        { queue, asked: transport.visibilityTimeoutMs, actual },
        "the queue already exists with another visibility timeout; using the queue's",
      );
      transport.visibilityTimeoutMs = actual;
    }
  } else if (o.visibilityTimeoutMs === undefined) {
    try {
      transport.visibilityTimeoutMs =
        (await client.getQueueAttributes(queue)).visibilityTimeoutSeconds * 1000;
    } catch (error) {
      o.logger?.warn(
        { queue, error: (error as Error).message },
        "could not read the queue's visibility timeout; assuming 30 s (set ?visibility= to silence)",
      );
    }
  }
  return transport;
}
