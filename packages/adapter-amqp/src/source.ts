import {
  type DecodeFailure,
  type Delivery,
  type Envelope,
  isDecodeFailure,
  type QueueDepth,
  type Source,
} from "@mailroom/core";
import { decodeEnvelope } from "@mailroom/core/transport";
import type { ChannelModel, ConsumeMessage } from "amqplib";
import type { Lane } from "./confirm.ts";
import type { AmqpConnection, ChannelUser } from "./connection.ts";
import { AmqpDelivery, type DeliveryOwner } from "./delivery.ts";
import type { ResolvedOptions } from "./options.ts";
import { readProperties } from "./properties.ts";
import { declareTopology, retryQueueName } from "./topology.ts";

interface Waiter {
  max: number;
  deadline: number;
  resolve: (deliveries: Delivery[]) => void;
}

/**
 * Consumes the work queue on a confirm channel with manual ack and `prefetch`, and hands
 * deliveries to `receive` callers. Consuming starts at the first `receive`; on connection or
 * channel loss it re-declares topology and resumes. Messages buffered from a dead channel are
 * dropped (the broker redelivers them).
 */
export class AmqpSource implements Source, ChannelUser, DeliveryOwner {
  readonly o: ResolvedOptions;
  /** The broker's consumer_timeout: the Worker calls `extend` at half of it, which warns about long handlers. */
  readonly visibilityTimeoutMs: number;
  readonly #conn: AmqpConnection;
  #lane: (Lane & { tag?: string }) | undefined;
  #buffer: Delivery[] = [];
  #waiters: Waiter[] = [];
  #started: Promise<void> | undefined;
  #closed = false;
  #unsettled = 0;
  #flushQueued = false;
  #names: string[] = [];
  #consuming = false;
  #sweeper: NodeJS.Timeout | undefined;

  constructor(conn: AmqpConnection, options: ResolvedOptions) {
    this.#conn = conn;
    this.o = options;
    this.visibilityTimeoutMs = options.consumerTimeoutMs;
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
    return new Promise((resolve) => {
      const waiter: Waiter = {
        max,
        deadline: Date.now() + this.o.waitTimeMs,
        resolve: (d) => {
          signal.removeEventListener("abort", onAbort);
          resolve(d);
        },
      };
      const onAbort = () => {
        const i = this.#waiters.indexOf(waiter);
        if (i !== -1) this.#waiters.splice(i, 1);
        resolve([]);
      };
      signal.addEventListener("abort", onAbort, { once: true });
      this.#waiters.push(waiter);
      // One sweep timer for all waiters rather than a timer per receive call.
      this.#sweeper ??= setInterval(() => this.#sweep(), Math.min(1_000, this.o.waitTimeMs)).unref();
    });
  }

