import {
  ConfigError,
  type Delivery,
  isDecodeFailure,
  type QueueDepth,
  type Source,
  TransportError,
} from "@mailroom/core";
import { RunLedger } from "@mailroom/core/transport";
import type { ChannelModel, ConsumeMessage } from "amqplib";
import { type TrackedConfirmChannel, trackConfirmChannel, type WireItem } from "./confirm.ts";
import type { AmqpConnection, ChannelUser } from "./connection.ts";
import { decodeMessage } from "./decode.ts";
import { AmqpDelivery, type DeliveryOwner } from "./delivery.ts";
import { HeldMessages } from "./held.ts";
import type { ResolvedOptions } from "./options.ts";
import { prepareTopology, retryQueueName } from "./topology.ts";
import { ReceiveWaiters } from "./waiters.ts";

/** The least prefetch derived from a Worker's demand (RabbitMQ's guidance for throughput: 100 to 300). */
const MIN_DERIVED_PREFETCH = 100;

/** The consumer channel and the tag of its consumer. */
type ConsumerChannel = TrackedConfirmChannel & { consumerTag?: string };

/**
 * Consumes the work queue on a confirm channel with manual ack and `prefetch`, and hands
 * deliveries to `receive` callers. Consuming starts at the first `receive`; on connection or
 * channel loss it re-declares topology and resumes. Messages buffered from a dead channel are
 * dropped (the broker redelivers them).
 */
export class AmqpSource implements Source, ChannelUser, DeliveryOwner {
  readonly options: ResolvedOptions;
  /** The broker's consumer_timeout: the Worker calls `extend` at half of it, which warns about long handlers. */
  readonly visibilityTimeoutMs: number;
  readonly runs = new RunLedger();
  readonly held = new HeldMessages();
  readonly #conn: AmqpConnection;
  readonly #waiters: ReceiveWaiters;
  #channel: ConsumerChannel | undefined;
  /** Received, not yet taken by a `receive`. Emptied in place: the waiters hold a reference. */
  readonly #buffer: Delivery[] = [];
  #started: Promise<void> | undefined;
  #closed = false;
  #unsettled = 0;
  #names: string[] = [];
  #consuming = false;
  #redeclaring: Promise<void> | undefined;
  #prefetch: number;
  #reconnectListener: (() => void) | undefined;

  constructor(conn: AmqpConnection, options: ResolvedOptions) {
    this.#conn = conn;
    this.options = options;
    this.#prefetch = options.prefetch;
    this.visibilityTimeoutMs = options.consumerTimeoutMs;
    this.#waiters = new ReceiveWaiters(options.waitTimeMs);
  }

