import { type DecodeFailure, type Delivery, type Envelope, Headers, TransportError } from "@mailroom/core";
import type { ConsumeMessage } from "amqplib";
import { chooseHop } from "./buckets.ts";
import { type Lane, publishConfirmed, type WireItem } from "./confirm.ts";
import type { ResolvedOptions } from "./options.ts";
import { AmqpHeaders, carriedHeaders, republishProperties } from "./properties.ts";
import { dlqName, retryQueueName } from "./topology.ts";

/** What a delivery needs from the source that received it. */
export interface DeliveryOwner {
  readonly o: ResolvedOptions;
  /** Called once when the delivery is settled (or found dead with its channel). */
  settled(): void;
  /** Log that a long handler is near the broker's consumer_timeout. */
  atRisk(delivery: AmqpDelivery, ageMs: number): void;
}

/**
 * One message received on a confirm channel. Settling is tied to that channel: when it has died
 * (connection loss, consumer_timeout) every settle method throws a `TransportError` and does
 * nothing — the broker redelivers the message, so nothing is lost and nothing is doubled by us.
 * `retry`, `defer` and `deadLetter` publish the copy and wait for its confirm BEFORE acking the
 * original.
 */
export class AmqpDelivery implements Delivery {
  readonly envelope: Envelope | DecodeFailure;
  readonly message: ConsumeMessage;
  readonly receivedAt = Date.now();
  readonly #lane: Lane;
  readonly #owner: DeliveryOwner;
  #done = false;

  constructor(owner: DeliveryOwner, lane: Lane, message: ConsumeMessage, envelope: Envelope | DecodeFailure) {
    this.#owner = owner;
    this.#lane = lane;
    this.message = message;
    this.envelope = envelope;
  }

  ack(): Promise<void> {
    if (!this.#begin()) return this.#gone();
    this.#lane.ch.ack(this.message);
    return Promise.resolve();
  }

  /** Back after `delayMs` through a delay bucket (or at once), with the attempt header = runs so far. */
  retry(delayMs: number): Promise<void> {
    return this.#again(delayMs, this.envelope.attempt, false);
  }

  /** Back after `delayMs` without counting an attempt (`not-before` re-delay). */
  defer(delayMs: number): Promise<void> {
    return this.#again(delayMs, this.envelope.attempt - 1, true);
  }

  /** Requeue now (basic.nack with requeue). Best effort: on quorum queues the broker counts it as a delivery. */
  release(): Promise<void> {
    if (!this.#begin()) return this.#gone();
    this.#lane.ch.nack(this.message, false, true);
    return Promise.resolve();
  }

  async deadLetter(reason: string): Promise<void> {
    if (!this.#begin()) return this.#gone();
    const o = this.#owner.o;
    const headers = this.#headers(this.envelope.attempt);
    headers[Headers.deadLetterReason] = reason;
    headers[Headers.deadLetteredAt] = new Date().toISOString();
    headers[Headers.originalQueue] = o.queue;
    delete headers[Headers.notBefore];
    const item: WireItem = o.deadLetterExchange
      ? { exchange: o.deadLetterExchange, routingKey: o.queue, content: this.message.content, options: {} }
      : { exchange: "", routingKey: dlqName(o.queue), content: this.message.content, options: {} };
    item.options = republishProperties(this.message.properties, headers);
    await this.#publishThenAck(item);
  }

  /** Nothing to extend: RabbitMQ holds an unacked message until ack. Warns as the handler nears `consumer_timeout`. */
  extend(_ms: number): Promise<void> {
    const age = Date.now() - this.receivedAt;
    if (age > this.#owner.o.consumerTimeoutMs / 2) this.#owner.atRisk(this, age);
    return Promise.resolve();
  }

  async #again(delayMs: number, runs: number, keepNotBefore: boolean): Promise<void> {
    if (!this.#begin()) return this.#gone();
    const o = this.#owner.o;
    const hop = chooseHop(delayMs, o.delayBuckets);
    const headers = this.#headers(Math.max(0, runs));
    if (hop?.notBefore !== undefined) headers[Headers.notBefore] = new Date(hop.notBefore).toISOString();
    else if (!keepNotBefore) delete headers[Headers.notBefore];
    const routingKey = hop ? retryQueueName(o.queue, hop.bucket) : o.queue;
    const options = republishProperties(this.message.properties, headers);
    await this.#publishThenAck({ exchange: "", routingKey, content: this.message.content, options });
  }

  #headers(runs: number): Record<string, unknown> {
    const headers = carriedHeaders(this.message.properties.headers);
    headers[Headers.attempt] = String(runs);
    if (headers[AmqpHeaders.originalExchange] === undefined) {
      headers[AmqpHeaders.originalExchange] = this.message.fields.exchange;
      headers[AmqpHeaders.originalRoutingKey] = this.message.fields.routingKey;
    }
    return headers;
  }

  async #publishThenAck(item: WireItem): Promise<void> {
    const lane = this.#lane;
    // No messageId check for returns: these go to queues we declared, via the default exchange.
    item.options.mandatory = false;
    let lost: WireItem[];
    try {
      lost = await publishConfirmed(lane, [item]);
    } catch (error) {
      // Refused by the broker: give the original back rather than holding it unacked forever.
      if (lane.open) lane.ch.nack(this.message, false, true);
      throw error;
    }
    if (lost.length > 0 || !lane.open) {
      throw new TransportError(
        "the channel closed before the broker confirmed; RabbitMQ will redeliver the message",
      );
    }
    lane.ch.ack(this.message);
  }

  /** Mark settled; false when the channel that received it is gone (the broker redelivers). */
  #begin(): boolean {
    if (this.#done) return false;
    this.#done = true;
    this.#owner.settled();
    return this.#lane.open;
  }

  #gone(): Promise<never> {
    return Promise.reject(
      new TransportError(
        "this message's channel is closed (connection lost or consumer_timeout), or it was already settled; RabbitMQ redelivers unacked messages",
      ),
    );
  }
}
