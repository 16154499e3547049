import {
  type Codec,
  ConfigError,
  jsonCodec,
  type ReplyQueue,
  type Requester,
  type Transport,
  uuidv7,
} from "@mailroom/core";
import { QueueRequester } from "@mailroom/core/transport";
import { AzureQueueAdmin } from "./admin.ts";
import type { BodyEncoding, ReceiveEncoding } from "./body.ts";
import { resolveAccess, StorageQueues } from "./client.ts";
import type { CopyWriter } from "./copies.ts";
import { AzureQueueError, call, refusedCredentials } from "./errors.ts";
import { MAX_MESSAGE_BYTES, MAX_VISIBILITY_S, NEVER_EXPIRES } from "./limits.ts";
import type { AzureQueueTransportOptions } from "./options.ts";
import { PollPacer } from "./polling.ts";
import { AzureQueuePublisher } from "./publisher.ts";
import { AzureQueueSource } from "./source.ts";
import { parseAzureUrl } from "./url.ts";

/**
 * A Storage Queue as a Mailroom transport: one account client shared by the queue's sources,
 * publisher and admin, and one poll pacer shared by its sources (an idle queue is polled by one
 * of them at a time). Build it with `openTransport`.
 */
export class AzureQueueTransport implements Transport {
  readonly kind = "azure-queue";
  readonly queue: string;
  readonly poisonQueue: string;
  readonly queues: StorageQueues;
  readonly options: Readonly<AzureQueueTransportOptions>;
  readonly visibilityTimeoutMs: number;
  readonly pacer: PollPacer;
  readonly #sources = new Set<AzureQueueSource>();
  #publisher: AzureQueuePublisher | undefined;

  constructor(queues: StorageQueues, queue: string, options: AzureQueueTransportOptions) {
    this.queues = queues;
    this.queue = queue;
    this.options = options;
    this.poisonQueue = options.poisonQueue ?? `${queue}-poison`;
    this.visibilityTimeoutMs = Math.max(1, Math.ceil((options.visibilityTimeoutMs ?? 30_000) / 1000)) * 1000;
    this.pacer = new PollPacer({
      minPollMs: options.minPollMs ?? 100,
      maxPollMs: options.maxPollMs ?? 5_000,
    });
  }

  /** A consumer of the queue; several may run at once. */
  source(): AzureQueueSource {
    const source = new AzureQueueSource({
      ...this.#writer,
      queue: this.queue,
      poisonQueue: this.poisonQueue,
      codec: this.#codec,
      receiveEncoding: this.#receiveEncoding,
      visibilityTimeoutMs: this.visibilityTimeoutMs,
      waitMs: this.options.waitMs ?? 20_000,
      pacer: this.pacer,
    });
    this.#sources.add(source);
    return source;
  }

  /** The transport's publisher (Put Message, up to 16 at once). */
  publisher(): AzureQueuePublisher {
    // A message this process sends to its own queue is polled for at once, not after the idle pause.
    const sent = (queue: string) => {
      if (queue === this.queue) this.pacer.wake();
    };
    this.#publisher ??= new AzureQueuePublisher({ ...this.#writer, queue: this.queue, sent });
    return this.#publisher;
  }

  /** Stats, dead-letter listing and redrive. */
  admin(): AzureQueueAdmin {
    return new AzureQueueAdmin({
      ...this.#writer,
      queue: this.queue,
      poisonQueue: this.poisonQueue,
      codec: this.#codec,
      receiveEncoding: this.#receiveEncoding,
    });
  }

  /**
   * Request / reply through a queue of the requester's own (`mailroom-reply-<uuid>`, created on
   * the first request, deleted on close).
   */
  requester(): Requester {
    // The reply queue is polled at once after each request, not after its idle pause.
    const pacer = new PollPacer(this.pacer.pacing);
    const publisher = new AzureQueuePublisher({
      ...this.#writer,
      queue: this.queue,
      sent: () => pacer.wake(),
    });
    return new QueueRequester(publisher, () => this.openReplyQueue(pacer), this.options.logger);
  }