  /** End the long poll of waiters past their deadline (they resolve empty, like an empty long poll). */
  #sweep(): void {
    const now = Date.now();
    for (let i = this.#waiters.length - 1; i >= 0; i--) {
      const w = this.#waiters[i]!;
      if (w.deadline <= now) {
        this.#waiters.splice(i, 1);
        w.resolve([]);
      }
    }
  }

  /** Ready from the broker; delayed = messages in this queue's retry buckets; in flight = received here and not settled. */
  async depth(): Promise<QueueDepth> {
    const model = this.#conn.model;
    if (!model) return { ready: 0, delayed: 0, inFlight: this.#unsettled + this.#buffer.length };
    const ch = await model.createChannel();
    ch.on("error", () => {});
    try {
      const main = await ch.checkQueue(this.o.queue);
      let delayed = 0;
      for (const b of this.o.delayBuckets)
        delayed += (await ch.checkQueue(retryQueueName(this.o.queue, b))).messageCount;
      return { ready: main.messageCount, delayed, inFlight: this.#unsettled + this.#buffer.length };
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
    const model = this.#conn.model;
    if (!model || !this.o.exchange || this.o.bindings.length > 0 || this.o.passive) return;
    const ch = await model.createChannel();
    ch.on("error", () => {});
    try {
      for (const name of this.#names) await ch.bindQueue(this.o.queue, this.o.exchange, name);
    } finally {
      await ch.close().catch(() => {});
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#sweeper) clearInterval(this.#sweeper);
    for (const w of this.#waiters.splice(0)) w.resolve([]);
    this.#conn.remove(this);
    const lane = this.#lane;
    this.#lane = undefined;
    this.#buffer = [];
    if (lane?.open) {
      lane.open = false;
      // Closing the channel gives every unacked message back to the broker.
      await lane.ch.close().catch(() => {});
    }
  }

  async connected(model: ChannelModel): Promise<void> {
    if (this.#closed) return;
    const setup = await model.createChannel();
    setup.on("error", () => {});
    try {
      const bindings = this.o.bindings.length > 0 ? this.o.bindings : this.#names;
      await declareTopology(setup, { ...this.o, bindings });
      if (this.o.exchange && bindings.length === 0 && !this.o.passive) {
        this.o.logger.warn(
          { queue: this.o.queue, exchange: this.o.exchange },
          "the queue is not bound to the exchange by any routing key, so nothing published there reaches it: add ?bind=name1,name2 to the URL, pass bindings, or start it with listen()",
        );
      }
    } finally {
      await setup.close().catch(() => {});
    }
    const ch = await model.createConfirmChannel();
    const lane: Lane & { tag?: string } = { ch, open: true, returned: new Set() };
    ch.on("error", () => {
      // Followed by 'close'; the reason is logged there by the connection.
    });
    ch.on("close", () => this.#laneClosed(lane));
    await ch.prefetch(this.o.prefetch);
    this.#lane = lane;
    const reply = await ch.consume(this.o.queue, (m) => this.#onMessage(lane, m), { noAck: false });
    lane.tag = reply.consumerTag;
    if (this.#closed) await ch.close().catch(() => {});
  }

  disconnected(): void {
    const lane = this.#lane;
    if (lane) lane.open = false;
    this.#lane = undefined;
    this.#dropBuffer();
  }

  settled(): void {
    this.#unsettled--;
  }

  atRisk(delivery: AmqpDelivery, ageMs: number): void {
    const e = delivery.envelope;
    this.o.logger.warn(
      {
        queue: this.o.queue,
        messageId: isDecodeFailure(e) ? e.meta.id : e.id,
        runningMs: ageMs,
        consumerTimeoutMs: this.o.consumerTimeoutMs,
      },
      "a handler has run past half of RabbitMQ's consumer_timeout; at the timeout the broker closes the channel and redelivers the message (raise consumer_timeout for this queue, or split the work)",
    );
  }

  #laneClosed(lane: Lane): void {
    if (!lane.open) return;
    lane.open = false;
    if (this.#lane !== lane) return;
    this.#lane = undefined;
    this.#dropBuffer();
    if (!this.#closed) this.#conn.reopen(this, new Error("consumer channel closed"));
  }

  #dropBuffer(): void {
    this.#unsettled -= this.#buffer.length;
    this.#buffer = [];
  }

  #onMessage(lane: Lane, message: ConsumeMessage | null): void {
    if (message === null) {
      // The broker cancelled the consumer (queue deleted / failover): start over on a fresh channel.
      if (lane.open) void lane.ch.close().catch(() => {});
      return;
    }
    if (!lane.open) return;
    if (this.#lane !== lane) {
      // A channel this source no longer uses: give its messages back to the broker.
      lane.open = false;
      void lane.ch.close().catch(() => {});
      return;
    }
    this.#unsettled++;
    this.#buffer.push(new AmqpDelivery(this, lane, message, this.#decode(message)));
    if (this.#waiters.length > 0 && !this.#flushQueued) {
      // amqplib emits every delivery of one socket read synchronously: hand them out together.
      this.#flushQueued = true;
      queueMicrotask(() => this.#flush());
    }
  }

  #flush(): void {
    this.#flushQueued = false;
    while (this.#waiters.length > 0 && this.#buffer.length > 0) {
      const w = this.#waiters.shift()!;
      w.resolve(this.#buffer.splice(0, w.max));
    }
  }

  #decode(message: ConsumeMessage): Envelope | DecodeFailure {
    const o = this.o;
    const read = readProperties(message.properties, o.nameFrom);
    const count = message.properties.headers?.["x-delivery-count"];
    const attempt = read.runs + 1 + (typeof count === "number" ? count : 0);
    const transport = { kind: "amqp", queue: o.queue, raw: message };
    const envelope = decodeEnvelope(o.codec, message.content, read.meta, { attempt, transport });
    if (
      read.propertyWins &&
      !isDecodeFailure(envelope) &&
      envelope.name !== read.meta.name &&
      o.codec.name === "json"
    ) {
      // The order ranks a property above the body: the property names it and the whole body is the data.
      return { ...envelope, name: read.meta.name!, data: JSON.parse(message.content.toString("utf8")) };
    }
    return envelope;
  }
}
