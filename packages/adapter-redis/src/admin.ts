import { type DeadLetter, Headers, isDecodeFailure, type QueueAdmin, type QueueDepth } from "@mailroom/core";
import { DEAD_LETTER_HEADERS, decodeEnvelope, runsCarried } from "@mailroom/core/transport";
import { redisFailure } from "./connection.ts";
import { streamDepth } from "./depth.ts";
import { fieldPairs, readEntry, type StreamEntry, withoutFields } from "./fields.ts";
import type { StreamContext } from "./stream.ts";

const DEAD_LETTER_FIELDS: ReadonlySet<string> = new Set(DEAD_LETTER_HEADERS);
const PAGE = 100;

/**
 * `mailroom stats`, `mailroom dlq list | redrive | purge` for a stream and its
 * dead-letter stream. Listing reads the dead-letter stream (XRANGE: changes nothing). Redrive
 * moves each dead letter back to the stream it came from (`mailroom-original-queue`), without
 * its dead-letter facts and run count, so it starts over at attempt 1: the add and the removal
 * from the dead-letter stream are one MULTI, so a dead letter is never moved twice. Purge
 * deletes the oldest entries of the dead-letter stream (XDEL), never the stream itself.
 */
export class RedisAdmin implements QueueAdmin {
  readonly #ctx: StreamContext;

  constructor(ctx: StreamContext) {
    this.#ctx = ctx;
  }

  async stats(): Promise<Array<{ queue: string } & QueueDepth & { deadLettered: number }>> {
    try {
      const depth = await streamDepth(this.#ctx);
      const deadLettered = await this.#ctx.connection.commands.xlen(this.#ctx.keys.deadLetters);
      return [{ queue: this.#ctx.keys.stream, ...depth, deadLettered }];
    } catch (error) {
      throw redisFailure(error, `stats of stream "${this.#ctx.keys.stream}"`, this.#ctx.connection.where);
    }
  }

  async listDeadLetters(options: { limit?: number } = {}): Promise<DeadLetter[]> {
    const entries = await this.#read(options.limit ?? 100);
    return entries.map((e) => this.#toDeadLetter(e));
  }

  async redrive(
    options: { limit?: number; onProgress?: (done: number, total: number) => void } = {},
  ): Promise<number> {
    const { commands } = this.#ctx.connection;
    const dlq = this.#ctx.keys.deadLetters;
    return this.#pages(options, async (page) => {
      const multi = commands.multi();
      for (const entry of page) {
        const back = readEntry(entry).meta.headers[Headers.originalQueue] ?? this.#ctx.keys.stream;
        multi.xadd(back, "*", ...withoutFields(entry.fields, DEAD_LETTER_FIELDS));
        multi.xdel(dlq, entry.id);
      }
      const results = (await multi.exec()) ?? [];
      const failed = results.find(([error]) => error);
      if (failed) throw redisFailure(failed[0], `redrive from "${dlq}"`, this.#ctx.connection.where);
      return page.length;
    });
  }

  async purge(
    options: { limit?: number; onProgress?: (done: number, total: number) => void } = {},
  ): Promise<number> {
    const { commands } = this.#ctx.connection;
    const dlq = this.#ctx.keys.deadLetters;
    return this.#pages(options, async (page) => {
      try {
        // 0 when another purge took these entries first: the loop ends.
        return await commands.xdel(dlq, ...page.map((e) => e.id));
      } catch (error) {
        throw redisFailure(error, `purge of "${dlq}"`, this.#ctx.connection.where);
      }
    });
  }

  /**
   * Hand the dead-letter stream's entries, oldest first, to `take` a page at a time, up to
   * `limit`; `take` says how many it removed (0 ends the loop). Returns how many in all.
   */
  async #pages(
    options: { limit?: number; onProgress?: (done: number, total: number) => void },
    take: (page: StreamEntry[]) => Promise<number>,
  ): Promise<number> {
    await this.#ctx.connection.ready();
    const dlqLength = await this.#ctx.connection.commands.xlen(this.#ctx.keys.deadLetters);
    const total = Math.min(options.limit ?? Number.POSITIVE_INFINITY, dlqLength);
    let done = 0;
    while (done < total) {
      const page = await this.#read(Math.min(PAGE, total - done));
      if (page.length === 0) break;
      const taken = await take(page);
      if (taken === 0) break;
      done += taken;
      options.onProgress?.(done, total);
    }
    return done;
  }

  /** The dead-letter stream's oldest `limit` entries. */
  async #read(limit: number): Promise<StreamEntry[]> {
    await this.#ctx.connection.ready();
    const { commands } = this.#ctx.connection;
    const reply = await commands.xrangeBuffer(this.#ctx.keys.deadLetters, "-", "+", "COUNT", limit);
    return reply.map(([id, fields]) => ({ id: String(id), fields: fieldPairs(fields), deliveryCount: 0 }));
  }

  #toDeadLetter(entry: StreamEntry): DeadLetter {
    const content = readEntry(entry);
    const headers = content.meta.headers;
    let name = content.meta.name;
    if (name === undefined && content.body) {
      const decoded = decodeEnvelope(this.#ctx.codec, content.body, content.meta, {
        attempt: 1,
        transport: { kind: "redis", queue: this.#ctx.keys.deadLetters, raw: entry },
      });
      if (!isDecodeFailure(decoded)) name = decoded.name;
    }
    const when = headers[Headers.deadLetteredAt];
    const at = when ? new Date(when) : undefined;
    return {
      handle: entry.id,
      id: content.meta.id ?? entry.id,
      name,
      reason:
        headers[Headers.deadLetterReason] ?? "unknown (added to the dead-letter stream by another producer)",
      attempts: runsCarried(headers),
      deadLetteredAt: at && !Number.isNaN(at.getTime()) ? at : undefined,
      queue: headers[Headers.originalQueue] ?? this.#ctx.keys.stream,
      body: content.body ? new TextDecoder().decode(content.body) : "",
      headers: { ...headers },
    };
  }
}
