import { TransportError } from "@mailroom/core";
import type { Channel, ChannelModel } from "amqplib";
import { TopologyError } from "./errors.ts";
import type { ResolvedOptions } from "./options.ts";

/** The dead-letter queue of a work queue. */
export const dlqName = (queue: string): string => `${queue}.dlq`;
/** The retry (delay) queue of a work queue for one bucket TTL: dead-letters back to the work queue. */
export const retryQueueName = (queue: string, bucket: number): string => `${queue}.retry.${bucket}`;
/** The delay exchange + queue for delayed publishes to `exchange` ("" = the default exchange). */
export const delayName = (exchange: string, bucket: number): string =>
  `${exchange || "mailroom"}.delay.${bucket}`;

/**
 * Everything a consuming service needs, declared in one go (or checked, in passive mode):
 * the exchange, the work queue and its bindings, one retry queue per delay bucket, and the
 * dead-letter queue. Like `listen(queue, exchange, handler, deadExchange, retryTimes)` in the
 * tools users have, minus the handler. Idempotent; re-declaring with other arguments fails
 * with a `TopologyError` naming the queue.
 *
 * In passive mode the dead-letter queue (and `deadLetterExchange`) is checked only when
 * `checkDeadLetters` is set — the start-up checks set it. Publishing and consuming as such do
 * not need it (a dead letter with nowhere to go is held, never lost), so they do not wait for it.
 */
export async function declareTopology(
  ch: Channel,
  options: ResolvedOptions,
  { checkDeadLetters = true }: { checkDeadLetters?: boolean } = {},
): Promise<void> {
  const queue = options.queue;
  const dlq = dlqName(queue);
  if (options.passive) {
    await check(`queue "${queue}"`, () => ch.checkQueue(queue));
    // Without it a dead letter would have nowhere to go: refused at start-up, not at the first one.
    if (checkDeadLetters) await check(`queue "${dlq}" (the dead-letter queue)`, () => ch.checkQueue(dlq));
    if (checkDeadLetters && options.deadLetterExchange) {
      const dlx = options.deadLetterExchange;
      await check(`exchange "${dlx}" (deadLetterExchange)`, () => ch.checkExchange(dlx));
    }
    if (options.exchange)
      await check(`exchange "${options.exchange}"`, () => ch.checkExchange(options.exchange!));
    for (const bucket of options.delayBuckets)
      await check(`queue "${retryQueueName(queue, bucket)}"`, () =>
        ch.checkQueue(retryQueueName(queue, bucket)),
      );
    return;
  }
  const typeArg = { "x-queue-type": options.queueType };
  await declare(`exchange "${options.exchange}"`, async () => {
    if (options.exchange) await ch.assertExchange(options.exchange, options.exchangeType, { durable: true });
  });
  await declare(`queue "${dlq}"`, () => ch.assertQueue(dlq, { durable: true, arguments: typeArg }));
  if (options.deadLetterExchange) {
    const dlx = options.deadLetterExchange;
    await declare(`exchange "${dlx}"`, async () => {
      await ch.assertExchange(dlx, "direct", { durable: true });
      await ch.bindQueue(dlq, dlx, queue);
    });
  }
  const args: Record<string, unknown> = {
    ...typeArg,
    // Safety net: a message the broker itself rejects (delivery limit, reject without requeue)
    // still lands in the dead-letter queue rather than vanishing.
    "x-dead-letter-exchange": "",
    "x-dead-letter-routing-key": dlq,
    ...options.queueArguments,
  };
  if (options.maxPriority !== undefined) args["x-max-priority"] = options.maxPriority;
  await declare(`queue "${queue}"`, () => ch.assertQueue(queue, { durable: true, arguments: args }));
  for (const bucket of options.delayBuckets) {
    const name = retryQueueName(queue, bucket);
    await declare(`queue "${name}"`, () =>
      ch.assertQueue(name, {
        durable: true,
        arguments: {
          "x-queue-type": "classic",
          "x-message-ttl": bucket,
          "x-dead-letter-exchange": "",
          "x-dead-letter-routing-key": queue,
        },
      }),
    );
  }
  if (options.exchange) {
    for (const key of options.bindings)
      await declare(`binding "${key}"`, () => ch.bindQueue(queue, options.exchange!, key));
  }
}

