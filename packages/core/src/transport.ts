import type { Codec } from "./codec/codec.ts";
import type { DecodeFailure, Envelope, Outgoing, PublishOptions } from "./envelope.ts";

/** Told about a settle that failed after its promise had resolved (e.g. an ack queued for a batch delete). */
export type BackgroundErrorListener = (
  error: unknown,
  envelope: Envelope | DecodeFailure | undefined,
) => void;

/**
 * One received message, whatever the provider. Exactly one of `ack`, `retry`, `defer`,
 * `release` or `deadLetter` settles it; `extend` may be called any number of times before that.
 * Settling methods may be called once; implementations ignore (or reject) a second call.
 */
export interface Delivery {
  readonly envelope: Envelope | DecodeFailure;
  /** Done: remove the message for good (delete / basic.ack). */
  ack(): Promise<void>;
  /** Visible again after `delayMs`; the next delivery has `attempt + 1`. */
  retry(delayMs: number): Promise<void>;
  /**
   * Visible again after `delayMs` WITHOUT counting an attempt: used for `not-before` re-delays.
   * Transports whose receive count would count it re-publish with the attempt in a header.
   */
  defer(delayMs: number): Promise<void>;
  /** Give the message back unprocessed (shutdown, blocked FIFO group): visible again now, not an attempt. */
  release(): Promise<void>;
  /** To the dead-letter destination with `reason` (and attempt, original queue) in its headers. */
  deadLetter(reason: string): Promise<void>;
  /** Keep invisible for another `ms` while a long handler runs. No-op where the transport holds messages until ack. */
  extend(ms: number): Promise<void>;
}

/** Pulls deliveries. `receive` resolves with at most `max` deliveries, possibly none after a long-poll wait. */
export interface Source {
  /**
   * Wait (long poll) for up to `max` deliveries. Resolves early with `[]` when `signal` aborts —
   * it must never keep a stopping worker waiting for a long poll to end.
   */
  receive(max: number, signal: AbortSignal): Promise<Delivery[]>;
  /** How long a received message stays invisible; the Worker heartbeats `extend` at half of it. */
  readonly visibilityTimeoutMs?: number;
  /**
   * Most receive calls worth running at once. Network sources gain from several long polls in
   * flight; an in-process queue whose receive is synchronous (SQLite, memory) says 1, since
   * parallel loops would only split its batches. The Worker's `receivers` option still wins.
   */
  readonly maxConcurrentReceives?: number;
  /** Messages waiting (ready and delayed) and in flight, where the transport can tell. Used by `--until-empty`. */
  depth?(): Promise<QueueDepth>;
  /**
   * The message names the consuming app handles, called by the Worker once before its first
   * receive (and again is harmless). Routing transports bind by them (AMQP: queue to exchange
   * by routing key = name); others ignore it.
   */
  subscribe?(names: readonly string[]): Promise<void>;
  /**
   * Check, before the first receive, that this source can work: it reaches the broker, the
   * credentials are accepted, the queue (vhost, …) exists and so does a dead-letter destination.
   * Rejects with a `ConfigError` for what waiting cannot fix (the Worker stops at start-up with
   * that one line) and with a `TransportError` while the broker is not reachable (the Worker
   * waits, says so, and tries again up to its `connectTimeoutMs`). Optional: without it the
   * first receive finds out.
   */
  connect?(signal: AbortSignal): Promise<void>;
  /**
   * Told by the Worker, before its first receive, the most messages it will hold at once
   * (`concurrency` plus one batch). A source the broker pushes to (AMQP) sizes its prefetch from
   * it when none was configured; others ignore it.
   */
  expectHeld?(most: number): void;
  /**
   * Register the one listener for settles that fail after their promise resolved (SQS queued
   * acks, say). The Worker logs them with the app's logger and counts them as settle errors.
   */
  onBackgroundError?(listener: BackgroundErrorListener): void;
  /**
   * Register the one listener told each time the source lost its connection to the broker and
   * got it back (consuming again). The Worker counts it (`reconnected` event, metrics). Optional:
   * sources without a lasting connection (HTTP polling) have nothing to report.
   */
  onReconnect?(listener: () => void): void;
  /**
   * False while the source knows it has lost its broker connection and is getting it back (its
   * receives then wait rather than fail). The Worker's readiness reports it. Optional: sources
   * without a lasting connection (HTTP polling) learn of an outage from failed receives.
   */
  isConnected?(): boolean;
  close(): Promise<void>;
}

