import type { Server } from "node:http";
import { ConfigError } from "../errors.ts";
import type { Worker } from "./worker.ts";

/** Options of the health and metrics endpoint. */
export interface HealthOptions {
  /** Port to listen on (0 = any free port). */
  port: number;
  /** Interface. Default 0.0.0.0 in containers would be usual; default here is 127.0.0.1. */
  host?: string;
  /** `/healthz` fails when no receive completed and no message settled for this long (and the worker is not busy), ms. Default 90,000 (a few long polls). */
  staleAfterMs?: number;
  /** Extra labels on every metric (e.g. `{ app: "orders" }`). Used by the built-in exposition only. */
  labels?: Record<string, string>;
  /**
   * What `/metrics` serves instead of the Worker's built-in counters — e.g. a prom-client
   * registry from `@mailroom/metrics` (`prometheus(...).exposition`).
   */
  metrics?: MetricsExposition;
}

/** A Prometheus exposition served at `/metrics`. */
export interface MetricsExposition {
  /** The `content-type` of the text (prom-client: `registry.contentType`). */
  readonly contentType: string;
  /** The text, read on each scrape. */
  collect(): Promise<string> | string;
}

/**
 * Serve `/healthz` (liveness: 200 while the worker runs and makes progress — a receive completed
 * or a message settled within `staleAfterMs`, or every slot busy with handlers — else 503 with
 * the reason; see `Worker.health`), `/readyz` (readiness: 200 once the source is connected and
 * the worker receives, 503 with the reason while it waits for the broker, while receives fail
 * and once stopping; see `Worker.readiness`) and `/metrics` (Prometheus text). Kubernetes probes
 * and scrapers point here.
 *
 * Rejects with a `ConfigError` (its `cause` the Node error, with `code`) when the port is in use
 * (`EADDRINUSE`) or the host is not an address of this machine (`EADDRNOTAVAIL`, `ENOTFOUND`).
 */
export async function serveHealth(worker: Worker, options: HealthOptions): Promise<Server & { url: string }> {
  const stale = options.staleAfterMs ?? 90_000;
  // node:http is loaded here, not at import: a cloud function never serves health.
  const server = process.getBuiltinModule("node:http").createServer((req, res) => {
    if (req.url === "/healthz") {
      const health = worker.health(stale);
      res.writeHead(health.ok ? 200 : 503, { "content-type": "application/json" });
      res.end(JSON.stringify(health));
      return;
    }
    if (req.url === "/readyz") {
      const ready = worker.readiness();
      res.writeHead(ready.ok ? 200 : 503, { "content-type": "application/json" });
      res.end(JSON.stringify(ready));
      return;
    }
    if (req.url === "/metrics") {
      if (!options.metrics) {
        res.writeHead(200, { "content-type": "text/plain; version=0.0.4" });
        res.end(worker.stats.toPrometheus(options.labels));
        return;
      }
      const exposition = options.metrics;
      Promise.resolve()
        .then(() => exposition.collect())
        .then(
          (text) => {
            res.writeHead(200, { "content-type": exposition.contentType });
            res.end(text);
          },
          (error: unknown) => {
            res.writeHead(500, { "content-type": "text/plain" });
            res.end(
              `could not collect the metrics: ${error instanceof Error ? error.message : String(error)}\n`,
            );
          },
        );
      return;
    }
    res.writeHead(404).end();
  });
  await listen(server, options.port, options.host ?? "127.0.0.1");
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : options.port;
  worker.once("stopped", () => server.close());
  return Object.assign(server, { url: `http://${options.host ?? "127.0.0.1"}:${port}` });
}

/** Listen, or reject with a `ConfigError` that says which port or host is wrong. */
function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const failed = (error: NodeJS.ErrnoException) => {
      const where = `${host.includes(":") ? `[${host}]` : host}:${port}`;
      if (error.code === "EADDRINUSE") {
        reject(new ConfigError(`cannot serve health on ${where}: the port is in use`, { cause: error }));
      } else if (error.code === "EADDRNOTAVAIL" || error.code === "ENOTFOUND") {
        reject(
          new ConfigError(`cannot serve health on ${where}: ${host} is not an address of this machine`, {
            cause: error,
          }),
        );
      } else reject(error);
    };
    server.once("error", failed);
    server.listen(port, host, () => {
      server.off("error", failed);
      resolve();
    });
  });
}
