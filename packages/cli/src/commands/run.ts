import {
  ConfigError,
  describeError,
  parseDuration,
  redact,
  serveHealth,
  setDefaultLogger,
  TransportError,
  Worker,
} from "@mailroom/core";
import { CliError, ExitCode } from "../errors.ts";
import { formatDuration } from "../format.ts";
import { appFromHandlers, resolveHandlersDir } from "../handlers.ts";
import { listenFailure } from "../listen.ts";
import { logLevelFromEnv, terminalLogger } from "../log.ts";
import { type Output, stdio } from "../output.ts";
import { openCliTransport, transportUrl } from "../transport.ts";
import { bannerLine, PRINTED_FROM_EVENTS, reportWorker } from "./run-report.ts";
import { supervise, WORKER_INDEX_ENV } from "./supervise.ts";
import { MESSAGE_LOG_ENV } from "./trace.ts";

/** The environment variable that sets `--connect-timeout`. */
export const CONNECT_TIMEOUT_ENV = "MAILROOM_CONNECT_TIMEOUT";
/** The environment variable that forces human log lines (`1`) or pino JSON (`0`). */
export const PRETTY_ENV = "MAILROOM_PRETTY";
const DEFAULT_CONNECT_TIMEOUT_MS = 60_000;

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
  /**
   * How long to wait at start-up for a transport that is not reachable yet, as a duration
   * (`30s`, `2m`; `0` fails at once). Default `$MAILROOM_CONNECT_TIMEOUT`, else 60 s.
   */
  connectTimeout?: string;
  /** Worker processes under a supervisor (`--workers N`). Default 1: this process is the worker. */
  workers?: number;
  /**
   * Record every settled message (id, name, parentId, outcome, reason, times) to the SQLite
   * message log at this path, for `mailroom trace` and the dashboard. Default
   * `$MAILROOM_MESSAGE_LOG`, else off.
   */
  logMessages?: string;
  /** The command's own arguments, for the supervisor to start each worker with. */
  argv?: string[];
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
 *
 * Before the first receive the worker checks the transport: what waiting cannot fix (wrong
 * credentials, a missing queue or vhost, no dead-letter destination) ends the command with one
 * line and exit code 3; a transport that is not reachable yet is waited for, up to
 * `connectTimeout`, one line per try.
 */
export async function runCommand(options: RunOptions, io: Output = stdio): Promise<number> {
  if ((options.workers ?? 1) > 1) {
    const envPort = process.env.MAILROOM_HEALTH_PORT;
    return supervise(
      {
        workers: options.workers!,
        args: options.argv ?? [],
        healthPort: options.healthPort ?? (envPort ? Number(envPort) : undefined),
        healthHost: options.healthHost ?? process.env.MAILROOM_HEALTH_HOST,
        untilEmpty: options.untilEmpty ?? false,
      },
      io,
    );
  }
  const url = transportUrl(options.transport);
  const shownUrl = redact(url);
  const connectTimeoutMs = connectTimeout(options.connectTimeout);
  const human = !options.json && terminalOutput(io);
  // Checked in both modes: pino would crash on an unknown level with a stack trace.
  const level = logLevelFromEnv();
  // On a terminal, everything the worker and the handlers log reads like the outcome lines.
  const logger = human
    ? terminalLogger((line) => io.err(line), { level, skip: PRINTED_FROM_EVENTS })
    : undefined;
  // Transports log (an AMQP reconnect, say) through the same lines as the worker.
  if (logger) setDefaultLogger(() => logger);
  const app = await appFromHandlers(resolveHandlersDir(options.handlers), "worker", logger);
  const logPath = options.logMessages ?? (process.env[MESSAGE_LOG_ENV] || undefined);
  const messages = logPath === undefined ? undefined : await openMessageLog(logPath);
  if (messages) app.use(messages.middleware);
  const transport = await openCliTransport(url).catch(async (error: unknown) => {
    await messages?.log.close();
    throw error;
  });
  const publisher = transport.publisher();
  try {
    const untilEmpty = options.untilEmpty ?? false;
    const worker = new Worker(app, transport.source(), {
      concurrency: options.concurrency,
      batchSize: options.batchSize,
      untilEmpty,
      connectTimeoutMs,
      summaryIntervalMs: summaryInterval(),
      handleSignals: true,
      publisher,
      logger: app.logger,
      // This command prints one line per outcome itself.
      logOutcomes: false,
    });
    reportWorker(worker, app, { json: options.json ?? false, human, shownUrl }, io);
    // Announced only once the transport answered: a banner followed by "cannot connect" misleads.
    worker.once("started", () => io.err(bannerLine(app, shownUrl, transport.queue, untilEmpty)));
    const envPort = process.env.MAILROOM_HEALTH_PORT;
    const healthPort = options.healthPort ?? (envPort ? Number(envPort) : undefined);
    if (healthPort !== undefined && Number.isInteger(healthPort)) {
      // Served before start: /healthz answers "starting" (503) while the transport is waited for.
      // /metrics: the prom-client registry of @mailroom/metrics (loaded only when served).
      const { prometheusMetrics } = await import("@mailroom/metrics");
      const metrics = prometheusMetrics({ labels: { app: app.name } });
      metrics.attach(worker);
      metrics.trackDepth(transport);
      const healthHost = options.healthHost ?? process.env.MAILROOM_HEALTH_HOST ?? "127.0.0.1";
      const health = await serveHealth(worker, {
        port: healthPort,
        host: healthHost,
        metrics: metrics.exposition,
      }).catch((error: unknown) => {
        throw listenFailure(error, healthHost, healthPort, "--health-port");
      });
      io.err(`health: ${health.url}/healthz, metrics: ${health.url}/metrics`);
      // A worker of `--workers N` tells its supervisor where its figures are.
      if (process.send && process.env[WORKER_INDEX_ENV] !== undefined)
        process.send({ type: "health", url: health.url });
    }
    const started = performance.now();
    try {
      await worker.start();
    } catch (error) {
      throw startupFailure(error, shownUrl, connectTimeoutMs);
    }
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
    await messages?.log.close();
  }
}

