import { existsSync } from "node:fs";
import {
  describeError,
  type QueueAdmin,
  redact,
  type Transport,
  TransportError,
  within,
} from "@mailroom/core";
import type { Lineage, MessageLogEntry } from "@mailroom/core/message-log";
import type { RateMeter, RatesSnapshot } from "./rates.ts";

/** One queue's figures; `null` where the transport cannot count. */
export interface QueueFigures {
  readonly queue: string;
  readonly ready: number | null;
  readonly delayed: number | null;
  readonly inFlight: number | null;
  readonly deadLettered: number | null;
}

/** One configured transport as the page shows it. */
export interface TransportFigures {
  /** `t0`, `t1`, … in the order of `--transport`. */
  readonly id: string;
  /** The URL, credentials masked. */
  readonly url: string;
  readonly kind: string;
  readonly queue: string;
  /** False when the transport has no admin tools: no figures, no dead letters, no redrive or purge. */
  readonly admin: boolean;
  readonly queues: readonly QueueFigures[];
  /** Why the figures could not be read this time (failed, or no answer within the timeout); the figures are then null. */
  readonly error?: string;
}

/** Everything the page's live part shows, pushed on `/events`. */
export interface BoardState {
  readonly at: string;
  readonly transports: readonly TransportFigures[];
  /** Null without `--workers`. */
  readonly rates: RatesSnapshot | null;
}

/** A message of a dead letter's family, as the page lists it. */
export interface Relative {
  readonly id: string;
  readonly name: string | null;
  readonly outcome: string;
  readonly attempt: number;
  readonly reason: string | null;
  /** Ancestors: 0 for the root, one more per generation; descendants: 0 for a child, one more per generation. */
  readonly depth: number;
}

/** A dead letter as the page shows it. */
export interface DeadLetterView {
  readonly id: string;
  readonly name: string | null;
  readonly reason: string;
  readonly attempts: number;
  readonly deadLetteredAt: string | null;
  readonly queue: string;
  readonly body: string;
  /** From the message log: null when not logged; `undefined` without `--log-messages`. */
  readonly lineage?: { ancestors: Relative[]; descendants: Relative[]; missingParentId?: string } | null;
}

/** The dead letters of one transport, and what the message log said. */
export interface DeadLetterList {
  readonly transport: string;
  readonly letters: readonly DeadLetterView[];
  /** Why lineage is missing (no log at the path yet), when `--log-messages` was given. */
  readonly lineageNote?: string;
}

/** What the page can do to dead letters. */
export type DeadLetterAction = "redrive" | "purge";

/** One queue's row of `QueueAdmin.stats()`. */
type QueueStats = Awaited<ReturnType<QueueAdmin["stats"]>>[number];

/** A transport the dashboard watches. */
export interface WatchedTransport {
  readonly url: string;
  readonly transport: Transport;
}

/**
 * What the dashboard reads and does: the figures of every transport, their dead letters with
 * lineage from the message log, worker rates, redrive and purge. Knows nothing of HTTP.
 */
export class Board {
  readonly #watched: readonly WatchedTransport[];
  readonly #rates: RateMeter;
  readonly #logPath: string | undefined;
  readonly #timeoutMs: number;
  readonly #listTimeoutMs: number;
  /** Each transport's `stats()` still under way, shared by the reads that come while it lasts. */
  readonly #reading = new Map<WatchedTransport, Promise<readonly QueueStats[]>>();

  /**
   * `timeoutMs`: how long one transport's figures may take before it is shown as not answering
   * (default 2000); `listTimeoutMs`: how long a listing of dead letters may take (default 10,000).
   */
  constructor(
    watched: readonly WatchedTransport[],
    rates: RateMeter,
    logPath?: string,
    options: { timeoutMs?: number; listTimeoutMs?: number } = {},
  ) {
    this.#watched = watched;
    this.#rates = rates;
    this.#logPath = logPath;
    this.#timeoutMs = options.timeoutMs ?? 2000;
    this.#listTimeoutMs = options.listTimeoutMs ?? 10_000;
  }

