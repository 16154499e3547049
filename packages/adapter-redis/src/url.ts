import { ConfigError, parseDuration } from "@mailroom/core";
import type { RedisOptions } from "ioredis";
import type { RedisTransportOptions } from "./options.ts";

/** What a transport URL says: how to connect, and Mailroom's options. Holds the password: never log it. */
export interface ParsedRedisUrl {
  connection: RedisOptions;
  options: RedisTransportOptions;
  /** `host:port/db`, for messages (no credentials). */
  where: string;
}

const OPTION_PARAMS = new Set(["stream", "group", "dlq", "visibility", "wait", "create", "consumer"]);

/**
 * Parse `redis://[user:password@]host[:port][/db]?stream=orders&…` (`rediss://` for TLS). The
 * path is the database number (default 0); the query holds Mailroom's options: `stream`,
 * `group`, `dlq`, `visibility`, `wait` (durations: `30s`, `500ms`, or seconds as a bare
 * number), `create` and `consumer`. Errors never repeat the password.
 */
export function parseRedisUrl(input: string | URL): ParsedRedisUrl {
  let url: URL;
  try {
    url = new URL(String(input));
  } catch {
    throw new ConfigError("not a valid Redis transport URL; use redis://host:6379/0?stream=orders");
  }
  if (url.protocol !== "redis:" && url.protocol !== "rediss:") {
    throw new ConfigError(`expected a redis:// or rediss:// URL, got ${url.protocol}//…`);
  }
  const path = url.pathname.replace(/^\/+|\/+$/g, "");
  const db = path === "" ? 0 : Number(path);
  if (!Number.isInteger(db) || db < 0) {
    throw new ConfigError(
      `the path of a Redis URL is the database number (redis://host:6379/0), got "/${path}"`,
    );
  }
  const host = url.hostname.replace(/^\[|\]$/g, "") || "127.0.0.1";
  const port = url.port ? Number(url.port) : 6379;
  const connection: RedisOptions = { host, port, db };
  if (url.username) connection.username = decodeURIComponent(url.username);
  if (url.password) connection.password = decodeURIComponent(url.password);
  if (url.protocol === "rediss:") connection.tls = { servername: host };
  const options: RedisTransportOptions = {};
  for (const key of url.searchParams.keys()) {
    if (!OPTION_PARAMS.has(key)) {
      throw new ConfigError(
        `unknown option "${key}" in a Redis URL; known: ${[...OPTION_PARAMS].join(", ")}`,
      );
    }
  }
  const q = url.searchParams;
  const text = (key: string) => {
    const value = q.get(key);
    if (value === "") throw new ConfigError(`?${key}= needs a value`);
    return value ?? undefined;
  };
  const stream = text("stream");
  if (stream) options.stream = stream;
  const group = text("group");
  if (group) options.group = group;
  const dlq = text("dlq");
  if (dlq) options.deadLetterStream = dlq;
  const consumer = text("consumer");
  if (consumer) options.consumer = consumer;
  const visibility = text("visibility");
  if (visibility) options.visibilityTimeoutMs = duration(visibility, "visibility");
  const wait = text("wait");
  if (wait) options.waitMs = duration(wait, "wait");
  if (q.has("create")) options.create = flag(q.get("create") ?? "", "create");
  return { connection, options, where: `${host}:${port}/${db}` };
}

/** A duration where a bare number means seconds (`30` = 30 s), as in the other adapters' URLs. */
function duration(value: string, name: string): number {
  const ms = parseDuration(/^\d+(\.\d+)?$/.test(value) ? `${value}s` : value);
  if (ms <= 0) throw new ConfigError(`?${name}=${value} must be longer than 0`);
  return ms;
}

function flag(value: string, name: string): boolean {
  if (value === "" || value === "true" || value === "1") return true;
  if (value === "false" || value === "0") return false;
  throw new ConfigError(`?${name}=${value} must be true or false`);
}
