import { Headers } from "@mailroom/core";
import { deadLetterHeaders, planCopy, redriveHeaders } from "@mailroom/core/transport";
import type { Message } from "amqplib";
import { chooseHop } from "./buckets.ts";
import type { WireItem } from "./confirm.ts";
import type { ResolvedOptions } from "./options.ts";
import { AmqpHeaders, carriedHeaders, republishProperties, stringHeaders } from "./properties.ts";
import { dlqName, retryQueueName } from "./topology.ts";

/**
 * The copies the adapter re-publishes — retry and defer (through a delay bucket), dead letter,
 * redrive — built with core's rules (`planCopy`, `deadLetterHeaders`, `redriveHeaders`) on the
 * received message's body and properties, which stay as the producer sent them. Every copy is
 * `mandatory` and has a `message_id` (the envelope id), so a copy the broker cannot route is
 * detected (see `publishConfirmed`) instead of vanishing, and a foreign message keeps one id
 * across its retries.
 */

/**
 * The received message's headers with core's string plan applied: keys the plan removed are
 * dropped, values it changed or added are set, and every other header keeps its AMQP type
 * (integers, tables, byte arrays of foreign producers are re-published as they came).
 */
export function plannedHeaders(
  raw: Record<string, unknown> | undefined,
  plan: (headers: Record<string, string>) => Record<string, string>,
): Record<string, unknown> {
  const carried = carriedHeaders(raw);
  const before = stringHeaders(raw);
  const after = plan({ ...before });
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(carried)) {
    if (!(key in before)) out[key] = carried[key];
    else if (key in after) out[key] = after[key] === before[key] ? carried[key] : after[key];
  }
  for (const key of Object.keys(after)) if (!(key in before)) out[key] = after[key];
  return out;
}

/** Where the message was first published, kept across retries so dead letters tell it. */
function withOrigin(headers: Record<string, string>, message: Message): Record<string, string> {
  if (headers[AmqpHeaders.originalExchange] === undefined) {
    headers[AmqpHeaders.originalExchange] = message.fields.exchange;
    headers[AmqpHeaders.originalRoutingKey] = message.fields.routingKey;
  }
  return headers;
}

function copyOf(
  message: Message,
  messageId: string,
  to: { exchange: string; routingKey: string },
  headers: Record<string, unknown>,
): WireItem {
  const options = republishProperties(message.properties, headers);
  options.messageId ??= messageId;
  options.mandatory = true;
  return { ...to, content: message.content, options };
}

/**
 * The copy for `retry` (counts this run) or `defer` (does not): to the retry queue of the
 * bucket chosen for `delayMs` (straight back to the work queue for 0), with `not-before` when
 * one hop does not reach the due time.
 */
export function delayedCopy(
  kind: "retry" | "defer",
  message: Message,
  messageId: string,
  attempt: number,
  delayMs: number,
  options: ResolvedOptions,
  now = Date.now(),
): WireItem {
  const hop = chooseHop(delayMs, options.delayBuckets, now);
  const headers = plannedHeaders(message.properties.headers, (h) =>
    withOrigin(planCopy(kind, attempt, delayMs, hop?.bucket ?? 0, h, now).headers, message),
  );
  const routingKey = hop ? retryQueueName(options.queue, hop.bucket) : options.queue;
  return copyOf(message, messageId, { exchange: "", routingKey }, headers);
}

/** The copy for the dead-letter queue (through `deadLetterExchange` when set), with core's dead-letter headers. */
export function deadLetterCopy(
  message: Message,
  messageId: string,
  facts: { reason: string; attempts: number },
  options: ResolvedOptions,
): WireItem {
  const headers = plannedHeaders(message.properties.headers, (h) =>
    withOrigin(deadLetterHeaders(h, { ...facts, queue: options.queue }), message),
  );
  const to = options.deadLetterExchange
    ? { exchange: options.deadLetterExchange, routingKey: options.queue }
    : { exchange: "", routingKey: dlqName(options.queue) };
  return copyOf(message, messageId, to, headers);
}

/** The copy of a dead letter sent back to its original queue (`fallbackQueue` when it has none), starting over at attempt 1. */
export function redriveCopy(message: Message, messageId: string, fallbackQueue: string): WireItem {
  const original = stringHeaders(message.properties.headers)[Headers.originalQueue];
  const headers = plannedHeaders(message.properties.headers, (h) => {
    const out = redriveHeaders(h);
    delete out[Headers.notBefore];
    return out;
  });
  return copyOf(message, messageId, { exchange: "", routingKey: original ?? fallbackQueue }, headers);
}
