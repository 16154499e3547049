import {
  type DeadLetter,
  Headers,
  type QueueAdmin,
  type QueueDepth,
  TransportError,
  uuidv7,
} from "@mailroom/core";
import type { Channel, ChannelModel, GetMessage } from "amqplib";
import { publishConfirmed, trackConfirmChannel } from "./confirm.ts";
import type { AmqpConnection } from "./connection.ts";
import { redriveCopy } from "./copies.ts";
import { TopologyError } from "./errors.ts";
import { nameFromProperties } from "./names.ts";
import type { ResolvedOptions } from "./options.ts";
import { AmqpHeaders, stringHeaders } from "./properties.ts";
import { ACCESS_REFUSED, dlqName, NOT_FOUND, replyCode, retryQueueName } from "./topology.ts";

/**
 * `mailroom stats` and `mailroom dlq list | redrive | purge` on RabbitMQ. Dead letters are read with
 * `basic.get` and given back by closing the channel, so listing never removes anything. A purge
 * of every dead letter is one `queue.purge` of the dead-letter queue; with a limit, `basic.get`
 * and `basic.ack` one by one.
 * In-flight counts are not visible over AMQP 0-9-1 and are reported as 0.
 */
export class AmqpAdmin implements QueueAdmin {
  readonly #conn: AmqpConnection;
  readonly #options: ResolvedOptions;

  constructor(conn: AmqpConnection, options: ResolvedOptions) {
    this.#conn = conn;
    this.#options = options;
  }