/**
 * `declareTopology` on a channel of its own, closed afterwards (a failed declare closes the
 * channel it ran on). Rejects with a `TopologyError` (a `ConfigError`) for what is missing or
 * conflicting, and with a `TransportError` when the connection fails meanwhile.
 */
export async function prepareTopology(
  model: ChannelModel,
  options: ResolvedOptions,
  scope: { checkDeadLetters?: boolean } = {},
): Promise<void> {
  let ch: Channel;
  try {
    ch = await model.createChannel();
  } catch (error) {
    throw new TransportError(
      `could not open a channel to declare the topology: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
  ch.on("error", () => {});
  try {
    await declareTopology(ch, options, scope);
  } finally {
    await ch.close().catch(() => {});
  }
}

/** Declare (or check) the exchange a publisher sends to. */
export async function declareExchange(ch: Channel, options: ResolvedOptions): Promise<void> {
  if (!options.exchange) return;
  if (options.passive)
    await check(`exchange "${options.exchange}"`, () => ch.checkExchange(options.exchange!));
  else
    await declare(`exchange "${options.exchange}"`, () =>
      ch.assertExchange(options.exchange!, options.exchangeType, { durable: true }),
    );
}

/**
 * Delay infrastructure for publishing to `exchange` later: per bucket, a fanout exchange and a
 * queue with that TTL dead-lettering to `exchange`. The message keeps its routing key through the
 * fanout, so when it expires it is routed by `exchange` exactly as a direct publish would be.
 */
export async function declareDelay(
  ch: Channel,
  exchange: string,
  buckets: readonly number[],
  passive: boolean,
): Promise<void> {
  for (const bucket of buckets) {
    const name = delayName(exchange, bucket);
    if (passive) {
      await check(`exchange "${name}"`, () => ch.checkExchange(name));
      continue;
    }
    await declare(`delay queue "${name}"`, async () => {
      await ch.assertExchange(name, "fanout", { durable: true });
      await ch.assertQueue(name, {
        durable: true,
        arguments: { "x-queue-type": "classic", "x-message-ttl": bucket, "x-dead-letter-exchange": exchange },
      });
      await ch.bindQueue(name, name, "");
    });
  }
}

/** AMQP reply codes of a channel error: what is missing, forbidden or conflicting, not a lost connection. */
export const NOT_FOUND = 404;
export const ACCESS_REFUSED = 403;
const PRECONDITION_FAILED = 406;

/** The AMQP reply code of a channel error (`404`, `403`, …); undefined for anything else. */
export function replyCode(error: unknown): unknown {
  return (error as { code?: unknown } | undefined)?.code;
}

function refused(what: string, error: unknown): TopologyError {
  return new TopologyError(
    `user has no permission on ${what} (grant configure / write / read on it with rabbitmqctl set_permissions): ${(error as Error).message}`,
    { cause: error },
  );
}

async function check(what: string, fn: () => Promise<unknown>): Promise<void> {
  try {
    await fn();
  } catch (error) {
    if (replyCode(error) === ACCESS_REFUSED) throw refused(what, error);
    if (replyCode(error) !== NOT_FOUND) throw error;
    throw new TopologyError(
      `${what} does not exist (passive mode: the topology is expected to be declared by operations; declare it, or drop passive): ${(error as Error).message}`,
      { cause: error },
    );
  }
}

async function declare(what: string, fn: () => Promise<unknown>): Promise<void> {
  try {
    await fn();
  } catch (error) {
    if (replyCode(error) === ACCESS_REFUSED) throw refused(what, error);
    if (replyCode(error) !== PRECONDITION_FAILED && replyCode(error) !== NOT_FOUND) throw error;
    throw new TopologyError(
      `could not declare ${what}: ${(error as Error).message} (a queue or exchange that already exists with other arguments cannot be re-declared: delete it, or match its arguments)`,
      { cause: error },
    );
  }
}