  /**
   * The figures of every transport (read in parallel) and the workers' rates. A transport that
   * fails or does not answer within the timeout is shown with its error and no figures; the
   * others are not held up by it.
   */
  async state(): Promise<BoardState> {
    const [transports, rates] = await Promise.all([
      Promise.all(this.#watched.map((w, i) => this.#figures(`t${i}`, w))),
      this.#rates.enabled ? this.#rates.poll() : Promise.resolve(null),
    ]);
    return { at: new Date().toISOString(), transports, rates };
  }

  async #figures(id: string, w: WatchedTransport): Promise<TransportFigures> {
    const { url, transport } = w;
    const base = { id, url: redact(url), kind: transport.kind, queue: transport.queue };
    const unknown = {
      queue: transport.queue,
      ready: null,
      delayed: null,
      inFlight: null,
      deadLettered: null,
    };
    const admin = transport.admin?.();
    if (!admin) return { ...base, admin: false, queues: [unknown] };
    try {
      const rows = await answerWithin(this.#timeoutMs, this.#stats(w, admin));
      const count = (n: number) => (Number.isFinite(n) ? n : null);
      return {
        ...base,
        admin: true,
        queues: rows.map((r) => ({
          queue: r.queue,
          ready: count(r.ready),
          delayed: count(r.delayed),
          inFlight: count(r.inFlight),
          deadLettered: count(r.deadLettered),
        })),
      };
    } catch (error) {
      return { ...base, admin: true, queues: [unknown], error: redact(describeError(error)) };
    }
  }

  /**
   * One `stats()` at a time per transport: while a broker does not answer, each push would
   * otherwise start another read that waits on the same connection.
   */
  #stats(w: WatchedTransport, admin: QueueAdmin): Promise<readonly QueueStats[]> {
    let reading = this.#reading.get(w);
    if (!reading) {
      reading = admin.stats().finally(() => this.#reading.delete(w));
      // Given up on by `within`, it may still fail later: that must not be an unhandled rejection.
      reading.catch(() => {});
      this.#reading.set(w, reading);
    }
    return reading;
  }

  /** The dead letters of transport `id`, oldest first, with lineage when there is a message log. */
  async deadLetters(id: string, limit: number): Promise<DeadLetterList | undefined> {
    const w = this.#find(id);
    if (!w) return undefined;
    if (!w.transport.admin) return { transport: id, letters: [] };
    // A broker that is down would hold the page until it reconnects: answer (502) instead.
    const letters = await answerWithin(this.#listTimeoutMs, w.transport.admin().listDeadLetters({ limit }));
    const views: DeadLetterView[] = letters.map((d) => ({
      id: d.id,
      name: d.name ?? null,
      reason: d.reason,
      attempts: d.attempts,
      deadLetteredAt: d.deadLetteredAt?.toISOString() ?? null,
      queue: d.queue,
      body: d.body,
    }));
    if (this.#logPath === undefined) return { transport: id, letters: views };
    if (!existsSync(this.#logPath)) {
      return {
        transport: id,
        letters: views,
        lineageNote: `no message log at ${this.#logPath} yet (workers write it with mailroom run --log-messages)`,
      };
    }
    const { sqliteMessageLog } = await import("@mailroom/core/message-log");
    const log = sqliteMessageLog(this.#logPath, { readOnly: true });
    try {
      const withLineage = views.map((v) => ({ ...v, lineage: relatives(log.lineage(v.id)) }));
      return { transport: id, letters: withLineage };
    } finally {
      await log.close();
    }
  }

  /**
   * Redrive (move back to their queue) or purge (delete for good) up to `limit` (default all)
   * dead letters of transport `id`, oldest first. Undefined when there is no such transport or it
   * has no admin tools.
   */
  async act(id: string, action: DeadLetterAction, limit?: number): Promise<number | undefined> {
    const admin = this.#find(id)?.transport.admin?.();
    if (!admin) return undefined;
    const options = limit === undefined ? {} : { limit };
    return action === "redrive" ? admin.redrive(options) : admin.purge(options);
  }

  /** True when transport `id` exists and has admin tools (figures, dead letters, redrive, purge). */
  hasAdmin(id: string): boolean {
    return this.#find(id)?.transport.admin !== undefined;
  }

  #find(id: string): WatchedTransport | undefined {
    const m = /^t(\d+)$/.exec(id);
    return m ? this.#watched[Number(m[1])] : undefined;
  }
}

/** `promise`, or a `TransportError` saying no answer came when it takes longer than `ms`. */
function answerWithin<T>(ms: number, promise: Promise<T>): Promise<T> {
  return within(ms, promise, () => new TransportError(`no answer from the transport within ${ms / 1000} s`));
}

/** A lineage as two flat lists, each message with its depth; null when the message is not in the log. */
function relatives(lineage: Lineage | undefined): NonNullable<DeadLetterView["lineage"]> | null {
  if (!lineage) return null;
  const view = (e: MessageLogEntry, depth: number): Relative => ({
    id: e.id,
    name: e.name ?? null,
    outcome: e.outcome,
    attempt: e.attempt,
    reason: e.reason ?? null,
    depth,
  });
  const ancestors = lineage.ancestors.map((e, i) => view(e, i));
  const descendants: Relative[] = [];
  const walk = (nodes: Lineage["descendants"], depth: number) => {
    for (const node of nodes) {
      descendants.push(view(node.entry, depth));
      walk(node.children, depth + 1);
    }
  };
  walk(lineage.descendants, 0);
  return {
    ancestors,
    descendants,
    ...(lineage.missingParentId ? { missingParentId: lineage.missingParentId } : {}),
  };
}
