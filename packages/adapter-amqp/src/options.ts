import { type Codec, ConfigError, defaultLogger, jsonCodec, type Logger } from "@mailroom/core";
import type { SocketOptions } from "amqplib";
import { DEFAULT_DELAY_BUCKETS, normaliseBuckets } from "./buckets.ts";
import { DEFAULT_NAME_ORDER, type NameSource } from "./names.ts";

/** Options of an AMQP transport. Every one is documented in the package README. */
export interface AmqpTransportOptions {
  /** Queue this service consumes (and, with no exchange, publishes to). Required (URL `?queue=`). */
  queue?: string;
  /** Exchange to publish to and bind the queue to. Default: none (publish straight to the queue). */
  exchange?: string;
  /** Type of `exchange` when declared. Default `topic`. */
  exchangeType?: string;
  /** Routing keys binding `queue` to `exchange`. Default: none; `listen()` binds every handler name. */
  bindings?: string[];
  /** `classic` (default) or `quorum` for the work queue and its dead-letter queue. */
  queueType?: "classic" | "quorum";
  /** Check topology exists instead of declaring it (operations own it). Default false. */
  passive?: boolean;
  /**
   * Unacknowledged messages the broker may push to this consumer. Default: under a Worker, twice
   * what it holds at most and at least 100 (max(100, 2 × (concurrency + batchSize)): 100 at the
   * Worker's defaults), so the broker keeps sending while every slot is busy; 32 for a source
   * used without a Worker.
   */
  prefetch?: number;
  /** Also publish dead letters through this exchange (declared `direct`, bound to `<queue>.dlq` by the queue name). */
  deadLetterExchange?: string;
  /** `x-max-priority` of the work queue (classic queues). Default: none. */
  maxPriority?: number;
  /** Extra `x-` arguments of the work queue, e.g. `{ "x-delivery-limit": 20 }` on quorum queues. */
  queueArguments?: Record<string, unknown>;
  /** TTLs (ms) of the delay queues used by retries and delayed publishes. Default 100 ms … 1 h, 9 buckets. */
  delayBuckets?: readonly number[];
  /** Where the message name is read from, first hit wins. Default `["body", "type", "contentType"]`. */
  nameFrom?: readonly NameSource[];
  /** Body codec. Default: the JSON `{ name, data }` codec. */
  codec?: Codec;
  /** Where reconnects and warnings are logged. Default: core's pino logger (stderr, `MAILROOM_LOG_LEVEL`). */
  logger?: Logger;
  /** Messages that may wait for the connection to come back before publish fails. Default 10,000. */
  publishBuffer?: number;
  /** Publish with `mandatory` so an unroutable message is an error, not a silent drop. Default true. */
  mandatory?: boolean;
  /** Reconnect backoff with full jitter. Default 100 ms → 30 s, 10 attempts before the first connection fails. */
  reconnect?: { minMs?: number; maxMs?: number; initialAttempts?: number };
  /** The broker's `consumer_timeout` (ms); handlers running longer are logged as at risk. Default 1,800,000 (RabbitMQ's default). */
  consumerTimeoutMs?: number;
  /** Longest a `receive` waits before resolving empty, ms. Default 5,000. */
  waitTimeMs?: number;
  /** TLS and socket options passed to amqplib (`ca`, `cert`, `key`, `servername`, …). */
  socketOptions?: SocketOptions;
  /** Shown in the management UI's connection list. Default `mailroom:<queue>`. */
  connectionName?: string;
}

/** Options with defaults applied. */
export interface ResolvedOptions {
  queue: string;
  exchange: string | undefined;
  exchangeType: string;
  bindings: string[];
  queueType: "classic" | "quorum";
  passive: boolean;
  prefetch: number;
  /** True when `prefetch` was given (option or URL): a Worker's demand does not change it. */
  prefetchFixed: boolean;
  deadLetterExchange: string | undefined;
  maxPriority: number | undefined;
  queueArguments: Record<string, unknown>;
  delayBuckets: number[];
  nameFrom: readonly NameSource[];
  codec: Codec;
  logger: Logger;
  publishBuffer: number;
  mandatory: boolean;
  reconnect: { minMs: number; maxMs: number; initialAttempts: number };
  consumerTimeoutMs: number;
  waitTimeMs: number;
  socketOptions: SocketOptions;
  connectionName: string;
}

/** Apply defaults and check the options; throws `ConfigError` with what to fix. */
export function resolveOptions(options: AmqpTransportOptions): ResolvedOptions {
  const queue = options.queue;
  if (!queue) {
    throw new ConfigError("an AMQP transport needs a queue: add ?queue=<name> to the URL or pass { queue }");
  }
  const prefetch = options.prefetch ?? 32;
  if (!Number.isInteger(prefetch) || prefetch < 1)
    throw new ConfigError(`prefetch must be a whole number >= 1, got ${prefetch}`);
  const nameFrom = options.nameFrom ?? DEFAULT_NAME_ORDER;
  for (const s of nameFrom) {
    if (s !== "body" && s !== "type" && s !== "contentType") {
      throw new ConfigError(`nameFrom entries are "body", "type" or "contentType", got "${s}"`);
    }
  }
  return {
    queue,
    exchange: options.exchange || undefined,
    exchangeType: options.exchangeType ?? "topic",
    bindings: [...(options.bindings ?? [])],
    queueType: options.queueType ?? "classic",
    passive: options.passive ?? false,
    prefetch,
    prefetchFixed: options.prefetch !== undefined,
    deadLetterExchange: options.deadLetterExchange || undefined,
    maxPriority: options.maxPriority,
    queueArguments: { ...options.queueArguments },
    delayBuckets: normaliseBuckets(options.delayBuckets ?? DEFAULT_DELAY_BUCKETS),
    nameFrom,
    codec: options.codec ?? jsonCodec(),
    logger: options.logger ?? defaultLogger(`amqp:${queue}`),
    publishBuffer: options.publishBuffer ?? 10_000,
    mandatory: options.mandatory ?? true,
    reconnect: {
      minMs: options.reconnect?.minMs ?? 100,
      maxMs: options.reconnect?.maxMs ?? 30_000,
      initialAttempts: options.reconnect?.initialAttempts ?? 10,
    },
    consumerTimeoutMs: options.consumerTimeoutMs ?? 1_800_000,
    waitTimeMs: options.waitTimeMs ?? 5_000,
    socketOptions: options.socketOptions ?? {},
    connectionName: options.connectionName ?? `mailroom:${queue}`,
  };
}
