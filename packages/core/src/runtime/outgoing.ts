import type { EncodeInput } from "../codec/codec.ts";
import { Headers, type Outgoing, type PublishOptions } from "../envelope.ts";
import { ConfigError } from "../errors.ts";
import { uuidv7 } from "../ids.ts";

/** Resolve an outgoing message's id, time and headers, ready for a codec. */
export function toEncodeInput(message: Outgoing, now: Date = new Date()): EncodeInput {
  if (typeof message.name !== "string" || message.name.length === 0) {
    throw new ConfigError("a message needs a non-empty name");
  }
  return {
    id: message.id ?? uuidv7(now.getTime()),
    name: message.name,
    data: message.data,
    publishedAt: now,
    parentId: message.parentId,
    correlationId: message.correlationId,
    replyTo: message.replyTo,
    headers: message.headers ? { ...message.headers } : {},
  };
}

/** The absolute time (ms) a publish asks for, or undefined for "now". */
export function dueAt(options: PublishOptions | undefined, now: number = Date.now()): number | undefined {
  if (!options) return undefined;
  if (options.at !== undefined) {
    const t = options.at.getTime();
    if (Number.isNaN(t)) throw new ConfigError("publish option `at` is not a valid date");
    return t > now ? t : undefined;
  }
  if (options.delayMs !== undefined) {
    if (!(options.delayMs >= 0)) throw new ConfigError("publish option `delayMs` must be a number >= 0");
    return options.delayMs > 0 ? now + options.delayMs : undefined;
  }
  return undefined;
}

/** How a transport with a delay cap reaches a due time: wait `delayMs` now, and carry `notBefore` if that is not enough. */
export interface DelayPlan {
  delayMs: number;
  /** ISO time to put in the `not-before` header when the due time is beyond the cap. */
  notBefore?: string;
}

/**
 * Plan a delay on a transport that can wait at most `maxDelayMs` (SQS 15 min on send, MNS 7 days,
 * …). Beyond the cap the message carries `not-before`; a worker receiving it early re-delays it
 * (`Delivery.defer`) without counting an attempt, until it is due.
 */
export function planDelay(due: number | undefined, maxDelayMs: number, now: number = Date.now()): DelayPlan {
  if (due === undefined || due <= now) return { delayMs: 0 };
  const wait = due - now;
  if (wait <= maxDelayMs) return { delayMs: wait };
  return { delayMs: maxDelayMs, notBefore: new Date(due).toISOString() };
}

/** Set the `not-before` header on a headers map when a plan needs it. */
export function withNotBefore(headers: Record<string, string>, plan: DelayPlan): Record<string, string> {
  if (!plan.notBefore) return headers;
  return { ...headers, [Headers.notBefore]: plan.notBefore };
}
