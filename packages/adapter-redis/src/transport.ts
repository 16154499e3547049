import { hostname } from "node:os";
import {
  ConfigError,
  jsonCodec,
  type ReplyQueue,
  type Requester,
  type Transport,
  uuidv7,
} from "@mailroom/core";
import { QueueRequester } from "@mailroom/core/transport";
import { RedisAdmin } from "./admin.ts";
import { RedisConnection } from "./connection.ts";
import { streamKeys } from "./keys.ts";
import type { RedisTransportOptions } from "./options.ts";
import { RedisPublisher } from "./publisher.ts";
import { RedisSource } from "./source.ts";
import { ensureGroup, type StreamContext, streamContext } from "./stream.ts";
import { parseRedisUrl } from "./url.ts";

/**
 * A Redis stream as a Mailroom transport: its consumer group is the queue. One connection for
 * commands (and one per waiting receive) is shared by the transport's sources, publisher and
 * admin. Build it with `openTransport`.
 */
export class RedisTransport implements Transport {
  readonly kind = "redis";
  /** The stream. */
  readonly queue: string;
  readonly context: StreamContext;
  readonly #sources = new Set<RedisSource>();
  #publisher: RedisPublisher | undefined;

  constructor(context: StreamContext) {
    this.context = context;
    this.queue = context.keys.stream;
  }

  /** A consumer of the stream's group; several may run at once, each its own consumer. */
  source(): RedisSource {
    const source = new RedisSource(this.context);
    this.#sources.add(source);
    return source;
  }

  /** The transport's publisher (XADD; delays through the sorted set). */
  publisher(): RedisPublisher {
    this.#publisher ??= new RedisPublisher(this.context);
    return this.#publisher;
  }

  /** Stats, dead-letter listing and redrive. */
  admin(): RedisAdmin {
    return new RedisAdmin(this.context);
  }

  /**
   * Request / reply through a stream of the requester's own (`mailroom-reply-<uuid>`, made with
   * its group on the first request, deleted on close). Replies are added only while it exists
   * (XADD NOMKSTREAM), so a late reply to a closed requester leaves nothing behind.
   */
  requester(): Requester {
    return new QueueRequester(this.publisher(), () => this.openReplyQueue());
  }

  /** Make a reply stream and a source on it; `close` deletes it and the keys beside it. */
  async openReplyQueue(): Promise<ReplyQueue> {
    const address = `mailroom-reply-${uuidv7()}`;
    const keys = streamKeys(address);
    const { acks: _, ...settings } = this.context;
    const context = streamContext({ ...settings, keys, create: true });
    await this.context.connection.ready();
    await ensureGroup(context);
    const source = new RedisSource(context);
    const commands = this.context.connection.commands;
    return {
      address,
      source,
      close: async () => {
        await source.close();
        await context.acks.drain();
        await commands.del(keys.stream, keys.deadLetters, keys.delayed, keys.heads, keys.parked, keys.wake);
      },
    };
  }

  /** Close every source (aborting waiting receives) and the connections. */
  async close(): Promise<void> {
    await Promise.all([...this.#sources].map((s) => s.close()));
    this.#sources.clear();
    await this.context.acks.drain();
    await this.context.connection.close();
  }
}

/**
 * Open a Redis transport from a URL: `redis://[user:password@]host:6379/0?stream=orders`
 * (`rediss://` for TLS). Nothing is sent until the first use; a worker's start-up check
 * (`Source.connect`) then checks the server, the credentials, the database, the stream and its
 * group (created when missing unless `?create=false`). Options passed here win over the URL's.
 * This is what `openTransport("redis://…")` in core calls.
 *
 * @example
 * const transport = await openTransport("redis://127.0.0.1:6379/0?stream=orders");
 * new Worker(app, transport.source(), { publisher: transport.publisher(), concurrency: 32 });
 */
export async function openTransport(
  url: string | URL,
  options: RedisTransportOptions = {},
): Promise<RedisTransport> {
  const parsed = parseRedisUrl(url);
  const o: RedisTransportOptions = { ...parsed.options, ...options };
  const stream = o.stream ?? "mailroom";
  const visibilityTimeoutMs = o.visibilityTimeoutMs ?? 30_000;
  if (!(visibilityTimeoutMs >= 100)) {
    throw new ConfigError(`the visibility timeout must be at least 100 ms, got ${visibilityTimeoutMs}`);
  }
  const waitMs = o.waitMs ?? 1_000;
  if (!(waitMs > 0)) throw new ConfigError(`the receive wait must be longer than 0 ms, got ${waitMs}`);
  const connection = new RedisConnection({ ...parsed.connection, ...o.redis }, parsed.where);
  const context = streamContext({
    connection,
    keys: streamKeys(stream, o.deadLetterStream),
    group: o.group ?? "mailroom",
    codec: o.codec ?? jsonCodec(),
    create: o.create ?? true,
    visibilityTimeoutMs,
    waitMs,
    consumerPrefix: o.consumer ?? `${hostname()}-${process.pid}`,
  });
  return new RedisTransport(context);
}
