import { describeError, redact, serveHealth, Worker } from "@mailroom/core";
import { ExitCode } from "../errors.ts";
import { describeOutcome, formatDuration, identify, mark, outcomeJson, shortId } from "../format.ts";
import { appFromHandlers, resolveHandlersDir } from "../handlers.ts";
import { type Output, stdio } from "../output.ts";
import { openCliTransport, transportUrl } from "../transport.ts";

/** Options of `mailroom run`. */
export interface RunOptions {
  /** Handlers directory. Default `./handlers`. */
  handlers?: string;
  /** Transport URL. Default `$MAILROOM_TRANSPORT`, else `sqlite:./.mailroom/queue.db`. */
  transport?: string;
  /** Most handlers running at once. Default 16. */
  concurrency?: number;
  /** Most messages per receive. Default 10. */
  batchSize?: number;
  /** Exit when the queue is drained (no ready, delayed or in-flight message). */
  untilEmpty?: boolean;
  /** Settled messages and the summary as JSON lines on stdout. */
  json?: boolean;
  /** Serve /healthz and /metrics on this port. Default `$MAILROOM_HEALTH_PORT`, else none. */
  healthPort?: number;
  /** Interface for the health port. Default `$MAILROOM_HEALTH_HOST`, else 127.0.0.1. */
  healthHost?: string;
}

/** What `mailroom run` reports when it stops. */
export interface RunSummary {
  acked: number;
  retried: number;
  deadLettered: number;
  deferred: number;
  released: number;
  elapsedMs: number;
}

/**
 * `mailroom run`: a Worker on the transport, with the transport's publisher for `ctx.publish`,
 * stopping on SIGTERM / SIGINT (in-flight handlers finish) or, with `untilEmpty`, once drained —
 * due retries are waited for. Each settled message is a line on stderr; the summary goes to
 * stdout. Exit code 0 even when messages were dead-lettered: that is the queue working.
 */
export async function runCommand(options: RunOptions, io: Output = stdio): Promise<number> {
  const url = transportUrl(options.transport);
  const app = await appFromHandlers(resolveHandlersDir(options.handlers), "worker");
  const transport = await openCliTransport(url);
  const publisher = transport.publisher();
  try {
    const worker = new Worker(app, transport.source(), {
      concurrency: options.concurrency,
      batchSize: options.batchSize,
      untilEmpty: options.untilEmpty ?? false,
      handleSignals: true,
      publisher,
      // This command prints one line per outcome itself.
      logOutcomes: false,
    });
    worker.on("settled", ({ envelope, outcome, durationMs }) => {
      const { name, id } = identify(envelope);
      const max = app.lookup(name)?.retry.maxAttempts;
      if (options.json) {
        const o = outcomeJson(outcome, envelope.attempt, max);
        io.out(JSON.stringify({ type: "settled", name, id, outcome: o, durationMs }));
      } else {
        const text = describeOutcome(outcome, envelope.attempt, max);
        const took = outcome.kind === "ack" ? formatDuration(durationMs) : `(${formatDuration(durationMs)})`;
        io.err(`${mark(outcome)} ${name} ${shortId(id)} ${text} ${took}`);
      }
    });
    // A failed ack / retry / dead-letter leaves the message to be redelivered: say so, never silently.
    worker.on("settleError", (error, envelope) => {
      const { name, id } = identify(envelope);
      const text = `could not settle ${name} ${id ?? "-"}: ${describeError(error)}; it will be redelivered`;
      if (options.json)
        io.out(JSON.stringify({ type: "settleError", name, id, error: describeError(error) }));
      else io.err(`! ${text}`);
    });
    const mode = options.untilEmpty ? "until the queue is empty" : "until SIGTERM / Ctrl-C";
    const started = performance.now();
    // start() installs the signal handlers: announce readiness only after it.
    const stopped = worker.start();
    io.err(
      `mailroom run: ${app.names().length} handler${app.names().length === 1 ? "" : "s"} (${app.names().join(", ")}) on ${redact(url)}, queue "${transport.queue}", ${mode}`,
    );
    const envPort = process.env.MAILROOM_HEALTH_PORT;
    const healthPort = options.healthPort ?? (envPort ? Number(envPort) : undefined);
    if (healthPort !== undefined && Number.isInteger(healthPort)) {
      const health = await serveHealth(worker, {
        port: healthPort,
        host: options.healthHost ?? process.env.MAILROOM_HEALTH_HOST ?? "127.0.0.1",
        labels: { app: app.name },
      });
      io.err(`health: ${health.url}/healthz, metrics: ${health.url}/metrics`);
    }
    await stopped;
    const s = worker.stats;
    const summary: RunSummary = {
      acked: s.acked,
      retried: s.retried,
      deadLettered: s.deadLettered,
      deferred: s.deferred,
      released: s.released,
      elapsedMs: Math.round(performance.now() - started),
    };
    if (options.json) io.out(JSON.stringify({ type: "summary", ...summary }));
    else io.out(summaryLine(summary));
    return ExitCode.ok;
  } finally {
    await publisher.close();
    await transport.close();
  }
}

function summaryLine(s: RunSummary): string {
  const parts = [`${s.acked} acked`, `${s.retried} retried`, `${s.deadLettered} dead-lettered`];
  if (s.deferred > 0) parts.push(`${s.deferred} deferred`);
  return `done in ${formatDuration(s.elapsedMs)}: ${parts.join(", ")}`;
}