  async stats(): Promise<Array<{ queue: string } & QueueDepth & { deadLettered: number }>> {
    return this.#withChannel(async (model) => {
      const ch = await model.createChannel();
      ch.on("error", () => {});
      try {
        const queue = this.#options.queue;
        const main = await this.#onQueue(queue, () => ch.checkQueue(queue));
        let delayed = 0;
        for (const bucket of this.#options.delayBuckets) {
          const retry = retryQueueName(queue, bucket);
          delayed += (await this.#onQueue(retry, () => ch.checkQueue(retry))).messageCount;
        }
        const dlq = dlqName(queue);
        const dead = await this.#onQueue(dlq, () => ch.checkQueue(dlq));
        return [{ queue, ready: main.messageCount, delayed, inFlight: 0, deadLettered: dead.messageCount }];
      } finally {
        await ch.close().catch(() => {});
      }
    });
  }

  async listDeadLetters(options: { limit?: number } = {}): Promise<DeadLetter[]> {
    const limit = options.limit ?? 100;
    return this.#withChannel(async (model) => {
      const ch = await model.createChannel();
      ch.on("error", () => {});
      const out: DeadLetter[] = [];
      const dlq = dlqName(this.#options.queue);
      try {
        while (out.length < limit) {
          const message = await this.#onQueue(dlq, () => ch.get(dlq, { noAck: false }));
          if (message === false) break;
          out.push(this.#toDeadLetter(message));
        }
      } finally {
        // Closing the channel requeues every message we got, in place.
        await ch.close().catch(() => {});
      }
      return out;
    });
  }

  async redrive(
    options: { limit?: number; onProgress?: (done: number, total: number) => void } = {},
  ): Promise<number> {
    return this.#withChannel(async (model) => {
      const tracked = trackConfirmChannel(await model.createConfirmChannel());
      const ch = tracked.channel;
      try {
        return await this.#takeDeadLetters(ch, options, async (message) => {
          const id =
            typeof message.properties.messageId === "string" ? message.properties.messageId : uuidv7();
          // mandatory: a copy to a queue that no longer exists fails (PublishRejectedError) and
          // the dead letter stays, given back when this channel closes.
          const lost = await publishConfirmed(tracked, [redriveCopy(message, id, this.#options.queue)]);
          return lost.length === 0;
        });
      } finally {
        await ch.close().catch(() => {});
      }
    });
  }

  async purge(
    options: { limit?: number; onProgress?: (done: number, total: number) => void } = {},
  ): Promise<number> {
    return this.#withChannel(async (model) => {
      const ch = await model.createChannel();
      ch.on("error", () => {});
      const dlq = dlqName(this.#options.queue);
      try {
        if (options.limit === undefined) {
          const { messageCount } = await this.#onQueue(dlq, () => ch.purgeQueue(dlq));
          if (messageCount > 0) options.onProgress?.(messageCount, messageCount);
          return messageCount;
        }
        return await this.#takeDeadLetters(ch, options, async () => true);
      } finally {
        // Acks go out before the close; anything got and not acked is given back.
        await ch.close().catch(() => {});
      }
    });
  }

  /**
   * Get the dead-letter queue's messages oldest first on `ch`, up to `limit`: `keep` each
   * (redrive publishes its copy; purge nothing) and ack it, or stop at the first one `keep`
   * refuses (given back when the channel closes). Returns how many were acked.
   */
  async #takeDeadLetters(
    ch: Channel,
    options: { limit?: number; onProgress?: (done: number, total: number) => void },
    keep: (message: GetMessage) => Promise<boolean>,
  ): Promise<number> {
    const dlq = dlqName(this.#options.queue);
    const waiting = (await this.#onQueue(dlq, () => ch.checkQueue(dlq))).messageCount;
    const total = Math.min(options.limit ?? Number.POSITIVE_INFINITY, waiting);
    let done = 0;
    while (done < total) {
      const message = await ch.get(dlq, { noAck: false });
      if (message === false || !(await keep(message))) break;
      ch.ack(message);
      done++;
      options.onProgress?.(done, total);
    }
    return done;
  }

  async #withChannel<T>(fn: (model: ChannelModel) => Promise<T>): Promise<T> {
    await this.#conn.start();
    await this.#conn.ready();
    const model = this.#conn.model;
    if (!model) throw new TransportError(`not connected to RabbitMQ at ${this.#conn.target.redacted}`);
    return fn(model);
  }

  /**
   * `operation` on queue `name`. The broker closes the channel with 404 when the queue does not
   * exist, or 403 when the user may not use it: both become a `TopologyError` (a refusal, not a
   * crash) naming the queue and the broker, without the password.
   */
  async #onQueue<T>(name: string, operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      const code = replyCode(error);
      if (code !== NOT_FOUND && code !== ACCESS_REFUSED) throw error;
      const queue = this.#options.queue;
      const what =
        name === queue
          ? `queue "${name}"`
          : name === dlqName(queue)
            ? `dead-letter queue "${name}"`
            : `retry queue "${name}"`;
      const where = `RabbitMQ at ${this.#conn.target.redacted}`;
      throw new TopologyError(
        code === NOT_FOUND
          ? `${what} does not exist on ${where}: check ?queue= in the URL, or declare the queues (a worker declares them when it starts, unless passive)`
          : `${where} refused access to ${what}: grant the user configure / write / read on it (rabbitmqctl set_permissions)`,
        { cause: error },
      );
    }
  }

  #toDeadLetter(message: GetMessage): DeadLetter {
    const headers = stringHeaders(message.properties.headers as Record<string, unknown> | undefined);
    const body = message.content.toString("utf8");
    const at = headers[Headers.deadLetteredAt];
    return {
      handle: String(message.properties.messageId ?? message.fields.deliveryTag),
      id: typeof message.properties.messageId === "string" ? message.properties.messageId : "",
      name: nameFromProperties(this.#options.nameFrom, message.properties)?.name ?? bodyName(body),
      reason:
        headers[Headers.deadLetterReason] ??
        `broker: ${String(message.properties.headers?.["x-first-death-reason"] ?? "unknown")}`,
      attempts: Number(headers[Headers.attempt] ?? 0) || 0,
      deadLetteredAt: at ? new Date(at) : undefined,
      queue: headers[Headers.originalQueue] ?? headers[AmqpHeaders.originalRoutingKey] ?? this.#options.queue,
      body,
      headers,
    };
  }
}

function bodyName(body: string): string | undefined {
  try {
    const parsed = JSON.parse(body) as { name?: unknown };
    return typeof parsed?.name === "string" ? parsed.name : undefined;
  } catch {
    return undefined;
  }
}