  /** Create a reply queue and a source on it (polled by `pacer`); `close` deletes the queue. */
  async openReplyQueue(pacer: PollPacer = new PollPacer(this.pacer.pacing)): Promise<ReplyQueue> {
    const name = `mailroom-reply-${uuidv7()}`;
    const client = this.queues.queue(name);
    await call(`Create Queue "${name}"`, () => client.create());
    const source = new AzureQueueSource({
      ...this.#writer,
      queue: name,
      poisonQueue: this.poisonQueue,
      codec: this.#codec,
      receiveEncoding: this.#receiveEncoding,
      visibilityTimeoutMs: 30_000,
      waitMs: this.options.waitMs ?? 20_000,
      pacer,
    });
    return {
      address: name,
      source,
      close: async () => {
        await source.close();
        await client.deleteIfExists().catch(() => {});
      },
    };
  }

  /** Create the queue and its poison queue when missing. */
  async createQueues(): Promise<void> {
    for (const name of [this.poisonQueue, this.queue]) {
      await call(`Create Queue "${name}"`, () => this.queues.queue(name).createIfNotExists());
    }
  }

  /** Close every source (aborting their polls). */
  async close(): Promise<void> {
    await Promise.all([...this.#sources].map((s) => s.close()));
    this.#sources.clear();
  }

  get #writer(): CopyWriter {
    const ttl = this.options.messageTtlMs ?? NEVER_EXPIRES;
    return {
      queues: this.queues,
      encodeCodec: this.options.encodeCodec ?? jsonCodec({ embedMeta: true }),
      bodyEncoding: this.options.bodyEncoding ?? ("base64" satisfies BodyEncoding),
      ttlSeconds: ttl === NEVER_EXPIRES ? NEVER_EXPIRES : Math.max(1, Math.ceil(ttl / 1000)),
      maxMessageBytes: this.options.maxMessageBytes ?? MAX_MESSAGE_BYTES,
    };
  }

  get #codec(): Codec {
    return this.options.codec ?? jsonCodec({ embedMeta: true });
  }

  get #receiveEncoding(): ReceiveEncoding {
    return this.options.receiveEncoding ?? "auto";
  }
}

/**
 * Open a Storage Queue transport from a URL (see `parseAzureUrl`): `azure-queue://<account>/<queue>`,
 * `azure-queue://devstoreaccount1/<queue>` for the development account, or
 * `azure-queue+http://<host:port>/<account>/<queue>` for a path-style endpoint. Credentials come
 * from `options`, then the URL, then the environment (`?connection=NAME`,
 * `AZURE_STORAGE_CONNECTION_STRING`, `AZURE_STORAGE_KEY`, `AZURE_STORAGE_SAS_TOKEN`); they never
 * appear in errors or logs. This is what `openTransport("azure-queue://…")` in core calls.
 *
 * @example
 * const transport = await openTransport("azure-queue://mystorage/orders?connection=AzureWebJobsStorage");
 * new Worker(app, transport.source(), { publisher: transport.publisher(), concurrency: 32, batchSize: 32 });
 */
export async function openTransport(
  url: string | URL,
  options: AzureQueueTransportOptions = {},
): Promise<AzureQueueTransport> {
  const parsed = parseAzureUrl(url);
  const o: AzureQueueTransportOptions = { ...parsed.options, ...options };
  validate(o);
  const access = resolveAccess({
    endpoint: o.endpoint ?? parsed.endpoint,
    account: o.account ?? parsed.account,
    connectionString: o.connectionString,
    connectionEnv: parsed.connectionEnv,
    accountKey: o.accountKey,
    sasToken: o.sasToken,
  });
  const transport = new AzureQueueTransport(new StorageQueues(access), o.queue ?? parsed.queue, o);
  if (o.createQueues) {
    await transport.createQueues().catch((error: unknown) => {
      if (error instanceof AzureQueueError && error.refusedCredentials) {
        throw refusedCredentials(error, transport.queue, transport.queues.account);
      }
      throw error;
    });
  }
  return transport;
}

function validate(o: AzureQueueTransportOptions): void {
  const v = o.visibilityTimeoutMs;
  if (v !== undefined && !(v >= 1000 && v <= MAX_VISIBILITY_S * 1000)) {
    throw new ConfigError(`the visibility timeout of a Storage Queue is 1 s to 7 days, got ${v} ms`);
  }
  const ttl = o.messageTtlMs;
  if (ttl !== undefined && ttl !== NEVER_EXPIRES && !(ttl >= 1000)) {
    throw new ConfigError(`a message time-to-live is at least 1 s, or never (-1), got ${ttl} ms`);
  }
  if (o.maxPollMs !== undefined && o.minPollMs !== undefined && o.maxPollMs < o.minPollMs) {
    throw new ConfigError(`maxPoll (${o.maxPollMs} ms) must not be below minPoll (${o.minPollMs} ms)`);
  }
}