/** The message log of `--log-messages PATH`, loaded only when asked for. */
async function openMessageLog(path: string) {
  const { messageLog, sqliteMessageLog } = await import("@mailroom/core/message-log");
  const log = sqliteMessageLog(path);
  return { log, middleware: messageLog({ sink: log }) };
}

/**
 * Why the worker did not start, as one line with exit code 3: the transport refused (a
 * `ConfigError` from its start-up check: credentials, queue, vhost, dead-letter destination)
 * or stayed unreachable past the connect timeout.
 */
export function startupFailure(error: unknown, shownUrl: string, limitMs: number): unknown {
  if (error instanceof ConfigError) {
    return new CliError(error.message, { cause: error, exitCode: ExitCode.unavailable });
  }
  if (error instanceof TransportError) {
    const last = error.cause === undefined ? error.message : describeError(error.cause);
    const waited = limitMs > 0 ? `within ${formatDuration(limitMs)}` : "(--connect-timeout 0: no waiting)";
    return new CliError(
      `${shownUrl} was not reachable ${waited}; wait longer with --connect-timeout or MAILROOM_CONNECT_TIMEOUT. Last error: ${last}`,
      { cause: error, exitCode: ExitCode.unavailable },
    );
  }
  return error;
}

/** `$MAILROOM_SUMMARY_INTERVAL` (a duration; `0` turns the summary line off), else a minute. */
export function summaryInterval(env: NodeJS.ProcessEnv = process.env): number {
  const text = env.MAILROOM_SUMMARY_INTERVAL;
  if (text === undefined || text === "") return 60_000;
  try {
    return text === "0" ? 0 : parseDuration(text);
  } catch (error) {
    throw new CliError(`MAILROOM_SUMMARY_INTERVAL: ${(error as Error).message}`, { cause: error });
  }
}

/** The connect timeout in ms: the option, else `$MAILROOM_CONNECT_TIMEOUT`, else 60 s. */
export function connectTimeout(option: string | undefined, env: NodeJS.ProcessEnv = process.env): number {
  const [text, from] =
    option !== undefined ? [option, "--connect-timeout"] : [env[CONNECT_TIMEOUT_ENV], CONNECT_TIMEOUT_ENV];
  if (text === undefined || text === "") return DEFAULT_CONNECT_TIMEOUT_MS;
  try {
    return parseDuration(text);
  } catch (error) {
    throw new CliError(`${from}: ${(error as Error).message}`, { cause: error });
  }
}

/**
 * Whether worker logs print as human lines: `$MAILROOM_PRETTY` (`1` yes, `0` no) when set, else
 * whether stderr is a terminal.
 */
export function terminalOutput(io: Output, env: NodeJS.ProcessEnv = process.env): boolean {
  const forced = env[PRETTY_ENV];
  if (forced === "1") return true;
  if (forced === "0") return false;
  return io.interactive;
}

function summaryLine(s: RunSummary): string {
  const parts = [`${s.acked} acked`, `${s.retried} retried`, `${s.deadLettered} dead-lettered`];
  if (s.deferred > 0) parts.push(`${s.deferred} deferred`);
  return `done in ${formatDuration(s.elapsedMs)}: ${parts.join(", ")}`;
}
