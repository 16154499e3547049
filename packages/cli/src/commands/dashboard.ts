import { redact } from "@mailroom/core";
import { Board, type WatchedTransport } from "../dashboard/board.ts";
import { Guard, isLoopback } from "../dashboard/guard.ts";
import { metricsUrl, RateMeter } from "../dashboard/rates.ts";
import { dashboardServer } from "../dashboard/server.ts";
import { CliError, ExitCode } from "../errors.ts";
import { listen } from "../listen.ts";
import { type Output, stdio } from "../output.ts";
import { openCliTransport, transportUrl } from "../transport.ts";
import { MESSAGE_LOG_ENV } from "./trace.ts";

/** The environment variable that sets `--token`. */
export const DASHBOARD_TOKEN_ENV = "MAILROOM_DASHBOARD_TOKEN";

/** Options of `mailroom dashboard`. */
export interface DashboardOptions {
  /** Transport URLs to show. Default one: `$MAILROOM_TRANSPORT`, else the local SQLite queue. */
  transport?: string[];
  /** Interface to listen on. Default 127.0.0.1; any other needs a token. */
  host?: string;
  /** Port. Default 8090; 0 = any free port. */
  port?: number;
  /** Access token every request must carry. Default `$MAILROOM_DASHBOARD_TOKEN`, else none. */
  token?: string;
  /** Workers' health addresses (`http://host:port`, comma-separated) whose `/metrics` give rates. */
  workers?: string;
  /** The SQLite message log (`run --log-messages`) for dead letters' lineage. Default `$MAILROOM_MESSAGE_LOG`, else none. */
  logMessages?: string;
  /** Resolves when the dashboard should stop. Default: SIGINT or SIGTERM. */
  stop?: Promise<void>;
}

/**
 * `mailroom dashboard`: a web page with every transport's queue figures (pushed live), dead
 * letters with lineage, worker rates and redrive, served by `node:http` until SIGINT / SIGTERM.
 * Listens on 127.0.0.1 unless told otherwise; another interface needs a token.
 */
export async function dashboardCommand(options: DashboardOptions, io: Output = stdio): Promise<number> {
  const host = options.host ?? "127.0.0.1";
  const port = options.port ?? 8090;
  const token = options.token ?? (process.env[DASHBOARD_TOKEN_ENV] || undefined);
  if (token !== undefined && token.trim() === "") {
    // An empty token would be matched by an empty `?token=`: the lock would be open to anyone.
    const from = options.token !== undefined ? "--token" : `$${DASHBOARD_TOKEN_ENV}`;
    throw new CliError(
      `${from} is empty: give a secret (e.g. from openssl rand -hex 32), or leave it out and keep --host at 127.0.0.1`,
    );
  }
  if (!isLoopback(host) && token === undefined) {
    throw new CliError(
      `--host ${host} is reachable from other machines: set --token or $${DASHBOARD_TOKEN_ENV} (anyone who reaches the dashboard can redrive the queues), or leave --host at 127.0.0.1`,
    );
  }
  const workers = (options.workers ?? "")
    .split(",")
    .map((w) => w.trim())
    .filter((w) => w !== "")
    .map((w) => {
      try {
        return metricsUrl(w);
      } catch {
        throw new CliError(
          `--workers: "${redact(w)}" is not a URL; give each worker's health address, e.g. http://127.0.0.1:9464`,
        );
      }
    });
  const urls = options.transport?.length ? options.transport : [transportUrl(undefined)];

  const watched: WatchedTransport[] = [];
  try {
    for (const url of urls) watched.push({ url, transport: await openCliTransport(url) });
    const logPath = options.logMessages ?? (process.env[MESSAGE_LOG_ENV] || undefined);
    const board = new Board(watched, new RateMeter(workers), logPath);
    const dashboard = dashboardServer(board, new Guard(token), { onError: (line) => io.err(line) });
    await listen(dashboard.server, host, port, "--port");
    const address = dashboard.server.address();
    const bound = typeof address === "object" && address ? address.port : port;
    const shownHost = host.includes(":") ? `[${host}]` : host;
    io.err(
      `dashboard on http://${shownHost}:${bound}/ (${watched.length} transport${watched.length === 1 ? "" : "s"}${token ? ", token required" : ""}; Ctrl-C to stop)`,
    );
    await (options.stop ?? signalled());
    await dashboard.close();
    return ExitCode.ok;
  } finally {
    await Promise.allSettled(watched.map((w) => w.transport.close()));
  }
}

/** Resolves on the first SIGINT or SIGTERM. */
function signalled(): Promise<void> {
  return new Promise((resolve) => {
    const stop = () => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      resolve();
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
}
