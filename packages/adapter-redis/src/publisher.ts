import type { Outgoing, Publisher, PublishOptions } from "@mailroom/core";
import { dueAt, toEncodeInput, withProducerSpans } from "@mailroom/core/transport";
import { redisFailure } from "./connection.ts";
import { wireFields } from "./fields.ts";
import { type StreamContext, scheduleFields } from "./stream.ts";

/**
 * Publishes with XADD: the codec's body in `body`, the metadata and headers as fields beside it,
 * `mailroom-group-id` for FIFO (see `EntryFields`). `Outgoing.to` names another stream; a reply
 * (`Outgoing.reply`) is added to its reply stream only while that exists (NOMKSTREAM). A delayed
 * or scheduled message goes into the stream's delayed sorted set instead (any delay, no cap) and
 * is moved into the stream when due by whichever receive runs first. Resolves once Redis has
 * accepted every message, in order (one pipeline); what Redis keeps across a
 * restart is its persistence setting's business (AOF `appendfsync`). `dedupId`, `priority` and
 * `expiresInMs` are ignored: streams have none of them.
 */
export class RedisPublisher implements Publisher {
  readonly #ctx: StreamContext;

  constructor(ctx: StreamContext) {
    this.#ctx = ctx;
  }

  publish(messages: Outgoing[], options?: PublishOptions): Promise<void> {
    if (messages.length === 0) return Promise.resolve();
    return withProducerSpans("redis", this.#streamOf, messages, (traced) => this.#publish(traced, options));
  }

  readonly #streamOf = (m: Outgoing): string => m.to ?? this.#ctx.keys.stream;

  async #publish(messages: Outgoing[], options?: PublishOptions): Promise<void> {
    const now = Date.now();
    const due = dueAt(options, now);
    const writes = messages.map((m) => {
      const wire = (m.codec ?? this.#ctx.codec).encode(toEncodeInput(m, new Date(now)));
      return {
        stream: this.#streamOf(m),
        fields: wireFields(wire, m.groupId),
        reply: m.reply === true,
      };
    });
    await this.#ctx.connection.ready();
    const commands = this.#ctx.connection.commands;
    try {
      if (due !== undefined) {
        const mode = options?.at ? "at" : "in";
        const ms = options?.at ? due : due - now;
        await Promise.all(
          writes.map(({ stream, fields }) => scheduleFields(this.#ctx, stream, mode, ms, fields)),
        );
        return;
      }
      // One pipeline: the entries go out in one write, in order.
      const pipeline = commands.pipeline();
      for (const { stream, fields, reply } of writes) {
        // A reply goes only to a reply stream that still exists: its requester may be gone.
        if (reply) pipeline.xaddBuffer(stream, "NOMKSTREAM", "*", ...fields);
        else pipeline.xaddBuffer(stream, "*", ...fields);
      }
      const failed = (await pipeline.exec())?.find(([error]) => error);
      if (failed) throw failed[0];
    } catch (error) {
      throw redisFailure(error, `publish to stream "${this.#ctx.keys.stream}"`, this.#ctx.connection.where);
    }
  }

  async close(): Promise<void> {}
}
