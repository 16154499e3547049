import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { describeError, RefusedError, redact, TransportError } from "@mailroom/core";
import type { Board, DeadLetterAction } from "./board.ts";
import type { Guard } from "./guard.ts";
import { dashboardPage } from "./page.ts";

/** Options of `dashboardServer`. */
export interface DashboardServerOptions {
  /** How often `/events` pushes the figures, ms. Default 1000. */
  intervalMs?: number;
  /** Told about failures reading the figures (once per kind of failure in a row). */
  onError?: (message: string) => void;
}

/** A running dashboard's HTTP server. */
export interface DashboardServer {
  readonly server: Server;
  /** Stop pushing, end the event streams and close the server. */
  close(): Promise<void>;
}

const MAX_BODY = 4096;
const DEAD_LETTER_LIMIT = 100;

/**
 * The dashboard's HTTP side on `node:http`: the page (`GET /`), the figures (`GET /api/state`,
 * pushed on `GET /events` as server-sent events), dead letters (`GET /api/dead-letters?transport=`)
 * redrive and purge (`POST /api/redrive`, `POST /api/purge`). GET never changes anything; every POST passes the guard's
 * CSRF and origin checks.
 */
export function dashboardServer(
  board: Board,
  guard: Guard,
  options: DashboardServerOptions = {},
): DashboardServer {
  const intervalMs = options.intervalMs ?? 1000;
  const streams = new Set<ServerResponse>();
  let timer: NodeJS.Timeout | undefined;
  let pushing: Promise<void> | undefined;
  let lastError: string | undefined;

  const push = (): Promise<void> => {
    pushing ??= (async () => {
      try {
        const frame = `event: state\ndata: ${JSON.stringify(await board.state())}\n\n`;
        for (const s of streams) s.write(frame);
        lastError = undefined;
      } catch (error) {
        const message = redact(describeError(error));
        if (message !== lastError) options.onError?.(`dashboard: reading the figures failed: ${message}`);
        lastError = message;
      } finally {
        pushing = undefined;
      }
    })();
    return pushing;
  };
  const schedule = () => {
    if (streams.size === 0) {
      timer = undefined;
      return;
    }
    timer = setTimeout(() => void push().then(schedule), intervalMs);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      const message = redact(describeError(error));
      // The broker refused or could not be reached (a queue that does not exist, a broker down):
      // the dashboard worked, what stands behind it did not.
      const upstream = error instanceof TransportError || error instanceof RefusedError;
      if (!res.headersSent) sendJson(res, upstream ? 502 : 500, { error: message });
      else res.end();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    res.setHeader("X-Content-Type-Options", "nosniff");
    res.setHeader("Referrer-Policy", "no-referrer");
    res.setHeader("Cache-Control", "no-store");
    const url = new URL(req.url ?? "/", "http://dashboard.invalid");
    const queryToken = url.searchParams.get("token");
    if (req.method === "GET" && queryToken !== null && guard.locked) {
      if (!guard.isToken(queryToken)) return sendJson(res, 401, { error: "wrong token" });
      url.searchParams.delete("token");
      res.writeHead(303, { "Set-Cookie": guard.cookie(), Location: url.pathname + url.search });
      res.end();
      return;
    }
    const admitted = guard.admit(req);
    if (!admitted.ok) return sendJson(res, admitted.status, { error: admitted.message });

    const route = `${req.method} ${url.pathname}`;
    switch (route) {
      case "GET /":
        return sendPage(res, guard.csrf);
      case "GET /api/state":
        return sendJson(res, 200, await board.state());
      case "GET /api/dead-letters": {
        const list = await board.deadLetters(url.searchParams.get("transport") ?? "t0", DEAD_LETTER_LIMIT);
        if (!list) return sendJson(res, 404, { error: "no such transport" });
        return sendJson(res, 200, list);
      }
      case "GET /events":
        return openStream(req, res);
      case "POST /api/redrive":
        return act(req, res, "redrive");
      case "POST /api/purge":
        return act(req, res, "purge");
      case "GET /favicon.ico":
        res.writeHead(204).end();
        return;
    }
    const post = url.pathname === "/api/redrive" || url.pathname === "/api/purge";
    if (post || ["/", "/api/state", "/api/dead-letters", "/events"].includes(url.pathname)) {
      res.setHeader("Allow", post ? "POST" : "GET");
      return sendJson(res, 405, { error: `${req.method} is not allowed on ${url.pathname}` });
    }
    return sendJson(res, 404, { error: "not found" });
  }

  async function act(req: IncomingMessage, res: ServerResponse, action: DeadLetterAction): Promise<void> {
    const allowed = guard.allowAction(req);
    if (!allowed.ok) return sendJson(res, allowed.status, { error: allowed.message });
    const body = await readJson(req);
    if (body === undefined || typeof body !== "object" || body === null) {
      return sendJson(res, 400, { error: 'expected a JSON body { "transport": "t0", "limit"?: n }' });
    }
    const { transport, limit } = body as { transport?: unknown; limit?: unknown };
    if (typeof transport !== "string" || !board.hasAdmin(transport)) {
      return sendJson(res, 404, { error: `no such transport that can ${action} dead letters` });
    }
    if (limit !== undefined && !(Number.isInteger(limit) && (limit as number) >= 1)) {
      return sendJson(res, 400, { error: "limit must be a whole number of 1 or more" });
    }
    const done = await board.act(transport, action, limit as number | undefined);
    sendJson(res, 200, action === "redrive" ? { moved: done } : { deleted: done });
    void push();
  }

  function openStream(req: IncomingMessage, res: ServerResponse): void {
    // X-Accel-Buffering: a reverse proxy (nginx) must pass each event on at once.
    res.writeHead(200, {
      "Content-Type": "text/event-stream; charset=utf-8",
      Connection: "keep-alive",
      "X-Accel-Buffering": "no",
    });
    res.write(`retry: ${intervalMs}\n\n`);
    streams.add(res);
    req.on("close", () => streams.delete(res));
    void push();
    if (!timer) schedule();
  }

  return {
    server,
    async close() {
      if (timer) clearTimeout(timer);
      timer = undefined;
      for (const s of streams) s.end();
      streams.clear();
      await pushing;
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  res.writeHead(status, { "Content-Type": "application/json; charset=utf-8" });
  res.end(body);
}

function sendPage(res: ServerResponse, csrf: string): void {
  const nonce = randomBytes(16).toString("base64");
  res.writeHead(200, {
    "Content-Type": "text/html; charset=utf-8",
    "Content-Security-Policy": `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'; connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
    "X-Frame-Options": "DENY",
  });
  res.end(dashboardPage({ csrf, nonce }));
}

/** The request body as JSON; undefined when it is not JSON or too large. */
async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) return undefined;
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}");
  } catch {
    return undefined;
  }
}