  /**
   * The start-up check: connects (one attempt, or the live connection) and declares the
   * topology — checks it, in passive mode, including the dead-letter queue. Rejects with a
   * `ConfigError` for a refused login or virtual host, a missing queue or dead-letter queue, a
   * declare that conflicts or is not permitted; with a `TransportError` while the broker cannot
   * be reached (the Worker waits and calls again). Logs nothing: the caller owns that line.
   */
  async connect(signal: AbortSignal): Promise<void> {
    if (signal.aborted) throw new TransportError("the start-up check was aborted");
    let onAbort = () => {};
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => reject(new TransportError("the start-up check was aborted"));
      signal.addEventListener("abort", onAbort, { once: true });
    });
    try {
      await Promise.race([this.#check(), aborted]);
    } finally {
      signal.removeEventListener("abort", onAbort);
    }
  }

  async #check(): Promise<void> {
    await this.#conn.probe();
    const model = this.#conn.model;
    if (!model) throw new TransportError(`the connection to ${this.#conn.target.redacted} was lost`);
    try {
      await prepareTopology(model, this.#topologyOptions());
    } catch (error) {
      if (error instanceof ConfigError || error instanceof TransportError) throw error;
      throw new TransportError(`could not check the topology: ${this.#conn.describe(error)}`, {
        cause: error,
      });
    }
  }

  async receive(max: number, signal: AbortSignal): Promise<Delivery[]> {
    if (this.#closed || signal.aborted) return [];
    if (!this.#consuming) {
      this.#started ??= this.#conn.add(this).then(
        () => {
          this.#consuming = true;
        },
        (error) => {
          this.#started = undefined;
          throw error;
        },
      );
      await this.#started;
    }
    if (this.#buffer.length > 0) return this.#buffer.splice(0, max);
    if (this.#closed || signal.aborted) return [];
    return this.#waiters.wait(max, signal);
  }

  /** Ready from the broker; delayed = messages in this queue's retry buckets; in flight = received here and not settled, or held. */
  async depth(): Promise<QueueDepth> {
    const inFlight = this.#unsettled + this.#buffer.length + this.held.size;
    const model = this.#conn.model;
    if (!model) return { ready: 0, delayed: 0, inFlight };
    const ch = await model.createChannel();
    ch.on("error", () => {});
    try {
      const main = await ch.checkQueue(this.options.queue);
      let delayed = 0;
      for (const b of this.options.delayBuckets)
        delayed += (await ch.checkQueue(retryQueueName(this.options.queue, b))).messageCount;
      return { ready: main.messageCount, delayed, inFlight };
    } finally {
      await ch.close().catch(() => {});
    }
  }

  /**
   * Bind the queue to the exchange by these message names (the app's handler names), unless the
   * `bindings` option was given. Kept across reconnects. The core Worker calls it before its first receive.
   */
  async subscribe(names: readonly string[]): Promise<void> {
    this.#names = [...names];
    const { exchange, bindings, passive, queue } = this.options;
    const model = this.#conn.model;
    if (!model || !exchange || bindings.length > 0 || passive) return;
    const ch = await model.createChannel();
    ch.on("error", () => {});
    try {
      for (const name of this.#names) await ch.bindQueue(queue, exchange, name);
    } finally {
      await ch.close().catch(() => {});
    }
  }

  /**
   * Told each time the connection came back after it was lost. The Worker registers once it has
   * connected, so every later connect is a reconnect.
   */
  onReconnect(listener: () => void): void {
    if (this.#reconnectListener) this.#conn.off("connected", this.#reconnectListener);
    this.#reconnectListener = listener;
    this.#conn.on("connected", listener);
  }

  /** False while the connection to RabbitMQ is lost and being re-made. */
  isConnected(): boolean {
    return this.#conn.model !== undefined;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#reconnectListener) this.#conn.off("connected", this.#reconnectListener);
    this.#waiters.endAll();
    this.#conn.remove(this);
    const channel = this.#channel;
    this.#channel = undefined;
    this.#buffer.length = 0;
    this.held.clear();
    if (channel?.open) {
      channel.open = false;
      // Closing the channel gives every unacked message back to the broker, held ones included.
      await channel.channel.close().catch(() => {});
    }
  }

  /**
   * The Worker holds at most `most` messages: unless `prefetch` was configured, ask the broker for
   * twice that and at least 100, so its deliveries keep coming while every slot is busy and the
   * acks of one event-loop turn leave together (the fewer messages a turn handles, the more
   * socket writes per message). Takes effect when consuming starts.
   */
  expectHeld(most: number): void {
    if (!this.options.prefetchFixed) this.#prefetch = Math.max(MIN_DERIVED_PREFETCH, 2 * most);
  }

  async connected(model: ChannelModel): Promise<void> {
    if (this.#closed) return;
    const topology = this.#topologyOptions();
    // The start-up check (`connect`) insists on the dead-letter queue; consuming can do without.
    await prepareTopology(model, topology, { checkDeadLetters: false });
    if (topology.exchange && topology.bindings.length === 0 && !topology.passive) {
      this.options.logger.warn(
        { queue: topology.queue, exchange: topology.exchange },
        "the queue is not bound to the exchange by any routing key, so nothing published there reaches it: add ?bind=name1,name2 to the URL, pass bindings, or start it with listen()",
      );
    }
    const channel: ConsumerChannel = trackConfirmChannel(await model.createConfirmChannel(), (closed) =>
      this.#channelClosed(closed),
    );
    await channel.channel.prefetch(this.#prefetch);
    this.#channel = channel;
    const reply = await channel.channel.consume(this.options.queue, (m) => this.#onMessage(channel, m), {
      noAck: false,
    });
    channel.consumerTag = reply.consumerTag;
    if (this.#closed) await channel.channel.close().catch(() => {});
  }

  disconnected(): void {
    const channel = this.#channel;
    if (channel) channel.open = false;
    this.#channel = undefined;
    this.#dropBuffer();
  }

  settled(): void {
    this.#unsettled--;
  }

  atRisk(delivery: AmqpDelivery, ageMs: number): void {
    const envelope = delivery.envelope;
    this.options.logger.warn(
      {
        queue: this.options.queue,
        messageId: isDecodeFailure(envelope) ? envelope.meta.id : envelope.id,
        runningMs: ageMs,
        consumerTimeoutMs: this.options.consumerTimeoutMs,
      },
      "a handler has run past half of RabbitMQ's consumer_timeout; at the timeout the broker closes the channel and redelivers the message (raise consumer_timeout for this queue, or split the work)",
    );
  }

  /**
   * A copy came back unroutable: a retry queue or the dead-letter queue was deleted under us.
   * Declare the topology again (not in passive mode: there operations own it), once at a time,
   * so the held message finds its queue when it is given back.
   */
  copyUnroutable(copy: WireItem): void {
    const model = this.#conn.model;
    const { logger, passive, queue } = this.options;
    logger.warn(
      { queue, exchange: copy.exchange, routingKey: copy.routingKey, passive },
      passive
        ? "a queue this worker sends retries or dead letters to does not exist; messages are held and given back until operations declare it"
        : "a queue this worker sends retries or dead letters to does not exist; declaring the topology again",
    );
    if (passive || !model || this.#redeclaring) return;
    this.#redeclaring = prepareTopology(model, this.#topologyOptions(), { checkDeadLetters: false })
      .catch((error) =>
        logger.error({ error: this.#conn.describe(error) }, "declaring the topology again failed"),
      )
      .finally(() => {
        this.#redeclaring = undefined;
      });
  }

  /** The options with the bindings this source declares: the configured ones, else the subscribed names. */
  #topologyOptions(): ResolvedOptions {
    const bindings = this.options.bindings.length > 0 ? this.options.bindings : this.#names;
    return { ...this.options, bindings };
  }

  #channelClosed(channel: ConsumerChannel): void {
    if (this.#channel !== channel) return;
    this.#channel = undefined;
    this.#dropBuffer();
    if (!this.#closed) this.#conn.reopen(this, new Error("consumer channel closed"));
  }

  #dropBuffer(): void {
    this.#unsettled -= this.#buffer.length;
    this.#buffer.length = 0;
    // The broker took back whatever the closed channel held.
    this.held.clear();
  }

  #onMessage(channel: ConsumerChannel, message: ConsumeMessage | null): void {
    if (message === null) {
      // The broker cancelled the consumer (queue deleted / failover): start over on a fresh channel.
      if (channel.open) void channel.channel.close().catch(() => {});
      return;
    }
    if (!channel.open) return;
    if (this.#channel !== channel) {
      // A channel this source no longer uses: give its messages back to the broker.
      channel.open = false;
      void channel.channel.close().catch(() => {});
      return;
    }
    this.#unsettled++;
    const { envelope, runsBefore } = decodeMessage(message, this.options, this.runs);
    this.#buffer.push(new AmqpDelivery(this, channel, message, envelope, runsBefore));
    // amqplib emits every delivery of one socket read synchronously: the waiters take them together.
    this.#waiters.offer(this.#buffer);
  }
}
