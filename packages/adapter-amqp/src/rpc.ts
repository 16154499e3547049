import {
  ConfigError,
  type RequestOptions as CoreRequestOptions,
  type Outgoing,
  type Requester,
  TransportError,
  uuidv7,
} from "@mailroom/core";
import { toEncodeInput, withProducerSpans } from "@mailroom/core/transport";
import type { Channel, ChannelModel, ConsumeMessage } from "amqplib";
import type { AmqpConnection, ChannelUser } from "./connection.ts";
import { PublishRejectedError, RpcTimeoutError } from "./errors.ts";
import type { ResolvedOptions } from "./options.ts";
import { publishProperties } from "./properties.ts";
import { destinationOf } from "./publisher.ts";

const REPLY_TO = "amq.rabbitmq.reply-to";

/** Options of one request; `to` may be `exchange:routingKey` or a queue name. */
export type RequestOptions = CoreRequestOptions;

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

/**
 * Request / reply over RabbitMQ's direct reply-to (`amq.rabbitmq.reply-to`): no reply queue is
 * declared. The request goes where a publish would (the exchange with routing key = name, or the
 * queue); the handler's return value comes back as the bare JSON reply with the same
 * `correlation_id`. A request in flight when the connection drops fails at once (direct reply-to
 * cannot survive a channel), so callers may retry.
 *
 * @example
 * const rpc = transport.rpcClient();
 * const price = await rpc.request("quote_price", { sku: "A1" }, { timeout: 5_000 });
 */
export class RpcClient implements ChannelUser, Requester {
  readonly #conn: AmqpConnection;
  readonly #options: ResolvedOptions;
  readonly #pending = new Map<string, Pending>();
  #ch: Channel | undefined;
  #started: Promise<void> | undefined;
  #ready: Array<() => void> = [];
  #closed = false;

  constructor(conn: AmqpConnection, options: ResolvedOptions) {
    this.#conn = conn;
    this.#options = options;
  }

  /** Send `name` with `data` and resolve with the reply's JSON. Rejects with `RpcTimeoutError` after `timeout`. */
  async request<R = unknown>(name: string, data: unknown, options: RequestOptions = {}): Promise<R> {
    if (this.#closed) throw new ConfigError("this RPC client is closed");
    const timeout = options.timeout ?? 30_000;
    this.#started ??= this.#conn.add(this).catch((error) => {
      this.#started = undefined;
      throw error;
    });
    await this.#started;
    const ch = await this.#channel();
    const correlationId = uuidv7();
    const message: Outgoing = { name, data, correlationId, replyTo: REPLY_TO, headers: options.headers };
    if (options.to) message.to = options.to;
    const dest = destinationOf(message, this.#options);
    let answer: Promise<R> | undefined;
    // The request's producer span covers its send; its context goes out in the request's headers.
    await withProducerSpans(
      "amqp",
      () => dest.exchange || dest.routingKey,
      [message],
      async ([traced]) => {
        const wire = (options.codec ?? this.#options.codec).encode(toEncodeInput(traced!));
        // mandatory: a request no queue is bound for fails at once instead of waiting for its timeout.
        const props = publishProperties(wire, { mandatory: true });
        props.persistent = false;
        answer = new Promise<R>((resolve, reject) => {
          const timer = setTimeout(
            () => this.#fail(correlationId, new RpcTimeoutError(name, timeout)),
            timeout,
          );
          this.#pending.set(correlationId, { resolve: resolve as (v: unknown) => void, reject, timer });
          options.signal?.addEventListener(
            "abort",
            () => this.#fail(correlationId, new Error(`request "${name}" aborted`)),
            {
              once: true,
            },
          );
          ch.publish(dest.exchange, dest.routingKey, Buffer.from(wire.body), props);
        });
      },
    );
    return answer!;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#conn.remove(this);
    this.#failAll(new TransportError("RPC client closed"));
    const ch = this.#ch;
    this.#ch = undefined;
    await ch?.close().catch(() => {});
  }

  async connected(model: ChannelModel): Promise<void> {
    if (this.#closed) return;
    const ch = await model.createChannel();
    ch.on("error", () => {});
    ch.on(
      "return",
      (m: { properties: { correlationId?: unknown }; fields: { exchange: string; routingKey: string } }) => {
        const id = m.properties.correlationId;
        if (typeof id === "string") {
          this.#fail(id, new PublishRejectedError(m.fields.exchange, m.fields.routingKey, "unroutable"));
        }
      },
    );
    ch.on("close", () => {
      if (this.#ch !== ch) return;
      this.#ch = undefined;
      this.#failAll(
        new TransportError(
          "the RPC channel closed before the reply came; the request may or may not have run",
        ),
      );
      if (!this.#closed) this.#conn.reopen(this, new Error("RPC channel closed"));
    });
    await ch.consume(REPLY_TO, (m) => this.#onReply(m), { noAck: true });
    this.#ch = ch;
    for (const r of this.#ready.splice(0)) r();
  }

  disconnected(): void {
    this.#ch = undefined;
    this.#failAll(
      new TransportError(
        "the connection to RabbitMQ dropped before the reply came; the request may or may not have run",
      ),
    );
  }

  async #channel(): Promise<Channel> {
    while (!this.#ch) {
      if (this.#closed) throw new ConfigError("this RPC client is closed");
      await new Promise<void>((resolve) => this.#ready.push(resolve));
    }
    return this.#ch;
  }

  #onReply(m: ConsumeMessage | null): void {
    if (!m) return;
    const id = m.properties.correlationId;
    const p = typeof id === "string" ? this.#pending.get(id) : undefined;
    if (!p) return;
    this.#pending.delete(id);
    clearTimeout(p.timer);
    try {
      p.resolve(JSON.parse(m.content.toString("utf8")));
    } catch {
      p.resolve(m.content.toString("utf8"));
    }
  }

  #fail(id: string, error: Error): void {
    const p = this.#pending.get(id);
    if (!p) return;
    this.#pending.delete(id);
    clearTimeout(p.timer);
    p.reject(error);
  }

  #failAll(error: Error): void {
    for (const id of [...this.#pending.keys()]) this.#fail(id, error);
  }
}
