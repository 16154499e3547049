import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { parseAttributes } from "./attributes.ts";
import {
  changeVisibility,
  type OperationContext,
  type OperationRequest,
  type OperationResponse,
  type PendingResponse,
  putQueue,
  queueAdmin,
  receive,
  remove,
  send,
} from "./operations.ts";
import { errors, errorXml, MnsProtocolError } from "./protocol-error.ts";
import { ServerQueue } from "./queue.ts";
import { type ServerCredential, verifyRequest } from "./signature.ts";

/** Options of `startMnsServer`. */
export interface MnsServerOptions {
  /** Interface to listen on. Default `127.0.0.1`. */
  host?: string;
  /** Port; default 0 (a free one). */
  port?: number;
  /** Account id shown in `HostId` and queue URLs. Default `1234567890123456`. */
  accountId?: string;
  /** AccessKeys accepted. Default: one key, `TEST_CREDENTIAL`. */
  credentials?: ServerCredential[];
}

/** The AccessKey the server accepts when none are given. */
export const TEST_CREDENTIAL: ServerCredential = {
  accessKeyId: "mailroom-test-key-id",
  accessKeySecret: "mailroom-test-key-secret",
};

/** A running test server. */
export interface MnsTestServer {
  /** `http://127.0.0.1:<port>`: pass as the SDK's `endpoint`. */
  readonly endpoint: string;
  readonly accountId: string;
  readonly credentials: readonly ServerCredential[];
  /** The queues, by name, for inspection. */
  readonly queues: ReadonlyMap<string, ServerQueue>;
  /** Requests answered so far, by operation (`BatchReceiveMessage`, `BatchDeleteMessage`, …), rejected ones included. */
  readonly requests: Readonly<Record<string, number>>;
  /** Total requests answered. */
  requestCount(): number;
  /** Forget the request counts. */
  resetCounts(): void;
  /**
   * Refuse every SendMessage / BatchSendMessage to `queue` with 403 `AccessDenied`, as MNS does
   * when the caller's RAM policy lacks `mns:SendMessage` on it (reads still work); `allow` ends it.
   */
  denySends(queue: string, allow?: boolean): void;
  /** End long polls, drop connections and stop listening. */
  close(): Promise<void>;
}

/**
 * Start an HTTP server on 127.0.0.1 that speaks the MNS queue XML protocol (version
 * 2015-06-06): queues and their attributes, send / batch send with delay and priority, receive /
 * batch receive with long polling, delete / batch delete with per-handle errors, change
 * visibility with a new receipt handle, redelivery with DequeueCount + 1 and DlqPolicy. Every
 * request must be signed (`Authorization: MNS id:signature`); bodies are parsed as strict XML.
 * For tests only: everything lives in memory.
 *
 * @example
 * const server = await startMnsServer();
 * const client = new MNSClient(server.accountId, { endpoint: server.endpoint, ...keys });
 */
