import { ConfigError, parseDuration } from "@mailroom/core";
import type { MnsTransportOptions } from "./options.ts";

/** What a transport URL says, before options and the environment are merged in. */
export interface ParsedMnsUrl {
  endpoint: string;
  accountId: string | undefined;
  queue: string;
  options: MnsTransportOptions;
}

const HOST = /^(\d+)\.mns\.[a-z0-9-]+\.aliyuncs\.com$/i;
const QUEUE = /^[a-zA-Z][a-zA-Z0-9-]{0,255}$/;

/**
 * Parse `mns://<accountId>.mns.<region>.aliyuncs.com/<queue>?…` (HTTPS) or
 * `mns+http://<host:port>/<queue>?accountId=…` (plain HTTP, for the test server and VPC
 * endpoints). `user:password@` are taken as AccessKey id and secret. Query: `accountId`, `dlq`,
 * `wait`, `visibility`, `create`, `maxReceiveCount`, `encoding`, `receiveEncoding`, `priority`.
 * Errors never repeat the secret.
 */
export function parseMnsUrl(url: string | URL): ParsedMnsUrl {
  let u: URL;
  try {
    u = new URL(String(url));
  } catch {
    throw new ConfigError(
      "not a valid MNS transport URL; use mns://<accountId>.mns.<region>.aliyuncs.com/<queue>",
    );
  }
  const scheme = u.protocol.slice(0, -1);
  if (scheme !== "mns" && scheme !== "mns+http" && scheme !== "mns+https") {
    throw new ConfigError(`"${scheme}:" is not an MNS scheme; use mns:// (HTTPS) or mns+http://`);
  }
  const queue = decodeURIComponent(u.pathname.replace(/^\/+|\/+$/g, ""));
  if (!QUEUE.test(queue)) {
    throw new ConfigError(
      `"${queue}" is not an MNS queue name (letters, digits and hyphens, starting with a letter); put it in the path: mns://<host>/<queue>`,
    );
  }
  const q = u.searchParams;
  const options: MnsTransportOptions = {};
  if (u.username) options.accessKeyId = decodeURIComponent(u.username);
  if (u.password) options.accessKeySecret = decodeURIComponent(u.password);
  const dlq = q.get("dlq");
  if (dlq) options.deadLetterQueue = dlq;
  const wait = q.get("wait");
  if (wait) options.waitSeconds = Math.round(parseDuration(/^\d+$/.test(wait) ? `${wait}s` : wait) / 1000);
  const visibility = q.get("visibility");
  if (visibility)
    options.visibilityTimeoutMs = parseDuration(/^\d+$/.test(visibility) ? `${visibility}s` : visibility);
  if (q.has("create")) options.createQueues = q.get("create") !== "false";
  const mrc = q.get("maxReceiveCount");
  if (mrc) options.maxReceiveCount = positiveInt(mrc, "maxReceiveCount");
  const encoding = q.get("encoding");
  if (encoding) options.bodyEncoding = oneOf(encoding, ["base64", "text"] as const, "encoding");
  const receiveEncoding = q.get("receiveEncoding");
  if (receiveEncoding) {
    options.receiveEncoding = oneOf(receiveEncoding, ["auto", "base64", "text"] as const, "receiveEncoding");
  }
  const priority = q.get("priority");
  if (priority) options.priority = positiveInt(priority, "priority");
  const accountId = q.get("accountId") ?? HOST.exec(u.hostname)?.[1];
  const secure = scheme !== "mns+http";
  return { endpoint: `${secure ? "https" : "http"}://${u.host}`, accountId, queue, options };
}

function positiveInt(text: string, name: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new ConfigError(`${name}=${text} must be a positive integer`);
  return n;
}

function oneOf<T extends string>(text: string, values: readonly T[], name: string): T {
  if (!(values as readonly string[]).includes(text)) {
    throw new ConfigError(`${name}=${text} is not one of ${values.join(", ")}`);
  }
  return text as T;
}
