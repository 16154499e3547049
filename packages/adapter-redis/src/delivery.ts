import {
  type DecodeFailure,
  type Delivery,
  type Envelope,
  isDecodeFailure,
  TransportError,
} from "@mailroom/core";
import { deadLetterHeaders, planCopy, runsForCopy } from "@mailroom/core/transport";
import { redisFailure } from "./connection.ts";
import { copyFields, type EntryContent, poisonFields, type StreamEntry } from "./fields.ts";
import { extendEntry, type SettleWrite, type StreamContext, settleEntry } from "./stream.ts";

/** A delay no sorted set can hold precisely past this: copies due later wait in it all the same. */
const NO_DELAY_CAP = Number.POSITIVE_INFINITY;

/**
 * One entry the consumer group delivered to this source's consumer. Every settle is one Lua
 * script, so the write and the removal of the original (XACK + XDEL) happen together:
 * - `ack` removes the entry (whoever holds it by now: a finished run is done), coalesced with
 *   the stream's other acks into one script call;
 * - `retry`, `defer` and `release` add a copy carrying the runs so far (core's `planCopy`) — to the
 *   stream when due now, else to the delayed sorted set — and remove the original, so the
 *   group's delivery counter of the copy counts runs only (core's `attemptOf`, counts: "runs");
 * - `deadLetter` adds the entry to the dead-letter stream with core's dead-letter headers (an
 *   undecodable one with its fields as they came), then removes it;
 * - `extend` resets the entry's idle time (XCLAIM … JUSTID), so no other consumer reclaims it.
 * All but `ack` act only while this consumer still holds the entry: one held past its visibility
 * timeout without a heartbeat may have been reclaimed by another consumer, which then settles it;
 * the late settle rejects with a `TransportError` that says so.
 */
export class RedisDelivery implements Delivery {
  readonly envelope: Envelope | DecodeFailure;
  readonly entry: StreamEntry;
  readonly #ctx: StreamContext;
  readonly #consumer: string;
  readonly #content: EntryContent;
  #settled = false;

  constructor(
    ctx: StreamContext,
    consumer: string,
    entry: StreamEntry,
    content: EntryContent,
    envelope: Envelope | DecodeFailure,
  ) {
    this.#ctx = ctx;
    this.#consumer = consumer;
    this.entry = entry;
    this.#content = content;
    this.envelope = envelope;
  }

  async ack(): Promise<void> {
    this.#begin();
    try {
      await this.#ctx.acks.add({ entry: this.entry.id, ...this.#identity() });
    } catch (error) {
      throw redisFailure(error, `ack of entry ${this.entry.id}`, this.#ctx.connection.where);
    }
  }

  retry(delayMs: number): Promise<void> {
    return this.#copy("retry", delayMs);
  }

  defer(delayMs: number): Promise<void> {
    return this.#copy("defer", delayMs);
  }

  release(): Promise<void> {
    return this.#copy("release", 0);
  }

  deadLetter(reason: string): Promise<void> {
    const envelope = this.envelope;
    const facts = {
      reason,
      attempts: runsForCopy("deadLetter", envelope.attempt),
      queue: this.#ctx.keys.stream,
    };
    const fields = isDecodeFailure(envelope)
      ? poisonFields(this.entry, envelope, deadLetterHeaders({}, facts))
      : copyFields(this.#content, envelope, deadLetterHeaders(envelope.headers, facts));
    return this.#settle("deadLetter", { kind: "dead", fields, ...this.#identity() });
  }

  /** Keep the entry from being reclaimed for another visibility timeout (Redis cannot be told longer). */
  async extend(_ms: number): Promise<void> {
    if (this.#settled) return;
    let held: boolean;
    try {
      held = await extendEntry(this.#ctx, this.#consumer, this.entry.id);
    } catch (error) {
      throw redisFailure(error, `extend of entry ${this.entry.id}`, this.#ctx.connection.where);
    }
    if (!held) throw this.#lost("extend");
  }

  #copy(kind: "retry" | "defer" | "release", delayMs: number): Promise<void> {
    const envelope = this.envelope;
    if (isDecodeFailure(envelope)) {
      return Promise.reject(new TransportError("an undecodable entry can only be dead-lettered"));
    }
    const plan = planCopy(kind, envelope.attempt, delayMs, NO_DELAY_CAP, envelope.headers);
    const fields = copyFields(this.#content, envelope, plan.headers);
    return this.#settle(kind, { kind: "copy", delayMs: plan.delayMs, fields, ...this.#identity() });
  }

  #identity(): Pick<SettleWrite, "groupId" | "messageId"> {
    // As the receive script knows it: the entry's mailroom-id field, else the entry id.
    return { groupId: this.#content.groupId, messageId: this.#content.meta.id ?? this.entry.id };
  }

  #begin(): void {
    if (this.#settled) {
      throw new TransportError(
        `entry ${this.entry.id} was already settled (ack, retry, defer, release or deadLetter)`,
      );
    }
    this.#settled = true;
  }

  async #settle(what: string, write: SettleWrite): Promise<void> {
    this.#begin();
    let done: boolean;
    try {
      done = await settleEntry(this.#ctx, this.#consumer, this.entry.id, write);
    } catch (error) {
      // Left pending: after the visibility timeout a consumer reclaims it and it runs again.
      throw redisFailure(error, `${what} of entry ${this.entry.id}`, this.#ctx.connection.where);
    }
    if (!done) throw this.#lost(what);
  }

  #lost(what: string): TransportError {
    return new TransportError(
      `${what} of entry ${this.entry.id} on stream "${this.#ctx.keys.stream}": this consumer no longer holds it (reclaimed by another consumer after ${this.#ctx.visibilityTimeoutMs} ms without a heartbeat, or removed); it is settled there`,
    );
  }
}
