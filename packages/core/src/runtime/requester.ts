import { isDecodeFailure, type Outgoing } from "../envelope.ts";
import { ConfigError, describeError, RequestTimeoutError } from "../errors.ts";
import { uuidv7 } from "../ids.ts";
import type { Logger } from "../logger.ts";
import { silentLogger } from "../logger.ts";
import type { Publisher, ReplyQueue, Requester, RequestOptions } from "../transport.ts";

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
  timer: NodeJS.Timeout;
}

/** Backoff after a failed receive of replies, ms. */
const RETRY_MS = 500;

/**
 * Request / reply for any transport that can make a queue of its own: the reply queue is opened
 * on the first request (`openReplyQueue`), requests go out through `publisher` with `replyTo` =
 * its address and a fresh correlation id, one receive loop hands each reply to its waiting
 * request and acks it, and `close` removes the queue. Replies nobody waits for (late, after a
 * timeout) are acked and dropped.
 *
 * @example
 * const rpc = new QueueRequester(transport.publisher(), () => transport.openReplyQueue());
 * const price = await rpc.request("quote_price", { sku: "A1" }, { timeout: 5_000 });
 */
export class QueueRequester implements Requester {
  readonly #publisher: Publisher;
  readonly #open: () => Promise<ReplyQueue>;
  readonly #logger: Logger;
  readonly #pending = new Map<string, Pending>();
  readonly #stop = new AbortController();
  #reply: Promise<ReplyQueue> | undefined;
  #loop: Promise<void> | undefined;
  #closed = false;

  constructor(
    publisher: Publisher,
    openReplyQueue: () => Promise<ReplyQueue>,
    logger: Logger = silentLogger,
  ) {
    this.#publisher = publisher;
    this.#open = openReplyQueue;
    this.#logger = logger;
  }

  async request<R = unknown>(name: string, data: unknown, options: RequestOptions = {}): Promise<R> {
    if (this.#closed) throw new ConfigError("this requester is closed");
    const reply = await this.#replyQueue();
    const timeout = options.timeout ?? 30_000;
    const correlationId = uuidv7();
    const message: Outgoing = { name, data, correlationId, replyTo: reply.address };
    if (options.headers) message.headers = options.headers;
    if (options.to) message.to = options.to;
    if (options.codec) message.codec = options.codec;
    const answered = new Promise<R>((resolve, reject) => {
      const timer = setTimeout(
        () => this.#settle(correlationId, undefined, new RequestTimeoutError(name, timeout)),
        timeout,
      );
      this.#pending.set(correlationId, { resolve: resolve as (v: unknown) => void, reject, timer });
      options.signal?.addEventListener(
        "abort",
        () => this.#settle(correlationId, undefined, new Error(`request "${name}" aborted`)),
        { once: true },
      );
    });
    try {
      await this.#publisher.publish([message]);
    } catch (error) {
      this.#settle(correlationId, undefined, error);
    }
    return answered;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#stop.abort();
    for (const id of [...this.#pending.keys()])
      this.#settle(id, undefined, new Error("the requester was closed"));
    await this.#loop;
    const reply = await this.#reply?.catch(() => undefined);
    await reply?.source.close();
    await reply?.close();
  }

  #replyQueue(): Promise<ReplyQueue> {
    if (!this.#reply) {
      this.#reply = this.#open();
      this.#reply.then(
        (reply) => {
          this.#loop = this.#receive(reply);
        },
        () => {
          this.#reply = undefined;
        },
      );
    }
    return this.#reply;
  }

  async #receive(reply: ReplyQueue): Promise<void> {
    const signal = this.#stop.signal;
    while (!signal.aborted) {
      try {
        const deliveries = await reply.source.receive(10, signal);
        for (const d of deliveries) {
          const e = d.envelope;
          if (!isDecodeFailure(e) && e.correlationId) this.#settle(e.correlationId, e.data);
          await d.ack().catch(() => {});
        }
      } catch (error) {
        if (signal.aborted) break;
        this.#logger.warn({ error: describeError(error) }, "receiving replies failed; retrying");
        await new Promise((r) => setTimeout(r, RETRY_MS));
      }
    }
  }

  #settle(correlationId: string, value: unknown, error?: unknown): void {
    const p = this.#pending.get(correlationId);
    if (!p) return;
    this.#pending.delete(correlationId);
    clearTimeout(p.timer);
    if (error !== undefined) p.reject(error);
    else p.resolve(value);
  }
}