export async function startMnsServer(options: MnsServerOptions = {}): Promise<MnsTestServer> {
  const accountId = options.accountId ?? "1234567890123456";
  const credentials = options.credentials ?? [TEST_CREDENTIAL];
  const queues = new Map<string, ServerQueue>();
  const deniedSends = new Set<string>();
  let requests: Record<string, number> = {};
  const lookup = (name: string) => queues.get(name);
  const ctx: OperationContext = {
    queues,
    deniedSends,
    createQueue(name, el) {
      const q = new ServerQueue(name, parseAttributes(el), lookup);
      queues.set(name, q);
      return q;
    },
  };
  const server: Server = createServer((req, res) => {
    void handle(req, res);
  });
  let hostId = "";

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = randomBytes(12).toString("hex").toUpperCase();
    const body = await readBody(req);
    const rawUrl = req.url ?? "/";
    const method = req.method ?? "GET";
    const op = operationName(method, rawUrl, body);
    requests[op] = (requests[op] ?? 0) + 1;
    try {
      verifyRequest(method, rawUrl, req.headers, body, credentials);
      const q = rawUrl.indexOf("?");
      const request: OperationRequest = {
        method,
        segments: (q >= 0 ? rawUrl.slice(0, q) : rawUrl).split("/").filter(Boolean).map(decodeURIComponent),
        query: new URLSearchParams(q >= 0 ? rawUrl.slice(q + 1) : ""),
        headers: req.headers,
        body: body.toString("utf8"),
        host: req.headers.host ?? "127.0.0.1",
      };
      const result = route(request);
      if ("pending" in result) {
        res.on("close", () => {
          if (!res.writableEnded) result.cancel();
        });
        write(res, requestId, await result.pending);
      } else write(res, requestId, result);
    } catch (error) {
      const e =
        error instanceof MnsProtocolError
          ? error
          : new MnsProtocolError(500, "InternalError", `test server failed: ${(error as Error).message}`);
      write(res, requestId, { status: e.status, body: errorXml(e, requestId, hostId) });
    }
  }

  function route(req: OperationRequest): OperationResponse | PendingResponse {
    const [root, name, sub, ...rest] = req.segments;
    if (root !== "queues" || rest.length > 0 || (sub !== undefined && sub !== "messages")) {
      throw errors.invalidRequest(
        `The request URL is not an MNS queue resource: /${req.segments.join("/")}.`,
      );
    }
    if (name === undefined) {
      if (req.method !== "GET") throw errors.invalidRequest("Only GET is allowed on /queues.");
      return queueAdmin(ctx, req, undefined);
    }
    if (sub === undefined) {
      if (req.method === "PUT") return putQueue(ctx, req, name);
      if (req.method === "GET" || req.method === "DELETE") return queueAdmin(ctx, req, name);
    } else {
      if (req.method === "POST") return send(ctx, req, name);
      if (req.method === "GET") return receive(ctx, req, name);
      if (req.method === "DELETE") return remove(ctx, req, name);
      if (req.method === "PUT") return changeVisibility(ctx, req, name);
    }
    throw errors.invalidRequest(`${req.method} is not allowed here.`);
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => resolve());
  });
  const address = server.address() as AddressInfo;
  const endpoint = `http://${address.address}:${address.port}`;
  hostId = endpoint;
  return {
    endpoint,
    accountId,
    credentials,
    queues,
    get requests() {
      return requests;
    },
    requestCount: () => Object.values(requests).reduce((a, b) => a + b, 0),
    resetCounts() {
      requests = {};
    },
    denySends(queue, allow = false) {
      if (allow) deniedSends.delete(queue);
      else deniedSends.add(queue);
    },
    async close() {
      for (const q of queues.values()) q.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function write(res: ServerResponse, requestId: string, r: OperationResponse): void {
  if (res.writableEnded || res.destroyed) return;
  const headers: Record<string, string> = { "x-mns-request-id": requestId, ...r.headers };
  if (r.body !== undefined) headers["content-type"] = "text/xml;charset=utf-8";
  res.writeHead(r.status, headers);
  res.end(r.body);
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

/** The MNS operation a request is, for the request counts. */
export function operationName(method: string, url: string, body: Buffer): string {
  const [path = "", query = ""] = url.split("?", 2);
  const parts = path.split("/").filter(Boolean);
  if (parts[0] !== "queues") return "Unknown";
  if (parts.length === 1) return "ListQueue";
  if (parts.length === 2) {
    if (method === "PUT") return /metaoverride=true/.test(query) ? "SetQueueAttributes" : "CreateQueue";
    return method === "DELETE" ? "DeleteQueue" : "GetQueueAttributes";
  }
  const batch = /numOfMessages=/.test(query);
  switch (method) {
    case "POST":
      return body.includes("<Messages") ? "BatchSendMessage" : "SendMessage";
    case "GET":
      if (/peekonly=true/.test(query)) return batch ? "BatchPeekMessage" : "PeekMessage";
      return batch ? "BatchReceiveMessage" : "ReceiveMessage";
    case "DELETE":
      return /ReceiptHandle=/.test(query) ? "DeleteMessage" : "BatchDeleteMessage";
    case "PUT":
      return "ChangeMessageVisibility";
    default:
      return "Unknown";
  }
}
