import { ConfigError, type DecodeFailure, type Delivery, type Envelope } from "@mailroom/core";
import { runsForCopy } from "@mailroom/core/transport";
import { type CopyOrigin, type CopyWriter, resendCopy, sendDeadLetter } from "../copies.ts";
import { deadLetterBody } from "../wire.ts";
import type { FunctionMessage } from "./events.ts";

/** How a pushed message was settled: `retry` and `release` make the invocation throw, the rest return. */
export type FunctionSettlement = "ack" | "deadLetter" | "deferred" | "retry" | "release";

/** What a push delivery needs; the storage client is created only when a settle needs it. */
export interface FunctionDeliveryContext {
  /** Writes copies and dead letters to Storage Queues (storage queue triggers). */
  storage(): CopyWriter;
  /** Poison queue of a storage queue trigger. */
  readonly poisonQueue: string;
  /** Service Bus dead letters: adds one to the invocation's poison output binding (undefined: none registered). */
  readonly serviceBusPoison: ((body: string) => void) | undefined;
  readonly encodeCodec: CopyWriter["encodeCodec"];
}

/**
 * A message pushed by an Azure Functions trigger. The host settles it by the invocation's end:
 * returning completes it (storage: deleted; Service Bus: completed), throwing hands it to the
 * host's retry (storage: visible again after host.json `visibilityTimeout`, then `<queue>-poison`
 * after `maxDequeueCount`; Service Bus: abandoned, dead-lettered after MaxDeliveryCount).
 * - `ack` returns; `retry` throws (the delay cannot be chosen per message);
 * - `deadLetter` writes the dead letter with its reason — storage: Put Message on the poison
 *   queue; Service Bus: to the poison output binding the registration adds — and returns;
 * - `defer` (a `not-before` re-delay), storage: a copy with the remaining delay and the runs so
 *   far to the trigger's queue, and returns (not counted); Service Bus cannot re-delay (no
 *   scheduled send without its SDK): a `ConfigError`, and the invocation fails;
 * - `release`, storage: a copy visible at once, not counted; Service Bus: throws (abandon);
 * - `extend` is a no-op: the host keeps the message invisible (and renews Service Bus locks).
 */
export class FunctionDelivery implements Delivery {
  readonly envelope: Envelope | DecodeFailure;
  readonly message: FunctionMessage;
  settlement: FunctionSettlement | undefined;
  readonly #ctx: FunctionDeliveryContext;
  readonly #origin: CopyOrigin;

  constructor(ctx: FunctionDeliveryContext, message: FunctionMessage, envelope: Envelope | DecodeFailure) {
    this.#ctx = ctx;
    this.message = message;
    this.envelope = envelope;
    // The host deletes (completes) the message when the invocation returns: nothing to remove.
    this.#origin = { envelope, queue: message.source, removeOriginal: async () => {} };
  }

  async ack(): Promise<void> {
    this.settlement = "ack";
  }

  /** Left to the host: the invocation throws. */
  async retry(_delayMs: number): Promise<void> {
    this.settlement = "retry";
  }

  async defer(delayMs: number): Promise<void> {
    if (this.message.kind === "serviceBus") {
      throw new ConfigError(
        `a Service Bus message that is not due yet (not-before) cannot be re-delayed by a Functions trigger: send it as a scheduled message (scheduledEnqueueTimeUtc) instead; until then it is abandoned and redelivered`,
      );
    }
    await resendCopy(this.#ctx.storage(), this.#origin, this.message.source, "defer", delayMs);
    this.settlement = "deferred";
  }

  async release(): Promise<void> {
    if (this.message.kind === "serviceBus") {
      this.settlement = "release";
      return;
    }
    await resendCopy(this.#ctx.storage(), this.#origin, this.message.source, "release", 0);
    this.settlement = "deferred";
  }

  async deadLetter(reason: string): Promise<void> {
    if (this.message.kind === "storageQueue") {
      await sendDeadLetter(this.#ctx.storage(), this.#origin, this.#ctx.poisonQueue, reason);
      this.settlement = "deadLetter";
      return;
    }
    const add = this.#ctx.serviceBusPoison;
    if (!add) {
      throw new ConfigError(
        `no poison output is registered for Service Bus function on "${this.message.source}": register it with registerAzureFunctions (which adds one), or add output.serviceBusQueue({ queueName: "<queue>-poison", connection }) named "mailroomPoison" to extraOutputs`,
      );
    }
    const body = deadLetterBody(this.#ctx.encodeCodec, this.envelope, {
      reason,
      attempts: runsForCopy("deadLetter", this.envelope.attempt),
      queue: this.message.source,
    });
    add(new TextDecoder().decode(body));
    this.settlement = "deadLetter";
  }

  async extend(_ms: number): Promise<void> {}
}
