import { createHash } from "node:crypto";
import { RunLedger } from "@mailroom/core/transport";
import type { Message } from "amqplib";

/** First and longest wait before a message whose copy was refused is given back, ms. */
export const HOLD_MIN_MS = 1_000;
export const HOLD_MAX_MS = 30_000;

/**
 * A key for one message across its redeliveries: its `message_id`, or (foreign producers send
 * none) a hash of its body. Two messages with the same body share a key; that only makes them
 * share a backoff or a run count, never lose anything.
 */
export function messageKey(message: Message): string {
  const id = message.properties.messageId;
  if (typeof id === "string" && id.length > 0) return id;
  return `sha1:${createHash("sha1").update(message.content).digest("base64url")}`;
}

/**
 * Messages whose retry or dead-letter copy the broker refused (nacked, or returned as
 * unroutable). Requeueing such a message at once would run it again at once, and again — a
 * spin; acking it would lose it. So it stays unacknowledged on its channel (the broker cannot
 * hand it to anyone else) and is given back after a backoff per message: 1 s, doubling to 30 s
 * while its copies keep being refused. Closing the channel gives held messages back at once,
 * which is what shutdown and channel loss do.
 */
export class HeldMessages {
  /** Refusals per message key; bounded, so a long outage cannot grow it without limit. */
  readonly #refusals = new RunLedger();
  readonly #timers = new Set<NodeJS.Timeout>();

  /** Messages held now: received, not settled, not given back yet. */
  get size(): number {
    return this.#timers.size;
  }

  /** Hold the message with key `key`; `giveBack` runs once its backoff ends. Returns the backoff, ms. */
  hold(key: string, giveBack: () => void): number {
    this.#refusals.record(key);
    const refusals = this.#refusals.runs(key);
    const delayMs = Math.min(HOLD_MAX_MS, HOLD_MIN_MS * 2 ** Math.min(refusals - 1, 16));
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      giveBack();
    }, delayMs);
    // A held message must not keep the process alive: closing its channel gives it back anyway.
    timer.unref();
    this.#timers.add(timer);
    return delayMs;
  }

  /** A copy of this message went through: its next refusal starts the backoff over. */
  accepted(key: string): void {
    if (this.#refusals.size > 0) this.#refusals.forget(key);
  }

  /** The channel holding them closed: the broker has them back already, so no timer may fire. */
  clear(): void {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
  }

  /** Whether any refusal is remembered (so callers can skip computing a key). */
  get remembersAny(): boolean {
    return this.#refusals.size > 0;
  }
}
