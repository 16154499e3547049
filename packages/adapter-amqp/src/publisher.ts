import {
  ConfigError,
  Headers,
  type Outgoing,
  type Publisher,
  type PublishOptions,
  TransportError,
} from "@mailroom/core";
import { dueAt, toEncodeInput, withProducerSpans } from "@mailroom/core/transport";
import type { ChannelModel } from "amqplib";
import { chooseHop } from "./buckets.ts";
import {
  publishConfirmed,
  type TrackedConfirmChannel,
  trackConfirmChannel,
  type WireItem,
} from "./confirm.ts";
import type { AmqpConnection, ChannelUser } from "./connection.ts";
import { PublishBufferFullError } from "./errors.ts";
import type { ResolvedOptions } from "./options.ts";
import { publishProperties } from "./properties.ts";
import { declareDelay, declareTopology, delayName, retryQueueName } from "./topology.ts";

/** Where a message goes: exchange ("" = default) and routing key. */
export interface Destination {
  exchange: string;
  routingKey: string;
}

/**
 * Where an outgoing message is sent. `to` may be `exchange:routingKey`, or a queue name (sent
 * through the default exchange). Without `to`: the configured exchange with routing key = the
 * message name, else straight to the configured queue.
 */
export function destinationOf(message: Outgoing, options: ResolvedOptions): Destination {
  const to = message.to;
  if (to !== undefined && to !== "") {
    const colon = to.indexOf(":");
    if (colon === -1) return { exchange: "", routingKey: to };
    return { exchange: to.slice(0, colon), routingKey: to.slice(colon + 1) };
  }
  if (options.exchange) return { exchange: options.exchange, routingKey: message.name };
  return { exchange: "", routingKey: options.queue };
}

interface ChannelWaiter {
  resolve: () => void;
  reject: (error: Error) => void;
}

/**
 * Publishes on a confirm channel: persistent messages, properties from the envelope, all
 * confirms of one call awaited together, back-pressure on a full channel buffer. While the
 * connection is down, publishes wait (at most `publishBuffer` messages, then
 * `PublishBufferFullError`); messages whose channel died before their confirm are sent again on
 * the next channel (at-least-once). Delays use the delay buckets and the `not-before` chain.
 */
export class AmqpPublisher implements Publisher, ChannelUser {
  readonly #conn: AmqpConnection;
  readonly #options: ResolvedOptions;
  #channel: TrackedConfirmChannel | undefined;
  #model: ChannelModel | undefined;
  #started: Promise<void> | undefined;
  #closed = false;
  #waiting = 0;
  #waiters: ChannelWaiter[] = [];
  #delayDeclared = new Set<string>();

  constructor(conn: AmqpConnection, options: ResolvedOptions) {
    this.#conn = conn;
    this.#options = options;
  }

