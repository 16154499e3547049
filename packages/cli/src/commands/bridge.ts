import { type Context, createApp, type Envelope, type Outgoing, redact, Worker } from "@mailroom/core";
import { redriveHeaders } from "@mailroom/core/transport";
import { CliError, ExitCode } from "../errors.ts";
import { formatDuration } from "../format.ts";
import { logLevelFromEnv, terminalLogger } from "../log.ts";
import { type Output, stdio } from "../output.ts";
import { progress } from "../progress.ts";
import { openCliTransport } from "../transport.ts";
import { connectTimeout, startupFailure, terminalOutput } from "./run.ts";
import { PRINTED_FROM_EVENTS } from "./run-report.ts";

/** Options of `mailroom bridge`. */
export interface BridgeOptions {
  /** Transport URL to move messages from. */
  from: string;
  /** Transport URL to move them to. */
  to: string;
  /** Comma-separated names to move; default every name. */
  names?: string;
  /** Messages of other names (with `names`): `dead-letter` (default: kept in the source's DLQ) or `ack` (dropped). */
  others?: string;
  /** Exit once the source is drained. */
  untilEmpty?: boolean;
  /** Most messages moved at once. Default 16. */
  concurrency?: number;
  /** How long to wait for an unreachable source at start-up (`30s`, `2m`). */
  connectTimeout?: string;
  /** The summary as JSON on stdout. */
  json?: boolean;
}

/** What `mailroom bridge` reports when it stops. */
export interface BridgeSummary {
  moved: number;
  deadLettered: number;
  dropped: number;
  retried: number;
  elapsedMs: number;
}

/**
 * Publish failures to the target are retried this long before a message goes to the source's
 * dead-letter queue: a target outage of up to about an hour costs waiting, not dead letters.
 */
const RETRY = { maxAttempts: 60, baseDelayMs: 1_000, maxDelayMs: 60_000 } as const;

/**
 * `mailroom bridge --from URL --to URL`: move messages between any two transports (a migration
 * from MNS to RabbitMQ, say) with a Worker on the source whose one handler publishes a copy to
 * the target and then acks: at-least-once, keeping id, name, data, lineage, headers and FIFO
 * group. A body the source cannot decode, and (with `--names`) a name not moved, go to the
 * source's dead-letter queue, so nothing is lost.
 */
export async function bridgeCommand(options: BridgeOptions, io: Output = stdio): Promise<number> {
  const from = redact(options.from);
  const to = redact(options.to);
  const names = options.names
    ?.split(",")
    .map((n) => n.trim())
    .filter(Boolean);
  if (options.others !== undefined && options.others !== "dead-letter" && options.others !== "ack") {
    throw new CliError(`--others must be dead-letter or ack, not "${options.others}"`);
  }
  const limitMs = connectTimeout(options.connectTimeout);
  const human = !options.json && terminalOutput(io);
  const level = logLevelFromEnv();
  const logger = human
    ? terminalLogger((line) => io.err(line), { level, skip: PRINTED_FROM_EVENTS })
    : undefined;
  const app = createApp({
    name: "bridge",
    retry: RETRY,
    unknownMessages: options.others === "ack" ? "ack" : "deadLetter",
    // Any name a producer sent moves as it is.
    names: { pattern: /^\S.*$/ },
    ...(logger ? { logger } : {}),
  });
  const source = await openCliTransport(options.from);
  const target = await openCliTransport(options.to);
  const publisher = target.publisher();
  try {
    const forward = async (_data: unknown, ctx: Context) => publisher.publish([copyOf(ctx.envelope)]);
    if (names && names.length > 0) for (const name of names) app.handle(name, forward);
    else app.handleUnknown({}, forward);
    const messages = source.source();
    const worker = new Worker(app, messages, {
      concurrency: options.concurrency,
      untilEmpty: options.untilEmpty ?? false,
      connectTimeoutMs: limitMs,
      handleSignals: true,
      logger: app.logger,
      logOutcomes: !human && !options.json,
    });
    const summary: BridgeSummary = { moved: 0, deadLettered: 0, dropped: 0, retried: 0, elapsedMs: 0 };
    const bar = options.untilEmpty ? progress("bridge", io) : undefined;
    let total = 0;
    worker.once("started", async () => {
      io.err(`mailroom bridge: from ${from} (queue "${source.queue}") to ${to} (queue "${target.queue}")`);
      const depth = await messages.depth?.().catch(() => undefined);
      if (depth) total = depth.ready + depth.delayed + depth.inFlight;
    });
    worker.on("settled", ({ envelope, outcome }) => {
      if (outcome.kind === "ack") {
        if ("name" in envelope && (!names || names.length === 0 || app.lookup(envelope.name)))
          summary.moved++;
        else summary.dropped++;
      } else if (outcome.kind === "deadLetter") {
        summary.deadLettered++;
        if (human)
          io.err(
            `✗ ${"name" in envelope ? envelope.name : "(undecodable)"} dead-lettered on the source: ${outcome.reason}`,
          );
      } else if (outcome.kind === "retry") summary.retried++;
      const done = summary.moved + summary.deadLettered + summary.dropped;
      bar?.update(done, Math.max(total, done));
    });
    const started = performance.now();
    try {
      await worker.start();
    } catch (error) {
      throw startupFailure(error, from, limitMs);
    } finally {
      bar?.finish();
    }
    summary.elapsedMs = Math.round(performance.now() - started);
    if (options.json) io.out(JSON.stringify({ type: "summary", ...summary }));
    else io.out(summaryLine(summary, from));
    return ExitCode.ok;
  } finally {
    await publisher.close();
    await target.close();
    await source.close();
  }
}

/** The message as the target gets it: the same id, name, data, lineage, headers and group; the runs start over. */
export function copyOf(envelope: Envelope): Outgoing {
  const copy: Outgoing = {
    id: envelope.id,
    name: envelope.name,
    data: envelope.data,
    headers: redriveHeaders(envelope.headers),
  };
  if (envelope.parentId !== undefined) copy.parentId = envelope.parentId;
  if (envelope.correlationId !== undefined) copy.correlationId = envelope.correlationId;
  if (envelope.replyTo !== undefined) copy.replyTo = envelope.replyTo;
  if (envelope.transport.groupId !== undefined) copy.groupId = envelope.transport.groupId;
  return copy;
}

function summaryLine(s: BridgeSummary, from: string): string {
  const parts = [`moved ${s.moved} message${s.moved === 1 ? "" : "s"} in ${formatDuration(s.elapsedMs)}`];
  if (s.deadLettered > 0)
    parts.push(`${s.deadLettered} dead-lettered on the source (mailroom dlq list --transport "${from}")`);
  if (s.dropped > 0) parts.push(`${s.dropped} of other names dropped (--others ack)`);
  return parts.join("; ");
}