/** Sends messages. Resolves when the transport has accepted (confirmed / persisted) every message. */
export interface Publisher {
  publish(messages: Outgoing[], options?: PublishOptions): Promise<void>;
  close(): Promise<void>;
}

/** Counts for one queue. */
export interface QueueDepth {
  /** Visible now. */
  ready: number;
  /** Scheduled for later (delays, retries). */
  delayed: number;
  /** Received and not yet settled. */
  inFlight: number;
}

/** A dead-lettered message as the admin tools show it. */
export interface DeadLetter {
  /** Transport handle for redrive / delete. */
  readonly handle: string;
  readonly id: string;
  readonly name: string | undefined;
  readonly reason: string;
  readonly attempts: number;
  readonly deadLetteredAt: Date | undefined;
  readonly queue: string;
  /** The body as text (UTF-8 with replacement characters when it was not). */
  readonly body: string;
  readonly headers: Readonly<Record<string, string>>;
}

/** Operations tools (`mailroom stats`, `mailroom dlq …`) need. Optional per transport. */
export interface QueueAdmin {
  stats(): Promise<Array<{ queue: string } & QueueDepth & { deadLettered: number }>>;
  listDeadLetters(options?: { limit?: number }): Promise<DeadLetter[]>;
  /** Move dead letters back to their queue with a fresh attempt count. Returns how many moved. */
  redrive(options?: { limit?: number; onProgress?: (done: number, total: number) => void }): Promise<number>;
  /**
   * Delete dead letters for good, oldest first (as the transport orders them), at most `limit`
   * (default all). Only the dead-letter destination is touched, never the live queue.
   * `onProgress` is called as for `redrive`. Returns how many were deleted.
   */
  purge(options?: { limit?: number; onProgress?: (done: number, total: number) => void }): Promise<number>;
}

/** Options of one request. */
export interface RequestOptions {
  /** Give up after this long, ms. Default 30,000. */
  timeout?: number;
  /** Destination override, as `Outgoing.to`. Default: where a publish of the name goes. */
  to?: string;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** Write the request with this codec (a CloudEvent, …) instead of the transport's. */
  codec?: Codec;
}

/**
 * Request / reply: send a message and wait for the handler's answer (its return value, or what
 * it passes to `ctx.reply`), matched by correlation id. `close` removes the client's reply queue.
 */
export interface Requester {
  /** Resolves with the reply's data; rejects with `RequestTimeoutError` after `timeout`. */
  request<R = unknown>(name: string, data: unknown, options?: RequestOptions): Promise<R>;
  close(): Promise<void>;
}

/** A reply queue one requester owns: created for it, removed on close. */
export interface ReplyQueue {
  /** What requests carry as `replyTo`, and where `ctx.reply` publishes to (`Outgoing.to`). */
  readonly address: string;
  /** Where the replies arrive. */
  readonly source: Source;
  /** Remove the reply queue. */
  close(): Promise<void>;
}

/** What a transport URL opens: a source and a publisher bound to one queue, and admin tools where supported. */
export interface Transport {
  /** e.g. `sqlite`, `memory`, `amqp`. */
  readonly kind: string;
  /** The queue this transport consumes and, by default, publishes to. */
  readonly queue: string;
  source(): Source;
  publisher(): Publisher;
  admin?(): QueueAdmin;
  /** A request / reply client (`mailroom request`). Optional: transports without it cannot make requests. */
  requester?(): Requester;
  close(): Promise<void>;
}