  async publish(messages: Outgoing[], options?: PublishOptions): Promise<void> {
    if (this.#closed) throw new ConfigError("this publisher is closed");
    if (messages.length === 0) return;
    await withProducerSpans("amqp", this.#destinationName, messages, (traced) =>
      this.#publish(traced, options),
    );
  }

  /** `messaging.destination.name`: the exchange, or the queue a default-exchange send goes to. */
  readonly #destinationName = (message: Outgoing): string => {
    if (message.reply) return message.to ?? "";
    const dest = destinationOf(message, this.#options);
    return dest.exchange || dest.routingKey;
  };

  async #publish(messages: Outgoing[], options?: PublishOptions): Promise<void> {
    const now = Date.now();
    const due = dueAt(options, now);
    const delayMs = due === undefined ? 0 : due - now;
    const delayExchanges = new Set<string>();
    const items = messages.map((message) => this.#item(message, delayMs, now, delayExchanges));
    this.#started ??= this.#conn.add(this).catch((error) => {
      this.#started = undefined;
      throw error;
    });
    await this.#started;
    let pending = items;
    for (;;) {
      const channel = await this.#openChannel(pending.length);
      for (const ex of delayExchanges) await this.#ensureDelay(ex);
      pending = await publishConfirmed(channel, pending);
      if (pending.length === 0) return;
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#conn.remove(this);
    for (const waiter of this.#waiters.splice(0))
      waiter.reject(new TransportError("publisher closed before the broker came back"));
    const channel = this.#channel;
    this.#channel = undefined;
    if (channel?.open) {
      channel.open = false;
      await channel.channel.close().catch(() => {});
    }
  }

  async connected(model: ChannelModel): Promise<void> {
    if (this.#closed) return;
    const setup = await model.createChannel();
    setup.on("error", () => {});
    try {
      // A publisher never dead-letters: in passive mode it does not insist on the dead-letter queue.
      await declareTopology(setup, this.#options, { checkDeadLetters: false });
    } finally {
      await setup.close().catch(() => {});
    }
    this.#delayDeclared = new Set();
    const channel = trackConfirmChannel(await model.createConfirmChannel(), (closed) => {
      if (this.#channel !== closed) return;
      this.#channel = undefined;
      if (!this.#closed) this.#conn.reopen(this, new Error("publisher channel closed"));
    });
    this.#model = model;
    this.#channel = channel;
    for (const waiter of this.#waiters.splice(0)) waiter.resolve();
  }

  disconnected(): void {
    if (this.#channel) this.#channel.open = false;
    this.#channel = undefined;
    this.#model = undefined;
  }

  #item(message: Outgoing, delayMs: number, now: number, delayExchanges: Set<string>): WireItem {
    const options = this.#options;
    if (message.reply) {
      if (!message.to) throw new ConfigError("a reply needs `to` (the request's reply_to)");
      // Replies go as the bare JSON of data, as RPC callers in every language expect.
      const replyOptions: WireItem["options"] = { contentType: "application/json", persistent: false };
      if (message.correlationId) replyOptions.correlationId = message.correlationId;
      if (message.headers && Object.keys(message.headers).length > 0) replyOptions.headers = message.headers;
      return {
        exchange: "",
        routingKey: message.to,
        content: Buffer.from(JSON.stringify(message.data ?? null)),
        options: replyOptions,
      };
    }
    const wire = (message.codec ?? options.codec).encode(toEncodeInput(message, new Date(now)));
    const dest = destinationOf(message, options);
    const hop = chooseHop(delayMs, options.delayBuckets, now);
    if (hop?.notBefore !== undefined) {
      wire.meta.headers = {
        ...wire.meta.headers,
        [Headers.notBefore]: new Date(hop.notBefore).toISOString(),
      };
    }
    const properties = publishProperties(wire, {
      priority: message.priority,
      // A per-message TTL would also run out inside a delay bucket: only direct sends carry it.
      expiresInMs: hop ? undefined : message.expiresInMs,
      // On a hop this checks the delay queue exists (a deleted one would drop the message); where
      // it goes after the delay is checked only then.
      mandatory: options.mandatory,
    });
    const content = Buffer.from(wire.body.buffer, wire.body.byteOffset, wire.body.byteLength);
    if (!hop) return { exchange: dest.exchange, routingKey: dest.routingKey, content, options: properties };
    if (dest.exchange === "" && dest.routingKey === options.queue) {
      return {
        exchange: "",
        routingKey: retryQueueName(options.queue, hop.bucket),
        content,
        options: properties,
      };
    }
    delayExchanges.add(dest.exchange);
    return {
      exchange: delayName(dest.exchange, hop.bucket),
      routingKey: dest.routingKey,
      content,
      options: properties,
    };
  }

  async #ensureDelay(exchange: string): Promise<void> {
    if (this.#delayDeclared.has(exchange) || !this.#model) return;
    const ch = await this.#model.createChannel();
    ch.on("error", () => {});
    try {
      await declareDelay(ch, exchange, this.#options.delayBuckets, this.#options.passive);
      this.#delayDeclared.add(exchange);
    } finally {
      await ch.close().catch(() => {});
    }
  }

  /** The open confirm channel; while there is none, wait for it (within `publishBuffer`). */
  async #openChannel(count: number): Promise<TrackedConfirmChannel> {
    for (;;) {
      const channel = this.#channel;
      if (channel?.open) return channel;
      if (this.#closed) throw new TransportError("publisher closed");
      if (this.#waiting + count > this.#options.publishBuffer)
        throw new PublishBufferFullError(this.#options.publishBuffer);
      this.#waiting += count;
      try {
        await new Promise<void>((resolve, reject) => this.#waiters.push({ resolve, reject }));
      } finally {
        this.#waiting -= count;
      }
    }
  }
}
