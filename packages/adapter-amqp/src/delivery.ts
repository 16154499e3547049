import {
  type DecodeFailure,
  type Delivery,
  describeError,
  type Envelope,
  isDecodeFailure,
  TransportError,
  uuidv7,
} from "@mailroom/core";
import type { RunLedger } from "@mailroom/core/transport";
import type { ConsumeMessage } from "amqplib";
import { publishConfirmed, type TrackedConfirmChannel, type WireItem } from "./confirm.ts";
import { deadLetterCopy, delayedCopy } from "./copies.ts";
import { PublishRejectedError } from "./errors.ts";
import { type HeldMessages, messageKey } from "./held.ts";
import type { ResolvedOptions } from "./options.ts";

/** What a delivery needs from the source that received it. */
export interface DeliveryOwner {
  readonly options: ResolvedOptions;
  /** Runs per copy that ended without a copy counting them (a refused retry copy); see `attemptOf`. */
  readonly runs: RunLedger;
  /** Messages whose copy the broker refused, waiting to be given back. */
  readonly held: HeldMessages;
  /** Called once when the delivery is settled (or found dead with its channel). */
  settled(): void;
  /** Log that a long handler is near the broker's consumer_timeout. */
  atRisk(delivery: AmqpDelivery, ageMs: number): void;
  /** The broker returned a copy as unroutable: a queue the adapter publishes to is missing. */
  copyUnroutable(copy: WireItem): void;
}

/** The ledger key of one copy of a message: runs are counted per copy (its carried runs tell them apart). */
export function copyKey(message: ConsumeMessage, runsBefore: number): string {
  return `${messageKey(message)}#${runsBefore}`;
}

/**
 * One message received on a confirm channel. Settling is tied to that channel: when it has died
 * (connection loss, consumer_timeout) every settle method rejects with a `TransportError` and
 * does nothing — the broker redelivers the message, so nothing is lost and nothing is doubled by
 * us. `retry`, `defer` and `deadLetter` publish a copy (`mandatory`, confirmed) BEFORE acking the
 * original. When the broker refuses or cannot route the copy, the original is neither acked
 * (that would lose it) nor requeued at once (that would run it again at once): it is held and
 * given back after a backoff (`HeldMessages`), and the settle rejects with a `TransportError`
 * that says so.
 */
export class AmqpDelivery implements Delivery {
  readonly envelope: Envelope | DecodeFailure;
  readonly message: ConsumeMessage;
  readonly receivedAt = Date.now();
  readonly #channel: TrackedConfirmChannel;
  readonly #owner: DeliveryOwner;
  /** Runs the copy carried when received (its `mailroom-attempt`). */
  readonly #runsBefore: number;
  #settled = false;
  #copyId: string | undefined;

  constructor(
    owner: DeliveryOwner,
    channel: TrackedConfirmChannel,
    message: ConsumeMessage,
    envelope: Envelope | DecodeFailure,
    runsBefore: number,
  ) {
    this.#owner = owner;
    this.#channel = channel;
    this.message = message;
    this.envelope = envelope;
    this.#runsBefore = runsBefore;
  }

