import {
  type DeadLetter,
  Headers,
  type QueueAdmin,
  type QueueDepth,
  TransportError,
  uuidv7,
} from "@mailroom/core";
import type { ChannelModel, GetMessage } from "amqplib";
import { publishConfirmed, trackConfirmChannel } from "./confirm.ts";
import type { AmqpConnection } from "./connection.ts";
import { redriveCopy } from "./copies.ts";
import { nameFromProperties } from "./names.ts";
import type { ResolvedOptions } from "./options.ts";
import { AmqpHeaders, stringHeaders } from "./properties.ts";
import { dlqName, retryQueueName } from "./topology.ts";

/**
 * `mailroom stats` and `mailroom dlq list | redrive` on RabbitMQ. Dead letters are read with
 * `basic.get` and given back by closing the channel, so listing never removes anything.
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
        const q = this.#options.queue;
        const main = await ch.checkQueue(q);
        let delayed = 0;
        for (const b of this.#options.delayBuckets)
          delayed += (await ch.checkQueue(retryQueueName(q, b))).messageCount;
        const dead = await ch.checkQueue(dlqName(q));
        return [
          { queue: q, ready: main.messageCount, delayed, inFlight: 0, deadLettered: dead.messageCount },
        ];
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
      try {
        while (out.length < limit) {
          const m = await ch.get(dlqName(this.#options.queue), { noAck: false });
          if (m === false) break;
          out.push(this.#toDeadLetter(m));
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
      const dlq = dlqName(this.#options.queue);
      try {
        const waiting = (await ch.checkQueue(dlq)).messageCount;
        const total = Math.min(options.limit ?? Number.POSITIVE_INFINITY, waiting);
        let done = 0;
        while (done < total) {
          const m = await ch.get(dlq, { noAck: false });
          if (m === false) break;
          const id = typeof m.properties.messageId === "string" ? m.properties.messageId : uuidv7();
          // mandatory: a copy to a queue that no longer exists fails (PublishRejectedError) and
          // the dead letter stays, given back when this channel closes.
          const lost = await publishConfirmed(tracked, [redriveCopy(m, id, this.#options.queue)]);
          if (lost.length > 0) break;
          ch.ack(m);
          done++;
          options.onProgress?.(done, total);
        }
        return done;
      } finally {
        await ch.close().catch(() => {});
      }
    });
  }

  async #withChannel<T>(fn: (model: ChannelModel) => Promise<T>): Promise<T> {
    await this.#conn.start();
    await this.#conn.ready();
    const model = this.#conn.model;
    if (!model) throw new TransportError(`not connected to RabbitMQ at ${this.#conn.target.redacted}`);
    return fn(model);
  }

  #toDeadLetter(m: GetMessage): DeadLetter {
    const h = stringHeaders(m.properties.headers as Record<string, unknown> | undefined);
    const body = m.content.toString("utf8");
    const at = h[Headers.deadLetteredAt];
    return {
      handle: String(m.properties.messageId ?? m.fields.deliveryTag),
      id: typeof m.properties.messageId === "string" ? m.properties.messageId : "",
      name: nameFromProperties(this.#options.nameFrom, m.properties)?.name ?? bodyName(body),
      reason:
        h[Headers.deadLetterReason] ??
        `broker: ${String(m.properties.headers?.["x-first-death-reason"] ?? "unknown")}`,
      attempts: Number(h[Headers.attempt] ?? 0) || 0,
      deadLetteredAt: at ? new Date(at) : undefined,
      queue: h[Headers.originalQueue] ?? h[AmqpHeaders.originalRoutingKey] ?? this.#options.queue,
      body,
      headers: h,
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
