import { type QueueAdmin, type Transport, TransportError } from "@mailroom/core";
import { AmqpAdmin } from "./admin.ts";
import { AmqpConnection } from "./connection.ts";
import { type AmqpTransportOptions, type ResolvedOptions, resolveOptions } from "./options.ts";
import { AmqpPublisher } from "./publisher.ts";
import { RpcClient } from "./rpc.ts";
import { AmqpSource } from "./source.ts";
import { prepareTopology } from "./topology.ts";
import { parseAmqpUrl } from "./url.ts";

/**
 * A RabbitMQ queue as a Mailroom transport: one reconnecting connection shared by its sources,
 * publishers, admin and RPC client. Nothing connects until first use.
 */
export class AmqpTransport implements Transport {
  readonly kind = "amqp";
  readonly queue: string;
  readonly options: ResolvedOptions;
  readonly connection: AmqpConnection;
  readonly #closables = new Set<{ close(): Promise<void> }>();
  #publisher: AmqpPublisher | undefined;

  constructor(url: string | URL, options: AmqpTransportOptions = {}) {
    const parsed = parseAmqpUrl(url);
    this.options = resolveOptions({
      ...parsed.options,
      ...options,
      bindings: options.bindings ?? parsed.options.bindings,
    });
    this.queue = this.options.queue;
    this.connection = new AmqpConnection(parsed.target, this.options);
  }

  /**
   * Connect now (rather than at first use) and declare the topology (check it, in passive mode).
   * Rejects with a `ConfigError` when the login, virtual host or topology is wrong (at once), and
   * with a `TransportError` when the broker cannot be reached after `reconnect.initialAttempts`.
   */
  async connect(): Promise<this> {
    await this.connection.start();
    await this.connection.ready();
    const model = this.connection.model;
    if (!model) throw new TransportError(`not connected to ${this.connection.target.redacted}`);
    await prepareTopology(model, this.options);
    return this;
  }

  /** A new consumer of the queue. Each source has its own channel and prefetch window. */
  source(): AmqpSource {
    const source = new AmqpSource(this.connection, this.options);
    this.#closables.add(source);
    return source;
  }

  /** The transport's publisher (one confirm channel, shared). */
  publisher(): AmqpPublisher {
    if (!this.#publisher) {
      this.#publisher = new AmqpPublisher(this.connection, this.options);
      this.#closables.add(this.#publisher);
    }
    return this.#publisher;
  }

  admin(): QueueAdmin {
    return new AmqpAdmin(this.connection, this.options);
  }

  /** A request/reply client over direct reply-to. */
  rpcClient(): RpcClient {
    const client = new RpcClient(this.connection, this.options);
    this.#closables.add(client);
    return client;
  }

  /** The request / reply client of this transport (`mailroom request`): the direct reply-to `rpcClient`. */
  requester(): RpcClient {
    return this.rpcClient();
  }

  async close(): Promise<void> {
    await Promise.all([...this.#closables].map((c) => c.close().catch(() => {})));
    this.#closables.clear();
    this.#publisher = undefined;
    await this.connection.close();
  }
}

/**
 * Open a RabbitMQ transport from a URL: `amqp://user:pass@host:5672/vhost?queue=orders&exchange=events`
 * (`amqps://` for TLS). Query parameters and `options` are documented in the README; `options`
 * wins. This is what `mailroom run --transport amqp://…` calls.
 */
export async function openTransport(
  url: string | URL,
  options: AmqpTransportOptions = {},
): Promise<AmqpTransport> {
  return new AmqpTransport(url, options);
}