  ack(): Promise<void> {
    if (!this.#begin()) return this.#gone();
    this.#channel.channel.ack(this.message);
    this.#forget();
    return Promise.resolve();
  }

  /** Back after `delayMs` through a delay bucket (or at once); the copy carries this run. */
  retry(delayMs: number): Promise<void> {
    return this.#sendCopy("retry", () =>
      delayedCopy("retry", this.message, this.#id(), this.envelope.attempt, delayMs, this.#owner.options),
    );
  }

  /** Back after `delayMs` without counting an attempt (`not-before` re-delay). */
  defer(delayMs: number): Promise<void> {
    return this.#sendCopy("defer", () =>
      delayedCopy("defer", this.message, this.#id(), this.envelope.attempt, delayMs, this.#owner.options),
    );
  }

  /**
   * Requeue now (basic.nack with requeue). Quorum queues count it in `x-delivery-count`, which
   * Mailroom reads as `receiveCount` (the receive limit), never as an attempt.
   */
  release(): Promise<void> {
    if (!this.#begin()) return this.#gone();
    this.#channel.channel.nack(this.message, false, true);
    return Promise.resolve();
  }

  deadLetter(reason: string): Promise<void> {
    const facts = { reason, attempts: this.envelope.attempt };
    return this.#sendCopy("dead-letter", () =>
      deadLetterCopy(this.message, this.#id(), facts, this.#owner.options),
    );
  }

  /** Nothing to extend: RabbitMQ holds an unacked message until ack. Warns as the handler nears `consumer_timeout`. */
  extend(_ms: number): Promise<void> {
    const age = Date.now() - this.receivedAt;
    if (age > this.#owner.options.consumerTimeoutMs / 2) this.#owner.atRisk(this, age);
    return Promise.resolve();
  }

  async #sendCopy(kind: "retry" | "defer" | "dead-letter", build: () => WireItem): Promise<void> {
    if (!this.#begin()) return this.#gone();
    const channel = this.#channel;
    const copy = build();
    let lost: WireItem[];
    try {
      lost = await publishConfirmed(channel, [copy]);
    } catch (error) {
      // On a live channel the original must not stay unacked for good: hold it and give it back.
      if (channel.open) throw this.#hold(kind, copy, error);
      throw error;
    }
    if (lost.length > 0 || !channel.open) {
      throw new TransportError(
        "the channel closed before the broker confirmed the copy; RabbitMQ will redeliver the message",
      );
    }
    channel.channel.ack(this.message);
    this.#forget();
  }

  /** The copy was refused: keep the original unacked, give it back after a backoff, and say so. */
  #hold(kind: string, copy: WireItem, failure: unknown): TransportError {
    const owner = this.#owner;
    const key = messageKey(this.message);
    // The run happened; the copy that would have carried it did not: count it here instead.
    if (kind === "retry") owner.runs.record(copyKey(this.message, this.#runsBefore));
    const rejection = failure instanceof PublishRejectedError ? failure.rejection : undefined;
    if (rejection === "unroutable") owner.copyUnroutable(copy);
    const channel = this.#channel;
    const message = this.message;
    const waitMs = owner.held.hold(key, () => {
      if (channel.open) channel.channel.nack(message, false, true);
    });
    const what = `the ${kind} copy of message ${this.#id()} to ${copy.exchange ? `exchange "${copy.exchange}"` : `queue "${copy.routingKey}"`}`;
    const happened =
      rejection === "nacked"
        ? `RabbitMQ refused ${what} (nacked: full with overflow reject-publish, or out of resources)`
        : rejection === "unroutable"
          ? `RabbitMQ could not route ${what} (it does not exist)`
          : `could not publish ${what}: ${describeError(failure)}`;
    return new TransportError(
      `${happened}; the message is held unacknowledged and given back in ${waitMs} ms`,
      {
        cause: failure,
      },
    );
  }

  /** Done with for good here: drop what was remembered about it. */
  #forget(): void {
    const owner = this.#owner;
    if (owner.runs.size > 0) owner.runs.forget(copyKey(this.message, this.#runsBefore));
    if (owner.held.remembersAny) owner.held.accepted(messageKey(this.message));
  }

  /** The id copies carry as `message_id`: the envelope's, so it stays the same across retries. */
  #id(): string {
    const envelope = this.envelope;
    this.#copyId ??= isDecodeFailure(envelope) ? (envelope.meta.id ?? uuidv7()) : envelope.id;
    return this.#copyId;
  }

  /** Mark settled; false when the channel that received it is gone (the broker redelivers). */
  #begin(): boolean {
    if (this.#settled) return false;
    this.#settled = true;
    this.#owner.settled();
    return this.#channel.open;
  }

  #gone(): Promise<never> {
    return Promise.reject(
      new TransportError(
        "this message's channel is closed (connection lost or consumer_timeout), or it was already settled; RabbitMQ redelivers unacked messages",
      ),
    );
  }
}
